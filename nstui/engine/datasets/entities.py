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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from nstui.config import ADDRESS_FIELDS, WRITES_NETSUITE, EntityDatasetConfig
from nstui.engine import events as ev
from nstui.engine.datasets.base import Action, PassContext, Plan, breathe
from nstui.engine.datasets.planned import planned_contact
from nstui.engine.errors import REMOTE_ERRORS, SafetyStop
from nstui.engine.rules.duplicates import Party, link_decision, name_key
from nstui.engine.rules.emails import normalize_email
from nstui.engine.rules.merge import NO_SHADOW, canon, merge_field
from nstui.engine.rules.phones import to_e164
from nstui.engine.rules.status import (
    NS_OPTED_OUT,
    SOFT_OPT_OUT,
    MarketingState,
    decide_status,
    field_from_status,
    status_from_field,
)
from nstui.engine.state import parse_iso
from nstui.marketing.model import ContactWrite, MarketingContact
from nstui.netsuite.suiteql import quote, ts

MOBILE = "mobilenumber"  # the marketing "field" that is the contact's Mobile Number
STAGE_LISTS = {"LEAD": "Leads", "PROSPECT": "Prospects", "CUSTOMER": "Customers"}
#: SuiteQL column -> REST record field, where they differ.
REST_NAMES = {
    "firstname": "firstName", "lastname": "lastName", "companyname": "companyName",
    "mobilephone": "mobilePhone", "isperson": "isPerson", "entitystatus": "entityStatus",
    "globalsubscriptionstatus": "globalSubscriptionStatus", "altphone": "altPhone",
    "entityid": "entityId", "salesrep": "salesRep",
}
REFERENCE_FIELDS = {"entitystatus", "globalsubscriptionstatus", "salesrep"}
#: Emails looked up in NetSuite with one SuiteQL query.
LOOKUP_CHUNK = 200
#: From this many contacts written in a page on, they are read back with one
#: changed-since read rather than a GET each.
READ_BACK_IN_BULK = 20
#: From this many NetSuite records on, a first run lists the platform's
#: contacts instead of reading them one by one.
SNAPSHOT_FROM = 200
#: Older than any opt-out the platform keeps: "since the beginning".
HISTORY_START = datetime(2000, 1, 1, tzinfo=timezone.utc)


