"""One run at a time per state file: an OS lock the kernel releases when the
process dies, so a killed sync never leaves a stale lock behind."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

from nstui.engine.errors import LockedError


class RunLock:
    def __init__(self, state_path: Path):
        state_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(state_path) + ".lock")
        self._info = Path(str(state_path) + ".lock.info")

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise LockedError(self.holder()) from None
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._info.write_text(f"pid {os.getpid()} on {socket.gethostname()} since {started}")

    def holder(self) -> str:
        try:
            return self._info.read_text().strip() or "unknown process"
        except OSError:
            return "unknown process"

    def release(self) -> None:
        if self._lock.is_locked:
            try:
                self._info.unlink()
            except OSError:
                pass
            self._lock.release()

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
