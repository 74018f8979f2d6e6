"""Fixtures of the NetSuite tests: a sandbox on a temp SQLite file, and the real
client wired to it through httpx.ASGITransport (or any transport a test wraps
around it). Retries wait microseconds, through an injected sleep that also
records what the client asked for."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from nstui.config import NetSuiteConfig, SandboxConfig
from nstui.credentials import NetSuiteCredentials
from nstui.netsuite.client import NetSuiteClient
from nstui.netsuite.retry import Backoff
from nstui.sandbox.netsuite import NetSuiteSandbox

ACCOUNT = "1234567-SB1"
REALM = "1234567_SB1"
CREDS = NetSuiteCredentials(
    consumer_key="ck0a1b2c3d4e5f60718293a4b5c6d7e8f9ck",
    consumer_secret="CSsecret9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    token_id="tk0f1e2d3c4b5a69788796a5b4c3d2e1f0tk",
    token_secret="TSsecret00112233445566778899aabbccddeeff",
)
SECRETS = (CREDS.consumer_secret, CREDS.token_secret)
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


class Clock:
    """The sandbox's data clock; tests move it by hand."""

    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float = 60) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class Sleeps(list):
    """Records each wait the client asks for, and waits at most 5 ms of it."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)
        await asyncio.sleep(min(seconds, 0.005))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_sandbox(tmp_path: Path, clock: Clock):
    made: list[NetSuiteSandbox] = []

    def make(*, records: int = 60, fixture: Path | dict | None = None, name: str = "netsuite.sqlite",
             concurrency_limit: int = 5, seed: int = 42, **faults: Any) -> NetSuiteSandbox:
        if isinstance(fixture, dict):
            path = tmp_path / f"fixture-{len(made)}.json"
            path.write_text(json.dumps(fixture))
            fixture = path
        sb = NetSuiteSandbox(
            tmp_path / name, account_id=ACCOUNT, credentials=CREDS,
            sandbox=SandboxConfig(seed=seed, records=records, **faults),
            fixture=fixture, concurrency_limit=concurrency_limit, clock=clock,
        )
        made.append(sb)
        return sb

    yield make
    for sb in made:
        sb.close()


@pytest.fixture
def sandbox(make_sandbox) -> NetSuiteSandbox:
    return make_sandbox()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(sleeps: Sleeps):
    def make(target: NetSuiteSandbox | httpx.AsyncBaseTransport, *, credentials: NetSuiteCredentials = CREDS,
             **cfg: Any) -> NetSuiteClient:
        transport = target.transport() if isinstance(target, NetSuiteSandbox) else target
        settings = {"account_id": ACCOUNT, "max_retries": 6, **cfg}
        return NetSuiteClient(NetSuiteConfig(**settings), credentials, transport=transport,
                              backoff=Backoff(base=0.001, cap=0.004), sleep=sleeps)

    return make


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on, keeping each as sent (after signing)."""

    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def recording() -> Callable[[httpx.AsyncBaseTransport], Recording]:
    return Recording


def customers_fixture(count: int, *, start_id: int = 1001, modified: str = "2026-01-01T00:00:00Z",
                      subscriptions: bool = False) -> dict[str, list[dict[str, Any]]]:
    """A fixture of ``count`` plain customers (and no campaign subscriptions
    unless asked, to keep large fixtures quick to load)."""
    rows = [{"id": start_id + i, "firstname": f"First{i}", "lastname": f"Last{i}",
             "email": f"person{i}@example.com", "lastmodifieddate": modified} for i in range(count)]
    data: dict[str, list[dict[str, Any]]] = {"customer": rows}
    if not subscriptions:
        data["campaignsubscription"] = []
    return data


@pytest.fixture
def fixture_of() -> Callable[..., dict[str, list[dict[str, Any]]]]:
    return customers_fixture
