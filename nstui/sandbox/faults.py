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
