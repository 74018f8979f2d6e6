"""The engine's events as the console keeps them: every event (bounded), the
ones not drawn yet, and the latest progress per data set."""

from __future__ import annotations

from collections import deque
from typing import Iterable

from nstui.engine import events as ev


class EventStore:
    def __init__(self, limit: int = 50_000):
        self._all: deque[ev.Event] = deque(maxlen=limit)
        self.pending: list[ev.Event] = []
        self.progress: dict[str, ev.Progress] = {}
        self.last_summary: ev.RunSummary | None = None

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.Progress):
            self.progress[event.dataset or "-"] = event
        if isinstance(event, ev.RunStarted):
            self.progress.clear()
        if isinstance(event, ev.RunFinished):
            self.last_summary = event.summary
        self._all.append(event)
        self.pending.append(event)

    def all(self) -> Iterable[ev.Event]:
        return list(self._all)

    def take(self, limit: int | None = None) -> list[ev.Event]:
        """The events not drawn yet, oldest first (at most ``limit``)."""
        if limit is None or len(self.pending) <= limit:
            taken, self.pending = self.pending, []
            return taken
        taken, self.pending = self.pending[:limit], self.pending[limit:]
        return taken
