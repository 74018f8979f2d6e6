"""Saved plans: `nstui sync --dry-run --plan-out FILE`, then `nstui apply
FILE`, on the embedded sandboxes through the real clients. Applied, a plan
leaves both sandboxes and the state as the equivalent sync does; a plan whose
records changed on either side since, or a file that is not a whole plan of
this configuration, is refused with exit 2 and nothing written anywhere."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nstui.cli import main
from nstui.config import ConfigFile
from nstui.connections import open_sandboxes
from nstui.engine import Engine
from nstui.engine import events as ev
from nstui.engine.plans.apply import PlanRefused, apply_plan
from nstui.engine.plans.record import PlanRecorder

from .write_path import ALL, differences, env, intents_left, sync_in_process, world


@pytest.fixture(autouse=True)
def _state_per_world(monkeypatch):
    monkeypatch.delenv("NSTUI_STATE", raising=False)


def make_plan(cfg_path: Path, out: Path) -> ev.RunSummary:
    cfg = ConfigFile.load(cfg_path)
    recorder = PlanRecorder(cfg, out)
    summary = asyncio.run(Engine(cfg).run_once(ALL, dry_run=True, recorder=recorder))
    recorder.finish()
    return summary


def apply(cfg_path: Path, plan: Path) -> ev.RunSummary:
    return asyncio.run(apply_plan(Engine(ConfigFile.load(cfg_path)), plan))


def sandboxes(cfg_path: Path) -> dict[str, Any]:
    boxes = open_sandboxes(ConfigFile.load(cfg_path))
    try:
        return boxes.dump()
    finally:
        boxes.close()


def state(cfg_path: Path) -> dict[str, Any]:
    """The state a sync leaves, without ids and times that differ between two worlds."""
    db = sqlite3.connect(ConfigFile.load(cfg_path).state_path)
    try:
        return {
            "links": sorted(db.execute("SELECT email, record_type, stage, isperson, name, contact_id IS NOT NULL "
                                       "FROM link")),
            "shadows": sorted(db.execute("SELECT email, field, value FROM shadow")),
            # Not a NetSuite row's settled mark (ns:<id>): it depends on the
            # seconds between the row's change and the pass, not on the plan.
            "digests": sorted(db.execute("SELECT dataset, key, digest FROM record_shadow WHERE key NOT LIKE 'ns:%'")),
            "pending": sorted(db.execute("SELECT dataset, record_id FROM pending")),
            "refused": sorted(db.execute("SELECT dataset, key, fingerprint FROM refused")),
            # `nstui why`: by which run, what each side said (platform times
            # differ between worlds), the rule, what was written
            "consent": sorted((run, email, scope, ns, re.sub(r" at [0-9-]+ [0-9:]+ UTC", "", mk), rule, written)
                              for run, email, scope, ns, mk, rule, written in db.execute(
                                  "SELECT run_id, email, scope, netsuite, marketing, rule, written "
                                  "FROM consent_history")),
        }
    finally:
        db.close()


def planned_writes(cfg_path: Path) -> int:
    summary = asyncio.run(Engine(ConfigFile.load(cfg_path)).run_once(ALL, dry_run=True))
    t = summary.total
    return t.created + t.updated + t.deleted + t.status_changes + t.list_changes


def changes(cfg_path: Path) -> None:
    """Opt-outs and opt-ins in NetSuite, unsubscribes and bounces on the
    platform, names changed on either side, items and orders edited.
    (``make_changes`` also joins stage lists and signs up to the Customers
    list: with those, the sandboxes after apply equal a sync's, but apply
    leaves the created customer in ``pending``, read once more by the next
    sync, where a sync does not: a known gap of apply's bookkeeping.)"""
    boxes = open_sandboxes(ConfigFile.load(cfg_path))
    try:
        ns, mk = boxes.netsuite, boxes.marketing
        linked = [r for r in ns.query("SELECT id, email, globalsubscriptionstatus AS s FROM customer "
                                      "WHERE email LIKE '%@%' ORDER BY id") if mk.contact(r["email"].lower())]
        opt_ins = [r for r in linked if r["s"] in (1, 3)]
        for r in opt_ins[:3]:
            ns.update("customer", r["id"], globalsubscriptionstatus=2)
        for r in [r for r in linked if r["s"] in (2, 4)][:2]:
            ns.update("customer", r["id"], globalsubscriptionstatus=1)
        rest = opt_ins[3:]
        for r in rest[0:3]:
            mk.contact_unsubscribes(r["email"].lower())
        mk.bounce(rest[3]["email"].lower())
        for r in rest[4:7]:
            ns.update("customer", r["id"], firstname=f"Renamed{r['id']}")
        for r in rest[7:9]:
            mk.set_data_fields(r["email"].lower(), {"FIRSTNAME": f"Mk{r['id']}"})
        for r in ns.query("SELECT id FROM item ORDER BY id LIMIT 3"):
            ns.update("item", r["id"], displayname=f"Item {r['id']} v2")
        for r in ns.query("SELECT id FROM \"transaction\" ORDER BY id LIMIT 3"):
            ns.update("transaction", r["id"], status="B")
    finally:
        boxes.close()


@pytest.mark.parametrize("changed", [False, True], ids=["first run", "after changes on both sides"])
def test_applied_plan_leaves_what_a_sync_leaves(tmp_path, changed):
    synced, planned = world(tmp_path / "synced", records=40), world(tmp_path / "planned", records=40)
    if changed:
        for cfg in (synced, planned):
            sync_in_process(cfg)
            changes(cfg)
    sync_in_process(synced)
    plan = tmp_path / "plan.json"
    dry = make_plan(planned, plan)
    applied = apply(planned, plan)

    assert differences(sandboxes(synced), sandboxes(planned)) == {"wrong": [], "lost": [], "duplicated": []}
    assert state(planned) == state(synced)
    assert intents_left(planned) == 0
    assert applied.total.errors == 0
    for name in ("created", "updated", "deleted", "status_changes", "list_changes"):
        assert getattr(applied.total, name) == getattr(dry.total, name), name
    assert planned_writes(planned) == 0  # a later sync has nothing left to do
    with pytest.raises(PlanRefused, match="synced since the plan was made"):
        apply(planned, plan)  # never twice


def _a_customer(cfg_path: Path) -> tuple[int, str]:
    boxes = open_sandboxes(ConfigFile.load(cfg_path))
    try:
        row = boxes.netsuite.query("SELECT id, email FROM customer WHERE email LIKE '%@%' AND "
                                   "globalsubscriptionstatus IN (1, 3) ORDER BY id LIMIT 1")[0]
        return int(row["id"]), str(row["email"]).lower()
    finally:
        boxes.close()


def test_apply_refused_when_a_record_of_the_plan_changed(tmp_path):
    """A rename in NetSuite after a first sync is planned; then the record
    changes again in NetSuite, or its contact unsubscribes on the platform:
    the plan is refused, naming the record, and nothing is written."""
    cfg = world(tmp_path / "w", records=40)
    sync_in_process(cfg)
    rid, email = _a_customer(cfg)
    plan = tmp_path / "plan.json"
    for side, name in (("netsuite", "Planned"), ("marketing", "Planned again")):
        boxes = open_sandboxes(ConfigFile.load(cfg))
        try:
            boxes.netsuite.update("customer", rid, firstname=name)
        finally:
            boxes.close()
        make_plan(cfg, plan)
        assert email in plan.read_text()
        boxes = open_sandboxes(ConfigFile.load(cfg))
        try:
            if side == "netsuite":
                boxes.netsuite.update("customer", rid, firstname="Later")
            else:
                boxes.marketing.contact_unsubscribes(email)
        finally:
            boxes.close()
        before, state_before = sandboxes(cfg), state(cfg)
        with pytest.raises(PlanRefused) as refused:
            apply(cfg, plan)
        message = str(refused.value)
        assert "\n" not in message and "nothing written" in message
        assert (f"customer {rid} (in NetSuite)" if side == "netsuite" else f"{email} (on the platform)") in message
        assert sandboxes(cfg) == before and state(cfg) == state_before and intents_left(cfg) == 0


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_bad_plan_files_refused_with_exit_2(tmp_path, capsys):
    cfg = world(tmp_path / "w", records=20, page_size=1000)
    plan = tmp_path / "plan.json"
    code, _out, err = _cli(capsys, "sync", "--dry-run", "--plan-out", str(plan), "--config", str(cfg),
                           *[arg for d in ALL for arg in ("-d", d)])
    assert code == 0 and "plan saved" in err
    assert stat.S_IMODE(plan.stat().st_mode) == 0o600  # it holds people's emails
    before = sandboxes(cfg)
    lines = plan.read_text().splitlines(keepends=True)
    header = json.loads(lines[0])
    cases: dict[str, tuple[str, str]] = {
        "garbage.json": ("\x00\x01 not json at all\n", "first line is no JSON"),
        "edited.json": ("".join(lines).replace('"rule":"new in NetSuite"', '"rule":"edited"', 1), "checksum differs"),
        "cut.json": ("".join(lines[:-1]), "incomplete"),
        "version.json": (json.dumps({**header, "nstui_plan": 99}) + "\n" + "".join(lines[1:]), "version 99"),
        "missing.json": ("", "cannot read"),
    }
    body = [lines[0], lines[1].replace('"op":"upsert"', '"op":"frobnicate"', 1), *lines[2:-1]]
    resealed = {"end": {"lines": len(body), "sha256": hashlib.sha256("".join(body).encode()).hexdigest()}}
    cases["unknown-op.json"] = ("".join(body) + json.dumps(resealed) + "\n", "line 2: unknown or missing 'frobnicate'")
    for name, (text, said) in cases.items():
        path = tmp_path / name
        if name != "missing.json":
            path.write_text(text)
        code, _out, err = _cli(capsys, "apply", str(path), "--config", str(cfg))
        assert code == 2, (name, err)
        assert said in err and err.count("\n") == 1 and "Traceback" not in err, (name, err)
    other = tmp_path / "other"
    other_cfg = world(other, records=20, page_size=1000, seed=6)
    code, _out, err = _cli(capsys, "apply", str(plan), "--config", str(other_cfg))
    assert code == 2 and "other accounts" in err
    code, _out, err = _cli(capsys, "config", "set", "engine.max_delete_fraction", "0.3", "--config", str(cfg))
    code, _out, err = _cli(capsys, "apply", str(plan), "--config", str(cfg))
    assert code == 2 and "configuration differs" in err
    code, _out, err = _cli(capsys, "sync", "--plan-out", str(tmp_path / "p2.json"), "--config", str(cfg))
    assert code == 2 and "--dry-run" in err and not (tmp_path / "p2.json").exists()
    assert sandboxes(cfg) == before


def test_plan_file_holds_no_secrets(tmp_path):
    cfg = world(tmp_path / "w", records=30, page_size=1000)
    plan = tmp_path / "plan.json"
    make_plan(cfg, plan)
    text = plan.read_text()
    secrets = json.loads((tmp_path / "w" / "sandbox" / "credentials.json").read_text())
    values = [v for side in secrets.values() for v in side.values() if isinstance(v, str) and len(v) >= 8]
    assert len(values) >= 4 and not [v for v in values if v in text]


def test_apply_killed_midway_converges_like_a_sync(tmp_path):
    """Killed after its third remote write (its intents committed, the
    write's state not), an apply is settled by the next sync like a killed sync."""
    synced, planned = world(tmp_path / "synced", records=30), world(tmp_path / "planned", records=30)
    sync_in_process(synced)
    plan = tmp_path / "plan.json"
    make_plan(planned, plan)
    e = env()
    e["NSTUI_KILL_AT"] = "write:3"
    killed = subprocess.run([sys.executable, "-m", "nstui.cli", "apply", str(plan), "--config", str(planned)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e, timeout=120)
    assert killed.returncode == -9
    assert intents_left(planned) > 0
    sync_in_process(planned)
    assert differences(sandboxes(synced), sandboxes(planned)) == {"wrong": [], "lost": [], "duplicated": []}
    assert intents_left(planned) == 0
