"""``nstui demo --check``: what ``nstui demo`` needs, tried without a terminal.

The demo's configuration comes from the package, its themes too, the console
opens (headless, 80x24) and reads the sandboxes, and one sync pass runs on
them. It is how an installed wheel proves it is whole.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

WANTED_THEMES = ("nstui-dark", "nstui-light")


class DemoCheckFailed(Exception):
    exit_code = 1


async def _console(config: Path) -> list[str]:
    """Open the console headless; return what it said it could not do."""
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    from nstui.tui.app import NstuiApp

    app = NstuiApp(config)
    complaints: list[str] = []
    notify = app.notify

    def recording(message: str, **kw: Any) -> None:
        if kw.get("severity") in ("warning", "error"):
            complaints.append(message)
        notify(message, **kw)

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.theme != "nstui-dark":
            complaints.append(f"theme is {app.theme!r}, not the sample's 'nstui-dark'")
        if not app.subscription_names():
            complaints.append("the console read no campaign subscriptions from the NetSuite sandbox")
    return complaints


def check_demo(folder: Path, *, records: int) -> str:
    """Raises DemoCheckFailed naming what failed; returns a one-line report."""
    from nstui.cli_commands import prepare_demo
    from nstui.config import ConfigFile
    from nstui.engine import Engine
    from nstui.tui.themes import load_themes

    path = prepare_demo(folder, records=records)
    themes = {t.name for t in load_themes()}
    missing = [t for t in WANTED_THEMES if t not in themes]
    if missing:
        raise DemoCheckFailed(f"demo check: themes not shipped: {', '.join(missing)}")
    complaints = asyncio.run(_console(path))
    if complaints:
        raise DemoCheckFailed("demo check: the console: " + "; ".join(complaints))
    summary = asyncio.run(Engine(ConfigFile.load(path)).run_once())
    t = summary.total
    if t.read == 0 or summary.remote_failures:
        raise DemoCheckFailed(f"demo check: the sync read {t.read} records; failures: {summary.remote_failures}")
    return (
        f"demo check: ok: themes {', '.join(WANTED_THEMES)}; console opened at 80x24; "
        f"sync of {records} customers: {t.read} read, {t.created} created, {t.errors} errors"
    )
