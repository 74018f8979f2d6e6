"""Customers and contacts: seed 003's entity rules, with seed 000's opt-ins
applied during the import ("applied to contacts during NetSuite Connector
contact imports and do not run independently").

One pass of a data set:
1. make sure the integration's lists, the mapped lists and the opt-in lists exist;
2. read the marketing side's changes since the last run (opt-outs, changed
   contacts, joins of the integration's lists) and note the linked records;
3. read NetSuite's changes since the watermark page by page and reconcile each
   record with its contact (fresh from the platform), then the records noted
   in 2 that NetSuite did not change;
4. advance the marketing watermark to the time the pass started.

Step 2 lives in ``marketing_changes.py``; how the platform's contacts are read
(snapshot, read-back, a dry run's picture) in ``platform_view.py``.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from nstui.config import ADDRESS_FIELDS, WRITES_NETSUITE, EntityDatasetConfig
from nstui.engine import events as ev
from nstui.engine.datasets.base import PassContext, Plan, breathe, planned
from nstui.engine.datasets.intents import reconcile_intents
from nstui.engine.datasets.marketing_changes import MarketingSideChanges
from nstui.engine.datasets.netsuite_fields import MOBILE, STAGE_LISTS, rest_body, to_marketing_value
from nstui.engine.datasets.ops import (
    DeleteContact,
    DropLink,
    ListAdd,
    ListRemove,
    NetSuitePatch,
    NetSuiteSetStatus,
    NetSuiteSetSubscription,
    RecordConsent,
    Resubscribe,
    SaveLink,
    SetShadow,
    Step,
    Suppress,
    Unsuppress,
    Upsert,
)
from nstui.engine.datasets.planned import planned_contact
from nstui.engine.datasets.platform_view import PlatformContacts
from nstui.engine.errors import REMOTE_ERRORS, SafetyStop, netsuite_values
from nstui.engine.rules.consent import GLOBAL, join_refused, list_scope, list_unsubscribe_wins
from nstui.engine.rules.duplicates import (
    Party,
    consent_status,
    link_decision,
    name_key,
    strongest_opt_out,
    takeover_shadows,
)
from nstui.engine.rules.emails import normalize_email
from nstui.engine.rules.merge import NO_SHADOW, merge_field, merge_subscription
from nstui.engine.rules.phones import to_e164
from nstui.engine.rules.status import (
    NOTHING,
    NS_OPTED_OUT,
    NS_STATUS_NAMES,
    SOFT_OPT_OUT,
    MarketingState,
    decide_status,
    field_from_status,
    status_from_field,
)
from nstui.engine.rules.watermark import platform_mark, read_from
from nstui.engine.state import parse_iso
from nstui.marketing.model import ContactWrite, MarketingContact
from nstui.netsuite.suiteql import parse_ts, quote, ts


@dataclass
class Rec:
    """One NetSuite row, prepared."""

    id: int
    row: dict[str, Any]
    email: str | None
    email_reason: str
    party: Party
    time: datetime | None
    status: int | None
    #: The opt-out of another record on the page with this email that does
    #: not hold it (``rules/duplicates.py``: ``consent_status``).
    duplicate_opt_out: int | None = None

    @property
    def key(self) -> str:
        return self.email or f"{self.party.record_type} {self.id}"

    @property
    def consent(self) -> int | None:
        """The status the contact's consent is decided on."""
        return consent_status(self.status, self.duplicate_opt_out)


@dataclass
class Outcome:
    """What reconciling one record asks for, before it becomes actions."""

    write: ContactWrite
    marketing_fields: list[str] = field(default_factory=list)
    netsuite_patch: dict[str, Any] = field(default_factory=dict)
    shadows: dict[str, Any] = field(default_factory=dict)  # committed with the record's writes
    #: Reported with the contact's upsert (a list joined, a status set by it).
    events: list[ev.Event] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)
    #: Why no consent list (mapped or opt-in) may be joined in this pass (None: it may).
    join_refused: str | None = None
    #: Consent history rows (``nstui why``), committed with the record's writes.
    consent: list[RecordConsent] = field(default_factory=list)


