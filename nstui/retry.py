"""The one retry policy of both clients (tenacity).

Retried: 429 (rate and concurrency limits), 5xx, timeouts and dropped
connections. Never retried: 401 and the other 4xx, which a second try cannot
fix. At most ``max_retries`` retries. The wait is exponential with "equal
jitter" (half fixed, half random: a crowd of clients spreads out, none
retries at once), unless the server said how long (``Retry-After`` in
seconds or as an HTTP date; Dotdigital's ``X-RateLimit-Reset``), which wins,
capped so that a bad header cannot park a run for hours.

A client raises ``RetryLater`` for an answer worth another try, with the
server's wait if it gave one; every retry is counted and logged at debug
level through ``on_retry``. When the retries are spent, the last
``RetryLater`` or transport error comes out for the client to turn into its
typed error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Awaitable, Callable

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

#: Transport failures worth another try; UnsupportedProtocol and the like are not.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


def retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


class RetryLater(Exception):
    """An answer that asks to be retried, and the wait the server asked for."""

    def __init__(self, response: httpx.Response, wait_hint: float | None = None):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.wait_hint = wait_hint


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
            return min(max(retry_after_s, 0.0), self.retry_after_cap)
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


#: (retry number, what failed, seconds before the retry)
OnRetry = Callable[[int, BaseException, float], None]


def retrying(*, max_retries: int, backoff: Backoff, sleep: Callable[[float], Awaitable[None]],
             on_retry: OnRetry) -> AsyncRetrying:
    """``async for attempt in retrying(...): with attempt: ...`` around one request."""

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        hint = failure.wait_hint if isinstance(failure, RetryLater) else None
        return backoff.delay(state.attempt_number, hint)

    def before_sleep(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action else 0.0
        if failure is not None:
            on_retry(state.attempt_number, failure, seconds)

    return AsyncRetrying(
        stop=stop_after_attempt(max_retries + 1),
        wait=wait,
        retry=retry_if_exception_type((RetryLater, *TRANSIENT_ERRORS)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def describe(failure: BaseException) -> str:
    """What a retried failure was, for the debug line: the status or the error's type."""
    if isinstance(failure, RetryLater):
        return str(failure.response.status_code)
    return type(failure).__name__
