"""Files that hold people's emails (state, sandboxes, saved plans) or a
process id (the run lock) are created readable by their owner only; files
nstui replaces (the configuration, a saved plan) are replaced atomically.

SQLite gives its -wal and -shm files the database file's mode, so creating
the database file 0600 before SQLite opens it covers all three. An existing
file keeps its mode (the README says how to tighten files made before).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TextIO

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


@contextmanager
def atomic_file(path: Path | str, *, new_mode: int = 0o644) -> Iterator[TextIO]:
    """Write the new content of ``path`` into the yielded file; when the block
    ends without an error it replaces ``path`` at once (temporary file in the
    same folder, fsync, rename), else ``path`` is left as it was. An existing
    file keeps its permission bits (a new one gets ``new_mode``); a symbolic
    link stays a link: its target is the file replaced."""
    path = Path(os.path.realpath(path))
    directory = path.parent
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = new_mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def atomic_write(path: Path | str, text: str, *, new_mode: int = 0o644) -> None:
    """Replace ``path`` with ``text`` (see ``atomic_file``)."""
    with atomic_file(path, new_mode=new_mode) as f:
        f.write(text)