class EntityPass(MarketingSideChanges):
    record_type = "customer"

    def __init__(self, ctx: PassContext):
        self.ctx = ctx
        self.model = ctx.cfg.model
        self.ds: EntityDatasetConfig = self.model.datasets.get(ctx.dataset)  # type: ignore[assignment]
        self.optins = self.model.optins
        self.optins_on = self.optins.enable_connection and ctx.dataset in self.optins.datasets
        self.ns = ctx.conn.netsuite
        self.mk = ctx.conn.marketing
        self.state = ctx.state
        self.skew = self.model.engine.skew_tolerance
        self.lists: dict[str, int] = {}
        self.subscription_ids: dict[str, int] = {}
        self.page_links: dict[str, Party] = {}
        self.page_holders: dict[str, Party] = {}
        self.deletes = 0
        self.links_at_start = 0
        self.platform = PlatformContacts(ctx)
        self.touched: set[int] = set()
        self.settled_before = datetime.min.replace(tzinfo=timezone.utc)
        self.writes_netsuite = any(f.direction in WRITES_NETSUITE for f in self.ds.fields)
        #: (email, list id) -> the latest unsubscribe from that mapped list the
        #: platform reported since the last pass (``marketing_changes``).
        self.list_unsubscribes: dict[tuple[str, int], datetime] = {}

    # -- lists -------------------------------------------------------------

    def entity_list(self, stage: str | None) -> str:
        kind = STAGE_LISTS.get((stage or "").upper(), "Customers") if self.record_type == "customer" else "Contacts"
        return self.model.marketing.list_name(kind)

    def entity_lists(self) -> list[str]:
        if self.record_type == "customer":
            return [self.model.marketing.list_name(k) for k in STAGE_LISTS.values()]
        return [self.model.marketing.list_name("Contacts")]

    def managed_lists(self) -> list[str]:
        """Lists an opt-out is removed from: the mapped and the opt-in lists."""
        names = [m.list for m in self.optins.campaign_subscriptions]
        names += self.optins.global_status.add_opt_ins_to_lists
        return list(dict.fromkeys(names))

    async def ensure_lists(self) -> None:
        wanted = self.entity_lists()
        if self.optins_on:
            wanted += self.managed_lists()
        existing = {lst.name: lst.id for lst in await self.mk.list_lists()}
        # The other data set's lists, where they exist: a record that takes a
        # contact over from a record of the other type takes it off their list.
        others = [self.model.marketing.list_name(k) for k in (*STAGE_LISTS.values(), "Contacts")]
        self.lists.update({name: existing[name] for name in others if name in existing})
        placeholder = -1
        for name in dict.fromkeys(wanted):
            if name in existing:
                self.lists[name] = existing[name]
                continue
            event = ev.RecordCreated(dataset=self.ctx.dataset, side="marketing", key=name, reason="list did not exist")
            if self.ctx.dry_run:
                self.lists[name] = placeholder  # the plan needs an id; nothing is created
                placeholder -= 1
                self.ctx.emit(planned(event))
            else:
                self.lists[name] = await self.create_list(name)
                self.ctx.emit(event)
        if self.optins_on and self.optins.campaign_subscriptions:
            subs = await self.ns.list_campaign_subscriptions()
            self.subscription_ids = {s.name.lower(): s.id for s in subs}
            for m in self.optins.campaign_subscriptions:
                if m.netsuite_subscription.lower() not in self.subscription_ids:
                    self.ctx.warn(f"campaign subscription {m.netsuite_subscription!r} does not exist in NetSuite")

    async def create_list(self, name: str) -> int:
        """A list of the integration's, created; when the answer is lost (or a
        lost answer's retry finds it made), the list is looked up by name."""
        try:
            return int((await self.mk.create_list(name)).id)
        except REMOTE_ERRORS:
            found = await self.mk.find_list(name)
            if found is None:
                raise
            return int(found.id)

    # -- reading NetSuite --------------------------------------------------

    def select(self) -> tuple[str, str, str]:
        cols = ["c.id", "c.email", "c.firstname", "c.lastname", "c.globalsubscriptionstatus",
                f"{ts('c.lastmodifieddate')} AS lastmodified_iso"]
        if self.record_type == "customer":
            # searchstage is the customer's documented stage field (Lead, Prospect, Customer)
            cols += ["c.companyname", "c.isperson", "UPPER(c.searchstage) AS stage", "c.entitystatus"]
        else:
            cols += ["NULL AS companyname", "'T' AS isperson", "NULL AS stage"]
        have = {c.split(".")[-1].split(" AS ")[-1] for c in cols}
        extra = {f.netsuite for f in self.ds.fields if f.netsuite not in ADDRESS_FIELDS}
        if self.optins.source == "field" and self.optins.source_field:
            extra.add(self.optins.source_field)
        cols += [f"c.{name}" for name in sorted(extra - have)]
        cols += [f"a.{name}" for name in ADDRESS_FIELDS]
        # Every record type is read, so the ones not synced are counted as skipped with the reason.
        where: list[str] = []
        table = "customer" if self.record_type == "customer" else "contact"
        from_ = f"{table} c LEFT JOIN entityaddress a ON a.nkey = c.defaultbillingaddress"
        return ", ".join(cols), from_, " AND ".join(where)

    def prepare(self, row: dict[str, Any]) -> Rec:
        email, reason = normalize_email(row.get("email"))
        isperson = str(row.get("isperson") or "T") == "T"
        party = Party(
            self.record_type, int(row["id"]), row.get("stage"), isperson,
            name_key(row.get("firstname"), row.get("lastname"), row.get("companyname"), isperson),
        )
        if self.optins.source == "field" and self.optins.source_field:
            status = status_from_field(row.get(self.optins.source_field.lower()))
        else:
            raw_status = row.get("globalsubscriptionstatus")
            status = int(float(raw_status)) if raw_status not in (None, "") else None
        return Rec(int(row["id"]), row, email, reason, party, parse_iso(row.get("lastmodified_iso")), status)

    # -- the pass ----------------------------------------------------------

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            self.platform.end()

    async def _run(self) -> None:
        ctx = self.ctx
        await self.ensure_lists()
        await reconcile_intents(ctx)
        self.links_at_start = self.state.count_links(self.record_type)
        stored = self.state.watermark(ctx.dataset)
        overlap = self.model.engine.watermark_overlap
        mk_since = self.state.watermark(ctx.dataset, "marketing")
        # The platform's own clock (the Date of its answer to ensure_lists), not
        # ours: a local clock an hour fast must not skip the next hour of opt-outs.
        mk_started = platform_mark(self.mk.server_clock.now(), ctx.clock())
        ns_now = await self.netsuite_now()
        # NetSuite's times have one-second resolution: a row stamped within the
        # last seconds may change again in the same second, so it is never
        # taken as settled (seen) and is processed again next time.
        self.settled_before = (ns_now or ctx.clock()) - self.skew - timedelta(seconds=1)
        # Read from the watermark minus the overlap, never from beyond NetSuite's
        # own now (a watermark a clock jump left in the future).
        read_since = read_from(stored, ns_now, overlap)
        touched = self.touched = set(self.state.pending(ctx.dataset))
        if mk_since is not None:
            touched |= await self.marketing_changes(mk_since - overlap)
        select, from_, where = self.select()
        if mk_since is None:
            await self.take_snapshot(from_, where, read_since)
        # The next page (its rows and subscriptions) is read while this page's
        # marketing work runs, but only once this page's plan is known to hold
        # no NetSuite write (else after its writes): a status written for one
        # record changes every record sharing its email, so a page read before
        # such a write could hold a stale opt-in.
        limit = self.model.netsuite.page_size
        key: tuple[datetime | None, int | None] = (read_since, None)
        ahead: asyncio.Future[Any] | None = None
        try:
            got = await self.read_page(select, from_, where, key)
            while got is not None:
                page, read = got
                key = (parse_ts(page[-1]["lastmodifieddate"]), int(page[-1]["id"]))
                more = len(page) >= limit
                ahead = None

                def read_next(key: tuple[datetime | None, int | None] = key, more: bool = more) -> None:
                    nonlocal ahead
                    if ahead is None and more:
                        ahead = asyncio.ensure_future(self.read_page(select, from_, where, key))

                ctx.page_read("netsuite", len(page))
                await self.process(page, read, no_netsuite_writes=read_next)
                read_next()
                touched -= {int(r["id"]) for r in page}
                ctx.page_done(page)
                if ctx.cancel.is_set():
                    return
                got = await ahead if ahead is not None else None
        finally:
            if ahead is not None and not ahead.done():
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
        ids = sorted(touched)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = await self.ns.rows_by_id(select, from_, where, chunk)
            ctx.page_read("netsuite", len(rows))
            await self.process(rows)
            for gone in set(chunk) - {int(r["id"]) for r in rows}:
                self.state.set_pending(ctx.dataset, gone, False)
            self.state.checkpoint()
            ctx.progress()
            if ctx.cancel.is_set():
                return
        if mk_since is None:
            await self.historic_opt_outs()
        self.state.set_watermark(ctx.dataset, mk_started, "marketing")
        self.state.checkpoint()

    async def netsuite_now(self) -> datetime | None:
        """NetSuite's own time: the Date header of its latest answer, or of a
        one-row query when this pass has not asked it anything yet."""
        now: datetime | None = self.ns.server_clock.now()
        if now is None:
            async for _ in self.ns.suiteql("SELECT 1 AS one FROM dual"):
                pass
            now = self.ns.server_clock.now()
        return now

    def marketing_value(self, contact: MarketingContact | None, name: str) -> Any:
        if contact is None:
            return None
        if name.lower() == MOBILE:
            return contact.mobile_number
        if name in contact.data_fields:
            return contact.data_fields[name]
        upper = name.upper()
        for k, v in contact.data_fields.items():
            if k.upper() == upper:
                return v
        return None

    def seen(self, row: dict[str, Any]) -> bool:
        """A boundary row read again (the watermark overlap) that has not
        changed since it was synced, and whose contact did not change either."""
        rid = int(row["id"])
        return rid not in self.touched and self.state.record_digest(
            self.ctx.dataset, f"ns:{rid}") == row.get("lastmodified_iso")

    async def read_page(self, select: str, from_: str, where: str, key: tuple[datetime | None, int | None]
                        ) -> tuple[list[dict[str, Any]], tuple[list[Rec], dict[int, list[Any]]]] | None:
        """The page after ``key`` (by lastmodifieddate, id) with what it needs
        from NetSuite, or None past the last row."""
        pages = self.ns.keyset_pages(
            select=select, from_=from_, where=where, key_time="c.lastmodifieddate", key_id="c.id",
            since=key[0], after_id=key[1], page_size=self.model.netsuite.page_size,
        )
        async with aclosing(pages):
            async for page in pages:
                return page, await self.read_netsuite(page)
        return None

    async def read_netsuite(self, rows: list[dict[str, Any]]) -> tuple[list[Rec], dict[int, list[Any]]]:
        """What a page needs from NetSuite besides its rows: the records'
        campaign subscriptions (read ahead, while the page before is written)."""
        with netsuite_values(f"a page of {self.record_type}s"):
            recs = [self.prepare(r) for r in rows if not self.seen(r)]
        subs: dict[int, list[Any]] = {}
        if self.optins_on and self.optins.campaign_subscriptions and recs:
            subs = await self.ns.entity_subscriptions(self.record_type, [r.id for r in recs if r.email])
        return recs, subs

    async def process(self, rows: list[dict[str, Any]],
                      read: tuple[list[Rec], dict[int, list[Any]]] | None = None,
                      no_netsuite_writes: Callable[[], None] | None = None) -> None:
        """Reconcile a page and carry its plan out; ``no_netsuite_writes`` is
        called as soon as the plan is known to write nothing in NetSuite."""
        ctx = self.ctx
        recs, subs = read if read is not None else await self.read_netsuite(rows)
        self.page_links = {}
        old_links = {r.id: self.state.link_by_record(self.record_type, r.id) for r in recs}
        emails = {r.email for r in recs if r.email}
        emails |= {link.email for link in old_links.values() if link}
        links = self.state.links_for_emails(emails)
        contacts = await self.platform.contacts_for(sorted(emails)) if emails else {}
        shadows = self.state.shadows_for(emails)
        plan = Plan(ctx)
        written: set[str] = set()
        self.page_holders = self.holders_of(recs, links)
        for i, rec in enumerate(recs):
            await breathe(i)
            self.reconcile(rec, plan, old_links.get(rec.id), links, contacts, subs.get(rec.id, []),
                           shadows.get(rec.email or "", {}), written)
        if self.optins_on:
            self.expect_statuses(plan, contacts)
        if no_netsuite_writes is not None and not any(
                st.op is not None and st.op.side == "netsuite" for st in plan.steps):
            no_netsuite_writes()
        writes_started = ctx.clock()
        await plan.execute()
        for rec in recs:
            failed = (rec.email or "") in plan.failed
            self.state.set_pending(ctx.dataset, rec.id, failed)
            settled = rec.time is not None and rec.time < self.settled_before
            self.state.set_record_digest(
                ctx.dataset, f"ns:{rec.id}", rec.row.get("lastmodified_iso") if settled and not failed else None)
        # What the platform made of our writes is the shadow: never a guess.
        written |= {st.key for st in plan.steps if st.op is not None and st.op.side == "marketing"}
        done = sorted(written - plan.failed)
        if done:
            fresh = await self.platform.after_writes(done, contacts, plan,
                                                     writes_started - self.skew - timedelta(seconds=1))
            for email, contact in fresh.items():
                if self.optins_on:
                    self.state.set_shadow(email, "status:mk", [contact.status, contact.suppressed])
                link = self.state.link_by_email(email)
                if link is not None and link.contact_id != contact.contact_id:
                    self.state.save_link(email, link.party, contact.contact_id)

    def synced(self, rec: Rec) -> bool:
        """Whether the record takes part in duplicate handling (an email, a
        record type synced)."""
        if rec.email is None:
            return False
        if self.record_type == "customer" and self.ds.record_types != "both":
            return rec.party.isperson == (self.ds.record_types == "persons")
        return True

    def holders_of(self, recs: list[Rec], links: dict[str, Any]) -> dict[str, Party]:
        """Who holds each email of the page once the page is done (the same
        decisions ``reconcile`` takes, in the same order); each holder on the
        page carries the opt-out of the page's other records with its email."""
        holders: dict[str, Party] = {}
        for rec in recs:
            if not self.synced(rec):
                continue
            email = rec.email or ""
            current = holders.get(email) or (links[email].party if email in links else None)
            if link_decision(current, rec.party, names_must_match=self.ds.names_must_match)[0] != "duplicate":
                holders[email] = rec.party
        if self.optins_on:
            by_email: dict[str, list[Rec]] = {}
            for rec in recs:
                if self.synced(rec):
                    by_email.setdefault(rec.email or "", []).append(rec)
            for email, group in by_email.items():
                for rec in group:
                    if rec.party == holders.get(email):
                        rec.duplicate_opt_out = strongest_opt_out(o.status for o in group if o is not rec)
        return holders

    def expect_statuses(self, plan: Plan, contacts: dict[str, MarketingContact]) -> None:
        """The marketing status each record's writes leave, committed with them:
        the read-back after the writes replaces it with what the platform says,
        but an interrupted run's writes are settled (``intents.py``) with it,
        so a contact's own later change still differs from it."""
        now = self.ctx.clock()
        last: dict[str, Step] = {}
        for step in plan.steps:
            if step.op is not None and step.op.side == "marketing":
                last[step.key] = step
        for email, step in last.items():
            after = planned_contact(email, contacts.get(email), plan.ops_for(email), now)
            if after is not None:
                step.commit += (SetShadow(email, "status:mk", [after.status, after.suppressed]),)

    async def take_snapshot(self, from_: str, where: str, since: datetime | None) -> None:
        """First run: how many NetSuite records the pass will read decides
        whether listing the platform's contacts is cheaper (platform_view)."""
        cond = [where] if where else []
        if since is not None:
            cond.append(f"c.lastmodifieddate >= {quote(since)}")
        count_q = f"SELECT COUNT(*) AS n FROM {from_}" + (f" WHERE {' AND '.join(cond)}" if cond else "")
        rows = [r async for r in self.ns.suiteql(count_q)]
        with netsuite_values(f"the count of {self.record_type}s"):
            count = int(float(rows[0].get("n") or 0)) if rows else 0
        await self.platform.take_snapshot(count)

    def reconcile(
        self,
        rec: Rec,
        plan: Plan,
        old_link: Any,
        links: dict[str, Any],
        contacts: dict[str, MarketingContact],
        subs: list[Any],
        shadows: dict[str, Any],
        written: set[str],
    ) -> None:
        ctx = self.ctx
        ds_name = ctx.dataset
        if rec.email is None:
            if old_link is not None and rec.email_reason == "no email address":
                self.delete_contact(plan, old_link.email, "email removed in NetSuite")
            else:
                ctx.skip(rec.key, rec.email_reason)
            return
        if self.record_type == "customer" and self.ds.record_types != "both":
            want_person = self.ds.record_types == "persons"
            if rec.party.isperson != want_person:
                ctx.skip(rec.key, f"record type not synced: {'person' if rec.party.isperson else 'company'}")
                return
        email = rec.email
        holder = self.page_links.get(email)
        if holder is None and email in links:
            holder = links[email].party
        decision, why = link_decision(holder, rec.party, names_must_match=self.ds.names_must_match)
        if decision == "duplicate":
            ctx.skip(email, why)
            if self.optins_on and email not in self.page_holders:
                self.duplicate_opt_out(rec, contacts.get(email), plan, holder)
            return
        if decision == "takeover" and email in self.page_links:
            # Both records are on this page: the later stage's writes replace the earlier one's.
            plan.withdraw(email)
        self.page_links[email] = rec.party
        if old_link is not None and old_link.email != email:
            self.delete_contact(plan, old_link.email, f"email changed in NetSuite to {email}")
        contact = contacts.get(email)
        outcome = Outcome(write=ContactWrite(email=email))
        outcome.join_refused = join_refused(
            rec.consent, MarketingState(contact.status, contact.suppressed) if contact else None, NOTHING)
        new_lists: list[str] = []
        previous = holder if decision == "takeover" else None
        if previous is not None:
            shadows = takeover_shadows(shadows, rec.consent, contact is not None and MarketingState(
                contact.status, contact.suppressed).opted_out)
        self.reconcile_fields(rec, contact, shadows, outcome)
        if previous is not None:
            self.clear_fields_of("contact" if self.record_type == "customer" else "customer", contact, outcome)
        if self.optins_on:
            self.reconcile_status(rec, contact, shadows, outcome, plan, new_lists)
        self.reconcile_entity_list(rec, contact, shadows, outcome, plan, new_lists, previous)
        if self.optins_on:
            self.reconcile_subscriptions(rec, contact, shadows, outcome, plan, new_lists, subs)
        party = rec.party
        contact_id = contact.contact_id if contact else None
        commit = (SaveLink.of(email, party, contact_id),
                  *(SetShadow(email, k, v) for k, v in outcome.shadows.items()), *outcome.consent)
        if contact is None or outcome.marketing_fields or outcome.write.status:
            outcome.write.lists = [self.lists[n] for n in dict.fromkeys(new_lists)] if contact is None else []
            created = contact is None
            fields = tuple(outcome.marketing_fields) if not created else ()
            event_cls = ev.RecordCreated if created else ev.RecordUpdated
            kwargs: dict[str, Any] = {"fields": fields} if not created else {}
            reason = why if decision == "takeover" else ("new in NetSuite" if created else "")
            plan.add_first(Step(
                key=email, op=Upsert(email, reason or "fields changed", write=outcome.write, created=created),
                events=(event_cls(dataset=ds_name, side="marketing", key=email, reason=reason, **kwargs),
                        *outcome.events),
                counts=("created" if created else "updated", *outcome.counts),
                commit=commit, record_id=rec.id,
            ))
            written.add(email)
        else:
            events: tuple[ev.Event, ...] = ()
            if decision == "takeover":
                events = (ev.RecordUpdated(dataset=ds_name, side="state", key=email, fields=("link",), reason=why),)
            plan.after.append(Step(key=email, op=None, events=events, commit=commit, record_id=rec.id))
        if outcome.netsuite_patch:
            patch = dict(outcome.netsuite_patch)
            plan.add(Step(
                key=email,
                op=NetSuitePatch(email, "fields changed in marketing", record_type=self.record_type,
                                 record_id=rec.id, body=rest_body(patch, rec.row),
                                 fields={k: _plain(v) for k, v in patch.items()}),
                events=(ev.RecordUpdated(dataset=ds_name, side="netsuite", key=email, fields=tuple(patch)),),
                counts=("updated",), record_id=rec.id,
            ))

    def duplicate_opt_out(self, rec: Rec, contact: MarketingContact | None, plan: Plan, holder: Party | None) -> None:
        """A record that does not hold its email (held by a record of another
        page or pass) and is opted out: its opt-out still reaches the contact,
        whichever record was read first (``rules/duplicates.py``)."""
        if rec.status not in NS_OPTED_OUT or contact is None:
            return
        mk_state = MarketingState(contact.status, contact.suppressed)
        email = rec.email or ""
        if mk_state.opted_out or any(s.key == email and isinstance(s.op, Suppress) for s in plan.steps):
            return
        ctx = self.ctx
        name = NS_STATUS_NAMES.get(rec.status, str(rec.status))
        rule = f"CAN-SPAM: {rec.party.record_type} {rec.id}, which shares the email, says {name}: suppressed"
        leave = self.optins.global_status.remove_opt_outs_from_lists
        # As reconcile_subscriptions has it for an opt-out: the lists' synced
        # state is "not on it", so the removal is no change of the contact's.
        subs = tuple(SetShadow(email, "sub:" + m.netsuite_subscription.lower(), False)
                     for m in self.optins.campaign_subscriptions) if leave else ()
        plan.add(Step(
            key=email, op=Suppress(email, rule),
            events=(ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=mk_state.label(),
                                     new="unsubscribed (suppressed)", rule=rule),),
            counts=("status_changes",), record_id=rec.id,
            commit=(RecordConsent(ctx.run_id, email, ctx.dataset, GLOBAL, netsuite=f"{name} (another record)",
                                  marketing=mk_state.label(), rule=rule, written="marketing: suppress"), *subs),
        ))
        if leave:
            out = Outcome(write=ContactWrite(email=email))
            for list_name in self.managed_lists():
                self.list_membership(email, list_name, False, contact, plan, [], "remove opt-outs from lists",
                                     out, rec.id)

    def delete_contact(self, plan: Plan, email: str, reason: str) -> None:
        self.deletes += 1
        limit = self.model.engine.max_delete_fraction * max(self.links_at_start, 1)
        if self.deletes > max(limit, 5):
            raise SafetyStop(
                f"this pass would delete more than {self.model.engine.max_delete_fraction:.0%} of the linked "
                f"contacts ({self.deletes} so far of {self.links_at_start}); stopped without deleting them. "
                "If that is right, raise engine.max_delete_fraction."
            )
        plan.add(Step(
            key=email, op=DeleteContact(email, reason),
            events=(ev.RecordDeleted(dataset=self.ctx.dataset, side="marketing", key=email, reason=reason),),
            counts=("deleted",), commit=(DropLink(email),),
        ))

    def reconcile_fields(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any], out: Outcome) -> None:
        for f in self.ds.fields:
            ns_val = rec.row.get(f.netsuite.lower())
            if f.marketing.lower() == MOBILE:
                ns_val, why = to_e164(ns_val, self.ds.default_country)
                if why:
                    self.ctx.emit(ev.FieldLeftOut(dataset=self.ctx.dataset, side="marketing", key=rec.key,
                                                  field="mobile number", reason=why, planned=self.ctx.dry_run))
                    continue
            mk_val = self.marketing_value(contact, f.marketing)
            direction = f.direction
            if self.record_type == "contact" and f.netsuite in ADDRESS_FIELDS:
                direction = "netsuite_to_bronto"  # seed 003: a contact's address can't be updated in NetSuite
            d = merge_field(
                direction, ns_val, mk_val, shadow=shadows.get("f:" + f.netsuite, NO_SHADOW),
                ns_time=rec.time, mk_time=contact.updated if contact else None, skew=self.skew,
                mk_exists=contact is not None,
            )
            final = ns_val
            if d.to_marketing:
                value = to_marketing_value(f.netsuite, d.value)
                if f.marketing.lower() == MOBILE:
                    out.write.mobile_number = value
                else:
                    out.write.data_fields[f.marketing] = value
                out.marketing_fields.append(f.marketing)
            elif d.to_netsuite:
                out.netsuite_patch[f.netsuite] = d.value
                final = d.value
            elif contact is None:
                continue
            out.shadows["f:" + f.netsuite] = final if not isinstance(final, datetime) else final.isoformat()

    def clear_fields_of(self, record_type: str, contact: MarketingContact | None, out: Outcome) -> None:
        """A contact taken over: the data fields only the other data set
        (``record_type``'s) maps held a record's values that no longer holds
        the contact, so they are cleared."""
        other = self.model.datasets.get("customers" if record_type == "customer" else "contacts")
        if contact is None or not isinstance(other, EntityDatasetConfig):
            return
        ours = {f.marketing.upper() for f in self.ds.fields}
        for f in other.fields:
            name = f.marketing
            if name.upper() not in ours and name.lower() != MOBILE and self.marketing_value(contact, name) is not None:
                out.write.data_fields[name] = None
                out.marketing_fields.append(name)

    def status_body(self, status: int) -> dict[str, Any]:
        """The record fields that carry a global subscription status: NetSuite's
        own field, or the configured opt-in field (seed 003)."""
        if self.optins.source == "field" and self.optins.source_field:
            return {self.optins.source_field: field_from_status(status)}
        return {"globalSubscriptionStatus": {"id": str(status)}}

    def set_status_op(self, key: str, rule: str, record_id: int, status: int,
                      record_type: str | None = None) -> NetSuiteSetStatus:
        """A global subscription status written to NetSuite, where ``[optins]`` keeps it."""
        by_field = self.optins.source == "field" and bool(self.optins.source_field)
        return NetSuiteSetStatus(key, rule, record_type=record_type or self.record_type, record_id=record_id,
                                 status=status, source_field=self.optins.source_field if by_field else None,
                                 body=self.status_body(status) if by_field else {})

    def reconcile_status(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any],
                         out: Outcome, plan: Plan, new_lists: list[str]) -> None:
        if rec.status is None:
            return
        ctx = self.ctx
        # Decided on the page's strongest opt-out for the email; the shadow
        # stays this record's own status, so it reads as unchanged next time.
        status = rec.consent or rec.status
        email = rec.email or ""
        mk_state = MarketingState(contact.status, contact.suppressed) if contact else None
        ns_changed = shadows.get("status:ns") != status
        mk_changed = mk_state is not None and shadows.get("status:mk") != [mk_state.status, mk_state.suppressed]
        gs = self.optins.global_status
        d = decide_status(status, mk_state, gs, ns_changed=ns_changed, mk_changed=mk_changed,
                          ns_time=rec.time, mk_time=contact.status_changed if contact else None, skew=self.skew)
        if d.conflict:
            ctx.warn(f"{email}: {d.conflict}")
        ns_final = rec.status
        old = mk_state.label() if mk_state else None
        if d.marketing == "create":
            if d.marketing_status != "unsubscribed":
                out.write.status = d.marketing_status  # type: ignore[assignment]
        elif d.marketing == "set_status":
            out.write.status = d.marketing_status  # type: ignore[assignment]
            out.marketing_fields.append("status")
        if d.marketing == "create" and d.marketing_status == "unsubscribed":
            # A new contact is suppressed by the import that creates it: no call
            # of its own. Counted once the import has taken it.
            out.write.suppressed = True
            out.events.append(ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=old,
                                               new="unsubscribed (suppressed)", rule=d.rule))
            out.counts.append("status_changes")
        elif d.marketing in ("suppress", "unsuppress", "resubscribe"):
            verb = d.marketing
            op = {"suppress": Suppress, "unsuppress": Unsuppress, "resubscribe": Resubscribe}[verb](email, d.rule or "")
            plan.add(Step(
                key=email, op=op,
                events=(ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=old,
                                         new=f"{d.marketing_status}" + (" (suppressed)" if verb == "suppress" else ""),
                                         rule=d.rule),),
                counts=("status_changes",), record_id=rec.id,
            ))
        elif d.marketing in ("create", "set_status") and d.rule:
            out.events.append(ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=old,
                                               new=d.marketing_status or "", rule=d.rule))
            if d.marketing == "set_status":
                out.counts.append("status_changes")
        if d.netsuite is not None and d.netsuite != rec.status:
            ns_final = d.netsuite
            plan.add(Step(
                key=email, op=self.set_status_op(email, d.rule or "", rec.id, d.netsuite),
                events=(ev.StatusChanged(dataset=ctx.dataset, side="netsuite", key=email,
                                         old=str(rec.status), new=str(d.netsuite), rule=d.rule),),
                counts=("status_changes",), record_id=rec.id,
            ))
        out.shadows["status:ns"] = ns_final
        if mk_state is not None:
            # What the platform said is now known (read back after any write of ours).
            out.shadows["status:mk"] = [mk_state.status, mk_state.suppressed]
        out.join_refused = join_refused(status, mk_state, d)
        if ns_changed or mk_changed or d.marketing or d.netsuite is not None or d.conflict:
            written = []
            if d.marketing:
                written.append(f"marketing: {d.marketing} -> {d.marketing_status}")
            if d.netsuite is not None and d.netsuite != rec.status:
                written.append(f"NetSuite: {NS_STATUS_NAMES.get(d.netsuite, d.netsuite)}")
            out.consent.append(RecordConsent(
                ctx.run_id, email, ctx.dataset, GLOBAL,
                netsuite=NS_STATUS_NAMES.get(status, str(status)) + (" (changed)" if ns_changed else "") + (
                    " (another record with this email)" if status != rec.status else ""),
                marketing=(mk_state.label() if mk_state else "no contact") + (" (changed)" if mk_changed else ""),
                rule=d.rule or d.conflict or "nothing to do", written="; ".join(written) or "nothing"))
        if d.add_to_opt_in_lists and status not in NS_OPTED_OUT:
            for name in gs.add_opt_ins_to_lists:
                self.list_membership(email, name, True, contact, plan, new_lists, "opt-in list", out, rec.id)
        opted_out = status in NS_OPTED_OUT or d.netsuite == SOFT_OPT_OUT
        if opted_out and gs.remove_opt_outs_from_lists and contact is not None:
            for name in self.managed_lists():
                if self.lists.get(name) in contact.lists:
                    out.consent.append(RecordConsent(
                        ctx.run_id, email, ctx.dataset, list_scope(name), netsuite=NS_STATUS_NAMES.get(
                            ns_final, str(ns_final)), marketing="on the list",
                        rule="remove opt-outs from lists", written=f"marketing: leave {name}"))
                self.list_membership(email, name, False, contact, plan, new_lists, "remove opt-outs from lists",
                                     out, rec.id)

    def reconcile_entity_list(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any],
                              out: Outcome, plan: Plan, new_lists: list[str], previous: Party | None = None) -> None:
        """The list of the record's stage; ``previous``: the record it takes the contact over from."""
        email = rec.email or ""
        target = self.entity_list(rec.party.stage)
        self.list_membership(email, target, True, contact, plan, new_lists, "integration list", out, rec.id)
        old_stage = shadows.get("stage")
        if contact is not None and previous is not None:
            # A contact belongs to one integration list, its record's: a takeover
            # (of a record on this page too, whose writes were withdrawn) leaves the others.
            for kind in (*STAGE_LISTS.values(), "Contacts"):
                old_list = self.model.marketing.list_name(kind)
                if old_list != target and self.lists.get(old_list) in contact.lists:
                    self.list_membership(email, old_list, False, contact, plan, new_lists,
                                         f"taken over from {previous.record_type} {previous.record_id}", out, rec.id)
        elif contact is not None and old_stage is not None and old_stage != rec.party.stage:
            old_list = self.entity_list(old_stage)
            if old_list != target:
                self.list_membership(email, old_list, False, contact, plan, new_lists,
                                     f"stage changed from {old_stage}", out, rec.id)
        out.shadows["stage"] = rec.party.stage

    def reconcile_subscriptions(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any],
                                out: Outcome, plan: Plan, new_lists: list[str], subs: list[Any]) -> None:
        ctx = self.ctx
        email = rec.email or ""
        states = {s.name.lower(): s for s in subs}
        opted_out = rec.consent in NS_OPTED_OUT
        for m in self.optins.campaign_subscriptions:
            name = m.netsuite_subscription.lower()
            list_id = self.lists.get(m.list)
            sub = states.get(name)
            ns_val = bool(sub.subscribed) if sub else False
            mk_val = contact is not None and contact.subscribed_to(list_id)
            mk_time = (contact.lists.get(list_id) if contact and list_id in contact.lists else None) or (
                contact.updated if contact else None)
            shadow = shadows.get("sub:" + name)
            unsubscribed_at = self.list_unsubscribes.get((email, list_id)) if list_id is not None else None
            unsubscribed = contact is not None and list_unsubscribe_wins(
                ns_val, mk_val, unsubscribed_at, sub.last_modified if sub else None, self.skew)
            if unsubscribed:
                shadow = True  # as a pass between the join and the unsubscribe would have left it
            d = merge_subscription(m.direction, ns_val, mk_val, shadow=shadow,
                                   ns_time=sub.last_modified if sub else rec.time, mk_time=mk_time, skew=self.skew,
                                   mk_exists=contact is not None)
            final = ns_val
            scope = list_scope(m.list)
            said = dict(netsuite=("ticked" if ns_val else "unticked"),
                        marketing=("on the list" if mk_val else "not on the list") if contact else "no contact")
            if unsubscribed and unsubscribed_at is not None:
                said["marketing"] = f"unsubscribed from the list at {unsubscribed_at:%Y-%m-%d %H:%M:%S} UTC"
                if d.to_netsuite:
                    d = replace(d, reason=f"unsubscribed from {m.list} after NetSuite's tick: {d.reason}")
                elif not d.to_marketing:
                    out.consent.append(RecordConsent(
                        ctx.run_id, email, ctx.dataset, scope, **said, written="nothing",
                        rule=f"not re-added: unsubscribed from {m.list} after NetSuite's tick (NetSuite is not told)"))
            if opted_out and self.optins.global_status.remove_opt_outs_from_lists:
                # The opt-out governs the lists (reconcile_status removes them).
                # The list's synced state is "not on it", so when they opt back
                # in, a tick still in NetSuite reads as an opt-in and rejoins.
                out.shadows["sub:" + name] = False
                continue
            if d.to_marketing:
                joined = self.list_membership(email, m.list, bool(d.value), contact, plan, new_lists,
                                              f"campaign subscription {m.netsuite_subscription!r}: {d.reason}",
                                              out, rec.id)
                if not joined:
                    # Refused by consent: the tick stays unsynced and is decided
                    # again once the contact is opted in.
                    out.consent.append(RecordConsent(ctx.run_id, email, ctx.dataset, scope, **said,
                                                     rule=f"not joined: {out.join_refused}", written="nothing"))
                    if shadow is not None:
                        out.shadows["sub:" + name] = shadow
                    continue
                out.consent.append(RecordConsent(ctx.run_id, email, ctx.dataset, scope, **said, rule=d.reason,
                                                 written=f"marketing: {'join' if d.value else 'leave'} {m.list}"))
            elif d.to_netsuite:
                sub_id = self.subscription_ids.get(name)
                if sub_id is None:
                    continue
                if d.value and out.join_refused:
                    # No subscribe is written in either system for a contact opted out.
                    out.consent.append(RecordConsent(ctx.run_id, email, ctx.dataset, scope, **said,
                                                     rule=f"not ticked: {out.join_refused}", written="nothing"))
                    if shadow is not None:
                        out.shadows["sub:" + name] = shadow
                    continue
                final = bool(d.value)
                plan.add(Step(
                    key=email,
                    op=NetSuiteSetSubscription(email, d.reason, record_type=self.record_type, record_id=rec.id,
                                               subscription_id=sub_id, subscription=m.netsuite_subscription,
                                               subscribed=final),
                    events=(ev.RecordUpdated(dataset=ctx.dataset, side="netsuite", key=email,
                                             fields=(f"subscription {m.netsuite_subscription}",),
                                             reason=f"{'subscribed' if final else 'unsubscribed'}: {d.reason}"),),
                    counts=("updated",), record_id=rec.id,
                ))
                out.consent.append(RecordConsent(
                    ctx.run_id, email, ctx.dataset, scope, **said, rule=d.reason,
                    written=f"NetSuite: {'tick' if final else 'untick'} {m.netsuite_subscription}"))
            out.shadows["sub:" + name] = final

    def list_membership(self, email: str, list_name: str, member: bool, contact: MarketingContact | None,
                        plan: Plan, new_lists: list[str], reason: str, out: Outcome, record_id: int) -> bool:
        """Join or leave a list; False when a join is refused by consent (the
        contact is opted out, or this pass is about to opt them out)."""
        list_id = self.lists.get(list_name)
        if list_id is None:
            return True
        if member and out.join_refused and list_name in self.managed_lists():
            return False
        if contact is None:
            if member and list_name not in new_lists:
                new_lists.append(list_name)  # joins with the contact's creation: no extra call
                out.events.append(ev.ListChanged(dataset=self.ctx.dataset, side="marketing", key=email,
                                                 list_name=list_name, action="add", reason=reason))
            return True
        if (list_id in contact.lists) == member:
            return True
        op = (ListAdd(email, reason, list_id=list_id, list_name=list_name) if member else
              ListRemove(email, reason, list_id=list_id, list_name=list_name, contact_id=contact.contact_id))
        if any(s.key == email and type(s.op) is type(op) and s.op.list_id == list_id
               for s in plan.steps):
            return True
        plan.add(Step(
            key=email, op=op,
            events=(ev.ListChanged(dataset=self.ctx.dataset, side="marketing", key=email, list_name=list_name,
                                   action="add" if member else "remove", reason=reason),),
            counts=("list_changes",), record_id=record_id,
        ))
        return True


class CustomersPass(EntityPass):
    record_type = "customer"


class ContactsPass(EntityPass):
    record_type = "contact"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
