"""The marketing contacts a pass of customers or contacts reconciles against,
read as cheaply as the platform allows.

Dotdigital's v3 API reads one contact per GET by email and lists contacts by
modification time, 1,000 a page. So: a first run lists the whole account once
into a private snapshot (when that is cheaper than a GET per record), the
contacts a page wrote are read back with one changed-since listing. A dry
run reads the same way, through its picture of the platform (``simulated.py``).
"""

from __future__ import annotations

from datetime import datetime

from nstui.engine.datasets.base import PassContext, Plan
from nstui.marketing.client import V3_PAGE
from nstui.marketing.model import MarketingContact

#: From this many contacts written in a page on, they are read back with one
#: changed-since read rather than a GET each.
READ_BACK_IN_BULK = 20
#: From this many NetSuite records on, a first run lists the platform's
#: contacts instead of reading them one by one.
SNAPSHOT_FROM = 200


class PlatformContacts:
    def __init__(self, ctx: PassContext):
        self.ctx = ctx
        self.state = ctx.state
        self.mk = ctx.conn.marketing
        self.snapshot = False

    async def take_snapshot(self, records: int) -> None:
        """First run, ``records`` NetSuite records to read: when the account
        holds no more than twice as many contacts, list them all into a
        private table (a TEMP table of the state database); otherwise give up
        and leave the reads to one GET each."""
        if records < SNAPSHOT_FROM:
            return
        budget = 2 * records
        self.state.snapshot_start()
        seen, batch = 0, []
        async for contact in self.mk.contacts_changed_since(None):
            batch.append(contact)
            seen += 1
            if len(batch) >= V3_PAGE:
                self.state.snapshot_put(batch)
                batch = []
            if seen > budget:
                self.state.snapshot_end()
                return
        self.state.snapshot_put(batch)
        self.snapshot = True

    def end(self) -> None:
        if self.snapshot:
            self.state.snapshot_end()
        self.snapshot = False

    async def contacts_for(self, emails: list[str]) -> dict[str, MarketingContact]:
        """The page's contacts as the platform has them: from the first run's
        snapshot (kept current with what we write), else one GET each; in a
        dry run, as the earlier pages' planned writes would leave them."""
        if self.snapshot:
            return self.state.snapshot_get(emails)
        return await self.mk.get_contacts(emails)

    async def after_writes(self, emails: list[str], contacts: dict[str, MarketingContact], plan: Plan,
                           writes_started: datetime) -> dict[str, MarketingContact]:
        """The contacts a page wrote, as the platform now has them (a dry run:
        as its plan would leave them); the snapshot follows."""
        fresh = await self.read_back(emails, writes_started)
        if self.snapshot:
            self.state.snapshot_put(fresh.values())
            self.state.snapshot_forget(e for e in emails if e not in fresh)
        return fresh

    async def read_back(self, emails: list[str], since: datetime) -> dict[str, MarketingContact]:
        """For many, one changed-since read (1,000 a page) costs a fraction of
        a GET each. It starts a little before our writes (clocks differ), so it
        also meets the previous pages' contacts; it gives up after two pages of
        those plus three times as many contacts as wanted (others are busy
        changing the account), and whatever it missed is read one by one."""
        if len(emails) < READ_BACK_IN_BULK:
            return await self.mk.get_contacts(emails)
        wanted: set[str] = set(emails)
        found: dict[str, MarketingContact] = {}
        seen, budget = 0, 3 * len(wanted) + 2 * V3_PAGE
        async for contact in self.mk.contacts_changed_since(since):
            if contact.email in wanted:
                found[contact.email] = contact
                if len(found) == len(wanted):
                    break
            seen += 1
            if seen > budget:
                break
        missing = [e for e in emails if e not in found]
        if missing:
            found.update(await self.mk.get_contacts(missing))
        return found
