"""The in-process road from the real clients to the embedded sandboxes."""

from __future__ import annotations

import asyncio

import httpx


class EmbeddedTransport(httpx.ASGITransport):
    """httpx's ASGI transport, giving the event loop a turn per request.

    Over a socket every request waits for the network, and the event loop
    runs the rest of the program meanwhile. In process nothing waits: a whole
    sync would run without once letting the console redraw or take a key.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return await super().handle_async_request(request)
