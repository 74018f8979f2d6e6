"""Latency and fault injection shared by both sandboxes, seeded so tests repeat."""

from __future__ import annotations

import asyncio
import random
from typing import Literal

from nstui.config import SandboxConfig

Outcome = Literal["ok", "throttle", "error"]


class Faults:
    def __init__(self, cfg: SandboxConfig, salt: str):
        self.latency_s = cfg.latency_ms / 1000.0
        self.error_rate = cfg.error_rate
        self.throttle_rate = cfg.throttle_rate
        self._rng = random.Random(f"{cfg.seed}:{salt}")

    def configure(self, *, latency_ms: float | None = None, error_rate: float | None = None,
                  throttle_rate: float | None = None) -> None:
        """Tests change the rates of a running sandbox."""
        if latency_ms is not None:
            self.latency_s = latency_ms / 1000.0
        if error_rate is not None:
            self.error_rate = error_rate
        if throttle_rate is not None:
            self.throttle_rate = throttle_rate

    # -- lost answers: the write is made, its answer never arrives whole --------

    lost_answers: float = 0.0
    lost_kind: str = "mixed"  # "drop" (the connection), "garbage" (a 200 that is no JSON), or both

    def lose_answers(self, rate: float, kind: str = "mixed") -> None:
        """Tests: lose the answer of this share of writes, after they were applied."""
        self.lost_answers, self.lost_kind = rate, kind
        self._lost_rng = random.Random(f"lost:{rate}:{kind}")
        self.answers_lost = 0

    def lost_answer(self, method: str, path: str) -> str | None:
        """Whether (and how) to lose the answer of a request that was served.
        Only writes: reads (GET, and SuiteQL's POST) are left alone."""
        if not self.lost_answers or method == "GET" or "/query/" in path:
            return None
        if self._lost_rng.random() >= self.lost_answers:
            return None
        self.answers_lost += 1
        if self.lost_kind == "mixed":
            return "drop" if self._lost_rng.random() < 0.5 else "garbage"
        return self.lost_kind

    async def delay(self) -> None:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)

    def roll(self) -> Outcome:
        """One draw per request: throttled, failed with a 5xx, or served."""
        r = self._rng.random()
        if r < self.throttle_rate:
            return "throttle"
        if r < self.throttle_rate + self.error_rate:
            return "error"
        return "ok"


# -- kill knob (the kill suite): die at an exact point of the write path ------
#
# ``NSTUI_KILL_AT="write:7"`` SIGKILLs the process the 7th time the engine
# passes the ``write`` window (after a remote write, before its state commit);
# the windows are ``intent`` (intents committed, nothing written yet),
# ``write`` and ``commit`` (a page's state committed). Read once per process;
# only the embedded sandboxes' runs consult it.

_kill_at: tuple[str, int] | bool | None = False
_passed: dict[str, int] = {}


def _kill_spec() -> tuple[str, int] | None:
    global _kill_at
    if _kill_at is False:
        import os

        spec = os.environ.get("NSTUI_KILL_AT", "")
        window, _, nth = spec.partition(":")
        _kill_at = (window, int(nth)) if window and nth.isdigit() else None
    return _kill_at  # type: ignore[return-value]


def crash_window(window: str) -> None:
    spec = _kill_spec()
    if spec is None or spec[0] != window:
        return
    _passed[window] = _passed.get(window, 0) + 1
    if _passed[window] == spec[1]:
        import os
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def spoil(kind: str) -> object:
    """The answer a lost one becomes: a dropped connection (raised to the
    client's transport, as httpx raises it), or a 200 whose body is a proxy's
    page."""
    import httpx
    from starlette.responses import Response

    if kind == "drop":
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
    return Response("<html><body>502 Bad Gateway</body></html>", status_code=200, media_type="text/html")
