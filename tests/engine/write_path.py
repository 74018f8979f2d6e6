"""Shared by the write-path suites: two copies of one seeded world (a clean
one and one that is hurt), the same changes made to both, and what differs
between their sandboxes in the end."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from nstui.config import ConfigFile
from nstui.connections import open_sandboxes
from nstui.engine import Engine
from nstui.engine.state import StateStore

from .conftest import write_config

ALL = ["customers", "contacts", "items", "orders"]
DEEP = os.environ.get("NSTUI_DEEP") == "1"


def world(folder: Path, **kw: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = dict(records=80, page_size=10, seed=5, create_missing="true")
    values.update(kw)
    return write_config(folder, **values)


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("NSTUI_")}


def cli_sync(cfg: Path, kill_at: str | None = None) -> int:
    """One `nstui sync` process; returns its exit code (-9: killed)."""
    e = env()
    if kill_at:
        e["NSTUI_KILL_AT"] = kill_at
    args = [sys.executable, "-m", "nstui.cli", "sync", "--once", "--config", str(cfg)]
    for name in ALL:
        args += ["-d", name]
    return subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e, timeout=120).returncode


def sync_in_process(cfg_path: Path) -> None:
    cfg = ConfigFile.load(cfg_path)
    asyncio.run(Engine(cfg).run_once(ALL))


def dump(cfg: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "nstui.cli", "sandbox", "dump", "--json", "--config", str(cfg)],
                         capture_output=True, text=True, env=env(), timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def intents_left(cfg_path: Path) -> int:
    with StateStore(ConfigFile.load(cfg_path).state_path) as st:
        return st.count_intents()


def make_changes(cfg_path: Path, seed: int) -> None:
    """The same edits, made on both sides as their users would, to a world
    after its first sync: opt-outs and opt-ins in NetSuite, unsubscribes and
    bounces on the platform, names changed on either side, a stage list
    joined, a sign-up to the Customers list, items and orders edited."""
    cfg = ConfigFile.load(cfg_path)
    boxes = open_sandboxes(cfg)
    try:
        ns, mk = boxes.netsuite, boxes.marketing
        linked = [r for r in ns.query("SELECT id, email, globalsubscriptionstatus AS s FROM customer "
                                      "WHERE email LIKE '%@%' ORDER BY id") if mk.contact(r["email"].lower())]
        k = seed % 3
        opt_ins = [r for r in linked if r["s"] in (1, 3)]
        opt_outs = [r for r in linked if r["s"] in (2, 4)]
        for r in opt_ins[k:k + 4]:
            ns.update("customer", r["id"], globalsubscriptionstatus=2)
        for r in opt_outs[k:k + 2]:
            ns.update("customer", r["id"], globalsubscriptionstatus=1)
        rest = opt_ins[k + 4:]
        for r in rest[0:3]:
            mk.contact_unsubscribes(r["email"].lower())
        for r in rest[3:5]:
            mk.bounce(r["email"].lower())
        for r in rest[5:8]:
            ns.update("customer", r["id"], firstname=f"Renamed{r['id']}")
        for r in rest[8:10]:
            mk.set_data_fields(r["email"].lower(), {"FIRSTNAME": f"Mk{r['id']}"})
        lists = {row["name"] for row in mk.dump()["lists"]}
        prospects = next((n for n in lists if n.endswith("- Prospects")), None)
        customers = next((n for n in lists if n.endswith("- Customers")), None)
        if prospects:
            for r in rest[10:12]:
                mk.add_to_list_by_name(r["email"].lower(), prospects)
        if customers:
            mk.add_contact(f"signup{seed}@example.org", {"FIRSTNAME": "Sign", "LASTNAME": "Up"})
            mk.add_to_list_by_name(f"signup{seed}@example.org", customers)
        for r in ns.query("SELECT id FROM item ORDER BY id LIMIT 3"):
            ns.update("item", r["id"], displayname=f"Item {r['id']} v2")
        for r in ns.query("SELECT id FROM \"transaction\" ORDER BY id LIMIT 3"):
            ns.update("transaction", r["id"], status="B")
    finally:
        boxes.close()


# -- comparing two worlds ----------------------------------------------------

_VOLATILE = ("date", "modified", "updated", "created", "changed", "stamp", "linked_at")


def _plain(row: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items()
                       if k not in ("id", "contact_id", "nkey", "entity", "externalid") and not any(x in k for x in _VOLATILE)},
                      sort_keys=True, default=str)


def view(d: dict[str, Any]) -> dict[tuple, list[str]]:
    """Every record that matters, keyed independently of ids and times; a
    key with more than one value is a duplicate."""
    out: dict[tuple, list[str]] = defaultdict(list)
    mk, ns = d["marketing"], d["netsuite"]
    for c in mk["contacts"]:
        out[("contact", c["email"])].append(json.dumps(
            [c["status"], c["suppressed"], c["data_fields"], sorted(c["lists"])], sort_keys=True, default=str))
    for r in mk["records"]:
        out[("record", r["collection"], r["key"])].append(json.dumps(r["json"], sort_keys=True, default=str))
    emails: dict[int, str] = {}
    for table in ("customer", "contact"):
        for r in ns[table]:
            key = (str(r.get("email") or "").lower() or f"#{r['id']}")
            emails[r["id"]] = f"{table}:{key}"
            out[(table, key)].append(_plain(r))
    for s in ns.get("entitysubscription", []):
        out[("subscription", emails.get(s.get("entity"), s.get("entity")), s.get("subscription"))].append(_plain(s))
    return out


def differences(clean: dict[str, Any], hurt: dict[str, Any]) -> dict[str, Any]:
    a, b = view(clean), view(hurt)
    lost = [k for k in a if k not in b]
    extra = [k for k in b if k not in a]
    duplicated = [k for k in b if len(b[k]) > len(a.get(k, [None]))]
    wrong = [k for k in a if k in b and sorted(a[k]) != sorted(b[k]) and k not in duplicated]
    return {"wrong": wrong, "lost": lost, "duplicated": duplicated + extra}


def figures(name: str, diff: dict[str, Any], **extra: Any) -> str:
    more = ", ".join(f"{k} {v}" for k, v in extra.items())
    line = (f"{name}: {more}; records wrong {len(diff['wrong'])}, lost {len(diff['lost'])}, "
            f"duplicated {len(diff['duplicated'])}")
    print(line)
    return line


def kinds(points: list[str]) -> str:
    c = Counter(p.split(":")[0] for p in points)
    return " ".join(f"{k} {v}" for k, v in sorted(c.items()))
