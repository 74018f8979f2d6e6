"""The sandbox app over real HTTP (as `nstui sandbox serve` runs it with
uvicorn): the real client signs for http://127.0.0.1:PORT and is accepted."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from nstui.config import NetSuiteConfig
from nstui.netsuite.client import NetSuiteClient

from .conftest import ACCOUNT, CREDS, REALM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_served_over_http_with_uvicorn(sandbox):
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(sandbox.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        cfg = NetSuiteConfig(account_id=ACCOUNT, base_url=f"http://127.0.0.1:{port}")
        async with NetSuiteClient(cfg, CREDS) as client:
            assert await client.ping() == f"NetSuite {REALM}: OK"
            new_id = await client.create_record("contact", {"firstName": "Over", "lastName": "Http"})
            record = await client.get_record("contact", new_id)
            rows = [r async for r in client.suiteql("SELECT id FROM contact ORDER BY id", page_size=10)]
    finally:
        server.should_exit = True
        await task
    assert record["lastName"] == "Http"
    assert record["links"][0]["href"] == f"http://127.0.0.1:{port}/services/rest/record/v1/contact/{new_id}"
    assert rows[-1] == {"id": str(new_id)}
    assert sandbox.login_audit == []
