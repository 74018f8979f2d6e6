"""Whole runs: incremental reads, idempotence, dry run = real run, the run
lock and the headless commands (crash recovery: test_write_path_kills.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nstui.config import ConfigFile
from nstui.engine import LockedError
from nstui.engine import events as ev
from nstui.engine.lock import RunLock

from .conftest import write_config


def plan_view(events: list[ev.Event]) -> Counter:
    """What a run does, independent of time, ids and whether it was planned."""
    out: Counter = Counter()
    for e in events:
        if isinstance(e, ev.RecordEvent):
            extra = getattr(e, "fields", None) or getattr(e, "list_name", None) or getattr(e, "new", None)
            out[(e.kind, e.dataset, e.side, e.key, str(extra))] += 1
    return out


def contacts_view(env) -> dict[str, Any]:
    """The marketing side's state that matters, keyed by email."""
    dump = env.mk.dump()
    view = {}
    for c in dump["contacts"]:
        view[c["email"]] = (c.get("status"), bool(c.get("suppressed")), json.dumps(c.get("data_fields"), sort_keys=True),
                            tuple(sorted(c.get("lists") or ())))
    return view


async def test_incremental_run_syncs_only_the_change(make_env):
    env = make_env(records=2000)
    first = await env.sync("customers", "contacts")
    assert first.total.created > 1000
    # One read per record before the writes; the read-back after them goes in
    # pages, not a GET per contact written (that was 1.9 calls per record).
    assert first.api_calls["marketing"] < 1.3 * first.total.read, first.api_calls
    cid = env.ns.query("SELECT id FROM customer WHERE email IS NOT NULL AND isperson = 'T' AND globalsubscriptionstatus = 1 LIMIT 1")[0]["id"]
    env.ns.update("customer", cid, firstname="Changedname")
    second = await env.sync("customers", "contacts")
    assert second.total.written == 1, plan_view(env.events)
    assert second.datasets["customers"].updated == 1
    total_calls = sum(second.api_calls.values())
    assert total_calls < 60, second.api_calls  # proportional to changes, not to 3,000 records
    third = await env.sync("customers", "contacts")
    assert third.total.written == 0


async def test_second_of_two_back_to_back_runs_changes_nothing(make_env):
    env = make_env(records=300)
    await env.sync("customers", "contacts")
    again = await env.sync("customers", "contacts")
    assert again.total.written == 0, plan_view(env.events)
    assert again.total.errors == 0


async def test_first_run_snapshot_ends_as_reading_one_by_one(make_env, monkeypatch):
    """A first run lists the platform's contacts instead of a GET per record:
    the same end state, a fraction of the calls. Contacts that were on the
    platform before (one unsubscribed, one with data) are taken into account."""
    from nstui.engine.datasets import platform_view

    ends, calls = [], []
    for snapshot in (False, True):
        monkeypatch.setattr(platform_view, "SNAPSHOT_FROM", 200 if snapshot else 10**9)
        env = make_env(records=400, page_size=100)
        emails = [r["email"].lower() for r in env.ns.query(
            "SELECT email FROM customer WHERE email LIKE '%@%.%' AND isperson = 'T' ORDER BY id LIMIT 2")]
        env.mk.add_contact(emails[0], {})
        env.mk.contact_unsubscribes(emails[0])
        env.mk.add_contact(emails[1], {"FIRSTNAME": "Old"})
        summary = await env.sync("customers", "contacts")
        ends.append(contacts_view(env))
        calls.append(summary.api_calls["marketing"])
        second = await env.sync("customers", "contacts")
        assert second.total.written == 0, (snapshot, plan_view(env.events))
    assert ends[0] == ends[1]
    assert calls[1] < calls[0] / 2, calls


