"""The long-running commands as an admin runs them: `nstui run` stops cleanly
on SIGTERM, and `nstui sandbox serve` serves both sandboxes over real HTTP to
the real clients."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from nstui.config import ConfigFile
from nstui.credentials import marketing_credentials, netsuite_credentials
from nstui.marketing.client import MarketingClient
from nstui.netsuite.client import NetSuiteClient

from .conftest import write_config


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def test_run_loop_stops_cleanly_on_sigterm(tmp_path):
    cfg = write_config(tmp_path, records=40)
    proc = subprocess.Popen([sys.executable, "-m", "nstui.cli", "run", "--config", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env())
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "run 1 finished" in line:
            break
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 0, "".join(lines) + rest
    assert "stopped" in rest and "Traceback" not in rest
    status = subprocess.run([sys.executable, "-m", "nstui.cli", "status", "--json", "--config", str(cfg)],
                            capture_output=True, text=True, env=_env())
    assert '"last_status": "ok"' in status.stdout


async def test_sandbox_serve_over_http(tmp_path):
    cfg_path = write_config(tmp_path, records=20)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nstui.cli", "sandbox", "serve", "--port", str(port),
                             "--config", str(cfg_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env())
    try:
        _wait_for(port)
        _wait_for(port + 1)
        cfg = ConfigFile.load(cfg_path)
        cfg.set("netsuite.base_url", f"http://127.0.0.1:{port}")
        cfg.set("marketing.base_url", f"http://127.0.0.1:{port + 1}")
        async with NetSuiteClient(cfg.model.netsuite, netsuite_credentials(cfg)) as ns:
            rows = [r async for r in ns.suiteql("SELECT id, email FROM customer")]
            assert len(rows) == 20
        async with MarketingClient(cfg.model.marketing, marketing_credentials(cfg)) as mk:
            assert "OK" in await mk.ping()
            assert {lst.name for lst in await mk.list_lists()} >= {"Newsletter", "VIP"}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert Path(cfg_path).exists()
