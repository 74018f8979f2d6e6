"""All benchmarks (figures printed, never asserted), then one table with the
goal beside each figure.

    .venv/bin/python bench/run_all.py            # make bench: 100,000 records, ~10 minutes
    .venv/bin/python bench/run_all.py --quick    # 10,000 records instead of 100,000

Each figure is one command (shown in the table's last column) run in a
process of its own. The machine is shared, so the figures that compare two
things are ratios taken in this one run: wall / floor (a side's requests one
after another at the sandbox's latency, counted in the same sync) and
nstui / the simplest pipeline (run just before it, on the same sandboxes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(*args: str) -> dict:
    cmd = [sys.executable, str(HERE / args[0]), *args[1:]]
    print("$ " + " ".join(["bench/" + args[0], *args[1:]]), flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    figures = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            figures = json.loads(line[6:])
        else:
            print("  " + line, flush=True)
    figures["cmd"] = "bench/" + " ".join(args)
    return figures


def ratio(sync: dict) -> float:
    return sync["wall_s"] / max(max(sync["floors_s"].values()), 1e-9)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="10,000 records instead of 100,000 for the large sync")
    big = 10_000 if p.parse_args().quick else 100_000
    rows: list[tuple[str, str, str, str]] = []

    big_sync = run("first_sync.py", "--records", str(big), "--incremental", "--items")
    rows.append((f"first sync {big:,} @0 ms: wall", f"{big_sync['wall_s']:.1f} s", "< 60 s", big_sync["cmd"]))
    rows.append(("  engine + client CPU per record", f"{big_sync['cpu_ms_per_record']:.3f} ms", "< 0.25 ms", ""))
    rows.append(("  process CPU (sandboxes too)", f"{big_sync['process_cpu_s']:.1f} s", "-", ""))
    rows.append(("  peak RSS", f"{big_sync['peak_rss_mb']:.0f} MB", "< 200 MB, flat", ""))
    rows.append(("  10 ms timer late during the sync, p99 / max",
                 f"{big_sync['stall_p99_ms']:.0f} / {big_sync['stall_max_ms']:.0f} ms", "-", ""))
    io = big_sync["items_orders"]
    rows.append((f"  then items + orders ({io['written']:,} written)", f"{io['wall_s']:.1f} s", "-", "... --items"))

    incr = {}
    for n in (2000, 10_000):
        s = big_sync if n == big else run("first_sync.py", "--records", str(n), "--incremental")
        incr[n] = s
        if n == 10_000 and n != big:
            rows.append(("first sync 10,000 @0 ms: wall", f"{s['wall_s']:.1f} s", "-", s["cmd"]))
            rows.append(("  engine + client CPU per record", f"{s['cpu_ms_per_record']:.3f} ms", "< 0.25 ms", ""))
            rows.append(("  peak RSS", f"{s['peak_rss_mb']:.0f} MB", "< 200 MB, flat", ""))
    incr[big] = big_sync
    calls = " / ".join(str(incr[n]["incremental"]["calls"]["marketing"]) for n in sorted(incr))
    ns_calls = " / ".join(str(incr[n]["incremental"]["calls"]["netsuite"]) for n in sorted(incr))
    sizes = " / ".join(f"{n // 1000}k" for n in sorted(incr))
    rows.append((f"first incremental, marketing calls {sizes}", calls, "independent of size", "... --incremental"))
    rows.append((f"first incremental, NetSuite calls {sizes}", ns_calls, "independent of size", ""))

    # 2,000 records: NetSuite reads each record's subscriptions with a GET of
    # its own (no bulk read is documented), so at 10,000 and 50 ms the
    # NetSuite floor alone is ~12 minutes; the ratio is what this figure shows.
    for latency in (50, 20):
        s = run("first_sync.py", "--records", "2000", "--latency-ms", str(latency))
        f = s["floors_s"]
        rows.append((f"2,000 @{latency} ms: wall / larger floor", f"{ratio(s):.2f}x",
                     "<= 1.2x", s["cmd"]))
        rows.append(("  wall; floors NetSuite / marketing",
                     f"{s['wall_s']:.1f} s; {f['netsuite']:.1f} / {f['marketing']:.1f} s", "-", ""))

    nstui = incr[10_000]
    for paging in ("keyset", "offset"):
        ref = run("simplest.py", "--records", "10000", "--paging", paging)
        rows.append((f"nstui / simplest pipeline ({paging}) @10,000", f"{nstui['wall_s'] / ref['wall_s']:.1f}x",
                     "<= 2x" if paging == "keyset" else "-", ref["cmd"]))

    console = run("console.py", "--records", "2000", "--keys", "100")
    rows.append(("console first paint (nstui demo)", f"{console['first_paint_ms']:.0f} ms", "< 1 s", console["cmd"]))
    rows.append(("  key to screen during a 2,000-record sync, p99", f"{console['key_p99_ms']:.0f} ms", "-", ""))

    up = run("startup.py")
    rows.append(("start-up of `nstui validate`", f"{up['validate_ms']} ms", "-", up["cmd"]))

    sb = run("sandbox.py", "--records", "20000")
    rows.append(("SuiteQL keyset page of 1,000, last / first", f"{sb['last_page_ms'] / sb['first_page_ms']:.2f}x",
                 "~1x (O(page))", sb["cmd"]))
    rows.append(("  TO_CHAR per row (strptime before)", f"{sb['to_char_us']:.1f} µs ({sb['strptime_to_char_us']:.1f})",
                 "no per-row parsing", ""))

    con = run("console.py", "--records", "10000")
    rows.append(("console: first paint of `nstui demo`", f"{con['first_paint_ms']:.0f} ms", "< 1 s", con["cmd"]))
    rows.append(("  key to screen during a 10,000 sync, p99", f"{con['key_p99_ms']:.0f} ms", "< 100 ms", ""))
    rows.append(("  screen switch during it, worst", f"{con['switch_max_ms']:.0f} ms", "< 150 ms", ""))
    rows.append(("  idle CPU after it", f"{con['idle_cpu_pct']:.1f} %", "< 1 %", ""))

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{big_sync['load']} at the start of the large sync")
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':>22}  {'goal':<20}  command")
    for name, value, goal, cmd in rows:
        print(f"{name:<{width}}  {value:>22}  {goal:<20}  {cmd}")


if __name__ == "__main__":
    main()
