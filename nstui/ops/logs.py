"""Logging for the daemon: the engine's typed events through stdlib logging.

``nstui run`` logs with ISO timestamps carrying the zone, as text or as one
JSON object per line (the event's own fields under ``"event"``), to stderr or
a file (reopened when logrotate moves it). Progress comes at info level at
most once per ``progress_every`` seconds per data set, so a months-long run
says it is alive without flooding the journal; every record's own line is at
debug level.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from nstui.engine import events as ev
from nstui.sanitize import clean

LOGGER = "nstui"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_EVENT_LEVEL = LEVELS  # the events' own level names are the same words


def _iso(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # Messages carry text from outside (error pages, links): escaped here, for every logger.
        line = f"{_iso(record)} {record.levelname.lower():<7} {clean(record.getMessage(), 2000)}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _iso(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "event", None)
        if isinstance(event, dict):
            data["event"] = event
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure(level: str = "info", fmt: str = "text", file: Path | None = None) -> logging.Logger:
    """Set up the ``nstui`` logger (the clients' loggers are its children)."""
    logger = logging.getLogger(LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    out: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        out = logging.handlers.WatchedFileHandler(file, encoding="utf-8")
    else:
        out = logging.StreamHandler(sys.stderr)
    out.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.addHandler(out)
    logger.setLevel(LEVELS[level])
    logger.propagate = False
    return logger


class EventLogger:
    """A bus listener that writes each event as a log record."""

    def __init__(self, logger: logging.Logger | None = None, *, progress_every: float = 30.0,
                 clock: Callable[[], float] = time.monotonic):
        self.logger = logger or logging.getLogger(f"{LOGGER}.engine")
        self.progress_every = progress_every
        self.clock = clock
        self._last_progress: dict[str | None, float] = {}

    def level_of(self, event: ev.Event) -> int:
        if isinstance(event, ev.Progress):
            last = self._last_progress.get(event.dataset)
            now = self.clock()
            if last is not None and now - last < self.progress_every:
                return logging.DEBUG
            self._last_progress[event.dataset] = now
            return logging.INFO
        if isinstance(event, ev.DatasetStarted):
            self._last_progress[event.dataset] = self.clock()
        if isinstance(event, ev.RecordEvent) and event.level == "info":
            return logging.DEBUG  # one line per record: counts come with the data set's end
        return _EVENT_LEVEL[event.level]

    def __call__(self, event: ev.Event) -> None:
        level = self.level_of(event)
        if self.logger.isEnabledFor(level):
            self.logger.log(level, event.message(), extra={"event": event.to_dict()})
