"""The plan as data: every remote write a pass decides, and the state it leaves.

A pass's decisions (``entities.py``, ``marketing_changes.py``, ``records.py``)
return ``Step``s; each holds one operation (a frozen dataclass naming the
record it concerns and the rule that produced it), the events it is reported
as once it has been carried out, and the state changes committed with it.
Executors (``executor.py``) carry them out against the remote systems (with
the intent log) or against a dry run's picture of them (``planned.py``);
both take the same steps, so a dry run's plan is the real run's by
construction. All of it turns into JSON and back (``nstui sync --plan-out``,
the intent log).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nstui.engine import events as ev
from nstui.engine.rules.duplicates import Party
from nstui.marketing.model import ContactWrite

# -- operations ------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One remote write. ``key``: the record it concerns (an email, or a
    catalog / order key); ``rule``: why it is written."""

    kind: ClassVar[str] = "op"
    side: ClassVar[str] = "marketing"
    key: str
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"op": self.kind}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, ContactWrite):
                value = dataclasses.asdict(value)
            data[f.name] = value
        return data


@dataclass(frozen=True)
class Upsert(Op):
    """Create or update a marketing contact (bulk: one import per page)."""

    kind: ClassVar[str] = "upsert"
    write: ContactWrite = field(default_factory=lambda: ContactWrite(email=""))
    created: bool = False


@dataclass(frozen=True)
class ListAdd(Op):
    kind: ClassVar[str] = "list_add"
    list_id: int = 0
    list_name: str = ""


@dataclass(frozen=True)
class ListRemove(Op):
    kind: ClassVar[str] = "list_remove"
    list_id: int = 0
    list_name: str = ""
    contact_id: int | None = None  # a removal names contacts by id


@dataclass(frozen=True)
class Suppress(Op):
    kind: ClassVar[str] = "suppress"


@dataclass(frozen=True)
class Unsuppress(Op):
    kind: ClassVar[str] = "unsuppress"


@dataclass(frozen=True)
class Resubscribe(Op):
    """The platform's resubscribe with confirmation (double opt-in)."""

    kind: ClassVar[str] = "resubscribe"


@dataclass(frozen=True)
class DeleteContact(Op):
    kind: ClassVar[str] = "delete_contact"


@dataclass(frozen=True)
class NetSuitePatch(Op):
    """``body`` is the REST body; ``fields`` the same values by NetSuite
    field name, to tell whether the patch reached the record."""

    kind: ClassVar[str] = "netsuite_patch"
    side: ClassVar[str] = "netsuite"
    record_type: str = "customer"
    record_id: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NetSuiteSetStatus(Op):
    """A global subscription status; ``source_field`` set: written to that
    field instead of ``globalsubscriptionstatus`` (``[optins] source``)."""

    kind: ClassVar[str] = "netsuite_set_status"
    side: ClassVar[str] = "netsuite"
    record_type: str = "customer"
    record_id: int = 0
    status: int = 0
    source_field: str | None = None
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NetSuiteSetSubscription(Op):
    kind: ClassVar[str] = "netsuite_set_subscription"
    side: ClassVar[str] = "netsuite"
    record_type: str = "customer"
    record_id: int = 0
    subscription_id: int = 0
    subscription: str = ""
    subscribed: bool = False


