"""Files that hold people's emails (state, sandboxes) or a process id (the
run lock) are created readable by their owner only.

SQLite gives its -wal and -shm files the database file's mode, so creating
the database file 0600 before SQLite opens it covers all three. An existing
file keeps its mode (the README says how to tighten files made before).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE = 0o600


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty with mode 0600 unless it exists; its folder too."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except FileExistsError:
        return path
    os.close(fd)
    return path
