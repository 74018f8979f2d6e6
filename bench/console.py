"""The console as an admin over SSH feels it: a real `nstui demo` in a
pseudo-terminal (80x24, TERM=xterm: 16 colours), keys written to it, the
time until its answer is drawn.

    .venv/bin/python bench/console.py [--records 10000] [--keys 200]

Prints: first paint (start to screen 1 drawn, median of 3), then during a
sync of --records customers (+ half as many contacts): key-to-screen latency
(a cursor move on screen 1: p50, p99, worst) and screen switches (1 <-> 2),
then the console's CPU while idle after the sync. Figures only; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NSTUI = [sys.executable, "-m", "nstui.cli"]


class Terminal:
    def __init__(self, args: list[str], cwd: Path):
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "80", "LINES": "24", "TEXTUAL_ANIMATIONS": "none"}
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.out = b""

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:
            return b""
        self.out += chunk
        return chunk

    def drain(self, quiet: float = 0.3) -> None:
        """Read until nothing has come for ``quiet`` seconds."""
        while self.read(quiet):
            pass

    def wait_for(self, text: bytes, timeout: float = 120) -> float:
        start = time.perf_counter()
        end = start + timeout
        while text not in self.out:
            if time.perf_counter() > end:
                raise TimeoutError(f"{text!r} never drawn")
            self.read(0.05)
        return time.perf_counter() - start

    def key(self, data: bytes, until: bytes | None = None, timeout: float = 10) -> float:
        """Seconds from writing ``data`` to the first answer drawn (or to ``until``)."""
        self.out = b""
        start = time.perf_counter()
        os.write(self.master, data)
        end = start + timeout
        while True:
            if (until is None and self.out) or (until is not None and until in self.out):
                return time.perf_counter() - start
            if time.perf_counter() > end:
                return float("inf")
            self.read(0.02)

    def cpu_ticks(self, thread: bool = False) -> int:
        """CPU of the console's process (its sync's child not included), or of its main thread only."""
        where = f"/proc/{self.proc.pid}/task/{self.proc.pid}/stat" if thread else f"/proc/{self.proc.pid}/stat"
        fields = Path(where).read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.master)


def first_paint(records: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the console) from start to screen 1 drawn.
    The CPU figure does not depend on how busy the shared machine is."""
    with tempfile.TemporaryDirectory() as tmp:
        term = Terminal([*NSTUI, "demo", "--records", str(records)], Path(tmp))
        try:
            start = time.perf_counter()
            term.wait_for(b"Campaign Subscriptions")
            wall = time.perf_counter() - start
            return wall, term.cpu_ticks() / os.sysconf("SC_CLK_TCK")
        finally:
            term.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def during_sync(records: int, keys: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        term = Terminal([*NSTUI, "demo", "--records", str(records)], Path(tmp))
        try:
            term.wait_for(b"Campaign Subscriptions")
            term.wait_for(b"Newsletter")
            term.drain(1.0)
            term.key(b"4")
            term.drain(0.5)
            term.key(b"r")
            term.wait_for(b"in progress", timeout=30)
            term.key(b"1", until=b"Campaign")
            term.drain(0.2)
            latencies, switches = [], []
            sync_start = time.perf_counter()
            main_cpu = term.cpu_ticks(thread=True)
            for i in range(keys):
                # Whatever is still being drawn is read first, so the answer
                # timed is this key's: the two rows whose highlight moved.
                term.drain(0.05)
                latencies.append(term.key(b"\x1b[B" if i % 2 == 0 else b"\x1b[A", until=b"Product Updates"))
                if i % 20 == 10:
                    term.drain(0.05)
                    switches.append(term.key(b"2", until=b"CAN-SPAM"))
                    term.drain(0.05)
                    switches.append(term.key(b"1", until=b"Campaign Subscriptions:"))
            keys_s = time.perf_counter() - sync_start
            # The console's own thread: what answering the keys cost, whatever the machine's load.
            main_cpu = (term.cpu_ticks(thread=True) - main_cpu) / os.sysconf("SC_CLK_TCK")
            load_during = os.getloadavg()[0]
            # The sync goes on; wait for it to finish, then measure the console idle.
            term.key(b"4")
            term.out = b""
            deadline = time.perf_counter() + 900
            while b"Last run" not in term.out and time.perf_counter() < deadline:
                term.read(0.5)
            term.drain(2.0)
            t0, c0 = time.perf_counter(), term.cpu_ticks()
            written = 0
            end = t0 + 10
            while time.perf_counter() < end:
                written += len(term.read(0.5))
            idle_cpu = (term.cpu_ticks() - c0) / os.sysconf("SC_CLK_TCK") / (time.perf_counter() - t0) * 100
        finally:
            term.close()
    return {"key_p50_ms": pct(latencies, 0.5) * 1000, "key_p99_ms": pct(latencies, 0.99) * 1000,
            "key_max_ms": max(latencies) * 1000, "keys": len(latencies), "keys_s": keys_s,
            "switch_p50_ms": pct(switches, 0.5) * 1000, "switch_max_ms": max(switches) * 1000,
            "switches": len(switches), "main_thread_cpu_s": main_cpu, "load_during_sync": load_during, "idle_cpu_pct": idle_cpu, "idle_bytes_per_s": written / 10}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--records", type=int, default=10_000)
    p.add_argument("--keys", type=int, default=200)
    args = p.parse_args()
    runs = [first_paint(2000) for _ in range(3)]
    paints = [wall for wall, _ in runs]
    print(f"first paint of `nstui demo` (2,000 records)   median {statistics.median(paints) * 1000:.0f} ms "
          f"({', '.join(f'{x * 1000:.0f}' for x in paints)} ms; CPU {statistics.median(c for _, c in runs) * 1000:.0f} ms; "
          f"load {os.getloadavg()[0]:.1f})")
    figures = during_sync(args.records, args.keys)
    print(f"during a {args.records:,}-record sync: key to screen  p50 {figures['key_p50_ms']:.0f} ms  "
          f"p99 {figures['key_p99_ms']:.0f} ms  worst {figures['key_max_ms']:.0f} ms  ({figures['keys']} keys "
          f"in {figures['keys_s']:.1f} s; load {figures['load_during_sync']:.1f})")
    print(f"  screen switch 1 <-> 2                   p50 {figures['switch_p50_ms']:.0f} ms  "
          f"worst {figures['switch_max_ms']:.0f} ms  ({figures['switches']} switches)")
    print(f"  the console's main thread meanwhile     CPU {figures['main_thread_cpu_s']:.1f} s "
          f"({figures['main_thread_cpu_s'] / figures['keys_s'] * 100:.0f} % of the time)")
    print(f"idle after the sync (screen 4)            CPU {figures['idle_cpu_pct']:.1f} %  "
          f"{figures['idle_bytes_per_s']:.0f} bytes/s drawn")
    figures["first_paint_ms"] = statistics.median(paints) * 1000
    figures["first_paint_cpu_ms"] = statistics.median(c for _, c in runs) * 1000
    figures["load"] = os.getloadavg()[0]
    print("BENCH " + json.dumps(figures))


if __name__ == "__main__":
    main()
