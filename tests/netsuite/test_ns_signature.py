"""Token-Based Authentication: Oracle's published example, an independent
HMAC check of what the client sends, and the sandbox's verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, Client

from nstui.credentials import NetSuiteCredentials
from nstui.netsuite.auth import TBAAuth
from nstui.netsuite.errors import NetSuiteAuthError
from nstui.sandbox.netsuite_oauth import Verifier

from .conftest import ACCOUNT, CREDS, REALM, SECRETS

ORACLE = dict(
    url="https://123456.suitetalk.api.netsuite.com/services/rest/record/v1/employee/40",
    realm="123456",
    consumer_key="ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
    consumer_secret="d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
    token_id="2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
    token_secret="c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
    nonce="fjaLirsIcCGVZWzBX0pg",
    timestamp="1508242306",
    signature="B5OIWznZ2YP0OB7VrJrGkYsTh+8H+5T9Hag+o92q0zY=",
)
ORACLE_CREDS = NetSuiteCredentials(ORACLE["consumer_key"], ORACLE["consumer_secret"],
                                   ORACLE["token_id"], ORACLE["token_secret"])


def header_params(value: str) -> dict[str, str]:
    assert value.startswith("OAuth ")
    return {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', value)}


def rfc5849_signature(method: str, url: str, params: dict[str, str], consumer_secret: str, token_secret: str) -> str:
    """Written here from RFC 5849 section 3.4, with hmac and hashlib only."""
    enc = lambda s: quote(s, safe="~")  # noqa: E731
    parts = urlsplit(url)
    base_uri = f"{parts.scheme.lower()}://{parts.hostname.lower()}{parts.path}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += [(k, v) for k, v in params.items() if k not in ("realm", "oauth_signature")]
    normalized = "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in pairs))
    text = "&".join((method.upper(), enc(base_uri), enc(normalized)))
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha256).digest()).decode()


def test_known_answer_oracle_example():
    auth = TBAAuth(ORACLE_CREDS, ORACLE["realm"], nonce=ORACLE["nonce"], timestamp=ORACLE["timestamp"])
    params = header_params(auth.authorization("GET", ORACLE["url"]))
    assert params["oauth_signature"] == ORACLE["signature"]
    assert params["realm"] == "123456"
    assert params["oauth_signature_method"] == "HMAC-SHA256"
    assert "oauth_body_hash" not in params


def test_known_answer_independent_computation():
    params = {"oauth_consumer_key": ORACLE["consumer_key"], "oauth_token": ORACLE["token_id"],
              "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": ORACLE["timestamp"],
              "oauth_nonce": ORACLE["nonce"], "oauth_version": "1.0"}
    assert rfc5849_signature("GET", ORACLE["url"], params, ORACLE["consumer_secret"],
                             ORACLE["token_secret"]) == ORACLE["signature"]


def test_sandbox_verifier_accepts_oracle_example():
    verifier = Verifier("123456", ORACLE_CREDS, now=lambda: int(ORACLE["timestamp"]) + 10)
    auth = TBAAuth(ORACLE_CREDS, "123456", nonce=ORACLE["nonce"], timestamp=ORACLE["timestamp"])
    verifier.verify(method="GET", scheme="https", host="123456.suitetalk.api.netsuite.com", port=None,
                    path="/services/rest/record/v1/employee/40", query="",
                    authorization=auth.authorization("GET", ORACLE["url"]))


async def test_suiteql_post_signature_checked_without_oauthlib(sandbox, make_client, recording):
    wire = recording(sandbox.transport())
    async with make_client(wire) as client:
        rows = [r async for r in client.suiteql("SELECT id FROM customer ORDER BY id", page_size=7)]
    assert rows
    first = wire.sent[0]
    assert first.method == "POST" and first.url.params["limit"] == "7" and first.url.params["offset"] == "0"
    assert first.headers["Prefer"] == "transient"
    params = header_params(first.headers["Authorization"])
    assert params["realm"] == REALM
    assert "oauth_body_hash" not in params
    expected = rfc5849_signature("POST", str(first.url), params, CREDS.consumer_secret, CREDS.token_secret)
    assert params["oauth_signature"] == expected
    assert sandbox.login_audit == []


async def test_signature_accepted(sandbox, make_client):
    async with make_client(sandbox) as client:
        assert await client.ping() == f"NetSuite {REALM}: OK"
    assert sandbox.login_audit == []


async def test_wrong_token_secret_is_a_clear_401(sandbox, make_client):
    wrong = NetSuiteCredentials(CREDS.consumer_key, CREDS.consumer_secret, CREDS.token_id, "WRONGsecret0123456789")
    async with make_client(sandbox, credentials=wrong) as client:
        with pytest.raises(NetSuiteAuthError) as caught:
            await client.ping()
        assert client.calls["retry"] == 0  # a 401 is not retried
    err = caught.value
    assert err.status == 401 and err.code == "INVALID_LOGIN"
    message = str(err)
    assert REALM in message and "NSTUI_NS_TOKEN_SECRET" in message
    for secret in (*SECRETS, wrong.token_secret):
        assert secret not in message and secret not in repr(err)
    assert sandbox.login_audit == ["signature does not match"]


async def test_each_retry_is_signed_afresh(make_sandbox, make_client, recording):
    sandbox = make_sandbox(throttle_rate=0.4)
    wire = recording(sandbox.transport())
    async with make_client(wire, max_retries=15) as client:
        async for _ in client.suiteql("SELECT id FROM customer", page_size=10):
            pass
        assert client.calls["retry"] > 0
    nonces = [header_params(r.headers["Authorization"])["oauth_nonce"] for r in wire.sent]
    assert len(nonces) == len(set(nonces)) == len(wire.sent)


class FixedAuth(httpx.Auth):
    def __init__(self, client: Client):
        self.client = client

    def auth_flow(self, request):
        _, headers, _ = self.client.sign(str(request.url), http_method=request.method)
        request.headers["Authorization"] = headers["Authorization"]
        yield request


def oauth_client(**overrides) -> Client:
    settings = dict(client_key=CREDS.consumer_key, client_secret=CREDS.consumer_secret,
                    resource_owner_key=CREDS.token_id, resource_owner_secret=CREDS.token_secret,
                    signature_method="HMAC-SHA256", realm=REALM)
    settings.update(overrides)
    key = settings.pop("client_key")
    return Client(key, **settings)


@pytest.mark.parametrize("case, client, reason", [
    ("stale timestamp", lambda: oauth_client(timestamp=str(int(time.time()) - 600)), "more than 300s"),
    ("future timestamp", lambda: oauth_client(timestamp=str(int(time.time()) + 600)), "more than 300s"),
    ("short nonce", lambda: oauth_client(nonce="abc12"), "shorter than 6"),
    ("wrong realm", lambda: oauth_client(realm="7654321"), "realm"),
    ("wrong consumer", lambda: oauth_client(client_key="someoneelse"), "consumer"),
    ("HMAC-SHA1", lambda: oauth_client(signature_method=SIGNATURE_HMAC_SHA1), "HMAC-SHA256"),
])
async def test_sandbox_refuses_with_netsuites_401(sandbox, case, client, reason):
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="https://1234567-sb1.suitetalk.api.netsuite.com",
                                 auth=FixedAuth(client())) as http:
        response = await http.post("/services/rest/query/v1/suiteql?limit=5&offset=0",
                                   json={"q": "SELECT id FROM customer"}, headers={"Prefer": "transient"})
        unsigned = await httpx.AsyncClient(transport=sandbox.transport(),
                                           base_url="https://1234567-sb1.suitetalk.api.netsuite.com").get(
            "/services/rest/record/v1/customer/1001")
    assert response.status_code == 401
    assert response.json() == unsigned.json()  # one body for every failure, as NetSuite
    assert response.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert reason in sandbox.login_audit[0]


async def test_sandbox_refuses_a_replayed_nonce(sandbox):
    fixed = oauth_client(nonce="replayed-nonce-1", timestamp=str(int(time.time())))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="https://1234567-sb1.suitetalk.api.netsuite.com",
                                 auth=FixedAuth(fixed)) as http:
        first = await http.get("/services/rest/record/v1/customer/1001")
        again = await http.get("/services/rest/record/v1/customer/1001")
    assert first.status_code == 200
    assert again.status_code == 401
    assert sandbox.login_audit == ["nonce and timestamp already used"]


def test_realm_from_account_id():
    from nstui.netsuite.auth import realm_of

    assert realm_of(ACCOUNT) == REALM
    assert realm_of("123456") == "123456"
