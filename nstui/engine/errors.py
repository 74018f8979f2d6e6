"""Exceptions of the engine that callers (CLI, console) turn into exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import InvalidOperation

from nstui.marketing.errors import MarketingAuthError, MarketingError, MarketingRateLimited, MarketingServerError
from nstui.netsuite.errors import (
    NetSuiteAuthError,
    NetSuiteBadAnswer,
    NetSuiteError,
    NetSuiteRateLimited,
    NetSuiteServerError,
)

#: What a remote system answers when it refuses or fails one request (after
#: the clients' own retries). A record that meets one is reported and read
#: again next run; any other exception is a bug of ours and stops the run.
REMOTE_ERRORS: tuple[type[Exception], ...] = (NetSuiteError, MarketingError)

#: The remote errors that say the system itself is out of reach (no answer,
#: 5xx or throttled beyond the retries) or refuses our credentials, rather
#: than refusing one request: `nstui sync` exits 4 on these.
REMOTE_UNAVAILABLE: tuple[type[Exception], ...] = (
    NetSuiteAuthError, NetSuiteServerError, NetSuiteRateLimited,
    MarketingAuthError, MarketingServerError, MarketingRateLimited,
)


class EngineError(Exception):
    """A run could not go on; the message says why."""


class LockedError(EngineError):
    """Another nstui process holds the run lock of this state file."""

    def __init__(self, holder: str):
        super().__init__(f"another sync is running on these accounts or this state file ({holder}); "
                         "try again when it ends")
        self.holder = holder


class SafetyStop(EngineError):
    """The engine refused to go on because a pass looked destructive."""


@contextmanager
def netsuite_values(what: str) -> Iterator[None]:
    """Reading the values of rows NetSuite answered (SuiteQL gives every
    value as text): one of the wrong kind (an id "abc", a date that is no
    date, an amount that is no number) is a bad answer of that page, which
    its data set reports as it does any remote error, never a crash."""
    try:
        yield
    except (ValueError, TypeError, KeyError, InvalidOperation, OverflowError) as e:
        raise NetSuiteBadAnswer(f"NetSuite answered {what} with a value nstui cannot read "
                                f"({e.__class__.__name__}: {str(e)[:120]})") from None
