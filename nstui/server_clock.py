"""What a remote server says the time is: the ``Date`` header of its latest
answer (RFC 9110 section 6.6.1: an origin server with a clock sends one).

The engine bounds its watermarks by this, never by the local clock: a local
clock an hour fast must not make the next run skip an hour of changes.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

import httpx


class ServerClock:
    def __init__(self) -> None:
        self._seen: datetime | None = None
        self._at = 0.0

    def observe(self, response: httpx.Response) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            seen = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        self._seen = seen if seen.tzinfo else seen.replace(tzinfo=timezone.utc)
        self._at = time.monotonic()

    def now(self) -> datetime | None:
        """The server's time now (its last Date plus the time since it came),
        or None when it has not answered with a Date yet."""
        if self._seen is None:
            return None
        return self._seen + timedelta(seconds=time.monotonic() - self._at)


def http_date(dt: datetime) -> str:
    """A Date header value (IMF-fixdate)."""
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)
