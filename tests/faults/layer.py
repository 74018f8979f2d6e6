"""A fault layer in front of a sandbox, served over real HTTP on 127.0.0.1.

Each request draws (seeded) whether it meets a fault and which one. Some
faults stop the request before the sandbox sees it (429, 503, a hang past
the client's deadline, a redirect elsewhere, a hostile error page); the
others let the sandbox do the work and spoil the answer on the way back (a
dropped connection, a slow drip, an oversized body, truncated JSON, a JSON
array, a wrongly shaped object): the write happened but its answer is lost,
which is what idempotent writes must survive.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn

#: What a hostile error page carries: a window-title change, a screen clear.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mERROR\x9b1m"

BEFORE = ("429", "503", "hang", "redirect", "hostile")
AFTER = ("drop", "drip", "oversized", "truncated", "array", "shape", "foreign", "notfinished", "badrows",
         "nonsense")
#: What the random faults draw from (foreign links and endless imports have tests of their own).
RANDOM = ("429", "503", "hang", "redirect", "hostile", "drop", "drip", "oversized", "truncated", "array", "shape")
KINDS = RANDOM


@dataclass
class FaultLayer:
    app: Any
    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = KINDS
    #: The clients' deadline: a hang or a drip lasts past it.
    deadline: float = 0.2
    #: The clients' body cap in bytes: an oversized answer is past it.
    max_bytes: int = 1 << 20
    injected: Counter = field(default_factory=Counter)
    #: Only requests whose path starts with one of these meet faults (all when empty).
    paths: tuple[str, ...] = ()
    #: At most this many faults (None: no limit).
    budget: int | None = None
    #: Where a "foreign" fault points the next-page link (another origin).
    trap: str = "http://127.0.0.1:9"
    #: The first this many requests that could meet a fault pass untouched.
    skip: int = 0
    #: What a "nonsense" fault spoils in the first row: its "values" (all but
    #: the keyset paging's id and lastmodifieddate) or those "keys".
    nonsense: str = "values"

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self, path: str) -> str | None:
        if not self.rate or (self.paths and not path.startswith(self.paths)):
            return None
        if self.budget is not None and sum(self.injected.values()) >= self.budget:
            return None
        if self.skip > 0:
            self.skip -= 1
            return None
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.kinds)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        kind = self.draw(scope["path"])
        if kind is None:
            return await self.app(scope, receive, send)
        self.injected[kind] += 1
        if kind in BEFORE:
            return await self._before(kind, send)
        status, headers, body = await self._capture(scope, receive)
        await self._after(kind, send, status, headers, body)

    async def _before(self, kind: str, send: Any) -> None:
        if kind == "429":
            await _answer(send, 429, b'{"message":"slow down"}', [(b"retry-after", b"0")])
        elif kind == "503":
            await _answer(send, 503, b"<html>busy</html>", [(b"retry-after", b"0")], ctype=b"text/html")
        elif kind == "hang":
            await asyncio.sleep(self.deadline * 3)
            await _answer(send, 503, b"late", [(b"retry-after", b"0")])
        elif kind == "redirect":
            await _answer(send, 302, b"", [(b"location", b"http://127.0.0.1:9/elsewhere")])
        elif kind == "hostile":
            page = f"<html><title>{HOSTILE}</title>{HOSTILE} bad gateway</html>".encode()
            await _answer(send, 400, page, ctype=b"text/html")

    async def _capture(self, scope: dict, receive: Any) -> tuple[int, list, bytes]:
        parts: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def grab(message: dict) -> None:
            if message["type"] == "http.response.start":
                parts["status"] = message["status"]
                parts["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            elif message["type"] == "http.response.body":
                parts["body"] += message.get("body", b"")

        await self.app(scope, receive, grab)
        return parts["status"], parts["headers"], parts["body"]

    async def _after(self, kind: str, send: Any, status: int, headers: list, body: bytes) -> None:
        if kind == "drop":
            # Headers promise the whole body; half of it comes, then the connection ends.
            await send({"type": "http.response.start", "status": status,
                        "headers": headers + [(b"content-length", str(len(body) + 10).encode())]})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise ConnectionResetError("fault layer: connection dropped")
        if kind == "drip":
            await send({"type": "http.response.start", "status": status, "headers": headers})
            # One byte a quarter of the deadline, a dozen times: the answer takes
            # three deadlines, though no single read ever waits a whole one.
            for i in range(min(12, len(body))):
                await send({"type": "http.response.body", "body": body[i : i + 1], "more_body": True})
                await asyncio.sleep(self.deadline / 4)
            await send({"type": "http.response.body", "body": body[12:]})
            return
        if kind == "oversized":
            big = b'{"items": [], "pad": "' + b"x" * (self.max_bytes + 1024) + b'"}'
            return await _answer(send, status if status < 300 else 200, big)
        if kind == "truncated":
            return await _answer(send, status, body[: max(1, len(body) // 2)])
        if kind == "array":
            return await _answer(send, status, b"[]")
        if kind == "shape":
            return await _answer(send, status, b'{"items": "nope", "hasMore": "maybe"}')
        if kind == "foreign":  # a next-page link to another origin
            data = json.loads(body)
            data["_links"] = {**data.get("_links", {}), "next": {"marker": "x", "link": f"{self.trap}/contacts/v3?marker=x"}}
            return await _answer(send, status, json.dumps(data).encode())
        if kind == "badrows":  # the right shape, rows of nonsense
            data = json.loads(body)
            if isinstance(data, dict) and isinstance(data.get("items"), list):
                data["items"] = [{k: ({"x": 1} if k != "links" else v) for k, v in row.items()} for row in data["items"]]
            return await _answer(send, status, json.dumps(data).encode())
        if kind == "nonsense":  # the right shape, plain values of the wrong kind (an id "abc", a date that is none)
            data = json.loads(body)
            rows = data.get("items") if isinstance(data, dict) else None
            if isinstance(rows, list) and rows:
                keys = ("id", "lastmodifieddate")
                for name in [k for k in rows[0] if k != "links" and (k in keys) == (self.nonsense == "keys")]:
                    rows[0][name] = "31/02/2026 25:61" if "date" in name or name.endswith("_iso") else "abc"
            return await _answer(send, status, json.dumps(data).encode())
        if kind == "notfinished":  # an import job that never ends
            return await _answer(send, status, json.dumps({**json.loads(body), "status": "NotFinished"}).encode())


async def _answer(send: Any, status: int, body: bytes, headers: list | None = None,
                  ctype: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())] + (headers or [])})
    await send({"type": "http.response.body", "body": body})


class Served:
    """An ASGI app served by uvicorn on 127.0.0.1 (port 0) in a thread."""

    def __init__(self, app: Any):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off",
                                                    timeout_graceful_shutdown=0.1))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server did not start")
            threading.Event().wait(0.01)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()
