"""Throttling, server errors and dropped connections: retried with backoff,
honouring Retry-After, bounded, and never losing or doubling a row."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from nstui.netsuite.errors import (
    NetSuiteRateLimited,
    NetSuiteServerError,
    NetSuiteValidationError,
)
from nstui.netsuite.retry import Backoff, retry_after

from .conftest import REALM, SECRETS


@pytest.mark.parametrize("throttle, error", [(0.3, 0.0), (0.0, 0.3), (0.15, 0.15), (0.3, 0.3)])
async def test_every_row_exactly_once_under_faults(make_sandbox, make_client, fixture_of, throttle, error):
    sandbox = make_sandbox(fixture=fixture_of(3000), throttle_rate=throttle, error_rate=error)
    async with make_client(sandbox, max_retries=12) as client:
        ids = [int(r["id"]) async for r in client.suiteql("SELECT id FROM customer ORDER BY id", page_size=100)]
        keyed = [int(r["id"]) for p in [p async for p in client.keyset_pages(
            select="c.email", from_="customer c", key_time="c.lastmodifieddate", key_id="c.id",
            since=None, page_size=250)] for r in p]
        assert client.calls["retry"] > 0
        assert client.calls["suiteql"] == 30 + 12
    assert ids == keyed == list(range(1001, 4001))


async def test_retry_after_seconds_is_honoured(make_sandbox, make_client, sleeps):
    sandbox = make_sandbox(throttle_rate=0.5)
    sandbox.retry_after = "7"
    async with make_client(sandbox, max_retries=12) as client:
        [r async for r in client.suiteql("SELECT id FROM customer", page_size=10)]
        assert client.calls["retry"] == len(sleeps) > 0
    assert set(sleeps) == {7.0}


async def test_retry_after_http_date_is_honoured(make_sandbox, make_client, sleeps):
    sandbox = make_sandbox(throttle_rate=0.5)
    sandbox.retry_after = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    async with make_client(sandbox, max_retries=12) as client:
        [r async for r in client.suiteql("SELECT id FROM customer", page_size=10)]
    assert sleeps and all(20 <= s <= 31 for s in sleeps)


async def test_backoff_without_retry_after_grows_with_jitter(make_sandbox, make_client, sleeps):
    sandbox = make_sandbox(error_rate=1.0)
    async with make_client(sandbox, max_retries=5) as client:
        client.backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(1))
        with pytest.raises(NetSuiteServerError):
            await client.ping()
    assert len(sleeps) == 5
    for attempt, wait in enumerate(sleeps, start=1):
        ceiling = min(8.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(sleeps)) == 5


@pytest.mark.parametrize("throttle, error, exc", [(1.0, 0.0, NetSuiteRateLimited), (0.0, 1.0, NetSuiteServerError)])
async def test_gives_up_after_max_retries(make_sandbox, make_client, throttle, error, exc):
    sandbox = make_sandbox(throttle_rate=throttle, error_rate=error)
    async with make_client(sandbox, max_retries=3) as client:
        with pytest.raises(exc) as caught:
            await client.get_record("customer", 1001)
        assert client.calls["record.get"] == 1 and client.calls["retry"] == 3
    assert sandbox.requests["record.get"] == 4
    assert REALM in str(caught.value) and "after the retries" in str(caught.value)


async def test_validation_errors_are_not_retried(sandbox, make_client):
    async with make_client(sandbox) as client:
        with pytest.raises(NetSuiteValidationError) as caught:
            await client.patch_record("customer", 1001, {"shoeSize": 42})
        assert client.calls["retry"] == 0
    assert caught.value.status == 400 and "shoeSize" in caught.value.detail


class Flaky(httpx.AsyncBaseTransport):
    """Drops the requests ``drop`` picks (by number, from 1): before they reach
    the sandbox, or, with ``after``, once the sandbox did the work (a lost answer)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, drop, *, after: bool = False,
                 error: type[Exception] = httpx.ReadError):
        self.inner, self.drop, self.after, self.error = inner, drop, after, error
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if not self.drop(self.count):
            return await self.inner.handle_async_request(request)
        if self.after:
            await self.inner.handle_async_request(request)
        raise self.error("connection dropped", request=request)


@pytest.mark.parametrize("error", [httpx.ReadError, httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError])
async def test_dropped_connections_and_timeouts_are_retried(make_sandbox, make_client, fixture_of, error):
    sandbox = make_sandbox(fixture=fixture_of(500))
    async with make_client(Flaky(sandbox.transport(), lambda n: n % 3 == 0, error=error)) as client:
        ids = [int(r["id"]) async for r in client.suiteql("SELECT id FROM customer ORDER BY id", page_size=50)]
        assert client.calls["retry"] > 0
    assert ids == list(range(1001, 1501))


async def test_a_create_whose_answer_was_lost_is_not_made_twice(sandbox, make_client):
    lost_first = Flaky(sandbox.transport(), lambda n: n == 1, after=True)
    async with make_client(lost_first) as client:
        # no email: only the upsert by external ID, not duplicate detection, can stop a second record
        new_id = await client.create_record("contact", {"firstName": "Ann", "lastName": "Lost"})
        assert client.calls["record.create"] == 1 and client.calls["retry"] == 1
    assert sandbox.requests["record.upsert"] == 2  # the sandbox saw both tries...
    assert sandbox.query("SELECT id FROM contact WHERE lastname = 'Lost'") == [{"id": new_id}]  # ...made one


async def test_no_answer_at_all_raises_a_server_error(sandbox, make_client):
    async with make_client(Flaky(sandbox.transport(), lambda n: True), max_retries=2) as client:
        with pytest.raises(NetSuiteServerError) as caught:
            await client.ping()
    assert caught.value.status == 0 and "ReadError" in str(caught.value)


async def test_retry_logs_hold_no_secret(make_sandbox, make_client, caplog):
    sandbox = make_sandbox(throttle_rate=0.5)
    with caplog.at_level(logging.DEBUG):
        async with make_client(sandbox, max_retries=12) as client:
            [r async for r in client.suiteql("SELECT id FROM customer", page_size=10)]
    assert "retry" in caplog.text
    for secret in SECRETS:
        assert secret not in caplog.text


def test_retry_after_parsing():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert retry_after("3") == 3.0
    assert retry_after("0.5") == 0.5
    assert retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90.0
    assert retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now=now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
    assert Backoff(retry_after_cap=60).delay(1, 3600) == 60
