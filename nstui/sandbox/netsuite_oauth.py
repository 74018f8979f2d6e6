"""The NetSuite sandbox's own check of OAuth 1.0a signatures (RFC 5849).

Written from the RFC, independently of the client's signer (oauthlib), so a
bug in one cannot hide in the other. Checks, in order: the header, the realm,
the consumer and token, HMAC-SHA256, the timestamp (within five minutes), the
nonce (six characters or more), the signature, and last that the nonce and
timestamp pair was not seen before. NetSuite answers every failure with the
same 401; the reason is kept only for the sandbox's login audit trail.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import re
import time
from typing import Callable
from urllib.parse import parse_qsl, quote, unquote

from nstui.credentials import NetSuiteCredentials

WINDOW_S = 300
_PARAM = re.compile(r'\s*([A-Za-z0-9_]+)\s*=\s*"([^"]*)"\s*,?')


class OAuthFailure(Exception):
    """Why a request's signature was refused (for the audit trail, never the client)."""


def encode(text: str) -> str:
    """RFC 5849 3.6: percent-encode everything but ALPHA, DIGIT, '-', '.', '_', '~'."""
    return quote(text, safe="~")


def parse_authorization(value: str | None) -> dict[str, str]:
    if not value or not value.startswith("OAuth "):
        raise OAuthFailure("no OAuth Authorization header")
    rest = value[len("OAuth "):]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            raise OAuthFailure("malformed Authorization header")
        key, raw = m.group(1), m.group(2)
        if key in params:
            raise OAuthFailure(f"{key} given twice")
        params[key] = unquote(raw)
        pos = m.end()
    return params


def base_string_uri(scheme: str, host: str, port: int | None, path: str) -> str:
    scheme, host = scheme.lower(), host.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    authority = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{authority}{path or '/'}"


def base_string(method: str, uri: str, query: str, oauth_params: dict[str, str]) -> str:
    pairs = [(encode(k), encode(v)) for k, v in parse_qsl(query, keep_blank_values=True)]
    pairs += [(encode(k), encode(v)) for k, v in oauth_params.items() if k not in ("realm", "oauth_signature")]
    pairs.sort()
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((encode(method.upper()), encode(uri), encode(normalized)))


def hmac_sha256(text: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{encode(consumer_secret)}&{encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


class Verifier:
    def __init__(self, realm: str, credentials: NetSuiteCredentials, *,
                 now: Callable[[], float] = time.time):
        self.realm = realm
        self._credentials = credentials
        self._now = now
        self._seen: dict[tuple[str, str], int] = {}
        self._by_time: list[tuple[int, tuple[str, str]]] = []  # a heap of (stamp, key) of _seen

    def __repr__(self) -> str:
        return f"Verifier(realm={self.realm!r}, credentials=<hidden>)"

    def verify(self, *, method: str, scheme: str, host: str, port: int | None, path: str,
               query: str, authorization: str | None) -> None:
        """Return if the request is signed right; raise OAuthFailure otherwise."""
        p = parse_authorization(authorization)
        creds = self._credentials
        if p.get("realm") != self.realm:
            raise OAuthFailure(f"realm {p.get('realm')!r} is not this account's ({self.realm})")
        if not hmac.compare_digest(p.get("oauth_consumer_key", ""), creds.consumer_key):
            raise OAuthFailure("unknown consumer key")
        if not hmac.compare_digest(p.get("oauth_token", ""), creds.token_id):
            raise OAuthFailure("unknown token")
        if p.get("oauth_signature_method") != "HMAC-SHA256":
            raise OAuthFailure(f"signature method {p.get('oauth_signature_method')!r}: only HMAC-SHA256")
        if p.get("oauth_version", "1.0") != "1.0":
            raise OAuthFailure("oauth_version must be 1.0")
        stamp = p.get("oauth_timestamp", "")
        if not stamp.isdigit():
            raise OAuthFailure("oauth_timestamp missing or not a number")
        now = int(self._now())
        if abs(now - int(stamp)) > WINDOW_S:
            raise OAuthFailure(f"oauth_timestamp {stamp} is more than {WINDOW_S}s from the server's clock {now}")
        nonce = p.get("oauth_nonce", "")
        if len(nonce) < 6:
            raise OAuthFailure("oauth_nonce shorter than 6 characters")
        expected = hmac_sha256(
            base_string(method, base_string_uri(scheme, host, port, path), query, p),
            creds.consumer_secret, creds.token_secret,
        )
        if not hmac.compare_digest(p.get("oauth_signature", ""), expected):
            raise OAuthFailure("signature does not match")
        key = (nonce, stamp)
        if key in self._seen:
            raise OAuthFailure("nonce and timestamp already used")
        self._forget_before(now - WINDOW_S)
        self._seen[key] = int(stamp)
        heapq.heappush(self._by_time, (int(stamp), key))

    def _forget_before(self, limit: int) -> None:
        # A pair older than the window would fail the timestamp check anyway.
        # Oldest first from a heap: a request costs O(log n), not a rebuild of
        # every pair of the window (quadratic over a 10,000-request sync).
        while self._by_time and self._by_time[0][0] < limit:
            _, key = heapq.heappop(self._by_time)
            self._seen.pop(key, None)
