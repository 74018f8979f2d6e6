"""Errors of the marketing client: the platform's code and message, never a secret."""

from __future__ import annotations

import httpx

from nstui.sanitize import clean


class MarketingError(Exception):
    def __init__(self, message: str, *, status: int = 0, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class MarketingAuthError(MarketingError):
    pass


class MarketingRateLimited(MarketingError):
    pass


class MarketingNotFound(MarketingError):
    pass


class MarketingServerError(MarketingError):
    pass


def from_response(response: httpx.Response, *, what: str, host: str, credential_names: str) -> MarketingError:
    code = None
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            code = body.get("errorCode") or body.get("code")
            code = clean(code, 80) if code else None
            detail = clean(body.get("description") or body.get("message") or "", 300)
    except ValueError:
        detail = clean(response.text, 200)
    status = response.status_code
    if status == 401:
        return MarketingAuthError(
            f"{host}: {what} refused (401): the API user and password were not accepted; "
            f"check the environment variables {credential_names}",
            status=status, code=code,
        )
    text = f"{host}: {what} failed ({status}{', ' + code if code else ''}): {detail or response.reason_phrase}"
    if status == 404:
        return MarketingNotFound(text, status=status, code=code)
    if status == 429:
        return MarketingRateLimited(text, status=status, code=code)
    if status >= 500:
        return MarketingServerError(text, status=status, code=code)
    return MarketingError(text, status=status, code=code)
