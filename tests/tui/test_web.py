"""`nstui web` in a real browser: headless Chromium opens the page that
textual-serve serves on 127.0.0.1, the console starts behind it and draws
screen 1 into the page (a screenshot is kept in the test's folder).
Skipped, with the reason, only where no Chromium is installed."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from nstui.tui.web import HOST, command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> httpx.Response:
    end = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


async def screenshot_when_drawn(ws_url: str, out: Path, timeout: float = 45) -> bool:
    import aiohttp  # textual-serve's own dependency

    async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
        ids = iter(range(1, 10_000))

        async def call(method: str, **params: object) -> dict:
            n = next(ids)
            await ws.send_json({"id": n, "method": method, "params": params})
            while True:
                msg = json.loads((await ws.receive()).data)
                if msg.get("id") == n:
                    return msg.get("result", {})

        end = time.monotonic() + timeout
        drawn = False
        while time.monotonic() < end and not drawn:
            # The page marks its body when the first byte of the console arrives.
            r = await call("Runtime.evaluate", expression="document.body.classList.contains('-first-byte')")
            drawn = r.get("result", {}).get("value") is True
            await asyncio.sleep(0.2)
        if drawn:
            await asyncio.sleep(1.5)  # the first screen's frames
            shot = await call("Page.captureScreenshot", format="png")
            out.write_bytes(base64.b64decode(shot["data"]))
        return drawn


def test_web_console_in_headless_chromium(tmp_path):
    config = tmp_path / "nstui.toml"
    config.write_text((ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40"))
    assert str(config) in command(config) and command(config).startswith(sys.executable)
    port, debug_port = free_port(), free_port()
    server = subprocess.Popen([sys.executable, "-m", "nstui.cli", "web", "--port", str(port), "--config", str(config)],
                              cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    browser = None
    try:
        page = wait_http(f"http://{HOST}:{port}/")
        assert page.status_code == 200 and "textual" in page.text
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'chrome'}",
             "--window-size=1000,700", f"--remote-debugging-port={debug_port}", f"http://{HOST}:{port}/"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        targets = wait_http(f"http://{HOST}:{debug_port}/json/list").json()
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        shot = tmp_path / "screen-1.png"
        assert asyncio.run(screenshot_when_drawn(ws_url, shot)), "the console never drew into the page"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5_000
    finally:
        if browser is not None:
            stop(browser)
        stop(server)
