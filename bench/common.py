"""What the bench commands share: a configuration in a temporary folder on
the embedded sandboxes, and the figures every command prints.

Each command prints human lines, then one line ``BENCH {json}`` that
``run_all.py`` reads into its table. Nothing here is asserted: the machine is
shared, so ``run_all`` sets the figures that must be compared side by side
(wall / floor, nstui / simplest pipeline) from one run.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nstui.config import ConfigFile  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def config(folder: Path, *, records: int, latency_ms: float = 0.0) -> ConfigFile:
    """The sample configuration on fresh sandboxes of ``records`` customers."""
    from importlib.resources import files

    path = folder / "nstui.toml"
    path.write_text(files("nstui").joinpath("sample_config.toml").read_text())
    cfg = ConfigFile.load(path)
    cfg.set("sandbox.records", records)
    cfg.set("sandbox.latency_ms", latency_ms)
    cfg.set("state.path", "state.sqlite")
    cfg.save()
    return ConfigFile.load(path)


def generate(cfg: ConfigFile) -> float:
    """Generate the sandboxes in a child process, so that this one's peak RSS
    is the sync's alone; returns the seconds it took."""
    import subprocess

    code = ("import sys; sys.path.insert(0, sys.argv[1]); from nstui.config import ConfigFile; "
            "from nstui.connections import open_sandboxes; open_sandboxes(ConfigFile.load(sys.argv[2])).close()")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(cfg.path)], check=True)
    return time.perf_counter() - t0


@dataclass
class Timing:
    """Wall time, this thread's CPU (the engine and the clients: the embedded
    sandboxes run on threads of their own) and the whole process's CPU."""

    wall: float = 0.0
    cpu_main: float = 0.0
    cpu_all: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@contextmanager
def timed() -> Iterator[Timing]:
    t = Timing()
    w, c, p = time.perf_counter(), time.thread_time(), time.process_time()
    try:
        yield t
    finally:
        t.wall = time.perf_counter() - w
        t.cpu_main = time.thread_time() - c
        t.cpu_all = time.process_time() - p


def floors(calls: dict[str, int], latency_ms: float) -> dict[str, float]:
    """The API floor of each side: its requests, one after another, at the latency."""
    return {side: n * latency_ms / 1000 for side, n in calls.items()}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def report(figures: dict[str, Any]) -> None:
    figures.setdefault("load", load())
    figures.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    print("BENCH " + json.dumps(figures, default=str), flush=True)