@pytest.mark.parametrize("records, page_size", [(300, 1000), (600, 50)])
async def test_dry_run_plan_equals_real_run(make_env, records, page_size):
    """Also over many pages, where a later page meets a contact that an
    earlier page would create (a duplicate email taking over the link)."""
    env = make_env(records=records, page_size=page_size)
    before = env.mk.dump()
    plan = await env.sync("customers", "contacts", dry_run=True)
    planned = plan_view(env.events)
    assert env.mk.dump() == before  # nothing written anywhere
    from nstui.engine.state import StateStore

    with StateStore(env.cfg.state_path) as st:
        assert st.watermark("customers") is None and st.count_links() == 0
    real = await env.sync("customers", "contacts")
    assert planned == plan_view(env.events)
    assert plan.total.to_dict() == {**real.total.to_dict()}


async def test_dry_run_of_a_change(make_env):
    env = make_env(records=200)
    await env.sync("customers", "contacts")
    cid = env.ns.query("SELECT id FROM customer WHERE email IS NOT NULL AND globalsubscriptionstatus = 1 LIMIT 1")[0]["id"]
    env.ns.update("customer", cid, globalsubscriptionstatus=2)
    await env.sync("customers", dry_run=True)
    planned = plan_view(env.events)
    assert any(k[0] == "status_changed" for k in planned)
    await env.sync("customers")
    assert plan_view(env.events) == planned


async def test_run_lock(make_env):
    env = make_env()
    lock = RunLock.for_config(env.cfg)
    lock.acquire()
    try:
        with pytest.raises(LockedError) as e:
            await env.sync("customers")
        assert f"pid {os.getpid()}" in str(e.value)
    finally:
        lock.release()
    await env.sync("customers")


def _cli(args: list[str], cfg: Path, **kw: Any) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")}
    return subprocess.run([sys.executable, "-m", "nstui.cli", *args, "--config", str(cfg)],
                          capture_output=True, text=True, env=env, timeout=120, **kw)


def test_sync_cli_locked_exits_3(tmp_path):
    cfg_path = write_config(tmp_path)
    cfg = ConfigFile.load(cfg_path)
    lock = RunLock.for_config(cfg)
    lock.acquire()
    try:
        r = _cli(["sync", "--once"], cfg_path)
    finally:
        lock.release()
    assert r.returncode == 3
    assert "another sync is running" in r.stderr and "pid" in r.stderr


def test_sync_cli_json_summary_and_status(tmp_path):
    cfg_path = write_config(tmp_path, records=60)
    r = _cli(["sync", "--once", "--json"], cfg_path)
    assert r.returncode in (0, 1), r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0]["event"] == "run_started"
    summary = lines[-1]
    assert summary["event"] == "summary"
    for key in ("created", "updated", "deleted", "skipped", "errors", "api_calls", "seconds"):
        assert key in summary
    assert summary["api_calls"]["netsuite"] > 0 and summary["api_calls"]["marketing"] > 0
    assert set(summary["datasets"]) == {"customers", "contacts", "items", "orders"}
    s = _cli(["status", "--json"], cfg_path)
    assert s.returncode == 0
    status = {d["dataset"]: d for d in json.loads(s.stdout)}
    assert status["customers"]["watermark"] and status["customers"]["last_status"] == "ok"
    assert status["items"]["last_counts"] is not None and status["orders"]["next_due"]
    d = _cli(["sandbox", "dump", "--json"], cfg_path)
    dump = json.loads(d.stdout)
    assert dump["netsuite"]["customer"] and dump["marketing"]["contacts"]


def test_sync_cli_dry_run_prints_plan_writes_nothing(tmp_path):
    cfg_path = write_config(tmp_path, records=40)
    r = _cli(["sync", "--once", "--dry-run", "--dataset", "customers"], cfg_path)
    assert r.returncode in (0, 1), r.stderr
    assert "plan: customers: create" in r.stdout
    assert "dry run: nothing written" in r.stdout
    d = _cli(["sandbox", "dump", "--json"], cfg_path)
    assert json.loads(d.stdout)["marketing"]["contacts"] == []


def test_sync_cli_bad_config_exits_2(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[netsuite]\npage_size = 0\n")
    r = _cli(["sync", "--once"], p)
    assert r.returncode == 2 and "netsuite.page_size" in r.stderr and "Traceback" not in r.stderr
