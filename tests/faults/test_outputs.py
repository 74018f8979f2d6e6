"""Every output and file of full runs through hostile answers: no credential
value and no raw escape byte from a remote anywhere. And a run killed
mid-way through faults converges after one clean run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys

from nstui.cli import main
from nstui.config import ConfigFile
from nstui.engine.state import StateStore
from nstui.tui.app import NstuiApp

from .conftest import ALL, compare, differences, reference

RAW = (b"\x1b", b"\x9b", b"\x07")


def _secrets(world) -> list[bytes]:
    data = json.loads((world.folder / "sandbox" / "credentials.json").read_text())
    values = [*data["netsuite"].values(), *data["marketing"].values()]
    return [v.encode() for v in values]


def _hits(blob: bytes, needles: list[bytes]) -> int:
    return sum(blob.count(n) for n in needles)


async def test_no_credential_and_no_raw_escape_in_any_output(make_world, figures, capsys, monkeypatch):
    world = make_world("hostile", seed=9, records=20, page_size=10)
    cfg_path = world.folder / "nstui.toml"
    world.config()  # writes it
    for layer in world.layers.values():
        layer.kinds = ("hostile", "truncated", "shape", "redirect")
    world.faults(0.3, 9)
    outputs: dict[str, bytes] = {}
    for name, args in (("sync", ["sync", "--once", "-d", "customers", "-d", "contacts"]),
                       ("sync --json", ["sync", "--once", "--json"]),
                       ("status", ["status"]), ("status --json", ["status", "--json"])):
        await asyncio.to_thread(main, [*args, "--config", str(cfg_path)])
        captured = capsys.readouterr()
        outputs[name] = (captured.out + captured.err).encode()

    app = NstuiApp(cfg_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("4", "r")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.3)
        log_lines = "\n".join(app.screen.query_one("#log").lines())
        outputs["console log"] = log_lines.encode()
        outputs["console screen"] = app.export_screenshot().encode()

    escape_free: dict[str, bytes] = dict(outputs)
    for path in world.folder.rglob("*"):
        if path.is_file() and "sandbox" not in path.relative_to(world.folder).parts:
            outputs[str(path.relative_to(world.folder))] = path.read_bytes()  # secrets: every byte
            if path.suffix == ".sqlite":  # escapes: the text in it (a binary file has any byte)
                with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
                    escape_free[f"{path.name} (text)"] = "\n".join(db.iterdump()).encode()
            elif not path.name.endswith(("-wal", "-shm")):
                escape_free[str(path.relative_to(world.folder))] = path.read_bytes()
    lock_dir = os.environ["NSTUI_LOCK_DIR"]
    for name in os.listdir(lock_dir):
        with open(os.path.join(lock_dir, name), "rb") as f:
            outputs[f"locks/{name}"] = escape_free[f"locks/{name}"] = f.read()

    assert world.injected["hostile"] > 0
    assert any(b"pwned" in blob for blob in outputs.values())  # the hostile text did reach the outputs, escaped
    secret_hits = {k: _hits(v, _secrets(world)) for k, v in outputs.items() if _hits(v, _secrets(world))}
    escape_hits = {k: _hits(v, list(RAW)) for k, v in escape_free.items() if _hits(v, list(RAW))}
    figures.update(faults=dict(world.injected), secret_hits=sum(secret_hits.values()),
                   escape_hits=sum(escape_hits.values()), outputs_checked=len(outputs))
    assert secret_hits == {} and escape_hits == {}


async def test_a_run_killed_in_faults_converges_after_one_clean_run(make_world, tmp_path, figures):
    seed = 13
    expected = await reference(tmp_path / "reference", seed=seed, records=30, page_size=10)
    world = make_world("killed", seed=seed, records=30, page_size=10)
    cfg_path = world.folder / "nstui.toml"
    world.config(timeout=0.2, retries=2)
    world.faults(0.2, seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")} | {
        "NSTUI_LOCK_DIR": os.environ["NSTUI_LOCK_DIR"]}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nstui.cli", "sync", "--once", "--json", "--config", str(cfg_path),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    pages = 0
    assert proc.stdout is not None
    async for line in proc.stdout:
        if json.loads(line).get("event") == "page_read":
            pages += 1
            if pages == 3:
                proc.send_signal(signal.SIGKILL)
                break
    await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    world.faults(0, 0)
    clean = await world.sync()
    got = world.view()
    result = compare(expected, got)
    with StateStore(ConfigFile.load(cfg_path).state_path) as state:
        statuses = [r["status"] for r in state.db.execute("SELECT status FROM run ORDER BY id")]
    figures.update(faults=dict(world.injected), kills=1, **result)
    assert statuses[0] == "interrupted"
    assert clean.total.errors == 0
    assert result == {"lost": 0, "duplicated": 0, "wrong": 0}, differences(expected, got)


def test_the_daemon_log_escapes_outside_text(tmp_path):
    """`nstui run --log-file`: text and JSON log lines carry no raw escape."""
    from nstui.engine import events as ev
    from nstui.ops.logs import EventLogger, configure

    from .layer import HOSTILE

    for fmt in ("text", "json"):
        path = tmp_path / f"run-{fmt}.log"
        logger = configure("debug", fmt, path)
        EventLogger(logger.getChild("engine"))(ev.Error(dataset="customers", text=f"400: {HOSTILE}"))
        for handler in logger.handlers:
            handler.flush()
        blob = path.read_bytes()
        assert b"pwned" in blob and not any(raw in blob for raw in RAW)
        configure("info", "text", None)
