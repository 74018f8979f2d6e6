"""The engine's events as the console keeps them: the full history (bounded),
numbered so that a view can ask for what came since it last looked, the latest
progress per data set, and a wake-up for the view when new events arrive.

The store does no drawing: taking 10,000 events a second costs an append
each; the view reads them in batches and draws only the lines on show.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from nstui.engine import events as ev


class EventStore:
    def __init__(self, limit: int = 50_000):
        self.limit = limit
        self._events: list[ev.Event] = []
        #: Number of the oldest event kept; events are numbered from 0 as they come.
        self.first = 0
        self.progress: dict[str, ev.Progress] = {}
        self.last_summary: ev.RunSummary | None = None
        self._wake: Callable[[], None] | None = None
        self._woken = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def next(self) -> int:
        """The number the next event will get."""
        return self.first + len(self._events)

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.Progress):
            self.progress[event.dataset or "-"] = event
        if isinstance(event, ev.RunStarted):
            self.progress.clear()
        if isinstance(event, ev.RunFinished):
            self.last_summary = event.summary
        self._events.append(event)
        if len(self._events) > self.limit + self.limit // 10:
            # Dropped in chunks: one list move per 5,000 events, not one per event.
            drop = len(self._events) - self.limit
            del self._events[:drop]
            self.first += drop
        if self._wake is not None and not self._woken:
            self._woken = True
            self._call_wake()

    def poke(self) -> None:
        """Wake the view without a new event (a run's state changed)."""
        if self._wake is not None and not self._woken:
            self._woken = True
            self._call_wake()

    def _call_wake(self) -> None:
        assert self._wake is not None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is None or running is self._loop:
            self._wake()
        else:  # published from another thread: wake the view on its own loop
            self._loop.call_soon_threadsafe(self._wake)

    def on_new(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` once when events arrive; again only after ``woken``."""
        self._wake = wake
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def woken(self) -> None:
        """The view has looked: the next new event wakes it again."""
        self._woken = False

    def get(self, number: int) -> ev.Event | None:
        i = number - self.first
        return self._events[i] if 0 <= i < len(self._events) else None

    def since(self, number: int) -> list[tuple[int, ev.Event]]:
        """Events numbered ``number`` and later (the oldest kept, if older)."""
        start = max(number, self.first)
        return list(enumerate(self._events[start - self.first:], start))

    def all(self) -> list[ev.Event]:
        return list(self._events)
