"""What every data-set pass shares: its context, counts, events and the plan.

A pass decides a page's writes as a list of ``Action``s (each with the state
it leaves behind on success), publishes them, and — unless it is a dry run —
carries them out, then commits the state and the watermark in one step. The
dry run takes the same path and stops before the remote calls, so its plan is
what a real run does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable

from nstui.config import ConfigFile
from nstui.connections import Connections
from nstui.engine import events as ev
from nstui.engine.errors import REMOTE_ERRORS
from nstui.engine.state import StateStore, parse_iso


@dataclass
class PassContext:
    cfg: ConfigFile
    state: StateStore
    conn: Connections
    bus: ev.EventBus
    run_id: int
    dataset: str
    dry_run: bool
    cancel: asyncio.Event
    clock: Callable[[], datetime]
    counts: ev.Counts = field(default_factory=ev.Counts)
    started: float = field(default_factory=time.monotonic)
    pages: int = 0
    _calls_at_start: int = -1

    def __post_init__(self) -> None:
        self._calls_at_start = sum(self.conn.api_calls().values())

    def emit(self, event: ev.Event) -> None:
        self.bus.publish(event)

    def skip(self, key: str, reason: str) -> None:
        self.counts.skipped[_reason_class(reason)] += 1
        self.state.add_problem(self.run_id, self.dataset, key, "skip", reason)
        self.emit(ev.RecordSkipped(dataset=self.dataset, side="netsuite", key=key, reason=reason, planned=self.dry_run))

    def error(self, text: str, key: str | None = None) -> None:
        self.counts.errors += 1
        self.state.add_problem(self.run_id, self.dataset, key or "-", "error", text)
        self.emit(ev.Error(dataset=self.dataset, text=text, key=key))

    def warn(self, text: str) -> None:
        self.emit(ev.Warning_(dataset=self.dataset, text=text))

    def page_read(self, side: str, rows: int) -> None:
        self.pages += 1
        self.counts.read += rows if side == "netsuite" else 0
        self.emit(ev.PageRead(dataset=self.dataset, side=side, page=self.pages, rows=rows))  # type: ignore[arg-type]

    def page_done(self, page: list[dict[str, Any]]) -> None:
        """The page's writes are done on both sides: advance the watermark to
        its newest row and commit it with the page's state, in one transaction."""
        times = [t for t in (parse_iso(r.get("lastmodified_iso")) for r in page) if t]
        if times:
            self.state.set_watermark(self.dataset, max(times))
        self.state.checkpoint()
        self.progress()

    def progress(self) -> None:
        calls = sum(self.conn.api_calls().values()) - self._calls_at_start
        self.emit(
            ev.Progress(
                dataset=self.dataset, read=self.counts.read, written=self.counts.written,
                api_calls=calls, elapsed=time.monotonic() - self.started,
            )
        )


async def breathe(i: int, every: int = 100) -> None:
    """A turn for the event loop every ``every`` records: a page of 1,000 is
    reconciled without any I/O, and the console must keep drawing meanwhile."""
    if i % every == every - 1:
        await asyncio.sleep(0)


def _reason_class(reason: str) -> str:
    """Skips are counted by the kind of reason, not by its every detail."""
    head = reason.split(":")[0].split("(")[0].strip()
    return head or reason


@dataclass
class Action:
    """One remote write of a plan.

    ``run`` performs it; ``event`` is what it is reported as (planned or done);
    ``commit`` records in the state what it leaves behind, and runs only when
    the write succeeded (or, in a dry run, as if it had).
    """

    key: str
    event: ev.Event
    run: Callable[[], Awaitable[Any]] | None = None
    commit: list[Callable[[], None]] = field(default_factory=list)
    count: str | None = None  # which Counts field it adds to
    #: Performed in bulk with the page's other actions of the same group
    #: (e.g. ("upsert",) or ("list_add", list_id)) instead of by ``run``.
    bulk: tuple[Any, ...] | None = None
    payload: Any = None
    #: What ``run`` does to the contact on the platform ("suppress",
    #: "unsuppress", "resubscribe", "delete"), for a dry run's picture of it.
    platform: str | None = None


BulkHandler = Callable[[tuple[Any, ...], list[Action]], Awaitable[dict[str, str]]]


class Plan:
    def __init__(self, ctx: PassContext):
        self.ctx = ctx
        self.actions: list[Action] = []
        #: State that needs no write, applied unless the key's writes failed.
        self.after: list[tuple[str, Callable[[], None]]] = []
        self.failed: set[str] = set()

    def add(self, action: Action) -> Action:
        self.actions.append(action)
        return action

    async def execute(self, bulk: BulkHandler | None = None) -> None:
        """Carry the plan out (or, in a dry run, report it), then apply its state.

        Actions with a ``bulk`` group are handed to ``bulk`` group by group
        first; it returns the keys that failed, with the reason.
        """
        ctx = self.ctx
        failed: set[str] = set()
        if not ctx.dry_run and bulk is not None:
            groups: dict[tuple[Any, ...], list[Action]] = {}
            for action in self.actions:
                if action.bulk is not None:
                    groups.setdefault(action.bulk, []).append(action)
            for group, actions in groups.items():
                try:
                    errors = await bulk(group, actions)
                except REMOTE_ERRORS as e:
                    errors = {a.key: _describe(e) for a in actions}
                for key, reason in errors.items():
                    if key not in failed:
                        failed.add(key)
                        ctx.error(reason, key=key)
        for i, action in enumerate(self.actions):
            await breathe(i)
            if action.key in failed:
                continue
            if not ctx.dry_run and action.run is not None and action.bulk is None:
                try:
                    await action.run()
                except REMOTE_ERRORS as e:  # one record's failure never stops the page
                    failed.add(action.key)
                    ctx.error(_describe(e), key=action.key)
                    continue
            event = action.event
            if ctx.dry_run and isinstance(event, ev.RecordEvent):
                event = planned(event)
            ctx.emit(event)
            if action.count:
                setattr(ctx.counts, action.count, getattr(ctx.counts, action.count) + 1)
            for commit in action.commit:
                commit()
        for key, commit in self.after:
            if key not in failed:
                commit()
        self.failed = failed


def planned(event: ev.RecordEvent, is_planned: bool = True) -> ev.RecordEvent:
    """The same event, marked as a dry run's plan (or not)."""
    return dataclasses.replace(event, planned=is_planned)


def _describe(e: Exception) -> str:
    text = str(e) or e.__class__.__name__
    return text if len(text) < 300 else text[:297] + "..."
