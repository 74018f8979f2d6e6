"""The marketing platform's side of a customers or contacts pass: what
changed there since the last run (opt-outs, changed contacts, joins of the
integration's lists), and what it asks of NetSuite (seed 003: an email
changed in marketing, a member of a stage list, a contact for an unmatched
opt-out). A mixin of ``EntityPass``, apart because it is the other direction.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from nstui.config import ADDRESS_FIELDS, WRITES_NETSUITE
from nstui.engine import events as ev
from nstui.engine.datasets.base import Plan
from nstui.engine.datasets.netsuite_fields import STAGE_LISTS, rest_body
from nstui.engine.datasets.ops import (
    CREATED,
    DropLink,
    NetSuiteCreate,
    NetSuitePatch,
    SaveLink,
    SetPending,
    SetRefused,
    SetShadow,
    Step,
)
from nstui.engine.errors import netsuite_values
from nstui.engine.rules.duplicates import Party
from nstui.engine.rules.emails import normalize_email
from nstui.engine.rules.merge import canon
from nstui.engine.rules.status import SOFT_OPT_OUT
from nstui.marketing.model import MarketingContact
from nstui.netsuite.suiteql import quote

#: Emails looked up in NetSuite with one SuiteQL query.
LOOKUP_CHUNK = 200
#: Older than any opt-out the platform keeps: "since the beginning".
HISTORY_START = datetime(2000, 1, 1, tzinfo=timezone.utc)


class MarketingSideChanges:
    """Needs the attributes and helpers of ``EntityPass``."""

    ctx: Any
    state: Any
    mk: Any
    ns: Any
    # EntityPass's, declared for the type checker.
    record_type: str
    ds: Any
    optins: Any
    optins_on: bool
    writes_netsuite: bool
    lists: dict[str, int]
    list_unsubscribes: dict[tuple[str, int], datetime]

    if TYPE_CHECKING:
        def entity_list(self, stage: str | None) -> str: ...
        def entity_lists(self) -> list[str]: ...
        def marketing_value(self, contact: MarketingContact | None, name: str) -> Any: ...
        def status_body(self, status: int) -> dict[str, Any]: ...

    # -- the marketing side's changes --------------------------------------

    async def write_now(self, step: Step) -> bool:
        """A write this direction decides while it reads: carried out at once,
        through the same executor (and intent log) as a page's plan."""
        plan = Plan(self.ctx)
        plan.add(step)
        await plan.execute()
        return step.key not in plan.failed

    async def marketing_changes(self, since: datetime) -> set[int]:
        """Records whose contact changed on the marketing side since ``since``."""
        touched: set[int] = set()
        unmatched: dict[str, str] = {}
        async for out in self.mk.opt_outs_since(since):
            email = out.email.lower()
            link = self.state.link_by_email(email)
            if link is None:
                await self.unmatched_opt_out(unmatched, email, out.reason)
            elif link.party.record_type == self.record_type:
                known = self.state.shadows(email).get("status:mk")
                if not (known and (known[1] or known[0] in ("unsubscribed", "bounced"))):
                    touched.add(link.party.record_id)  # an opt-out we have not seen yet
                    # Its own time, from the platform: what `nstui why` shows first.
                    self.state.add_consent(
                        self.ctx.run_id, email, self.ctx.dataset, "global",
                        marketing=f"{out.reason} at {out.when.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC",
                        rule="read from the platform's opt-outs since the last pass", written="")
        async for contact in self.mk.contacts_changed_since(since):
            link = self.state.link_by_email(contact.email)
            if link is None and contact.contact_id:
                moved = self.state.link_by_contact_id(contact.contact_id)
                if moved is not None and moved.party.record_type == self.record_type:
                    await self.email_changed_in_marketing(moved, contact)
                continue
            if link is None or link.party.record_type != self.record_type:
                continue
            if not self.is_echo(contact, self.state.shadows(contact.email)):
                touched.add(link.party.record_id)
        await self.opt_outs_without_record(unmatched)
        touched |= await self.mapped_list_unsubscribes(since)
        if self.writes_netsuite:
            await self.entity_list_joins(since)
        return touched

    async def mapped_list_unsubscribes(self, since: datetime) -> set[int]:
        """Unsubscribes from the mapped lists since ``since``, each with the
        platform's time: a NetSuite tick older than one never re-adds the
        contact, even when they joined and unsubscribed between two passes."""
        touched: set[int] = set()
        if not self.optins_on:
            return touched
        for list_name in dict.fromkeys(m.list for m in self.optins.campaign_subscriptions):
            list_id = self.lists.get(list_name)
            if list_id is None or list_id < 0:
                continue
            async for email, when in self.mk.list_unsubscribes_since(list_id, since):
                link = self.state.link_by_email(email)
                if link is None or link.party.record_type != self.record_type:
                    continue
                key = (email, list_id)
                if key not in self.list_unsubscribes or self.list_unsubscribes[key] < when:
                    self.list_unsubscribes[key] = when
                touched.add(link.party.record_id)
        return touched

    def is_echo(self, contact: MarketingContact, shadows: dict[str, Any]) -> bool:
        """True when nothing we sync changed since our last write."""
        for f in self.ds.fields:
            if f.direction not in WRITES_NETSUITE:
                continue
            key = "f:" + f.netsuite
            if key in shadows and canon(self.marketing_value(contact, f.marketing)) != canon(shadows[key]):
                return False
        if self.optins_on:
            if shadows.get("status:mk") not in (None, [contact.status, contact.suppressed]):
                return False
            for m in self.optins.campaign_subscriptions:
                list_id = self.lists.get(m.list)
                key = "sub:" + m.netsuite_subscription.lower()
                if m.direction in WRITES_NETSUITE and key in shadows and contact.subscribed_to(list_id) != shadows[key]:
                    return False
        return True

    async def email_changed_in_marketing(self, link: Any, contact: MarketingContact) -> None:
        """A linked contact's email changed on the platform: NetSuite follows,
        unless it refuses (the address belongs to another record); a refusal is
        reported once and not retried until the address changes again."""
        ctx = self.ctx
        key = f"{link.party.record_type} {link.party.record_id}"
        if self.state.refused(ctx.dataset, key) == contact.email:
            return
        why = f"email changed in marketing from {link.email}"
        await self.write_now(Step(
            key=contact.email,
            op=NetSuitePatch(contact.email, why, record_type=link.party.record_type, record_id=link.party.record_id,
                             body={"email": contact.email}, fields={"email": contact.email}),
            events=(ev.RecordUpdated(dataset=ctx.dataset, side="netsuite", key=contact.email, fields=("email",),
                                     reason=why),),
            counts=("updated",),
            commit=(DropLink(link.email), SaveLink.of(contact.email, link.party, contact.contact_id)),
            on_fail=(SetRefused(ctx.dataset, key, contact.email, "refused by NetSuite"),),
            fail_prefix=f"email change to {contact.email} refused by NetSuite: ",
            record_id=link.party.record_id,
        ))

    @property
    def creates_missing_contacts(self) -> bool:
        return self.optins_on and self.optins.create_missing_contact and self.record_type == "contact"

    async def historic_opt_outs(self) -> None:
        """First run: the platform's opt-outs from before nstui, so that NetSuite
        gets the ones it has no record of (read after the NetSuite pass, when
        the records that have the emails are linked)."""
        if not self.creates_missing_contacts:
            return
        unmatched: dict[str, str] = {}
        async for out in self.mk.opt_outs_since(HISTORY_START):
            if self.state.link_by_email(out.email.lower()) is None:
                await self.unmatched_opt_out(unmatched, out.email.lower(), out.reason)
        await self.opt_outs_without_record(unmatched)

    async def unmatched_opt_out(self, pending: dict[str, str], email: str, reason: str) -> None:
        """Collect an opt-out no record is linked to; a full chunk is looked up."""
        pending[email] = reason
        if len(pending) >= LOOKUP_CHUNK:
            await self.opt_outs_without_record(pending)
            pending.clear()

    async def opt_outs_without_record(self, opt_outs: dict[str, str]) -> None:
        """Seed 003: "optionally allow the creation of a contact if we can't find
        a match in NetSuite ... to ensure that NetSuite has the opt-out status".
        One SuiteQL look-up for a chunk of emails."""
        if not self.creates_missing_contacts or not opt_outs:
            return
        valid: dict[str, str] = {}
        for email, reason in opt_outs.items():
            address, why = normalize_email(email)
            if address:
                valid[address] = reason
            else:
                self.ctx.skip(email, why)
        if not valid:
            return
        found = {str(r["email"]).lower() for r in await self.ns.entities_by_email(list(valid))}
        for email, reason in valid.items():
            if email not in found:  # a record that has the email is linked by the normal pass
                await self.create_contact_for_opt_out(email, reason)

    async def create_contact_for_opt_out(self, valid: str, reason: str) -> None:
        ctx = self.ctx
        why = f"{reason} in marketing, no NetSuite record: contact created with Soft Opt-Out"
        local = valid.split("@")[0]
        body = {"email": valid, "firstName": local[:32], "lastName": "(marketing opt-out)",
                **self.status_body(SOFT_OPT_OUT)}
        await self.write_now(Step(
            key=valid, op=NetSuiteCreate(valid, why, record_type="contact", body=body),
            events=(ev.RecordCreated(dataset=ctx.dataset, side="netsuite", key=valid, reason=why),),
            counts=("created",),
            commit=(SaveLink.of(valid, Party("contact", CREATED, None, True, "")),
                    SetShadow(valid, "status:ns", SOFT_OPT_OUT)),
        ))

    async def entity_list_joins(self, since: datetime) -> None:
        """Seed 003: members of the integration's Customers / Leads / Prospects
        (or Contacts) list are customer (contact) entities: a linked customer at
        another stage gets the list's stage default entitystatus, and an
        unlinked member is created in NetSuite."""
        for list_name in self.entity_lists():
            list_id = self.lists.get(list_name)
            if list_id is None or list_id < 0:
                continue
            stage = next((s for s, k in STAGE_LISTS.items() if list_name.endswith(f"- {k}")), None)
            async for email, member, _when in self.mk.list_changes_since(list_id, since):
                if not member:
                    continue
                link = self.state.link_by_email(email.lower())
                if link is not None:
                    if (self.record_type == "customer" and link.party.record_type == "customer"
                            and stage and (link.party.stage or "").upper() != stage):
                        await self.set_stage(link.email, link.party, stage)
                    continue
                await self.create_from_marketing(email.lower(), stage)

    async def default_status(self, stage: str) -> int | None:
        rows = [r async for r in self.ns.suiteql(
            "SELECT id FROM customerstatus WHERE stage = " + quote(stage) + " AND isdefault = 'T'")]
        with netsuite_values("the default status of a stage"):
            return int(rows[0]["id"]) if rows else None

    async def set_stage(self, email: str, party: Party, stage: str) -> None:
        ctx = self.ctx
        status_id = await self.default_status(stage)
        if status_id is None:
            ctx.warn(f"no default customer status for stage {stage} in NetSuite")
            return
        why = f"member of the {stage.title()}s list: stage default status"
        await self.write_now(Step(
            key=email,
            op=NetSuitePatch(email, why, record_type="customer", record_id=party.record_id,
                             body={"entityStatus": {"id": str(status_id)}}, fields={"entitystatus": status_id}),
            events=(ev.RecordUpdated(dataset=ctx.dataset, side="netsuite", key=email, fields=("entitystatus",),
                                     reason=why),),
            counts=("updated",),
            commit=(SaveLink.of(email, Party(party.record_type, party.record_id, stage, party.isperson, party.name)),),
            fail_prefix="entitystatus not updated: ", record_id=party.record_id,
        ))

    async def create_from_marketing(self, email: str, stage: str | None) -> None:
        ctx = self.ctx
        valid, why = normalize_email(email)
        if not valid:
            ctx.skip(email, why)
            return
        table = "customer" if self.record_type == "customer" else "contact"
        found = [r for r in await self.ns.entities_by_email([valid]) if r["record_type"] == table]
        if found:
            return  # already in NetSuite; the normal pass links it
        contact = await self.mk.get_contact(valid)
        if contact is None:
            return
        body: dict[str, Any] = {"email": valid}
        for f in self.ds.fields:
            if f.direction in WRITES_NETSUITE and f.netsuite not in ADDRESS_FIELDS:
                value = self.marketing_value(contact, f.marketing)
                if value not in (None, ""):
                    body.update(rest_body({f.netsuite: value}))
        if self.record_type == "customer":
            status_id = await self.default_status(stage or "CUSTOMER")
            if status_id is not None:
                body["entityStatus"] = {"id": str(status_id)}
            body.setdefault("isPerson", True)
            if not body.get("lastName") and not body.get("companyName"):
                body["lastName"] = valid.split("@")[0][:32]
        why = f"member of {self.entity_list(stage)!r} with no NetSuite record"
        await self.write_now(Step(
            key=valid, op=NetSuiteCreate(valid, why, record_type=table, body=body),
            events=(ev.RecordCreated(dataset=ctx.dataset, side="netsuite", key=valid, reason=why),),
            counts=("created",),
            commit=(SetPending(ctx.dataset, CREATED),),  # read it back through the normal pass
            fail_prefix="not created in NetSuite: ",
        ))

    # -- one page ----------------------------------------------------------
