"""`nstui run` as operations run it: logs with zoned ISO timestamps (JSON
lines here), the metrics endpoint scraped during a sandbox run, /healthz, and
a clean stop on SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from nstui.config import ConfigFile
from nstui.engine import events as ev
from nstui.ops.health import DatasetHealth, overdue
from nstui.ops.logs import EventLogger, JsonFormatter, TextFormatter
from nstui.ops.metrics import Metrics, MetricsServer, parse_address
from tests.engine.conftest import write_config


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (127.0.0.1 only)
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def _sample(text: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_run_metrics_scraped_during_a_sandbox_run(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, records=150, page_size=25)
    cfg.write_text(cfg.read_text().replace("[sandbox]\n", "[sandbox]\nlatency_ms = 3\n", 1))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nstui.cli", "run", "--config", str(cfg), "--metrics", "127.0.0.1:0",
         "--log-format", "json", "--progress-every", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    lines: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 60
        port = None
        while port is None and time.monotonic() < deadline:
            for line in list(lines):
                if "metrics on http://" in line:
                    port = int(json.loads(line)["message"].split(":")[2].split("/")[0])
            time.sleep(0.02)
        assert port, lines
        base = f"http://127.0.0.1:{port}"
        seen_running = False
        done = False
        while time.monotonic() < deadline and not done:
            status, text = _get(f"{base}/metrics")
            assert status == 200
            seen_running |= any(
                _sample(text, "nstui_dataset_state", dataset=d, nstui_dataset_state="running") == 1.0
                for d in ("customers", "contacts", "items", "orders"))
            done = all(_sample(text, "nstui_dataset_state", dataset=d, nstui_dataset_state="ok") == 1.0
                       for d in ("customers", "contacts", "items", "orders"))
            time.sleep(0.05)
        assert done, text
        assert seen_running, "no scrape saw a data set running"
        assert (_sample(text, "nstui_dataset_records_read_total", dataset="customers") or 0) >= 150
        assert (_sample(text, "nstui_dataset_records_written_total", dataset="customers") or 0) > 0
        assert (_sample(text, "nstui_dataset_api_calls_total", dataset="customers", side="netsuite") or 0) > 0
        assert (_sample(text, "nstui_dataset_api_calls_total", dataset="customers", side="marketing") or 0) > 0
        assert _sample(text, "nstui_dataset_retries_total", dataset="orders", side="marketing") is not None
        assert _sample(text, "nstui_dataset_throttles_total", dataset="orders", side="netsuite") is not None
        assert (_sample(text, "nstui_dataset_last_success_timestamp_seconds", dataset="items") or 0) > time.time() - 120
        assert _sample(text, "nstui_dataset_last_run_duration_seconds", dataset="customers") is not None
        assert _get(f"{base}/healthz") == (200, "ok\n")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        reader.join(timeout=10)
    assert code == 0, lines[-5:]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert records[-1]["message"] == "stopped"
    for r in records:
        stamp = datetime.fromisoformat(r["time"])
        assert stamp.tzinfo is not None
    progress = [r for r in records if r.get("event", {}).get("event") == "progress"]
    assert progress and all(r["level"] == "info" for r in progress)
    assert any(r.get("event", {}).get("event") == "dataset_finished" for r in records)
    assert not [r for r in records if r["level"] == "debug"]  # --log-level info
    creds = json.loads((tmp_path / "sandbox" / "credentials.json").read_text())
    secrets = [v for side in creds.values() for v in side.values()]
    assert secrets and not [s for s in secrets if any(s in line for line in lines)]


def test_healthz_503_names_the_overdue_data_sets(tmp_path: Path) -> None:
    cfg = ConfigFile.load(write_config(tmp_path))
    server = MetricsServer(Metrics(cfg), "127.0.0.1", 0).start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
        assert status == 503 and "customers: never run" in body
        assert _get(f"http://127.0.0.1:{server.port}/nothing")[0] == 404
    finally:
        server.stop()
    assert not cfg.state_path.exists()


def test_overdue_is_twice_the_poll_interval() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    hour = timedelta(hours=1)
    checks = [
        DatasetHealth("customers", hour, now - 2 * hour + timedelta(seconds=1), now - 10 * hour),
        DatasetHealth("contacts", hour, now - 2 * hour - timedelta(seconds=1), now - 10 * hour),
        DatasetHealth("items", hour, None, now - timedelta(minutes=30)),  # first run still going
        DatasetHealth("orders", hour, None, now - 3 * hour),
    ]
    problems = overdue(checks, now)
    assert [p.split(":")[0] for p in problems] == ["contacts", "orders"]
    assert "more than 2h ago" in problems[0]


def test_progress_at_info_at_most_every_interval() -> None:
    clock = [0.0]
    logger = EventLogger(logging.getLogger("test.progress"), progress_every=30, clock=lambda: clock[0])

    def progress() -> int:
        return logger.level_of(ev.Progress(dataset="customers", read=1, written=0, api_calls=1, elapsed=1.0))

    logger.level_of(ev.DatasetStarted(dataset="customers"))
    levels = []
    for t in (1, 10, 31, 40, 62):
        clock[0] = t
        levels.append(progress())
    assert levels == [logging.DEBUG, logging.DEBUG, logging.INFO, logging.DEBUG, logging.INFO]
    created = ev.RecordCreated(dataset="customers", side="marketing", key="a@example.com")
    assert logger.level_of(created) == logging.DEBUG
    assert logger.level_of(ev.Error(dataset="customers", text="x")) == logging.ERROR


def test_log_formats_carry_a_zoned_iso_time() -> None:
    record = logging.LogRecord("nstui.engine", logging.WARNING, __file__, 1, "customers: skip %s", ("a",), None)
    record.event = {"event": "record_skipped", "key": "a"}
    text = TextFormatter().format(record)
    stamp, level, message = text.split(" ", 2)
    assert datetime.fromisoformat(stamp).tzinfo is not None and level == "warning" and message == "customers: skip a"
    data = json.loads(JsonFormatter().format(record))
    assert data["event"]["key"] == "a" and datetime.fromisoformat(data["time"]).tzinfo is not None


def test_metrics_address_parsing() -> None:
    assert parse_address("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_address("[::1]:0") == ("::1", 0)
    for bad in ("9464", "localhost:", "host:99999", ":80"):
        try:
            parse_address(bad)
        except ValueError as e:
            assert "HOST:PORT" in str(e)
        else:
            raise AssertionError(bad)
