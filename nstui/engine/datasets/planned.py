"""A dry run's picture of both sides after the operations it carries out.

A dry run takes the same steps as a real run (the same planning code, the
same executor); only its operations are applied to this picture instead of
being sent. So whatever a later page or data set of the run reads (a
contact an earlier page created, a NetSuite record a status write or a
stage change moved to the end of the pass, a contact NetSuite gained for an
opt-out, a list the contact joined) reads as the real run will find it, and
plans what the real run will do.

- ``Picture``: what the run's operations changed, in TEMP tables of the
  state database (gone with the dry run's rolled-back transaction; nothing
  is held in memory per record), and how each operation changes it — the
  platform's rules (``planned_contact``: as ``sandbox/marketing.py`` and
  Dotdigital's API) and NetSuite's (a write stamps ``lastmodifieddate``; a
  Soft Opt-Out reaches every record with the email; a new record gets its
  stage's default status and its campaign subscriptions' defaults).
- ``PlannedMarketing`` / ``PlannedNetSuite``: the clients as a dry run's
  passes see them: every read goes to the remote system and is then
  corrected by the picture.
- ``Simulated``: the executor's target in a dry run (``executor.py``).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from nstui.engine.datasets.ops import (
    MARKETING_CONTACT_OPS,
    DeleteContact,
    ListAdd,
    ListRemove,
    NetSuiteCreate,
    NetSuitePatch,
    NetSuiteSetStatus,
    NetSuiteSetSubscription,
    Op,
    Resubscribe,
    Suppress,
    Unsuppress,
    Upsert,
)
from nstui.marketing.model import ContactStatus, ContactWrite, MarketingContact

#: The contact id of a contact that only a dry run's plan creates.
PLANNED_ID = -1
OPTED_OUT = ("unsubscribed", "bounced")


def _written_status(before: MarketingContact, write: ContactWrite) -> tuple[ContactStatus, bool]:
    if write.suppressed:
        return "unsubscribed", True
    if write.status is None:
        return before.status, before.suppressed
    if write.status == "unsubscribed":
        return "unsubscribed", before.suppressed
    if before.suppressed or before.status in OPTED_OUT:
        return before.status, before.suppressed  # an opt-out stays so unless resubscribed
    if before.status == "active":
        return "active", False  # engaged already: nothing to change
    if write.status == "unconfirmed" and before.status == "onboarding":
        return "onboarding", False
    return write.status, False


def planned_contact(email: str, before: MarketingContact | None, ops: Iterable[Op],
                    now: datetime) -> MarketingContact | None:
    """``before`` (None: not on the platform) after the operations for ``email``."""
    contact = before
    for op in ops:
        if not isinstance(op, MARKETING_CONTACT_OPS):
            continue
        if isinstance(op, DeleteContact):
            contact = None
            continue
        if contact is None:
            # Created by this write: the status it asks for, else the
            # platform's default (subscribed, single opt-in).
            write = op.write if isinstance(op, Upsert) else ContactWrite(email=email)
            contact = MarketingContact(
                contact_id=PLANNED_ID, email=email, status=write.status or "onboarding", status_changed=now,
                suppressed=False, data_fields={}, mobile_number=None, lists={}, updated=now,
            )
        contact = replace(contact, data_fields=dict(contact.data_fields), lists=dict(contact.lists),
                          suppressed_lists=set(contact.suppressed_lists), updated=now)
        if isinstance(op, Upsert):
            write = op.write
            contact.data_fields.update(write.data_fields)
            if write.mobile_number:
                contact.mobile_number = write.mobile_number
            contact.lists.update({list_id: now for list_id in write.lists})
            status, suppressed = _written_status(contact, write)
            if (status, suppressed) != (contact.status, contact.suppressed):
                contact.status, contact.suppressed, contact.status_changed = status, suppressed, now
        elif isinstance(op, ListAdd):
            contact.lists[op.list_id] = now
        elif isinstance(op, ListRemove):
            contact.lists.pop(op.list_id, None)
        elif isinstance(op, Suppress):
            contact.status, contact.suppressed, contact.status_changed = "unsubscribed", True, now
        elif isinstance(op, Unsuppress):
            contact.status, contact.suppressed, contact.status_changed = "onboarding", False, now
        elif isinstance(op, Resubscribe):
            contact.status, contact.suppressed, contact.status_changed = "unconfirmed", False, now
        # An opt-out of the contact's own suppresses its memberships; a company
        # suppression keeps them (as the client reads them).
        opted_out = contact.status in OPTED_OUT and not contact.suppressed
        contact.suppressed_lists = set(contact.lists) if opted_out else set()
    return contact


def effect_present(op: Op, contact: MarketingContact | None, now: datetime) -> bool:
    """Whether the platform already shows what ``op`` does to ``contact``:
    carrying it out again would change nothing we sync (an interrupted run's
    write reached the platform)."""
    from nstui.engine.rules.merge import canon

    if isinstance(op, DeleteContact):
        return contact is None
    if contact is None:
        return False
    after = planned_contact(contact.email, contact, [op], now)
    assert after is not None
    return (
        (after.status, after.suppressed) == (contact.status, contact.suppressed)
        and set(after.lists) == set(contact.lists)
        and after.mobile_number == contact.mobile_number
        and {k: canon(v) for k, v in after.data_fields.items()} == {k: canon(v) for k, v in contact.data_fields.items()}
    )


def subscribes(op: Op) -> bool:
    """An operation that mails someone more (never retried for a contact who
    opted out after it was decided)."""
    if isinstance(op, Upsert):
        return op.write.status is not None and op.write.status != "unsubscribed" and not op.write.suppressed
    return isinstance(op, (Unsuppress, Resubscribe, ListAdd))


# -- the picture of both sides ---------------------------------------------------

#: A NetSuite record a dry run creates gets an id above any real one: NetSuite
#: numbers new records upwards, and keyset reads order by id within a second.
CREATED_FROM = 10**12
ENTITY_TABLES = ("customer", "contact")


def _opted_out(contact: MarketingContact | None) -> bool:
    return contact is not None and (contact.suppressed or contact.status in OPTED_OUT)


def _opt_out_reason(contact: MarketingContact) -> str:
    if contact.suppressed:
        return "suppressed"
    return "bounced" if contact.status == "bounced" else "unsubscribed"


def _column_value(value: Any) -> Any:
    """A record API body value as SuiteQL shows it."""
    if isinstance(value, dict) and "id" in value:
        return int(float(value["id"]))
    if isinstance(value, bool):
        return "T" if value else "F"
    return value


def select_names(select: str) -> list[str]:
    """The column names a SELECT list gives its rows (``c.email`` -> email,
    ``x AS stage`` -> stage), for a record only the picture has."""
    names, depth, quoted, part = [], 0, False, ""
    for ch in select + ",":
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            words = part.strip().split()
            if len(words) >= 3 and words[-2].upper() == "AS":
                names.append(words[-1].lower())
            elif words:
                names.append(words[-1].split(".")[-1].lower())
            part = ""
        else:
            part += ch
    return names


class Picture:
    """What a dry run's operations changed on both sides, and how."""

    def __init__(self, state: Any, netsuite: Any, marketing: Any, clock: Callable[[], datetime]):
        self.db = state.db
        self.state = state
        self.ns = netsuite  # the real clients: the picture reads what it does not hold
        self.mk = marketing
        self.clock = clock
        self.seq = 0
        self._stages: dict[int, str | None] = {}
        self._subscription_defaults: dict[int, tuple[str, bool]] | None = None
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS planned_contact (email TEXT PRIMARY KEY, contact BLOB, "
                        "changed INTEGER NOT NULL, status_changed TEXT, seq INTEGER)")
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS planned_record (record_type TEXT NOT NULL, id INTEGER NOT NULL, "
                        "fields TEXT NOT NULL, subs TEXT NOT NULL, created INTEGER NOT NULL, at TEXT NOT NULL, "
                        "seq INTEGER NOT NULL, PRIMARY KEY (record_type, id))")

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    # -- the marketing platform --------------------------------------------

    def changed_contacts(self, emails: Iterable[str] | None = None) -> dict[str, MarketingContact | None]:
        """The contacts the run changed (None: deleted), by email."""
        if emails is None:
            rows = self.db.execute("SELECT email, contact FROM planned_contact WHERE changed = 1 ORDER BY seq")
        else:
            rows = self.state._rows_for_emails("SELECT email, contact, changed FROM planned_contact", emails)
            rows = (r for r in rows if r["changed"])
        return {r["email"]: (pickle.loads(r["contact"]) if r["contact"] is not None else None)  # noqa: S301
                for r in rows}

    def _original_status_changed(self, email: str) -> str | None:
        row = self.db.execute("SELECT status_changed FROM planned_contact WHERE email = ?", (email,)).fetchone()
        return row["status_changed"] if row else None

    def remember(self, contacts: dict[str, MarketingContact], emails: Iterable[str]) -> None:
        """Contacts as the platform answered a read (the ``before`` of a later
        write, so that it needs no read of its own)."""
        for email in emails:
            contact = contacts.get(email)
            self.db.execute(
                "INSERT INTO planned_contact (email, contact, changed, status_changed, seq) VALUES (?, ?, 0, ?, 0) "
                "ON CONFLICT (email) DO UPDATE SET contact = excluded.contact, status_changed = excluded.status_changed "
                "WHERE changed = 0",
                (email, pickle.dumps(contact) if contact else None, _iso(contact.status_changed) if contact else None))

    async def _before(self, email: str) -> MarketingContact | None:
        row = self.db.execute("SELECT contact FROM planned_contact WHERE email = ?", (email,)).fetchone()
        if row is not None:
            return pickle.loads(row["contact"]) if row["contact"] is not None else None  # noqa: S301
        try:
            found = self.state.snapshot_get([email])  # a first run's listing of the platform
        except sqlite3.OperationalError:
            found = None
        if found is None:
            found = await self.mk.get_contacts([email])
        self.remember(found, [email])
        contact: MarketingContact | None = found.get(email)
        return contact

    async def apply_marketing(self, op: Op) -> None:
        email = op.key
        before = await self._before(email)
        after = planned_contact(email, before, [op], self.clock())
        self.db.execute("UPDATE planned_contact SET contact = ?, changed = 1, seq = ? WHERE email = ?",
                        (pickle.dumps(after) if after is not None else None, self._next(), email))

    def opt_out_is_ours(self, contact: MarketingContact | None) -> bool:
        """A changed contact whose opt-out the run's own writes made."""
        return (contact is not None and _opted_out(contact)
                and _iso(contact.status_changed) != self._original_status_changed(contact.email))

    # -- NetSuite -----------------------------------------------------------

    def records(self, record_type: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM planned_record" + (" WHERE record_type = ?" if record_type else "") + " ORDER BY seq"
        return [{"record_type": r["record_type"], "id": r["id"], "fields": json.loads(r["fields"]),
                 "subs": {int(k): v for k, v in json.loads(r["subs"]).items()}, "created": bool(r["created"]),
                 "at": r["at"]}
                for r in self.db.execute(sql, (record_type,) if record_type else ())]

    def record(self, record_type: str, record_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM planned_record WHERE record_type = ? AND id = ?",
                              (record_type, record_id)).fetchone()
        if row is None:
            return None
        return {"record_type": row["record_type"], "id": row["id"], "fields": json.loads(row["fields"]),
                "subs": {int(k): v for k, v in json.loads(row["subs"]).items()}, "created": bool(row["created"]),
                "at": row["at"]}

    def now_text(self) -> str:
        """NetSuite's time of a write, as ``ts()`` reads it back."""
        now = self.ns.server_clock.now() or self.clock()
        text = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return text if self.ns._utc_zone() else text + "+00:00"

    def _save(self, record_type: str, record_id: int, fields: dict[str, Any], subs: dict[int, bool] | None = None,
              created: bool = False) -> None:
        """A write to a record: its fields change and ``lastmodifieddate`` is now."""
        old = self.record(record_type, record_id)
        merged = {**(old["fields"] if old else {}), **fields}
        all_subs = {**(old["subs"] if old else {}), **(subs or {})}
        self.db.execute(
            "INSERT OR REPLACE INTO planned_record (record_type, id, fields, subs, created, at, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record_type, record_id, json.dumps(merged, default=str), json.dumps({str(k): v for k, v in all_subs.items()}),
             int(created or bool(old and old["created"])), self.now_text(), self._next()))

    async def stage_of(self, status_id: int) -> str | None:
        """A customer status's stage (LEAD, PROSPECT, CUSTOMER): the customer's
        ``searchstage`` follows its ``entitystatus``."""
        if status_id not in self._stages:
            rows = [r async for r in self.ns.suiteql(f"SELECT stage FROM customerstatus WHERE id = {int(status_id)}")]
            self._stages[status_id] = str(rows[0]["stage"]).upper() if rows and rows[0].get("stage") else None
        return self._stages[status_id]

    async def subscription_defaults(self) -> dict[int, tuple[str, bool]]:
        """Campaign subscription id -> (name, subscribed by default): what a new record starts with."""
        if self._subscription_defaults is None:
            from nstui.engine.errors import REMOTE_ERRORS

            try:
                rows = [r async for r in self.ns.suiteql(
                    "SELECT id, name, subscribedbydefault FROM campaignsubscription ORDER BY id")]
            except REMOTE_ERRORS:  # an account that does not show the default: none subscribed
                rows = []
            self._subscription_defaults = {int(r["id"]): (str(r.get("name") or ""), r.get("subscribedbydefault") == "T")
                                           for r in rows}
        return self._subscription_defaults

    async def with_email(self, email: str) -> list[tuple[str, int, Any]]:
        """(record type, id, global subscription status) of every record with
        ``email``, as the picture has them."""
        found = []
        for ref in await self.ns.entities_by_email([email]):
            mine = self.record(ref["record_type"], ref["id"])
            fields = {**ref, **(mine["fields"] if mine else {})}
            if str(fields.get("email") or "").lower() == email:
                found.append((ref["record_type"], ref["id"], fields.get("globalsubscriptionstatus")))
        seen = {(t, i) for t, i, _ in found}
        for rec in self.records():
            if (rec["record_type"], rec["id"]) not in seen and str(rec["fields"].get("email") or "").lower() == email:
                found.append((rec["record_type"], rec["id"], rec["fields"].get("globalsubscriptionstatus")))
        return found

    async def _soft_opt_out_everywhere(self, email: str | None) -> None:
        """NetSuite applies an unsubscribe to every entity record with the email
        (as the sandbox does, ``netsuite_records.py``)."""
        if not email:
            return
        for record_type, record_id, status in await self.with_email(email.lower()):
            if status is not None and int(float(status)) in (1, 3):
                self._save(record_type, record_id, {"globalsubscriptionstatus": 2})

    async def apply_netsuite(self, op: Op) -> int | None:
        if isinstance(op, NetSuiteCreate):
            return await self._create(op)
        record_type, record_id = op.record_type, op.record_id  # type: ignore[attr-defined]
        if isinstance(op, NetSuitePatch):
            fields = dict(op.fields)
            if fields.get("email"):
                await self._refuse_duplicate(record_type, record_id, str(fields["email"]))
            if "entitystatus" in fields and fields["entitystatus"] is not None:
                fields["stage"] = await self.stage_of(int(float(fields["entitystatus"])))
            self._save(record_type, record_id, fields)
        elif isinstance(op, NetSuiteSetStatus):
            if op.source_field:
                self._save(record_type, record_id,
                           {op.source_field.lower(): _column_value(op.body.get(op.source_field))})
            else:
                email = await self._email_of(record_type, record_id)
                self._save(record_type, record_id, {"globalsubscriptionstatus": op.status})
                if op.status == 2:
                    await self._soft_opt_out_everywhere(email)
        elif isinstance(op, NetSuiteSetSubscription):
            self._save(record_type, record_id, {}, {op.subscription_id: op.subscribed})
        return None

    async def _email_of(self, record_type: str, record_id: int) -> str | None:
        mine = self.record(record_type, record_id)
        if mine and "email" in mine["fields"]:
            return mine["fields"]["email"]  # type: ignore[no-any-return]
        refs = await self.ns.entities_by_id([record_id])
        return next((r["email"] for r in refs if r["record_type"] == record_type), None)

    async def _refuse_duplicate(self, record_type: str, record_id: int | None, email: str) -> None:
        """NetSuite refuses an email another record of the type has (DUP_ENTITY)."""
        from nstui.netsuite.errors import NetSuiteValidationError

        for other_type, other_id, _ in await self.with_email(email.lower()):
            if other_type == record_type and other_id != record_id:
                raise NetSuiteValidationError(
                    f"This entity already exists: {record_type} {other_id} has the email address {email}.",
                    status=400, code="DUP_ENTITY")

    async def _create(self, op: NetSuiteCreate) -> int:
        fields = {k.lower(): _column_value(v) for k, v in op.body.items() if k.lower() not in ("addressbook",)}
        if fields.get("email"):
            await self._refuse_duplicate(op.record_type, None, str(fields["email"]))
        fields.setdefault("globalsubscriptionstatus", 1)
        if op.record_type == "customer":
            if "entitystatus" not in fields:
                rows = [r async for r in self.ns.suiteql(
                    "SELECT id FROM customerstatus WHERE stage = 'CUSTOMER' AND isdefault = 'T' ORDER BY id")]
                fields["entitystatus"] = int(rows[0]["id"]) if rows else None
            if fields["entitystatus"] is not None:
                fields["stage"] = await self.stage_of(int(fields["entitystatus"]))
            names = fields.get("firstname") or fields.get("lastname")
            fields.setdefault("isperson", "F" if fields.get("companyname") and not names else "T")
        status = int(fields["globalsubscriptionstatus"])
        subs = {sid: default and status not in (2, 4) for sid, (_, default) in (await self.subscription_defaults()).items()}
        if status == 2:
            await self._soft_opt_out_everywhere(fields.get("email"))
        record_id = CREATED_FROM + self._next()
        self._save(op.record_type, record_id, fields, subs, created=True)
        return record_id

    async def apply(self, op: Op) -> int | None:
        if isinstance(op, MARKETING_CONTACT_OPS):
            await self.apply_marketing(op)
        elif op.side == "netsuite":
            return await self.apply_netsuite(op)
        # Catalog and order records: nothing a pass reads back.
        return None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

