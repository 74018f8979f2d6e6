"""Clock-safe watermarks, as plain functions of times.

A watermark says "every row modified before this has been synced". It is a
time of the remote system's own clock, so it is bounded by what that system
says the time is (the Date header of its answers), never by ours: a local
clock an hour fast must not move it, and neither may one row stamped in the
future (a NetSuite record saved by a server whose clock ran ahead), or every
normal edit made before that stamp would fall behind it and never be read.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def ceiling(server_now: datetime | None, overlap: timedelta) -> datetime | None:
    """The latest a watermark may be: the server's now minus the overlap."""
    return None if server_now is None else server_now - overlap


def read_from(stored: datetime | None, server_now: datetime | None, overlap: timedelta) -> datetime | None:
    """Where an incremental read starts: the stored watermark minus the
    overlap, pulled back to the server's now minus the overlap if it lies
    beyond it (a watermark left in the future by a clock jump)."""
    if stored is None:
        return None
    top = ceiling(server_now, overlap)
    start = stored - overlap
    return min(start, top) if top is not None else start


def advance(
    current: datetime | None,
    page_newest: datetime | None,
    server_now: datetime | None,
    overlap: timedelta,
) -> datetime | None:
    """The watermark after a page's writes are committed: the page's newest
    row, but never beyond the server's now minus the overlap (rows stamped in
    the future are read again, deduplicated by their shadows, instead of
    hiding the edits made before their stamp). It never moves back, except
    that a stored value beyond the ceiling is brought down to it."""
    top = ceiling(server_now, overlap)
    candidate = page_newest
    if candidate is not None and top is not None:
        candidate = min(candidate, top)
    if current is not None and top is not None and current > top:
        current = top
    if candidate is None:
        return current
    if current is None:
        return candidate
    return max(current, candidate)


def platform_mark(pass_started_server: datetime | None, local_now: datetime) -> datetime:
    """The marketing-side watermark of a pass: the platform's own time when
    the pass started (its Date header); our clock only if it sent none."""
    return pass_started_server if pass_started_server is not None else local_now
