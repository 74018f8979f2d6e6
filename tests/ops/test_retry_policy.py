"""The one retry policy both clients use (nstui/retry.py): what is retried,
how long it waits (the server's word wins, capped), when it gives up."""

from __future__ import annotations

import random

import httpx
import pytest

from nstui import retry
from nstui.marketing import client as marketing_client
from nstui.netsuite import client as netsuite_client
from nstui.retry import Backoff, RetryLater, retrying


def _answer(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "http://127.0.0.1/x"))


async def _run(outcomes: list[object], *, max_retries: int, backoff: Backoff | None = None) -> tuple[list[float], list[str], object]:
    sleeps: list[float] = []
    retried: list[str] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    def on_retry(number: int, failure: BaseException, wait: float) -> None:
        retried.append(f"{number}:{retry.describe(failure)}:{wait}")

    pending = list(outcomes)
    result: object = None
    async for attempt in retrying(max_retries=max_retries, backoff=backoff or Backoff(rng=random.Random(3)),
                                  sleep=sleep, on_retry=on_retry):
        with attempt:
            item = pending.pop(0)
            if isinstance(item, BaseException):
                raise item
            result = item
    return sleeps, retried, result


async def test_server_wait_wins_and_is_capped() -> None:
    sleeps, retried, result = await _run(
        [RetryLater(_answer(429), 7.0), RetryLater(_answer(503), 9999.0), httpx.ConnectError("refused"), "done"],
        max_retries=5, backoff=Backoff(base=1.0, cap=8.0, rng=random.Random(1)))
    assert result == "done"
    assert sleeps[:2] == [7.0, 300.0]
    assert 2.0 <= sleeps[2] <= 4.0  # third retry, no hint: equal jitter in [ceiling/2, ceiling]
    assert [r.split(":")[1] for r in retried] == ["429", "503", "ConnectError"]


async def test_gives_up_after_max_retries_with_the_last_failure() -> None:
    last = RetryLater(_answer(502))
    with pytest.raises(RetryLater) as caught:
        await _run([RetryLater(_answer(500)), RetryLater(_answer(503)), last, "never"], max_retries=2)
    assert caught.value is last


async def test_other_errors_are_not_retried() -> None:
    with pytest.raises(ValueError):
        await _run([ValueError("a 4xx as a typed error"), "never"], max_retries=5)


def test_both_clients_share_the_policy() -> None:
    assert netsuite_client.retrying is marketing_client.retrying is retry.retrying
    assert netsuite_client.Backoff is marketing_client.Backoff is retry.Backoff
