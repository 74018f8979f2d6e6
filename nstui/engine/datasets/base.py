"""What every data-set pass shares: its context, counts, events and the plan.

A pass decides a page's writes as a ``Plan`` of ``Step``s (``ops.py``: each
an operation with the state it leaves behind on success); an executor carries
them out — against the remote systems, or in a dry run against its picture of
them — then the page's state and watermark are committed in one step.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, AsyncGenerator, AsyncIterator, Awaitable, Callable, TypeVar

from nstui.config import ConfigFile
from nstui.connections import Connections
from nstui.engine import events as ev
from nstui.engine.datasets.ops import Op, Step
from nstui.engine.rules.watermark import advance
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
    #: Told of every operation carried out (``Engine(on_op=...)``).
    on_op: Callable[[str, Op], None] | None = None
    counts: ev.Counts = field(default_factory=ev.Counts)
    #: A dry run with ``--plan-out``: told every plan before it is carried
    #: out (``engine/plans/record.py``).
    recorder: Any = None
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
        its newest row (never beyond NetSuite's own now minus the overlap: a row
        stamped in the future must not hide the edits made before its stamp)
        and commit it with the page's state, in one transaction."""
        times = [t for t in (parse_iso(r.get("lastmodified_iso")) for r in page) if t]
        current = self.state.watermark(self.dataset)
        mark = advance(current, max(times) if times else None, self.conn.netsuite.server_clock.now(),
                       self.cfg.model.engine.watermark_overlap)
        if mark is not None and mark != current:
            self.state.set_watermark(self.dataset, mark)
        self.state.checkpoint()
        self.window("commit")
        self.progress()

    def carried_out(self, op: Op) -> None:
        if self.on_op is not None:
            self.on_op(self.dataset, op)

    def window(self, name: str) -> None:
        """A point of the write path (``intent``, ``write``, ``commit``) where
        the sandboxes' fault knob may kill the process (the kill suite)."""
        if self.conn.sandboxes is not None:
            from nstui.sandbox.faults import crash_window

            crash_window(name)

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


T = TypeVar("T")
Page = list[dict[str, Any]]


async def read_ahead(pages: AsyncIterator[Page], prepare: Callable[[Page], Awaitable[T]]
                     ) -> AsyncGenerator[tuple[Page, T], None]:
    """The pages of ``pages``, each with what ``prepare`` read for it, while
    the next page and its preparation are already being read.

    So NetSuite is read while the current page's marketing work runs: a pass
    takes about as long as its slower side, not the sum of both. The client
    still sends one request at a time (its own limit); this only keeps it
    busy. Nothing is written ahead: a page's writes, state and watermark stay
    in order. Use it with ``contextlib.aclosing`` so that leaving early
    cancels the page being read."""
    it = pages.__aiter__()
    done = object()

    async def step() -> Any:
        try:
            page = await it.__anext__()
        except StopAsyncIteration:
            return done
        return page, await prepare(page)

    task = asyncio.ensure_future(step())
    try:
        while True:
            got = await task
            if got is done:
                return
            task = asyncio.ensure_future(step())
            yield got
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # the page read ahead is dropped, with its error
        aclose = getattr(it, "aclose", None)
        if aclose is not None:
            await aclose()


def _reason_class(reason: str) -> str:
    """Skips are counted by the kind of reason, not by its every detail."""
    head = reason.split(":")[0].split("(")[0].strip()
    return head or reason


class Plan:
    """A page's steps, in the order they are carried out (a record's upsert
    first: the contact must exist), and its state-only steps (``after``).

    A value: it can be saved (``--plan-out``), logged as intents, and carried
    out by either executor (``executor.py``) while the next page is read.
    """

    def __init__(self, ctx: PassContext):
        self.ctx = ctx
        self.steps: list[Step] = []
        #: State that needs no write, applied unless the key's writes failed.
        self.after: list[Step] = []
        #: Keys whose writes failed (filled by ``execute``).
        self.failed: set[str] = set()

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def add_first(self, step: Step) -> Step:
        """Before the key's other steps."""
        for i, s in enumerate(self.steps):
            if s.key == step.key:
                self.steps.insert(i, step)
                return step
        self.steps.append(step)
        return step

    def withdraw(self, key: str) -> None:
        """Drop a key's steps (a later record on the page took its email over)."""
        self.steps = [s for s in self.steps if s.key != key]
        self.after = [s for s in self.after if s.key != key]

    def has(self, key: str, op: Op) -> bool:
        return any(s.key == key and s.op == op for s in self.steps)

    def ops_for(self, key: str) -> list[Op]:
        return [s.op for s in self.steps if s.key == key and s.op is not None]

    async def execute(self) -> None:
        """Carry the plan out (a dry run: on its picture of both sides), report
        what was done, then commit the state of every key whose writes all
        succeeded."""
        from nstui.engine.datasets.executor import execute

        if self.ctx.recorder is not None:
            await self.ctx.recorder.batch(self)
        self.failed = await execute(self.ctx, self)


def planned(event: ev.RecordEvent, is_planned: bool = True) -> ev.RecordEvent:
    """The same event, marked as a dry run's plan (or not)."""
    return dataclasses.replace(event, planned=is_planned)


def _describe(e: Exception) -> str:
    text = str(e) or e.__class__.__name__
    return text if len(text) < 300 else text[:297] + "..."
