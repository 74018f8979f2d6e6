"""Typed events of the sync engine, and the bus that carries them.

The engine never prints: it publishes these. The headless logger (``nstui
sync``/``run``), the ``--json`` output and the console's live log all consume
the same stream. Events carry emails and record ids, never secrets.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable, ClassVar, Literal

Level = Literal["debug", "info", "warning", "error"]
Side = Literal["netsuite", "marketing", "state"]
LEVELS: tuple[Level, ...] = ("debug", "info", "warning", "error")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: ClassVar[str] = "event"
    level: ClassVar[Level] = "info"
    dataset: str | None = None
    at: datetime = field(default_factory=_now)

    def message(self) -> str:
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"event": self.kind, "level": self.level}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif hasattr(value, "to_dict"):
                value = value.to_dict()
            elif dataclasses.is_dataclass(value) and not isinstance(value, type):
                value = dataclasses.asdict(value)
            elif isinstance(value, tuple):
                value = list(value)
            data[f.name] = value
        data["message"] = self.message()
        return data


@dataclass
class Counts:
    """What one data set did in one run (or what a dry run plans)."""

    read: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    status_changes: int = 0
    list_changes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    errors: int = 0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def written(self) -> int:
        return self.created + self.updated + self.deleted + self.status_changes + self.list_changes

    def add(self, other: "Counts") -> None:
        for name in ("read", "created", "updated", "deleted", "status_changes", "list_changes", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped.update(other.skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "status_changes": self.status_changes,
            "list_changes": self.list_changes,
            "skipped": dict(self.skipped),
            "errors": self.errors,
        }


@dataclass
class RunSummary:
    run_id: int
    dry_run: bool
    datasets: dict[str, Counts] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cancelled: bool = False
    #: Per data set: "ok", "failed" or "cancelled", and its seconds.
    dataset_status: dict[str, str] = field(default_factory=dict)
    dataset_seconds: dict[str, float] = field(default_factory=dict)
    #: Data sets stopped because a remote system was out of reach or refused
    #: our credentials, with the error (`nstui sync` exits 4).
    remote_failures: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> Counts:
        total = Counts()
        for c in self.datasets.values():
            total.add(c)
        return total

    def to_dict(self) -> dict[str, Any]:
        total = self.total
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "cancelled": self.cancelled,
            **{k: v for k, v in total.to_dict().items()},
            "datasets": {
                k: {
                    **v.to_dict(),
                    "status": self.dataset_status.get(k),
                    "seconds": round(self.dataset_seconds.get(k, 0.0), 3),
                }
                for k, v in self.datasets.items()
            },
            "remote_failures": dict(self.remote_failures),
            "api_calls": dict(self.api_calls),
            "seconds": round(self.seconds, 3),
        }


# -- run and data set --------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    run_id: int
    datasets: tuple[str, ...]
    dry_run: bool = False

    def message(self) -> str:
        what = "dry run" if self.dry_run else "run"
        return f"{what} {self.run_id} started: {', '.join(self.datasets) or 'nothing due'}"


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    summary: RunSummary

    def message(self) -> str:
        t = self.summary.total
        calls = ", ".join(f"{k} {v}" for k, v in sorted(self.summary.api_calls.items()))
        state = "cancelled" if self.summary.cancelled else "finished"
        return (
            f"run {self.summary.run_id} {state} in {self.summary.seconds:.1f}s: "
            f"{t.created} created, {t.updated} updated, {t.deleted} deleted, "
            f"{t.status_changes} status changes, {t.list_changes} list changes, "
            f"{t.skipped_total} skipped, {t.errors} errors; API calls: {calls or 'none'}"
        )


@dataclass(frozen=True, kw_only=True)
class DatasetStarted(Event):
    kind: ClassVar[str] = "dataset_started"
    since: str | None = None

    def message(self) -> str:
        return f"{self.dataset}: started" + (f", changes since {self.since}" if self.since else ", first full read")


@dataclass(frozen=True, kw_only=True)
class DatasetFinished(Event):
    kind: ClassVar[str] = "dataset_finished"
    counts: Counts
    seconds: float = 0.0
    status: str = "ok"  # "ok", "failed" or "cancelled"
    #: This data set's requests, retries and throttled answers per side
    #: (netsuite_calls, netsuite_retries, netsuite_throttles, marketing_...).
    calls: dict[str, int] = field(default_factory=dict)

    def message(self) -> str:
        c = self.counts
        return (
            f"{self.dataset}: finished in {self.seconds:.1f}s, read {c.read}, created {c.created}, "
            f"updated {c.updated}, deleted {c.deleted}, skipped {c.skipped_total}, errors {c.errors}"
        )


@dataclass(frozen=True, kw_only=True)
class PageRead(Event):
    kind: ClassVar[str] = "page_read"
    level: ClassVar[Level] = "debug"
    side: Side
    page: int
    rows: int

    def message(self) -> str:
        return f"{self.dataset}: page {self.page} read from {self.side}, {self.rows} rows"


@dataclass(frozen=True, kw_only=True)
class Progress(Event):
    """Running totals of a data set, for progress lines (sent once per page)."""

    kind: ClassVar[str] = "progress"
    level: ClassVar[Level] = "debug"
    read: int
    written: int
    api_calls: int
    elapsed: float

    def message(self) -> str:
        return f"{self.dataset}: {self.read} read, {self.written} written, {self.api_calls} API calls, {self.elapsed:.1f}s"


# -- records -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordEvent(Event):
    side: Side
    key: str  # the email (customers, contacts) or record id (items, orders)
    reason: str = ""
    planned: bool = False  # a dry run's plan: nothing was written

    def _prefix(self) -> str:
        return "plan: " if self.planned else ""


@dataclass(frozen=True, kw_only=True)
class RecordCreated(RecordEvent):
    kind: ClassVar[str] = "record_created"

    def message(self) -> str:
        return f"{self._prefix()}{self.dataset}: create {self.key} in {self.side}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True, kw_only=True)
class RecordUpdated(RecordEvent):
    kind: ClassVar[str] = "record_updated"
    fields: tuple[str, ...] = ()

    def message(self) -> str:
        what = ", ".join(self.fields)
        return (f"{self._prefix()}{self.dataset}: update {self.key} in {self.side}"
                + (f": {what}" if what else "") + (f" ({self.reason})" if self.reason else ""))


@dataclass(frozen=True, kw_only=True)
class RecordDeleted(RecordEvent):
    kind: ClassVar[str] = "record_deleted"
    level: ClassVar[Level] = "warning"

    def message(self) -> str:
        return f"{self._prefix()}{self.dataset}: delete {self.key} in {self.side} ({self.reason})"


@dataclass(frozen=True, kw_only=True)
class RecordSkipped(RecordEvent):
    kind: ClassVar[str] = "record_skipped"
    level: ClassVar[Level] = "warning"

    def message(self) -> str:
        return f"{self._prefix()}{self.dataset}: skip {self.key}: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class FieldLeftOut(RecordEvent):
    """One field's value cannot be synced (the rest of the record is)."""

    kind: ClassVar[str] = "field_left_out"
    level: ClassVar[Level] = "warning"
    field: str = ""

    def message(self) -> str:
        return f"{self._prefix()}{self.dataset}: {self.key}: {self.field} left out: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class StatusChanged(RecordEvent):
    kind: ClassVar[str] = "status_changed"
    old: str | None = None
    new: str = ""
    rule: str = ""

    def message(self) -> str:
        return (
            f"{self._prefix()}{self.dataset}: status of {self.key} in {self.side}: "
            f"{self.old or '-'} -> {self.new} ({self.rule})"
        )


