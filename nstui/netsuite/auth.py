"""Token-Based Authentication: OAuth 1.0a with HMAC-SHA256, as NetSuite wants it.

Every request is signed when it is sent (httpx calls ``auth_flow`` per send),
so each retry gets a fresh nonce and timestamp. The query string takes part in
the signature; the JSON body does not: passing it to oauthlib would add an
``oauth_body_hash`` parameter that NetSuite does not expect.
"""

from __future__ import annotations

from typing import Generator

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from nstui.credentials import NetSuiteCredentials


def realm_of(account_id: str) -> str:
    """NetSuite's realm: the account id upper-cased with '-' as '_' (1234567_SB1)."""
    return account_id.upper().replace("-", "_")


class TBAAuth(httpx.Auth):
    requires_request_body = False

    def __init__(self, credentials: NetSuiteCredentials, realm: str, *,
                 nonce: str | None = None, timestamp: str | None = None):
        # nonce/timestamp are fixed only by the known-answer test; left None,
        # oauthlib draws new ones for every signature.
        self.realm = realm
        self._client = Client(
            credentials.consumer_key,
            client_secret=credentials.consumer_secret,
            resource_owner_key=credentials.token_id,
            resource_owner_secret=credentials.token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            realm=realm,
            nonce=nonce,
            timestamp=timestamp,
        )

    def authorization(self, method: str, url: str) -> str:
        """The Authorization header value for ``method url``."""
        _, headers, _ = self._client.sign(url, http_method=method.upper())
        return str(headers["Authorization"])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.authorization(request.method, str(request.url))
        yield request

    def __repr__(self) -> str:
        return f"TBAAuth(realm={self.realm!r}, credentials=<hidden>)"

    __str__ = __repr__
