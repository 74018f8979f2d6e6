"""Transport rules both remote clients share: where credentials may go, how
long one call may take, how much of an answer is read, and what counts as
an answer at all.

- Credentials go only to the configured origin (scheme, host, port): the
  auth wrapper refuses to sign or send anything to another one, and a
  pagination link is followed only when it points at that origin.
- Live mode needs https, except for a loopback host (a local proxy, a test).
- One call has one deadline for everything: connecting, the headers and the
  whole body, so an answer that drips one byte a second ends at the
  deadline instead of resetting a per-read timeout for ever.
- A body is streamed and counted; past the cap the call ends (the rest is
  never read into memory).
- Redirects are not followed (an API answers, it does not redirect); a 3xx
  is an error of that call.

The deadline and the size cap raise subclasses of httpx's own transport
errors, so the clients' retry loops treat them like a timeout or a dropped
connection: retried, then a typed error of that page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from typing import Any, Generator
from urllib.parse import urlsplit

import httpx

#: Default cap on one answer's body (decoded), in bytes.
MAX_BODY_BYTES = 32 * 1024 * 1024


class DeadlineExceeded(httpx.TimeoutException):
    """The call (connect + headers + whole body) took longer than its deadline."""


class AnswerTooLarge(httpx.RemoteProtocolError):
    """The answer's body is larger than the cap."""


class ForeignOrigin(httpx.HTTPError):
    """A request (a pagination link, a redirect) pointing at another origin
    than the configured one: never sent with our credentials."""


class MalformedAnswer(ValueError):
    """The body is not the JSON, or not the shape, the API documents."""


Origin = tuple[str, str, int]


def origin_of(url: str | httpx.URL) -> Origin:
    parts = urlsplit(str(url))
    scheme = (parts.scheme or "").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def live_url_problem(url: str) -> str | None:
    """Why ``url`` may not carry live credentials, or None."""
    scheme, host, _ = origin_of(url)
    if scheme == "https" or (scheme == "http" and is_loopback(host)):
        return None
    return f"live mode needs https:// (plain http only to a loopback host), got {scheme}://{host}"


def local_link(link: str, base_url: str) -> str:
    """A server-supplied link (``_links.next``) made safe to follow: a path
    is taken as is; an absolute URL only when it has the base URL's origin,
    else ForeignOrigin (the credentials would go to another host)."""
    parts = urlsplit(link)
    if not parts.scheme and not parts.netloc:
        if not link.startswith("/"):
            raise ForeignOrigin(f"a link that is not a path: {link[:80]!r}")
        return link
    if origin_of(link) != origin_of(base_url):
        scheme, host, port = origin_of(link)
        raise ForeignOrigin(f"a link to another origin ({scheme}://{host}:{port}) was not followed")
    return parts.path + (f"?{parts.query}" if parts.query else "")


class OriginAuth(httpx.Auth):
    """Adds the inner auth's credentials only on requests to ``origin``;
    a request anywhere else is refused before it is sent."""

    def __init__(self, inner: httpx.Auth, base_url: str):
        self._inner = inner
        self._origin = origin_of(base_url)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if origin_of(request.url) != self._origin:
            scheme, host, port = origin_of(request.url)
            refused = ForeignOrigin(f"refused to send credentials to {scheme}://{host}:{port}")
            refused.request = request  # httpx.HTTPError takes the message only
            raise refused
        yield from self._inner.auth_flow(request)

    def __repr__(self) -> str:
        return f"OriginAuth({self._origin[0]}://{self._origin[1]}:{self._origin[2]}, <hidden>)"


def make_client(base_url: str, auth: httpx.Auth, *, transport: httpx.AsyncBaseTransport | None,
                deadline: float, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, auth=OriginAuth(auth, base_url), transport=transport,
        timeout=deadline, headers=headers, follow_redirects=False,
    )


async def fetch(http: httpx.AsyncClient, method: str, url: str, *, deadline: float,
                max_bytes: int = MAX_BODY_BYTES, **kw: Any) -> httpx.Response:
    """One request with a total deadline and a capped, streamed body."""
    request = http.build_request(method, url, **kw)
    try:
        async with asyncio.timeout(deadline):
            response = await http.send(request, stream=True)
            try:
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise AnswerTooLarge(f"answer of {declared} bytes (at most {max_bytes})", request=request)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise AnswerTooLarge(f"answer larger than {max_bytes} bytes", request=request)
                    chunks.append(chunk)
            finally:
                await response.aclose()
    except TimeoutError:
        raise DeadlineExceeded(f"no whole answer within {deadline:g}s", request=request) from None
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=b"".join(chunks), request=request)


def json_body(response: httpx.Response, shape: type = dict) -> Any:
    """The JSON body, of the top-level ``shape`` expected; MalformedAnswer else."""
    try:
        body = json.loads(response.content)
    except ValueError:
        raise MalformedAnswer(f"answered {response.status_code} with a body that is not JSON "
                              f"({len(response.content)} bytes)") from None
    if not isinstance(body, shape):
        raise MalformedAnswer(f"answered a JSON {type(body).__name__} where a {shape.__name__} was expected")
    return body
