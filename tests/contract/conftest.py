"""The contract tests run the engine as the engine tests do (real clients,
embedded sandboxes), with every request and answer recorded on the way."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from engine.conftest import make_env  # noqa: F401  (the fixture, shared; tests/ is the import root)


@dataclass
class Exchange:
    request: httpx.Request
    response: httpx.Response


class Recorder(httpx.AsyncBaseTransport):
    """Passes each request on and keeps it with its answer (body read)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, log: list[Exchange]):
        self.inner, self.log = inner, log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.log.append(Exchange(request, response))
        return response


@pytest.fixture
def recorded_env(make_env):  # noqa: F811
    """make_env, and the exchanges of each side: ``env.ns_log``, ``env.mk_log``."""
    def make(**overrides):
        env = make_env(**overrides)
        env.ns_log, env.mk_log = [], []
        ns_transport, mk_transport = env.ns.transport, env.mk.transport
        env.ns.transport = lambda: Recorder(ns_transport(), env.ns_log)
        env.mk.transport = lambda: Recorder(mk_transport(), env.mk_log)
        return env
    return make
