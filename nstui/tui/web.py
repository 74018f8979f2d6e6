"""`nstui web`: the same console in a browser, through textual-serve.

Bound to 127.0.0.1 only: the console edits the configuration and starts
syncs, so it is never offered to the network. Reach it from another machine
over SSH port forwarding (`ssh -L 8000:127.0.0.1:8000 host`, then
http://127.0.0.1:8000). Each browser tab runs its own `nstui` console
process on the same configuration file.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

HOST = "127.0.0.1"


def command(config_path: Path, theme: str | None = None) -> str:
    """The console's command line, as textual-serve starts it per browser tab."""
    args = [sys.executable, "-m", "nstui.cli", "--config", str(config_path.resolve())]
    if theme:
        args += ["--theme", theme]
    return shlex.join(args)


def serve(config_path: Path, *, port: int, theme: str | None = None) -> int:
    from textual_serve.server import Server

    print(f"nstui web: http://{HOST}:{port} (this machine only; over SSH: ssh -L {port}:{HOST}:{port} ...); "
          "ctrl+c stops", file=sys.stderr)
    Server(command(config_path, theme), host=HOST, port=port, title="nstui").serve()
    return 0