@dataclass(frozen=True, kw_only=True)
class ListChanged(RecordEvent):
    kind: ClassVar[str] = "list_changed"
    list_name: str = ""
    action: Literal["add", "remove"] = "add"

    def message(self) -> str:
        prep = "to" if self.action == "add" else "from"
        return f"{self._prefix()}{self.dataset}: {self.action} {self.key} {prep} list {self.list_name!r}" + (f" ({self.reason})" if self.reason else "")


# -- problems ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Warning_(Event):
    kind: ClassVar[str] = "warning"
    level: ClassVar[Level] = "warning"
    text: str

    def message(self) -> str:
        return f"{self.dataset + ': ' if self.dataset else ''}{self.text}"


@dataclass(frozen=True, kw_only=True)
class Error(Event):
    kind: ClassVar[str] = "error"
    level: ClassVar[Level] = "error"
    text: str
    key: str | None = None

    def message(self) -> str:
        where = f"{self.dataset}: " if self.dataset else ""
        who = f"{self.key}: " if self.key else ""
        return f"{where}{who}{self.text}"


# -- the bus -----------------------------------------------------------------

Listener = Callable[[Event], None]


class EventBus:
    """Fan-out of events to listeners (called at once, in order) and to async
    subscribers (each with its own queue)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._queues: list[asyncio.Queue[Event | None]] = []

    def listen(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)
        for q in self._queues:
            q.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[Event]:
        q: asyncio.Queue[Event | None] = asyncio.Queue()
        self._queues.append(q)
        try:
            while True:
                event = await q.get()
                if event is None:
                    return
                yield event
        finally:
            self._queues.remove(q)

    def close(self) -> None:
        for q in self._queues:
            q.put_nowait(None)