def rest_body(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record API body from SuiteQL-named values.

    Address fields go through the ``addressBook`` sublist, whose default
    billing line replaces the address whole: the fields not being changed are
    sent with their current values (``current``), so none loses its value.
    """
    body: dict[str, Any] = {}
    address: dict[str, Any] = {}
    for name, value in values.items():
        if name in ADDRESS_FIELDS:
            address[name] = value
            continue
        key = REST_NAMES.get(name, name)
        if name in REFERENCE_FIELDS and value not in (None, ""):
            value = {"id": str(int(float(value)))}
        elif name.startswith("is") and not isinstance(value, bool) and value is not None:
            value = canon(value) is True
        elif value is not None and not isinstance(value, (str, bool)):
            value = str(value)
        body[key] = value
    if address:
        line = {a: (current or {}).get(a) for a in ADDRESS_FIELDS}
        line.update(address)
        body["addressBook"] = {"items": [{
            "defaultBilling": True,
            "addressBookAddress": {k: (None if v in (None, "") else str(v)) for k, v in line.items()},
        }]}
    return body


def to_marketing_value(netsuite_field: str, value: Any) -> Any:
    """NetSuite's 'T'/'F' become yes/no values (seed 003: isPerson maps to a
    yes/no data field, or a text field holding True or False)."""
    if isinstance(value, str) and value in ("T", "F") and netsuite_field.startswith("is"):
        return value == "T"
    if value == "":
        return None
    return value


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

    @property
    def key(self) -> str:
        return self.email or f"{self.party.record_type} {self.id}"


@dataclass
class Outcome:
    """What reconciling one record asks for, before it becomes actions."""

    write: ContactWrite
    marketing_fields: list[str] = field(default_factory=list)
    netsuite_patch: dict[str, Any] = field(default_factory=dict)
    shadows: dict[str, Any] = field(default_factory=dict)  # committed with the record's writes


class EntityPass:
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
        self.deletes = 0
        self.links_at_start = 0
        self.snapshot = False
        self.touched: set[int] = set()
        self.settled_before = datetime.min.replace(tzinfo=timezone.utc)
        self.writes_netsuite = any(f.direction in WRITES_NETSUITE for f in self.ds.fields)

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
        placeholder = -1
        for name in dict.fromkeys(wanted):
            if name in existing:
                self.lists[name] = existing[name]
                continue
            event = ev.RecordCreated(dataset=self.ctx.dataset, side="marketing", key=name, reason="list did not exist")
            if self.ctx.dry_run:
                self.lists[name] = placeholder  # the plan needs an id; nothing is created
                placeholder -= 1
                self.ctx.emit(ev.RecordCreated(**{**_fields(event), "planned": True}))
            else:
                created = await self.mk.create_list(name)
                self.lists[name] = created.id
                self.ctx.emit(event)
        if self.optins_on and self.optins.campaign_subscriptions:
            subs = await self.ns.list_campaign_subscriptions()
            self.subscription_ids = {s.name.lower(): s.id for s in subs}
            for m in self.optins.campaign_subscriptions:
                if m.netsuite_subscription.lower() not in self.subscription_ids:
                    self.ctx.warn(f"campaign subscription {m.netsuite_subscription!r} does not exist in NetSuite")

    # -- reading NetSuite --------------------------------------------------

    def select(self) -> tuple[str, str, str]:
        cols = ["c.id", "c.email", "c.firstname", "c.lastname", "c.globalsubscriptionstatus",
                f"{ts('c.lastmodifieddate')} AS lastmodified_iso"]
        if self.record_type == "customer":
            cols += ["c.companyname", "c.isperson", "c.stage", "c.entitystatus"]
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
            # A dry run's picture of the platform lives on for the next data
            # set of the run, and goes with its rolled-back state.
            if self.snapshot and not self.ctx.dry_run:
                self.state.snapshot_end()
            self.snapshot = False

    async def _run(self) -> None:
        ctx = self.ctx
        await self.ensure_lists()
        self.links_at_start = self.state.count_links(self.record_type)
        since = self.state.watermark(ctx.dataset)
        overlap = self.model.engine.watermark_overlap
        mk_since = self.state.watermark(ctx.dataset, "marketing")
        mk_started = ctx.clock()
        # NetSuite's times have one-second resolution: a row stamped within the
        # last seconds may change again in the same second, so it is never
        # taken as settled (seen) and is processed again next time.
        self.settled_before = mk_started - self.skew - timedelta(seconds=1)
        touched = self.touched = set(self.state.pending(ctx.dataset))
        if mk_since is not None:
            touched |= await self.marketing_changes(mk_since - overlap)
        select, from_, where = self.select()
        if mk_since is None:
            await self.take_snapshot(from_, where, since - overlap if since else None)
        async for page in self.ns.keyset_pages(
            select=select, from_=from_, where=where, key_time="c.lastmodifieddate", key_id="c.id",
            since=since - overlap if since else None, page_size=self.model.netsuite.page_size,
        ):
            ctx.page_read("netsuite", len(page))
            await self.process(page)
            touched -= {int(r["id"]) for r in page}
            ctx.page_done(page)
            if ctx.cancel.is_set():
                return
        ids = sorted(touched)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cond = f"c.id IN ({', '.join(quote(x) for x in chunk)})"
            full_where = f"{where} AND {cond}" if where else cond
            rows = [r async for r in self.ns.suiteql(f"SELECT {select} FROM {from_} WHERE {full_where}")]
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

    # -- the marketing side's changes --------------------------------------

    async def marketing_changes(self, since: datetime) -> set[int]:
        """Records whose contact changed on the marketing side since ``since``."""
        ctx = self.ctx
        touched: set[int] = set()
        unmatched: dict[str, str] = {}
        async for out in self.mk.opt_outs_since(since):
            email = out.email.lower()
            link = self.state.link_by_email(email)
            if link is None:
                unmatched[email] = out.reason
                if len(unmatched) >= LOOKUP_CHUNK:
                    await self.opt_outs_without_record(unmatched)
                    unmatched = {}
            elif link.party.record_type == self.record_type:
                known = self.state.shadows(email).get("status:mk")
                if not (known and (known[1] or known[0] in ("unsubscribed", "bounced"))):
                    touched.add(link.party.record_id)  # an opt-out we have not seen yet
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
        if self.writes_netsuite:
            await self.entity_list_joins(since)
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
        event = ev.RecordUpdated(dataset=ctx.dataset, side="netsuite", key=contact.email, fields=("email",),
                                 reason=f"email changed in marketing from {link.email}")
        if ctx.dry_run:
            ctx.emit(ev.RecordUpdated(**{**_fields(event), "planned": True}))
            ctx.counts.updated += 1
            return
        try:
            await self.ns.patch_record(link.party.record_type, link.party.record_id, {"email": contact.email})
        except REMOTE_ERRORS as e:
            ctx.error(f"email change to {contact.email} refused by NetSuite: {e}", key=key)
            self.state.set_refused(ctx.dataset, key, contact.email, str(e))
            return
        ctx.emit(event)
        ctx.counts.updated += 1
        self.state.drop_link(link.email)
        self.state.save_link(contact.email, link.party, contact.contact_id)

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
                unmatched[out.email.lower()] = out.reason
                if len(unmatched) >= LOOKUP_CHUNK:
                    await self.opt_outs_without_record(unmatched)
                    unmatched = {}
        await self.opt_outs_without_record(unmatched)

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
        emails = ", ".join(quote(e) for e in valid)
        found = {str(r["email"]).lower() async for r in self.ns.suiteql(
            f"SELECT email FROM contact WHERE LOWER(email) IN ({emails}) UNION ALL "
            f"SELECT email FROM customer WHERE LOWER(email) IN ({emails})"
        )}
        for email, reason in valid.items():
            if email not in found:  # a record that has the email is linked by the normal pass
                await self.create_contact_for_opt_out(email, reason)

    async def create_contact_for_opt_out(self, valid: str, reason: str) -> None:
        ctx = self.ctx
        event = ev.RecordCreated(dataset=ctx.dataset, side="netsuite", key=valid,
                                 reason=f"{reason} in marketing, no NetSuite record: contact created with Soft Opt-Out")
        if ctx.dry_run:
            ctx.emit(ev.RecordCreated(**{**_fields(event), "planned": True}))
            ctx.counts.created += 1
            return
        local = valid.split("@")[0]
        new_id = await self.ns.create_record(
            "contact", {"email": valid, "firstName": local[:32], "lastName": "(marketing opt-out)",
                        **self.status_body(SOFT_OPT_OUT)},
        )
        ctx.emit(event)
        ctx.counts.created += 1
        party = Party("contact", new_id, None, True, "")
        self.state.save_link(valid, party)
        self.state.set_shadow(valid, "status:ns", SOFT_OPT_OUT)

    async def entity_list_joins(self, since: datetime) -> None:
        """Seed 003: members of the integration's Customers / Leads / Prospects
        (or Contacts) list are customer (contact) entities: a linked customer at
        another stage gets the list's stage default entitystatus, and an
        unlinked member is created in NetSuite."""
        ctx = self.ctx
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
        return int(rows[0]["id"]) if rows else None

    async def set_stage(self, email: str, party: Party, stage: str) -> None:
        ctx = self.ctx
        status_id = await self.default_status(stage)
        if status_id is None:
            ctx.warn(f"no default customer status for stage {stage} in NetSuite")
            return
        event = ev.RecordUpdated(dataset=ctx.dataset, side="netsuite", key=email, fields=("entitystatus",),
                                 reason=f"member of the {stage.title()}s list: stage default status")
        if not ctx.dry_run:
            try:
                await self.ns.patch_record("customer", party.record_id, {"entityStatus": {"id": str(status_id)}})
            except REMOTE_ERRORS as e:
                ctx.error(f"entitystatus not updated: {e}", key=email)
                return
        ctx.emit(ev.RecordUpdated(**{**_fields(event), "planned": ctx.dry_run}))
        ctx.counts.updated += 1
        self.state.save_link(email, Party(party.record_type, party.record_id, stage, party.isperson, party.name))

    async def create_from_marketing(self, email: str, stage: str | None) -> None:
        ctx = self.ctx
        valid, why = normalize_email(email)
        if not valid:
            ctx.skip(email, why)
            return
        table = "customer" if self.record_type == "customer" else "contact"
        found = [r async for r in self.ns.suiteql(f"SELECT id FROM {table} WHERE LOWER(email) = {quote(valid)}")]
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
        event = ev.RecordCreated(dataset=ctx.dataset, side="netsuite", key=valid,
                                 reason=f"member of {self.entity_list(stage)!r} with no NetSuite record")
        if ctx.dry_run:
            ctx.emit(ev.RecordCreated(**{**_fields(event), "planned": True}))
            ctx.counts.created += 1
            return
        try:
            new_id = await self.ns.create_record(table, body)
        except REMOTE_ERRORS as e:
            ctx.error(f"not created in NetSuite: {e}", key=valid)
            return
        ctx.emit(event)
        ctx.counts.created += 1
        self.state.set_pending(ctx.dataset, new_id, True)  # read it back through the normal pass

    # -- one page ----------------------------------------------------------

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

    async def process(self, rows: list[dict[str, Any]]) -> None:
        ctx = self.ctx
        recs = [self.prepare(r) for r in rows if not self.seen(r)]
        self.page_links = {}
        old_links = {r.id: self.state.link_by_record(self.record_type, r.id) for r in recs}
        emails = {r.email for r in recs if r.email}
        emails |= {link.email for link in old_links.values() if link}
        links = self.state.links_for_emails(emails)
        contacts = await self.contacts_for(sorted(emails)) if emails else {}
        subs: dict[int, list[Any]] = {}
        if self.optins_on and self.optins.campaign_subscriptions and recs:
            subs = await self.ns.entity_subscriptions(self.record_type, [r.id for r in recs if r.email])
        shadows = self.state.shadows_for(emails)
        plan = Plan(ctx)
        written: set[str] = set()
        for i, rec in enumerate(recs):
            await breathe(i)
            self.reconcile(rec, plan, old_links.get(rec.id), links, contacts, subs.get(rec.id, []),
                           shadows.get(rec.email or "", {}), written)
        writes_started = ctx.clock()
        await plan.execute(self.bulk)
        for rec in recs:
            failed = (rec.email or "") in plan.failed
            self.state.set_pending(ctx.dataset, rec.id, failed)
            settled = rec.time is not None and rec.time < self.settled_before
            self.state.set_record_digest(
                ctx.dataset, f"ns:{rec.id}", rec.row.get("lastmodified_iso") if settled and not failed else None)
        # What the platform made of our writes is the shadow: never a guess.
        written |= {a.key for a in plan.actions if getattr(a.event, "side", None) == "marketing"}
        done = sorted(written - plan.failed)
        if done:
            if ctx.dry_run:
                fresh = self.planned_contacts(done, contacts, plan)
            else:
                fresh = await self.read_back(done, writes_started - self.skew - timedelta(seconds=1))
            if self.snapshot or ctx.dry_run:
                self.state.snapshot_start(keep=True)
                self.state.snapshot_put(fresh.values())
                self.state.snapshot_forget(e for e in done if e not in fresh)
            for email, contact in fresh.items():
                if self.optins_on:
                    self.state.set_shadow(email, "status:mk", [contact.status, contact.suppressed])
                link = self.state.link_by_email(email)
                if link is not None and link.contact_id != contact.contact_id:
                    self.state.save_link(email, link.party, contact.contact_id)

    async def read_back(self, emails: list[str], since: datetime) -> dict[str, MarketingContact]:
        """The contacts just written, as the platform now has them. v3 reads one
        contact per GET; for many, one changed-since read (1,000 a page) costs
        a fraction. The read starts a little before our writes (clocks
        differ), so it also meets the previous pages' contacts; it gives up
        after two pages of those plus three times as many contacts as wanted
        (others are busy changing the account), and whatever it missed is read
        one by one."""
        if len(emails) < READ_BACK_IN_BULK:
            return await self.mk.get_contacts(emails)
        wanted, found, seen = set(emails), {}, 0
        budget = 3 * len(wanted) + 2 * 1000
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

    async def take_snapshot(self, from_: str, where: str, since: datetime | None) -> None:
        """First run: every NetSuite record's contact would be one GET (v3 reads
        no batch by email). When the account holds no more than twice as many
        contacts as NetSuite has records to read, listing them all, 1,000 a
        page, into a private table costs a fraction of that; otherwise it
        gives up and the GETs are made."""
        cond = [where] if where else []
        if since is not None:
            cond.append(f"c.lastmodifieddate >= {quote(since)}")
        count_q = f"SELECT COUNT(*) AS n FROM {from_}" + (f" WHERE {' AND '.join(cond)}" if cond else "")
        rows = [r async for r in self.ns.suiteql(count_q)]
        records = int(float(rows[0].get("n") or 0)) if rows else 0
        if records < SNAPSHOT_FROM:
            return
        budget = 2 * records
        # A dry run keeps what its earlier data sets planned: it wins over the
        # platform, which has not seen those writes.
        dry = self.ctx.dry_run
        self.state.snapshot_start(keep=dry)
        seen, batch = 0, []
        async for contact in self.mk.contacts_changed_since(None):
            batch.append(contact)
            seen += 1
            if len(batch) >= 1000:
                self.state.snapshot_put(batch, replace=not dry)
                batch = []
            if seen > budget:
                if not dry:
                    self.state.snapshot_end()
                return
        self.state.snapshot_put(batch, replace=not dry)
        self.snapshot = True

    async def contacts_for(self, emails: list[str]) -> dict[str, MarketingContact]:
        """The page's contacts as the platform has them: from the first run's
        snapshot (kept current with what we write), else one GET each; in a
        dry run, as the earlier pages' planned writes would leave them."""
        if self.snapshot:
            return self.state.snapshot_get(emails)
        found = await self.mk.get_contacts(emails)
        if self.ctx.dry_run:
            self.state.snapshot_start(keep=True)
            found.update(self.state.snapshot_get(emails))
        return found

    def planned_contacts(self, emails: list[str], contacts: dict[str, MarketingContact],
                         plan: Plan) -> dict[str, MarketingContact]:
        now = self.ctx.clock()
        out: dict[str, MarketingContact] = {}
        for email in emails:
            contact = planned_contact(email, contacts.get(email), (a for a in plan.actions if a.key == email), now)
            if contact is not None:
                out[email] = contact
        return out

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
            return
        if decision == "takeover" and email in self.page_links:
            # Both records are on this page: the later stage's writes replace the earlier one's.
            plan.actions = [a for a in plan.actions if a.key != email]
            plan.after = [(k, f) for k, f in plan.after if k != email]
        self.page_links[email] = rec.party
        if old_link is not None and old_link.email != email:
            self.delete_contact(plan, old_link.email, f"email changed in NetSuite to {email}")
        contact = contacts.get(email)
        outcome = Outcome(write=ContactWrite(email=email))
        new_lists: list[str] = []
        self.reconcile_fields(rec, contact, shadows, outcome)
        if self.optins_on:
            self.reconcile_status(rec, contact, shadows, outcome, plan, new_lists)
        self.reconcile_entity_list(rec, contact, shadows, outcome, plan, new_lists)
        if self.optins_on:
            self.reconcile_subscriptions(rec, contact, shadows, outcome, plan, new_lists, subs)
        party = rec.party
        contact_id = contact.contact_id if contact else None

        def commit_link() -> None:
            self.state.save_link(email, party, contact_id)
            for k, v in outcome.shadows.items():
                self.state.set_shadow(email, k, v)

        if contact is None or outcome.marketing_fields or outcome.write.status:
            outcome.write.lists = [self.lists[n] for n in dict.fromkeys(new_lists)] if contact is None else []
            created = contact is None
            fields = tuple(outcome.marketing_fields) if not created else ()
            event_cls = ev.RecordCreated if created else ev.RecordUpdated
            kwargs: dict[str, Any] = {"fields": fields} if not created else {}
            reason = why if decision == "takeover" else ("new in NetSuite" if created else "")
            plan.actions.insert(
                self._first_index(plan, email),
                Action(key=email, event=event_cls(dataset=ds_name, side="marketing", key=email, reason=reason, **kwargs),
                       bulk=("upsert",), payload=outcome.write, commit=[commit_link],
                       count="created" if created else "updated"),
            )
            written.add(email)
        else:
            plan.after.append((email, commit_link))
            if decision == "takeover":
                ctx.emit(ev.RecordUpdated(dataset=ds_name, side="state", key=email, fields=("link",), reason=why,
                                          planned=ctx.dry_run))
        if outcome.netsuite_patch:
            patch = dict(outcome.netsuite_patch)
            plan.add(Action(
                key=email,
                event=ev.RecordUpdated(dataset=ds_name, side="netsuite", key=email, fields=tuple(patch)),
                run=lambda rt=self.record_type, rid=rec.id, body=rest_body(patch, rec.row): self.ns.patch_record(rt, rid, body),
                count="updated",
            ))

    @staticmethod
    def _first_index(plan: Plan, key: str) -> int:
        """An upsert goes before the record's other actions (the contact must exist)."""
        for i, a in enumerate(plan.actions):
            if a.key == key:
                return i
        return len(plan.actions)

    def delete_contact(self, plan: Plan, email: str, reason: str) -> None:
        self.deletes += 1
        limit = self.model.engine.max_delete_fraction * max(self.links_at_start, 1)
        if self.deletes > max(limit, 5):
            raise SafetyStop(
                f"this pass would delete more than {self.model.engine.max_delete_fraction:.0%} of the linked "
                f"contacts ({self.deletes} so far of {self.links_at_start}); stopped without deleting them. "
                "If that is right, raise engine.max_delete_fraction."
            )
        plan.add(Action(
            key=email,
            event=ev.RecordDeleted(dataset=self.ctx.dataset, side="marketing", key=email, reason=reason),
            run=lambda: self.mk.delete_contact(email),
            commit=[lambda: self.state.drop_link(email)],
            count="deleted", platform="delete",
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

    def status_body(self, status: int) -> dict[str, Any]:
        """The record fields that carry a global subscription status: NetSuite's
        own field, or the configured opt-in field (seed 003)."""
        if self.optins.source == "field" and self.optins.source_field:
            return {self.optins.source_field: field_from_status(status)}
        return {"globalSubscriptionStatus": {"id": str(status)}}

    async def write_netsuite_status(self, record_id: int, status: int) -> None:
        if self.optins.source == "field":
            await self.ns.patch_record(self.record_type, record_id, self.status_body(status))
        else:
            await self.ns.set_global_subscription_status(self.record_type, record_id, status)

    def reconcile_status(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any],
                         out: Outcome, plan: Plan, new_lists: list[str]) -> None:
        if rec.status is None:
            return
        ctx = self.ctx
        email = rec.email or ""
        mk_state = MarketingState(contact.status, contact.suppressed) if contact else None
        ns_changed = shadows.get("status:ns") != rec.status
        mk_changed = mk_state is not None and shadows.get("status:mk") != [mk_state.status, mk_state.suppressed]
        gs = self.optins.global_status
        d = decide_status(rec.status, mk_state, gs, ns_changed=ns_changed, mk_changed=mk_changed,
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
            plan.add(Action(
                key=email,
                event=ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=old,
                                       new="unsubscribed (suppressed)", rule=d.rule),
                count="status_changes",
            ))
        elif d.marketing in ("suppress", "unsuppress", "resubscribe"):
            verb = d.marketing
            call = {
                "suppress": lambda: self.mk.suppress(email),
                "unsuppress": lambda: self.mk.unsuppress(email),
                "resubscribe": lambda: self.mk.resubscribe(email, with_confirmation=True),
            }[verb]
            plan.add(Action(
                key=email,
                event=ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=old,
                                       new=f"{d.marketing_status}" + (" (suppressed)" if verb == "suppress" else ""),
                                       rule=d.rule),
                run=call, count="status_changes", platform=verb,
            ))
        elif d.marketing in ("create", "set_status") and d.rule:
            ctx.emit(ev.StatusChanged(dataset=ctx.dataset, side="marketing", key=email, old=old,
                                      new=d.marketing_status or "", rule=d.rule, planned=ctx.dry_run))
            if d.marketing == "set_status":
                ctx.counts.status_changes += 1
        if d.netsuite is not None and d.netsuite != rec.status:
            ns_final = d.netsuite
            plan.add(Action(
                key=email,
                event=ev.StatusChanged(dataset=ctx.dataset, side="netsuite", key=email,
                                       old=str(rec.status), new=str(d.netsuite), rule=d.rule),
                run=lambda rid=rec.id, s=d.netsuite: self.write_netsuite_status(rid, s),
                count="status_changes",
            ))
        out.shadows["status:ns"] = ns_final
        if d.add_to_opt_in_lists and rec.status not in NS_OPTED_OUT:
            for name in gs.add_opt_ins_to_lists:
                self.list_membership(email, name, True, contact, plan, new_lists, "opt-in list")
        opted_out = rec.status in NS_OPTED_OUT or d.netsuite == SOFT_OPT_OUT
        if opted_out and gs.remove_opt_outs_from_lists and contact is not None:
            for name in self.managed_lists():
                self.list_membership(email, name, False, contact, plan, new_lists, "remove opt-outs from lists")

    def reconcile_entity_list(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any],
                              out: Outcome, plan: Plan, new_lists: list[str]) -> None:
        email = rec.email or ""
        target = self.entity_list(rec.party.stage)
        self.list_membership(email, target, True, contact, plan, new_lists, "integration list")
        old_stage = shadows.get("stage")
        if contact is not None and old_stage is not None and old_stage != rec.party.stage:
            old_list = self.entity_list(old_stage)
            if old_list != target:
                self.list_membership(email, old_list, False, contact, plan, new_lists, f"stage changed from {old_stage}")
        out.shadows["stage"] = rec.party.stage

    def reconcile_subscriptions(self, rec: Rec, contact: MarketingContact | None, shadows: dict[str, Any],
                                out: Outcome, plan: Plan, new_lists: list[str], subs: list[Any]) -> None:
        ctx = self.ctx
        email = rec.email or ""
        states = {s.name.lower(): s for s in subs}
        opted_out = rec.status in NS_OPTED_OUT if rec.status is not None else False
        for m in self.optins.campaign_subscriptions:
            name = m.netsuite_subscription.lower()
            list_id = self.lists.get(m.list)
            sub = states.get(name)
            ns_val = bool(sub.subscribed) if sub else False
            mk_val = contact is not None and contact.subscribed_to(list_id)
            mk_time = (contact.lists.get(list_id) if contact and list_id in contact.lists else None) or (
                contact.updated if contact else None)
            d = merge_field(m.direction, ns_val, mk_val, shadow=shadows.get("sub:" + name, NO_SHADOW),
                            ns_time=sub.last_modified if sub else rec.time, mk_time=mk_time, skew=self.skew,
                            mk_exists=contact is not None)
            final = ns_val
            if opted_out and self.optins.global_status.remove_opt_outs_from_lists:
                # The opt-out governs the lists (reconcile_status removes them);
                # the subscription resumes from NetSuite's value when they opt back in.
                out.shadows["sub:" + name] = ns_val
                continue
            if d.to_marketing:
                self.list_membership(email, m.list, bool(d.value), contact, plan, new_lists,
                                     f"campaign subscription {m.netsuite_subscription!r}: {d.reason}")
            elif d.to_netsuite:
                sub_id = self.subscription_ids.get(name)
                if sub_id is None:
                    continue
                final = bool(d.value)
                plan.add(Action(
                    key=email,
                    event=ev.RecordUpdated(dataset=ctx.dataset, side="netsuite", key=email,
                                           fields=(f"subscription {m.netsuite_subscription}",),
                                           reason=f"{'subscribed' if final else 'unsubscribed'}: {d.reason}"),
                    run=lambda rt=self.record_type, rid=rec.id, sid=sub_id, v=final: self.ns.set_campaign_subscription(rt, rid, sid, v),
                    count="updated",
                ))
            out.shadows["sub:" + name] = final

    def list_membership(self, email: str, list_name: str, member: bool, contact: MarketingContact | None,
                        plan: Plan, new_lists: list[str], reason: str) -> None:
        list_id = self.lists.get(list_name)
        if list_id is None:
            return
        if contact is None:
            if member and list_name not in new_lists:
                new_lists.append(list_name)  # joins with the contact's creation: no extra call
                self.ctx.emit(ev.ListChanged(dataset=self.ctx.dataset, side="marketing", key=email,
                                             list_name=list_name, action="add", reason=reason, planned=self.ctx.dry_run))
            return
        if (list_id in contact.lists) == member:
            return
        if any(a.key == email and a.bulk == ("list_add" if member else "list_remove", list_id) for a in plan.actions):
            return
        plan.add(Action(
            key=email,
            event=ev.ListChanged(dataset=self.ctx.dataset, side="marketing", key=email, list_name=list_name,
                                 action="add" if member else "remove", reason=reason),
            bulk=("list_add" if member else "list_remove", list_id),
            payload=contact.contact_id,  # a removal names contacts by id
            count="list_changes",
        ))

    # -- bulk writes -------------------------------------------------------

    async def bulk(self, group: tuple[Any, ...], actions: list[Action]) -> dict[str, str]:
        kind = group[0]
        if kind == "upsert":
            writes = [a.payload for a in actions]
            if len(writes) == 1:
                await self.mk.upsert_contact(writes[0])
                return {}
            report = await self.mk.import_contacts(writes)
            return {email: reason for email, reason in report.failed}
        emails = [a.key for a in actions]
        if kind == "list_add":
            await self.mk.add_to_list(group[1], emails)
        elif kind == "list_remove":
            known = {a.key: a.payload for a in actions if a.payload}
            await self.mk.remove_from_list(group[1], emails, known_ids=known)
        return {}


class CustomersPass(EntityPass):
    record_type = "customer"


class ContactsPass(EntityPass):
    record_type = "contact"


def _fields(event: ev.Event) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}