@dataclass(frozen=True)
class NetSuiteCreate(Op):
    """A new record, upserted by an external ID derived from the record type
    and email: carried out again (a lost answer, a resumed intent), it finds
    the record the first try made instead of making a second."""

    kind: ClassVar[str] = "netsuite_create"
    side: ClassVar[str] = "netsuite"
    record_type: str = "contact"
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def external_id(self) -> str:
        import hashlib

        return "nstui-" + hashlib.sha256(f"{self.record_type}:{self.key}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class InsightUpsert(Op):
    """A catalog or order record (bulk: one import per collection and page)."""

    kind: ClassVar[str] = "insight_upsert"
    collection: str = ""
    record: dict[str, Any] = field(default_factory=dict)
    email: str | None = None  # contact-scoped collections (orders)
    digest: str = ""


@dataclass(frozen=True)
class InsightDelete(Op):
    kind: ClassVar[str] = "insight_delete"
    collection: str = ""


OPS: dict[str, type[Op]] = {
    cls.kind: cls for cls in (Upsert, ListAdd, ListRemove, Suppress, Unsuppress, Resubscribe, DeleteContact,
                              NetSuitePatch, NetSuiteSetStatus, NetSuiteSetSubscription, NetSuiteCreate,
                              InsightUpsert, InsightDelete)
}
MARKETING_CONTACT_OPS = (Upsert, ListAdd, ListRemove, Suppress, Unsuppress, Resubscribe, DeleteContact)


def op_from_dict(data: dict[str, Any]) -> Op:
    data = dict(data)
    cls = OPS[data.pop("op")]
    if cls is Upsert:
        data["write"] = ContactWrite(**data["write"])
    return cls(**data)


# -- state changes committed with a step -------------------------------------

#: A record id that is only known once the step's create has run.
CREATED = -1


@dataclass(frozen=True)
class Change:
    kind: ClassVar[str] = "change"

    def apply(self, state: Any, created_id: int | None = None) -> None:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.kind, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class SaveLink(Change):
    kind: ClassVar[str] = "save_link"
    email: str
    record_type: str
    record_id: int
    stage: str | None
    isperson: bool
    name: str
    contact_id: int | None = None

    @classmethod
    def of(cls, email: str, party: Party, contact_id: int | None = None) -> "SaveLink":
        return cls(email, party.record_type, party.record_id, party.stage, party.isperson, party.name, contact_id)

    def apply(self, state: Any, created_id: int | None = None) -> None:
        rid = created_id if self.record_id == CREATED else self.record_id
        if rid is None or rid == CREATED:
            return  # a dry run's create: no record id to link
        state.save_link(self.email, Party(self.record_type, rid, self.stage, self.isperson, self.name),
                        self.contact_id)


@dataclass(frozen=True)
class DropLink(Change):
    kind: ClassVar[str] = "drop_link"
    email: str

    def apply(self, state: Any, created_id: int | None = None) -> None:
        state.drop_link(self.email)


@dataclass(frozen=True)
class SetShadow(Change):
    kind: ClassVar[str] = "set_shadow"
    email: str
    field: str
    value: Any

    def apply(self, state: Any, created_id: int | None = None) -> None:
        state.set_shadow(self.email, self.field, self.value)


@dataclass(frozen=True)
class SetDigest(Change):
    kind: ClassVar[str] = "set_digest"
    dataset: str
    key: str
    digest: str | None

    def apply(self, state: Any, created_id: int | None = None) -> None:
        state.set_record_digest(self.dataset, self.key, self.digest)


@dataclass(frozen=True)
class SetPending(Change):
    """Read the record again next run (``CREATED``: the one the step created)."""

    kind: ClassVar[str] = "set_pending"
    dataset: str
    record_id: int

    def apply(self, state: Any, created_id: int | None = None) -> None:
        rid = created_id if self.record_id == CREATED else self.record_id
        if rid is not None and rid != CREATED:
            state.set_pending(self.dataset, rid, True)


@dataclass(frozen=True)
class SetRefused(Change):
    kind: ClassVar[str] = "set_refused"
    dataset: str
    key: str
    fingerprint: str | None
    reason: str = ""

    def apply(self, state: Any, created_id: int | None = None) -> None:
        state.set_refused(self.dataset, self.key, self.fingerprint, self.reason)


@dataclass(frozen=True)
class RecordConsent(Change):
    """A row of the consent history (``nstui why``): what each side said about
    one scope of one contact, the rule that fired and what was written."""

    kind: ClassVar[str] = "record_consent"
    run_id: int
    email: str
    dataset: str
    scope: str
    netsuite: str = ""
    marketing: str = ""
    rule: str = ""
    written: str = ""

    def apply(self, state: Any, created_id: int | None = None) -> None:
        state.add_consent(self.run_id, self.email, self.dataset, self.scope, netsuite=self.netsuite,
                          marketing=self.marketing, rule=self.rule, written=self.written)


CHANGES: dict[str, type[Change]] = {
    c.kind: c for c in (SaveLink, DropLink, SetShadow, SetDigest, SetPending, SetRefused, RecordConsent)
}


def change_from_dict(data: dict[str, Any]) -> Change:
    data = dict(data)
    return CHANGES[data.pop("change")](**data)


# -- a step of a plan --------------------------------------------------------

_EVENTS: dict[str, type[ev.Event]] = {
    cls.kind: cls for cls in (ev.RecordCreated, ev.RecordUpdated, ev.RecordDeleted, ev.StatusChanged,
                              ev.ListChanged)
}


def event_to_dict(event: ev.Event) -> dict[str, Any]:
    data = event.to_dict()
    for k in ("level", "message", "at", "planned"):
        data.pop(k, None)
    return data


def event_from_dict(data: dict[str, Any]) -> ev.Event:
    data = dict(data)
    cls = _EVENTS[data.pop("event")]
    for f in dataclasses.fields(cls):
        if isinstance(data.get(f.name), list):
            data[f.name] = tuple(data[f.name])
    return cls(**data)


@dataclass
class Step:
    """One operation of a plan (None: state only, no write), what it is
    reported as once done, the ``Counts`` fields it adds to, and the state
    committed with it (``on_fail``: committed when the write is refused)."""

    key: str
    op: Op | None
    events: tuple[ev.Event, ...] = ()
    counts: tuple[str, ...] = ()
    commit: tuple[Change, ...] = ()
    on_fail: tuple[Change, ...] = ()
    #: Put before the error's own text when the write fails.
    fail_prefix: str = ""
    #: The NetSuite record this step belongs to (read again when it fails).
    record_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "op": self.op.to_dict() if self.op else None,
            "events": [event_to_dict(e) for e in self.events],
            "counts": list(self.counts),
            "commit": [c.to_dict() for c in self.commit],
            "on_fail": [c.to_dict() for c in self.on_fail],
            "fail_prefix": self.fail_prefix,
            "record_id": self.record_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Step":
        return cls(
            key=data["key"],
            op=op_from_dict(data["op"]) if data.get("op") else None,
            events=tuple(event_from_dict(e) for e in data.get("events", ())),
            counts=tuple(data.get("counts", ())),
            commit=tuple(change_from_dict(c) for c in data.get("commit", ())),
            on_fail=tuple(change_from_dict(c) for c in data.get("on_fail", ())),
            fail_prefix=data.get("fail_prefix", ""),
            record_id=data.get("record_id"),
        )
