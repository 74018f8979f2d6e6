"""Benchmarks of nstui (not tests): figures are printed, never asserted.

    .venv/bin/python bench/run_all.py [--records 2000 10000] [--latency-ms 0]

For each size: generate the sandboxes, run a first full sync of customers and
contacts, change 10 customers, run again; print records/s, API calls per
system, how long the event loop stalled during the first sync (the console
shares the loop with the engine), and the peak resident memory. Then the start-up time of
`nstui validate`.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nstui.config import ConfigFile  # noqa: E402
from nstui.connections import open_sandboxes  # noqa: E402
from nstui.engine import Engine  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def one_size(records: int, latency_ms: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = Path(tmp) / "nstui.toml"
        cfg_path.write_text((ROOT / "sample_config.toml").read_text())
        cfg = ConfigFile.load(cfg_path)
        cfg.set("sandbox.records", records)
        cfg.set("sandbox.latency_ms", latency_ms)
        cfg.set("state.path", "state.sqlite")
        cfg.save()
        t0 = time.perf_counter()
        boxes = open_sandboxes(cfg)
        gen = time.perf_counter() - t0
        try:
            engine = Engine(cfg, sandboxes=boxes)
            stalls: list[float] = []
            ticking = asyncio.create_task(tick(stalls))
            t0 = time.perf_counter()
            first = await engine.run_once(["customers", "contacts"])
            t_first = time.perf_counter() - t0
            ticking.cancel()
            ids = [r["id"] for r in boxes.netsuite.query("SELECT id FROM customer WHERE email LIKE '%@%.%' AND globalsubscriptionstatus = 1 LIMIT 10")]
            for i in ids:
                boxes.netsuite.update("customer", i, firstname=f"Bench{i}")
            t0 = time.perf_counter()
            second = await engine.run_once(["customers", "contacts"])
            t_second = time.perf_counter() - t0
            t0 = time.perf_counter()
            items = await engine.run_once(["items", "orders"])
            t_items = time.perf_counter() - t0
        finally:
            boxes.close()
        read = first.total.read
        print(f"\n== {records} customers (+{records // 2} contacts), latency {latency_ms} ms")
        print(f"generate sandboxes       {gen:8.2f} s")
        print(f"first sync               {t_first:8.2f} s  {read / t_first:8.0f} records/s  "
              f"written {first.total.written}  API calls {first.api_calls}")
        stalls.sort()
        if stalls:
            print(f"event-loop stalls           max {stalls[-1] * 1000:5.0f} ms  p99 {stalls[int(len(stalls) * 0.99)] * 1000:4.0f} ms"
                  "  (what the console would feel during that sync)")
        print(f"incremental (10 changed) {t_second:8.2f} s  read {second.total.read}  written {second.total.written}  API calls {second.api_calls}")
        print(f"items + orders           {t_items:8.2f} s  written {items.total.written}  API calls {items.api_calls}")
        print(f"peak RSS so far          {peak_rss_mb():8.1f} MB")


async def tick(stalls: list[float]) -> None:
    """How late a 10 ms timer fires while the engine runs in the same loop."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        stalls.append(max(0.0, time.perf_counter() - t - 0.01))


def startup() -> None:
    t0 = time.perf_counter()
    for _ in range(5):
        subprocess.run([sys.executable, "-m", "nstui.cli", "validate", str(ROOT / "sample_config.toml")],
                       check=True, capture_output=True)
    print(f"\nstart-up: `nstui validate` {((time.perf_counter() - t0) / 5) * 1000:.0f} ms per call")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, nargs="+", default=[2000, 10000])
    p.add_argument("--latency-ms", type=float, default=0.0)
    args = p.parse_args()
    for n in args.records:
        asyncio.run(one_size(n, args.latency_ms))
    startup()


if __name__ == "__main__":
    main()
