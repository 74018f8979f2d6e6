"""NetSuite's errors as typed exceptions.

NetSuite answers a failed REST call with a JSON body whose ``o:errorDetails``
list carries a ``detail`` and an ``o:errorCode``. Each exception keeps both,
plus the HTTP status, and its message names the account (the realm) and the
request, never a credential: the Authorization header is not part of any
message, and query texts are not either (they may hold customers' emails).
"""

from __future__ import annotations

from typing import Any

import httpx

from nstui.sanitize import clean


class NetSuiteError(Exception):
    """A NetSuite call failed. ``status`` is 0 when no HTTP answer came back."""

    def __init__(self, message: str, *, status: int = 0, code: str = "", detail: str = "", realm: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail
        self.realm = realm


class NetSuiteAuthError(NetSuiteError):
    """401: the signature, the token or the consumer was refused."""


class NetSuiteRateLimited(NetSuiteError):
    """429: the account's request or concurrency limit, still hit after the retries."""


class NetSuiteServerError(NetSuiteError):
    """5xx, or no answer at all (timeout, dropped connection), after the retries."""


class NetSuiteNotFound(NetSuiteError):
    """404: no such record (or record type)."""


class NetSuiteValidationError(NetSuiteError):
    """Any other 4xx: NetSuite refused the request as written."""


class NetSuiteBadAnswer(NetSuiteError):
    """An answer that is not what the API documents: a body that is not JSON
    (truncated), the wrong shape, a redirect elsewhere."""


class NetSuiteQueryTooLarge(NetSuiteValidationError):
    """A SuiteQL query matches more rows than NetSuite returns for one query."""


def error_details(response: httpx.Response) -> tuple[str, str]:
    """(o:errorCode, detail) of a NetSuite error body; tolerant of non-JSON bodies
    (a proxy's HTML page, an empty 502)."""
    try:
        body: Any = response.json()
    except ValueError:
        return "", clean(response.text.strip(), 200)
    if isinstance(body, dict):
        details = body.get("o:errorDetails")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            first = details[0]
            return clean(first.get("o:errorCode") or "", 80), clean(first.get("detail") or "", 300)
        return "", clean(body.get("title") or body.get("detail") or "", 300)
    return "", ""


def from_response(response: httpx.Response, *, realm: str, what: str, credential_names: str = "") -> NetSuiteError:
    """The typed exception for a NetSuite error answer. ``what`` names the call
    (e.g. "PATCH customer/42"); ``credential_names`` names the environment
    variables the credentials come from, for the 401 hint."""
    status = response.status_code
    code, detail = error_details(response)
    shown = f"{status} {code}".strip()
    base = f"NetSuite account {realm}: {what} failed ({shown})"
    if detail:
        base += f": {detail}"
    kwargs: dict[str, Any] = dict(status=status, code=code, detail=detail, realm=realm)
    if status == 401:
        hint = (
            " - NetSuite refused the Token-Based Authentication credentials: check the consumer key/secret "
            f"and token id/secret{' in ' + credential_names if credential_names else ''}, that the token "
            f"belongs to account {realm}, and that this machine's clock is right."
        )
        return NetSuiteAuthError(base + hint, **kwargs)
    if status == 404:
        return NetSuiteNotFound(base, **kwargs)
    if status == 429:
        return NetSuiteRateLimited(base + " - still throttled after the retries", **kwargs)
    if status >= 500:
        return NetSuiteServerError(base + " - still failing after the retries", **kwargs)
    return NetSuiteValidationError(base, **kwargs)


def from_transport(exc: Exception, *, realm: str, what: str) -> NetSuiteServerError:
    kind = type(exc).__name__
    return NetSuiteServerError(
        f"NetSuite account {realm}: {what} got no answer ({kind}) - still failing after the retries",
        status=0, code=kind, detail=clean(exc, 200), realm=realm,
    )
