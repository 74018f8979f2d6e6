"""The in-process road from the real clients to the embedded sandboxes.

The sandboxes are served on an event loop of their own, in a background
thread, as a server would be: the caller's loop (the console's) waits for an
answer the way it waits for a socket, and keeps drawing and taking keys while
the sandbox works through SQLite.
"""

from __future__ import annotations

import asyncio
import threading

import httpx

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def server_loop() -> asyncio.AbstractEventLoop:
    """The embedded sandboxes' event loop (one per process, started on first use)."""
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="nstui-sandboxes", daemon=True).start()
            _loop = loop
        return _loop


class EmbeddedTransport(httpx.ASGITransport):
    """httpx's ASGI transport, with the app run on the sandboxes' own loop."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        served = asyncio.run_coroutine_threadsafe(super().handle_async_request(request), server_loop())
        return await asyncio.wrap_future(served)
