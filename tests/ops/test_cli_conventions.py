"""CLI conventions: --version, results on stdout and events on stderr, --json,
and the documented exit codes (0 ok, 1 records failed, 2 usage/config,
3 locked, 4 remote unreachable or refusing our credentials)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from nstui import __version__
from nstui.cli import main
from nstui.config import ConfigFile
from nstui.connections import open_sandboxes
from tests.engine.conftest import write_config


def _cli(args: list[str], cfg: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")}
    base.update(env or {})
    extra = ["--config", str(cfg)] if cfg else []
    return subprocess.run([sys.executable, "-m", "nstui.cli", *args, *extra],
                          capture_output=True, text=True, env=base, timeout=120)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_version(capsys: Any) -> None:
    try:
        main(["--version"])
    except SystemExit as e:
        assert e.code == 0
    assert capsys.readouterr().out.strip() == f"nstui {__version__}"


def test_validate_json(sample_copy: Path, tmp_path: Path, capsys: Any) -> None:
    assert main(["validate", "--json", str(sample_copy)]) == 0
    assert json.loads(capsys.readouterr().out) == {"path": str(sample_copy), "valid": True, "problems": []}
    bad = tmp_path / "bad.toml"
    bad.write_text("[netsuite]\nconcurrency = 0\n")
    assert main(["validate", "--json", str(bad)]) == 2
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert result["valid"] is False and "netsuite.concurrency" in result["problems"][0]
    assert out.err == ""


def test_usage_error_exits_2() -> None:
    r = _cli(["sync", "--no-such-flag"])
    assert r.returncode == 2 and "usage:" in r.stderr and r.stdout == ""


def test_config_sample_is_the_packaged_file_and_valid(tmp_path: Path, capsys: Any) -> None:
    assert main(["config", "sample"]) == 0
    path = tmp_path / "nstui.toml"
    path.write_text(capsys.readouterr().out)
    assert main(["validate", str(path)]) == 0


def test_unreachable_netsuite_exits_4(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, records=5)
    text = cfg.read_text().replace("[netsuite]\n", f'[netsuite]\nbase_url = "http://127.0.0.1:{_closed_port()}"\nmax_retries = 0\n', 1)
    cfg.write_text(text)
    r = _cli(["sync", "--once", "--json", "-d", "customers"], cfg)
    assert r.returncode == 4, (r.stdout[-500:], r.stderr)
    summary = json.loads(r.stdout.splitlines()[-1])
    assert "NetSuiteServerError" in summary["remote_failures"]["customers"]


def test_refused_credentials_exit_4_and_stay_secret(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, records=5)
    r = _cli(["sync", "--once", "-d", "customers"], cfg,
             env={"NSTUI_DD_USERNAME": "nobody@example.com", "NSTUI_DD_PASSWORD": "wrong-secret-123"})
    assert r.returncode == 4, r.stderr
    assert "401" in r.stderr and "wrong-secret-123" not in r.stderr + r.stdout


def _customer(boxes: Any, email: str, first: str, last: str) -> int:
    return int(boxes.netsuite.insert(
        "customer", entityid=f"{first} {last}", isperson="T", firstname=first, lastname=last, email=email,
        stage="CUSTOMER", globalsubscriptionstatus=1, isinactive="F",
    ))


def test_records_failed_exits_1(tmp_path: Path) -> None:
    cfg_path = write_config(tmp_path)
    cfg = ConfigFile.load(cfg_path)
    boxes = open_sandboxes(cfg)
    try:
        a = _customer(boxes, "first@example.com", "Ann", "Lee")
        b = _customer(boxes, "taken@example.com", "Bob", "Roe")
    finally:
        boxes.close()
    first = _cli(["sync", "--once", "--json", "-d", "customers"], cfg_path)
    assert first.returncode == 0, first.stderr
    events = [json.loads(line) for line in first.stdout.splitlines()]
    summary, finished = events[-1], next(e for e in events if e["event"] == "dataset_finished")
    customers = summary["datasets"]["customers"]  # the summary carries what the events said
    assert customers["status"] == finished["status"] == "ok" and customers["seconds"] >= 0
    assert {k: customers[k] for k in finished["counts"]} == finished["counts"]
    assert summary["remote_failures"] == {} and finished["calls"]["netsuite_calls"] > 0
    boxes = open_sandboxes(cfg)
    try:  # the contact's email changes on the platform to one another customer has
        boxes.netsuite.update("customer", b, email="taken2@example.com")
        boxes.marketing.change_email("first@example.com", "taken2@example.com")
    finally:
        boxes.close()
    assert a != b
    r = _cli(["sync", "--once", "-d", "customers"], cfg_path)
    assert r.returncode == 1, r.stderr
    assert "refused" in r.stderr


def test_status_never_creates_the_state_file_and_check(tmp_path: Path) -> None:
    cfg_path = write_config(tmp_path, records=5)
    state = ConfigFile.load(cfg_path).state_path
    s = _cli(["status", "--json"], cfg_path)
    assert s.returncode == 0 and not state.exists()
    assert {d["last_status"] for d in json.loads(s.stdout)} == {None}
    c = _cli(["status", "--check", "--json"], cfg_path)
    assert c.returncode == 1 and not state.exists()
    assert json.loads(c.stdout)["healthy"] is False and "customers: never run" in c.stdout
    r = _cli(["sync", "--once"], cfg_path)
    assert r.returncode == 0, r.stderr
    # The result (the summary table) on stdout, the events on stderr.
    assert r.stdout.splitlines()[0].startswith("data set") and "API calls:" in r.stdout
    assert "run 1 started" not in r.stdout and "run 1 started" in r.stderr
    first = r.stderr.splitlines()[0].split()[0]  # timestamps carry the date and the zone offset
    assert first[:4].isdigit() and "T" in first and first[-6] in "+-"
    before = state.stat().st_mtime_ns
    ok = _cli(["status", "--check"], cfg_path)
    assert ok.returncode == 0 and ok.stdout.startswith("healthy"), ok.stdout
    assert state.stat().st_mtime_ns == before


def test_exit_code_of_a_pass() -> None:
    from nstui.cli_commands import exit_code
    from nstui.engine.events import Counts, RunSummary

    def summary(**kw: Any) -> RunSummary:
        s = RunSummary(run_id=1, dry_run=False, datasets={"customers": Counts(read=3)})
        for k, v in kw.items():
            setattr(s, k, v)
        return s

    assert exit_code(summary()) == 0
    assert exit_code(summary(cancelled=True)) == 130
    assert exit_code(summary(datasets={"customers": Counts(errors=1)}, cancelled=True)) == 1
    assert exit_code(summary(datasets={"customers": Counts(errors=1)},
                             remote_failures={"customers": "NetSuiteServerError: ..."})) == 4
