"""The process around a run: closed pipes, the run lock on the pair of
accounts, file modes, runs whose process died, the remote-failure exit."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nstui.cli import main
from nstui.config import ConfigFile
from nstui.engine import Engine, LockedError
from nstui.engine.lock import RunLock
from nstui.engine.state import StateStore

from .conftest import embedded_config as write_config


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")} | {
        "NSTUI_LOCK_DIR": os.environ["NSTUI_LOCK_DIR"]}


def _closed_stdout(args: list[str], cfg: Path) -> subprocess.CompletedProcess:
    """Run nstui with a stdout whose reader is already gone (`| head -c 0`)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "nstui.cli", *args, "--config", str(cfg)],
                              stdout=write, stderr=subprocess.PIPE, text=True, env=_env(), timeout=120)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [["sandbox", "dump", "--json"], ["status"], ["status", "--json"]])
def test_a_closed_pipe_ends_quietly(tmp_path, figures, args):
    cfg = write_config(tmp_path, records=20)
    r = _closed_stdout(args, cfg)
    assert r.returncode == 141, r.stderr
    assert r.stderr == ""
    figures["bad_inputs"] = 1


def _head_1(args: list[str], cfg: Path) -> subprocess.CompletedProcess:
    """Run nstui into a reader that takes one line and leaves (`| head -1`)."""
    proc = subprocess.Popen([sys.executable, "-m", "nstui.cli", *args, "--config", str(cfg)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, first, err)


@pytest.mark.parametrize("reader", ["head -c 0", "head -1"])
def test_sync_whose_stdout_closes_stops_cleanly_after_its_page(tmp_path, figures, reader):
    cfg = write_config(tmp_path, records=60, page_size=20)
    args = ["sync", "--once", "--json"]
    r = _closed_stdout(args, cfg) if reader == "head -c 0" else _head_1(args, cfg)
    assert r.returncode == 141 and r.stderr == "", r.stderr
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        (status,) = db.execute("SELECT status FROM run ORDER BY id DESC LIMIT 1").fetchone()
    assert status == "cancelled"  # stopped between pages, its state committed
    if reader == "head -1":
        assert r.stdout.startswith("{")  # one whole line was written before the pipe closed
    else:
        again = subprocess.run([sys.executable, "-m", "nstui.cli", "sync", "--once", "--config", str(cfg)],
                               capture_output=True, text=True, env=_env(), timeout=120)
        assert again.returncode in (0, 1), again.stderr
    figures["bad_inputs"] = 1


async def test_two_state_files_on_the_same_accounts_never_run_at_once(tmp_path, monkeypatch):
    monkeypatch.delenv("NSTUI_STATE")
    cfg = ConfigFile.load(write_config(tmp_path, records=10))
    other = ConfigFile.from_text(tmp_path / "other.toml", cfg.dumps().replace('path = "state.sqlite"',
                                                                            'path = "elsewhere.sqlite"'))
    assert cfg.state_path != other.state_path
    with RunLock.for_config(cfg):
        with pytest.raises(LockedError) as e:
            await Engine(other).run_once(["items"])
    assert "these accounts" in str(e.value)


async def test_state_lock_and_sandbox_files_are_private(tmp_path):
    cfg = ConfigFile.load(write_config(tmp_path, records=10))
    await Engine(cfg).run_once(["items"])
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in (".sqlite", ".lock", ".info", ".json")
             or p.name.endswith(("-wal", "-shm"))]
    files += [p for p in Path(os.environ["NSTUI_LOCK_DIR"]).iterdir()]
    assert any(p.name == "state.sqlite" for p in files) and any(p.name == "marketing.sqlite" for p in files)
    loose = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert loose == {}


async def test_a_run_whose_process_died_is_marked_interrupted(tmp_path, capsys):
    cfg_path = write_config(tmp_path, records=10)
    cfg = ConfigFile.load(cfg_path)
    with StateStore(cfg.state_path) as state:  # a run that never finished (its process was killed)
        run_id = state.start_run(["items"], False)
        state.start_dataset(run_id, "items")
        state.checkpoint()
    await Engine(cfg).run_once(["orders"])
    with StateStore(cfg.state_path) as state:
        assert state.status("items").last_status == "interrupted"
        row = state.db.execute("SELECT status FROM run WHERE id = ?", (run_id,)).fetchone()
        assert row["status"] == "interrupted"
    assert main(["status", "--json", "--config", str(cfg_path)]) == 0
    items = next(d for d in json.loads(capsys.readouterr().out) if d["dataset"] == "items")
    assert items["last_status"] == "interrupted"


def test_a_total_auth_failure_exits_4(tmp_path, monkeypatch, capsys):
    cfg = write_config(tmp_path, records=10)
    for name in ("NSTUI_NS_CONSUMER_KEY", "NSTUI_NS_CONSUMER_SECRET", "NSTUI_NS_TOKEN_ID", "NSTUI_NS_TOKEN_SECRET",
                 "NSTUI_DD_USERNAME", "NSTUI_DD_PASSWORD"):
        monkeypatch.setenv(name, "wrong-value-" + name[-6:])
    code = main(["sync", "--once", "--config", str(cfg)])
    captured = capsys.readouterr()
    assert code == 4, captured.err
    assert "401" in captured.err or "refused" in captured.err
    assert "wrong-value" not in captured.out + captured.err
