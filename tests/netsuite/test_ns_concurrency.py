"""Requests in flight: never more than the client's ``concurrency``; and the
sandbox enforces the account's own limit with 429."""

from __future__ import annotations

import asyncio

import pytest

from nstui.netsuite.retry import Backoff


async def hammer(client, n: int = 12) -> None:
    async def one(i: int) -> None:
        if i % 3:
            await client.get_record("customer", 1001 + i)
        else:
            [r async for r in client.suiteql("SELECT id FROM customer", page_size=20)]

    await asyncio.gather(*(one(i) for i in range(n)))


@pytest.mark.parametrize("concurrency", [1, 2, 3])
async def test_never_more_than_concurrency_in_flight(make_sandbox, make_client, concurrency):
    sandbox = make_sandbox(latency_ms=3)
    async with make_client(sandbox, concurrency=concurrency) as client:
        await hammer(client)
        assert client.calls["retry"] == 0
    assert sandbox.in_flight_max == concurrency  # reached, never passed


async def test_sandbox_refuses_beyond_the_accounts_limit_and_the_client_recovers(make_sandbox, make_client):
    sandbox = make_sandbox(latency_ms=1, concurrency_limit=1)
    async with make_client(sandbox, concurrency=3, max_retries=20) as client:
        client.backoff = Backoff(base=0.002, cap=0.02)  # patience for ~0.4 s of 429s
        await hammer(client)
        assert client.calls["retry"] > 0  # 429 CONCURRENCY_LIMIT_EXCEEDED, retried
    assert sandbox.in_flight_max > 1
    assert sandbox.requests["record.get"] == 8  # every call got through in the end, once


async def test_the_default_is_the_seeds_single_api_thread(make_sandbox, make_client):
    sandbox = make_sandbox(latency_ms=2)
    async with make_client(sandbox) as client:
        assert client.cfg.concurrency == 1
        await hammer(client, 6)
    assert sandbox.in_flight_max == 1
