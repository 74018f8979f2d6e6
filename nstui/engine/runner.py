"""The engine: data sets run one after another through one queue.

``run_once`` is one pass of the due (or named) data sets; ``run_forever`` is
the polling loop of seed 003 ("not on the hour but rather based on when a data
set was last synced").
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Sequence

from nstui.config import DATASETS, ConfigFile
from nstui.connections import Connections, Sandboxes, open_connections
from nstui.engine import events as ev
from nstui.engine.datasets import PASSES, PassContext
from nstui.engine.datasets.ops import Op
from nstui.engine.datasets.simulated import simulate
from nstui.engine.errors import REMOTE_ERRORS, REMOTE_UNAVAILABLE, EngineError
from nstui.engine.lock import RunLock
from nstui.engine.state import DatasetStatus, StateStore, utcnow


class Engine:
    def __init__(
        self,
        cfg: ConfigFile,
        *,
        bus: ev.EventBus | None = None,
        sandboxes: Sandboxes | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_op: Callable[[str, Op], None] | None = None,
    ):
        """``on_op(dataset, op)``: called for every operation carried out
        (in a dry run: on the dry run's picture of both sides), in order."""
        self.cfg = cfg
        self.on_op = on_op
        self.bus = bus or ev.EventBus()
        self.sandboxes = sandboxes
        self.clock = clock

    # -- what is due -------------------------------------------------------

    def enabled(self) -> list[str]:
        return [name for name in DATASETS if self.cfg.model.datasets.get(name).enabled]

    def next_due(self, state: StateStore, name: str) -> datetime | None:
        last = state.last_success(name)
        if last is None:
            return None  # never synced: due now
        return last + self.cfg.model.datasets.get(name).poll_interval

    def due(self, state: StateStore, now: datetime | None = None) -> list[str]:
        now = now or self.clock()
        return [n for n in self.enabled() if (self.next_due(state, n) or now) <= now]

    def status(self) -> list[tuple[DatasetStatus, datetime | None, bool]]:
        """(status, next due, enabled) per data set, read without the run lock;
        the state file is opened read-only and never created."""
        if not self.cfg.state_path.exists():
            return [(DatasetStatus.never(n), None, self.cfg.model.datasets.get(n).enabled) for n in DATASETS]
        with StateStore(self.cfg.state_path, readonly=True) as state:
            return [
                (state.status(n), self.next_due(state, n), self.cfg.model.datasets.get(n).enabled)
                for n in DATASETS
            ]

    # -- one pass ----------------------------------------------------------

    async def run_once(
        self,
        datasets: Sequence[str] | None = None,
        *,
        dry_run: bool = False,
        cancel: asyncio.Event | None = None,
        recorder: Any = None,
    ) -> ev.RunSummary:
        """Run the named data sets (all enabled ones that are due when None).
        ``recorder``: a dry run's plan is saved through it (``--plan-out``).

        Raises LockedError when another process holds the run lock.
        """
        for name in datasets or ():
            if name not in DATASETS:
                raise EngineError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
        lock = RunLock.for_config(self.cfg)
        lock.acquire()
        try:
            state = StateStore(self.cfg.state_path, dry_run=dry_run)
            try:
                names = list(datasets) if datasets else self.due(state)
                return await self._run(state, names, dry_run, cancel or asyncio.Event(), recorder=recorder)
            finally:
                state.close()
        finally:
            lock.release()

    async def _run(self, state: StateStore, names: list[str], dry_run: bool, cancel: asyncio.Event, *,
                   recorder: Any = None, passes: Mapping[str, Callable[[PassContext], Any]] | None = None,
                   ) -> ev.RunSummary:
        """The data sets ``names``, one after another; ``passes``: how each is
        run (default: a sync pass; ``nstui apply`` carries out a saved plan)."""
        run_id = state.start_run(names, dry_run)
        summary = ev.RunSummary(run_id=run_id, dry_run=dry_run)
        started = time.monotonic()
        self.bus.publish(ev.RunStarted(run_id=run_id, datasets=tuple(names), dry_run=dry_run))
        failed = False
        try:
            async with open_connections(self.cfg, sandboxes=self.sandboxes) as real:
                # A dry run reads both sides through its picture of them (planned.py).
                conn = simulate(real, state, self.clock) if dry_run else real
                for name in names:
                    if cancel.is_set():
                        summary.cancelled = True
                        break
                    counts, ok = await self._run_dataset(state, conn, run_id, name, dry_run, cancel, summary,
                                                         recorder, passes or PASSES)
                    summary.datasets[name] = counts
                    failed |= not ok
                    if cancel.is_set():
                        summary.cancelled = True
                summary.api_calls = conn.api_calls()
        except EngineError:
            failed = True
            raise
        finally:
            summary.seconds = time.monotonic() - started
            status = "cancelled" if summary.cancelled else ("failed" if failed else "ok")
            state.finish_run(run_id, summary.to_dict(), status)
            self.bus.publish(ev.RunFinished(summary=summary))
        return summary

    async def _run_dataset(
        self, state: StateStore, conn: Connections, run_id: int, name: str, dry_run: bool, cancel: asyncio.Event,
        summary: ev.RunSummary, recorder: Any, passes: Mapping[str, Callable[[PassContext], Any]],
    ) -> tuple[ev.Counts, bool]:
        ctx = PassContext(
            cfg=self.cfg, state=state, conn=conn, bus=self.bus, run_id=run_id, dataset=name,
            dry_run=dry_run, cancel=cancel, clock=self.clock, recorder=recorder, on_op=self.on_op,
        )
        state.start_dataset(run_id, name)
        started = time.monotonic()
        before = conn.counters()
        self.bus.publish(ev.DatasetStarted(dataset=name, since=_fmt(state.watermark(name))))
        ok = False
        try:
            one = passes[name](ctx)
            await one.run()
            if recorder is not None and not cancel.is_set():
                await recorder.dataset_done(ctx, one)
            ok = True
        except EngineError as e:
            ctx.error(str(e))
        except REMOTE_ERRORS as e:  # a remote system failed beyond its retries
            ctx.error(f"{e.__class__.__name__}: {e}")
            if isinstance(e, REMOTE_UNAVAILABLE):
                summary.remote_failures[name] = f"{e.__class__.__name__}: {e}"
        finally:
            status = "cancelled" if cancel.is_set() else ("ok" if ok else "failed")
            seconds = time.monotonic() - started
            summary.dataset_status[name] = status
            summary.dataset_seconds[name] = seconds
            state.finish_dataset(run_id, name, ctx.counts.to_dict(), status)
            after = conn.counters()
            self.bus.publish(ev.DatasetFinished(
                dataset=name, counts=ctx.counts, seconds=seconds, status=status,
                calls={k: after[k] - before.get(k, 0) for k in after},
            ))
        return ctx.counts, ok and ctx.counts.errors == 0

    # -- the polling loop --------------------------------------------------

    async def run_forever(self, stop: asyncio.Event, *, idle_check: timedelta = timedelta(seconds=30)) -> None:
        """Run what is due, sleep until the next data set is due, repeat.

        ``stop`` ends the loop; a run in progress finishes its current page.
        """
        while not stop.is_set():
            with StateStore(self.cfg.state_path) as state:
                due = self.due(state)
            if due:
                await self.run_once(due, cancel=stop)
            with StateStore(self.cfg.state_path) as state:
                dues = [self.next_due(state, n) for n in self.enabled()]
            now = self.clock()
            upcoming = [d for d in dues if d is not None]
            wait = min(((d - now).total_seconds() for d in upcoming), default=idle_check.total_seconds())
            wait = max(1.0, min(wait, idle_check.total_seconds()))
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass


def _fmt(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None
