"""The Textual console. Only the CLI imports this package."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def run_console(config_path: Path, *, theme: str | None = None, demo: bool = False) -> int:
    """Run the console on ``config_path``; returns the exit code.

    When the terminal goes away (SSH dropped: SIGHUP, or stdin closed),
    the app exits and unsaved edits are written to ``<config>.recovery``,
    never into the configuration itself. ``demo``: the configuration's folder
    is deleted when the console closes (a save says so).
    """
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    from nstui.tui.app import NstuiApp

    app = NstuiApp(config_path, theme=theme, watch_hangup=True, demo=demo)
    code = app.run()
    if app.hung_up or not sys.stdin.isatty():
        saved = app.session.write_recovery()
        if saved:
            try:
                print(f"nstui: the terminal went away; unsaved edits are in {saved}", file=sys.stderr)
            except OSError:
                pass  # the terminal it would go to is gone (hung up)
    return int(code or 0)
