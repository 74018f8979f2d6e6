"""When and how long to wait before retrying a NetSuite call.

Retried: 429 (request and concurrency limits), 5xx, timeouts and dropped
connections. Never retried: 401 and the other 4xx, which a second try cannot
fix. The wait is exponential with "equal jitter" (half fixed, half random, so
a crowd of clients spreads out but none retries at once), unless NetSuite
says ``Retry-After`` (seconds or an HTTP date), which wins.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

#: Transport failures worth another try; UnsupportedProtocol and the like are not.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


def retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


def retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a Retry-After header, or None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Backoff:
    base: float = 0.5
    cap: float = 60.0
    #: Upper bound on a server-requested wait, so a bad header cannot park a run for hours.
    retry_after_cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Wait before retry number ``attempt`` (1-based)."""
        if retry_after_s is not None:
            return min(retry_after_s, self.retry_after_cap)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)
