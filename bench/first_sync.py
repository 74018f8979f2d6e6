"""A first sync of customers + contacts through nstui's engine, then the
first incremental run after it.

    .venv/bin/python bench/first_sync.py --records 100000 [--latency-ms 0] [--incremental]

Prints wall time, the engine's and clients' CPU per record read (this thread
only: the embedded sandboxes answer from threads of their own), API calls per
side and each side's floor (its requests one after another at the latency),
peak RSS, how late a 10 ms timer fired during the sync; with --incremental,
the API calls of the next run (nothing changed but 10 customers); with
--items, a first sync of items and orders.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from common import config, floors, generate, peak_rss_mb, report, timed

from nstui.connections import open_sandboxes
from nstui.engine import Engine


async def main(records: int, latency_ms: float, incremental: bool, items: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(Path(tmp), records=records, latency_ms=latency_ms)
        generated = generate(cfg)
        boxes = open_sandboxes(cfg)
        rss_before = peak_rss_mb()
        try:
            engine = Engine(cfg, sandboxes=boxes)
            stalls: list[float] = []
            ticking = asyncio.create_task(tick(stalls))
            with timed() as t:
                first = await engine.run_once(["customers", "contacts"])
            ticking.cancel()
            stalls.sort()
            read = first.total.read
            figures = {
                "records": records, "latency_ms": latency_ms, "generate_s": round(generated, 2),
                "wall_s": round(t.wall, 2), "read": read, "written": first.total.written,
                "cpu_ms_per_record": round(t.cpu_main * 1000 / max(read, 1), 3),
                "process_cpu_s": round(t.cpu_all, 2), "calls": first.api_calls,
                "floors_s": floors(first.api_calls, latency_ms), "rss_before_sync_mb": round(rss_before, 1),
                "stall_max_ms": round(stalls[-1] * 1000, 1) if stalls else None,
                "stall_p99_ms": round(stalls[int(len(stalls) * 0.99)] * 1000, 1) if stalls else None,
            }
            print(f"first sync of {records} customers (+{records // 2} contacts) at {latency_ms} ms: "
                  f"{t.wall:.2f} s wall, {figures['cpu_ms_per_record']} ms CPU a record (engine + clients), "
                  f"API calls {first.api_calls}")
            if incremental:
                ids = [r["id"] for r in boxes.netsuite.query(
                    "SELECT id FROM customer WHERE email LIKE '%@%.%' AND globalsubscriptionstatus = 1 LIMIT 10")]
                for i in ids:
                    boxes.netsuite.update("customer", i, firstname=f"Bench{i}")
                with timed() as t2:
                    second = await engine.run_once(["customers", "contacts"])
                figures["incremental"] = {"wall_s": round(t2.wall, 2), "read": second.total.read,
                                          "written": second.total.written, "calls": second.api_calls}
                print(f"first incremental (10 changed): {t2.wall:.2f} s, read {second.total.read}, "
                      f"API calls {second.api_calls}")
            if items:
                with timed() as t3:
                    done = await engine.run_once(["items", "orders"])
                figures["items_orders"] = {"wall_s": round(t3.wall, 2), "written": done.total.written,
                                           "calls": done.api_calls}
                print(f"items + orders: {t3.wall:.2f} s, written {done.total.written}, API calls {done.api_calls}")
        finally:
            boxes.close()
        report(figures)


async def tick(stalls: list[float]) -> None:
    """How late a 10 ms timer fires while the engine runs in the same loop
    (what the console, which shares the loop, would feel)."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        stalls.append(max(0.0, time.perf_counter() - t - 0.01))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, default=10000)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--incremental", action="store_true")
    p.add_argument("--items", action="store_true", help="then a first sync of items and orders")
    a = p.parse_args()
    asyncio.run(main(a.records, a.latency_ms, a.incremental, a.items))
