"""The snapshot cases as plain text, for the README's screen captures:

    .venv/bin/python -m tests.tui.captures [NAME ...]

Runs each case of test_snapshots.py (same keys, nstui-dark, 80x24) and
prints what the terminal shows."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from tests.tui.test_snapshots import CASES, app_for, settle


async def capture(keys: list[str], name: str = "") -> str:
    with tempfile.TemporaryDirectory() as tmp:
        app = app_for(Path(tmp), "nstui-dark", name)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press(*keys)
            await pilot.pause()
            lines = [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]  # noqa: SLF001
    return "\n".join(lines)


def main() -> None:
    os.environ["TZ"] = "UTC"
    time.tzset()
    wanted = set(sys.argv[1:])
    for name, keys in CASES:
        if not wanted or name in wanted:
            print(f"== {name} ({' '.join(keys) or 'start'})")
            print(asyncio.run(capture(keys, name)))


if __name__ == "__main__":
    main()
