"""Two worlds side by side: sandboxes served over HTTP on 127.0.0.1 behind
a fault layer, and the same sandboxes (same seed) without one, to compare."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nstui.config import ConfigFile
from nstui.connections import Sandboxes, open_sandboxes
from nstui.engine import Engine
from nstui.engine import events as ev

from .layer import FaultLayer, Served

CONFIG = """
[netsuite]
account_id = "1234567-SB1"
base_url = "{ns_url}"
page_size = {page_size}
timeout_s = {timeout}
max_retries = {retries}
max_answer_mb = 1

[marketing]
base_url = "{mk_url}"
parent_company = "Parent Company"
company = "Acme Inc."
country_code = "US"
timeout_s = {timeout}
max_retries = {retries}
max_answer_mb = 1

[sandbox]
data_dir = "sandbox"
seed = {seed}
records = {records}

[state]
path = "state.sqlite"

[optins]
create_missing_contact = true

[[optins.campaign_subscriptions]]
netsuite_subscription = "Newsletter"
direction = "both"
list = "Newsletter"

[optins.global_status]
direction = "both"
add_opt_ins_to_lists = ["VIP"]
remove_opt_outs_from_lists = true

[datasets.customers]
record_types = "both"

[[datasets.customers.fields]]
netsuite = "firstname"
marketing = "FIRSTNAME"
direction = "both"

[[datasets.customers.fields]]
netsuite = "isperson"
marketing = "ISPERSON"

[[datasets.customers.fields]]
netsuite = "companyname"
marketing = "COMPANYNAME"

[[datasets.contacts.fields]]
netsuite = "lastname"
marketing = "LASTNAME"
direction = "both"
"""

ALL = ["customers", "contacts", "items", "orders"]


def embedded_config(folder: Path, *, records: int = 20, page_size: int = 20, seed: int = 7) -> Path:
    """A configuration on the embedded (in-process) sandboxes."""
    text = CONFIG.format(ns_url="", mk_url="", seed=seed, records=records, page_size=page_size, timeout=30, retries=6)
    path = folder / "nstui.toml"
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("base_url")))
    return path


@dataclass
class World:
    folder: Path
    boxes: Sandboxes
    layers: dict[str, FaultLayer]
    servers: list[Served]
    seed: int
    records: int
    page_size: int
    events: list[ev.Event] = field(default_factory=list)

    def config(self, *, timeout: float = 30.0, retries: int = 6) -> ConfigFile:
        path = self.folder / "nstui.toml"
        path.write_text(CONFIG.format(
            ns_url=self.servers[0].url, mk_url=self.servers[1].url, seed=self.seed, records=self.records,
            page_size=self.page_size, timeout=timeout, retries=retries))
        return ConfigFile.load(path)

    def faults(self, rate: float, seed: int) -> None:
        for i, layer in enumerate(self.layers.values()):
            layer.rate = rate
            layer.rng.seed(f"{seed}:{i}")

    @property
    def injected(self) -> Counter:
        total: Counter = Counter()
        for layer in self.layers.values():
            total.update(layer.injected)
        return total

    async def sync(self, *, timeout: float = 30.0, retries: int = 6, datasets: list[str] | None = None) -> ev.RunSummary:
        bus = ev.EventBus()
        bus.listen(self.events.append)
        return await Engine(self.config(timeout=timeout, retries=retries), bus=bus).run_once(datasets or ALL)

    def view(self) -> dict[str, dict[str, Any]]:
        return view(self.boxes)

    def close(self) -> None:
        for s in self.servers:
            s.close()
        self.boxes.close()


@pytest.fixture
def make_world(tmp_path, monkeypatch):
    monkeypatch.delenv("NSTUI_STATE", raising=False)  # each world keeps its own state file
    made: list[World] = []

    def make(name: str, *, seed: int = 5, records: int = 40, page_size: int = 10) -> World:
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "nstui.toml"
        path.write_text(CONFIG.format(ns_url="http://127.0.0.1:1", mk_url="http://127.0.0.1:2", seed=seed,
                                      records=records, page_size=page_size, timeout=30, retries=6))
        boxes = open_sandboxes(ConfigFile.load(path))
        layers = {"netsuite": FaultLayer(boxes.netsuite.app), "marketing": FaultLayer(boxes.marketing.app)}
        servers = [Served(layers["netsuite"]), Served(layers["marketing"])]
        world = World(folder, boxes, layers, servers, seed, records, page_size)
        made.append(world)
        return world

    yield make
    for w in made:
        w.close()


def view(boxes: Sandboxes) -> dict[str, dict[str, Any]]:
    """Both sides as comparable values: no ids, no times."""
    mk = boxes.marketing.dump()
    ns = boxes.netsuite.dump()
    out: dict[str, dict[str, Any]] = {"marketing": {}, "netsuite": {}, "insight": {}, "orders": {}}
    for c in mk["contacts"]:
        out["marketing"][c["email"].lower()] = (c["status"], c["suppressed"], c["opt_in"],
                                                json.dumps(c["data_fields"], sort_keys=True),
                                                tuple(sorted(c["lists"])), c["mobile_number"])
    for r in mk["records"]:
        part = "orders" if r["collection"] == "Orders" else "insight"
        out[part][(r["collection"], r["key"])] = json.dumps(r["json"], sort_keys=True)
    for table in ("customer", "contact"):
        for r in ns[table]:
            key = (table, (r.get("email") or "").lower(), r.get("firstname"), r.get("lastname"),
                   r.get("companyname"))
            out["netsuite"].setdefault(key, []).append((r.get("globalsubscriptionstatus"), r.get("isinactive")))
    who = {r["id"]: (t, (r.get("email") or "").lower(), r.get("firstname"), r.get("lastname"))
           for t in ("customer", "contact") for r in ns[t]}
    subs: Counter = Counter()
    for r in ns["entitysubscription"]:
        subs[(who.get(r["entity"]), r["subscription"], r["subscribed"])] += 1
    out["subscriptions"] = dict(subs)
    emails = {t: {(r.get("email") or "").lower() for r in ns[t]} - {""} for t in ("customer", "contact")}
    #: Emails a customer and a contact share (test_engine_limits.py). Their
    #: contacts are compared but for the opt-in type, which the platform sets
    #: when it creates a contact: it tells which record was synced first
    #: (an opted-out one creates it with none).
    out["shared"] = {e: True for e in emails["customer"] & emails["contact"]}
    for e in out["shared"]:
        if e in out["marketing"]:
            status, suppressed, _, *rest = out["marketing"][e]
            out["marketing"][e] = (status, suppressed, "(creation)", *rest)
    return out


async def reference(folder: Path, *, seed: int, records: int, page_size: int) -> dict[str, dict[str, Any]]:
    """The fault-free world: the same sandboxes (same seed), embedded, after one run."""
    folder.mkdir()
    cfg = ConfigFile.load(embedded_config(folder, records=records, page_size=page_size, seed=seed))
    boxes = open_sandboxes(cfg)
    try:
        await Engine(cfg, sandboxes=boxes).run_once(ALL)
        return view(boxes)
    finally:
        boxes.close()


def compare(ref: dict[str, dict[str, Any]], got: dict[str, dict[str, Any]],
            sides: tuple[str, ...] = ("marketing", "insight", "orders", "netsuite", "subscriptions")) -> dict[str, int]:
    """lost: in the fault-free world only; duplicated: made more than once;
    wrong: present in both with other values."""
    lost = duplicated = wrong = 0
    for side in sides:
        a, b = ref[side], got[side]
        lost += sum(1 for k in a if k not in b)
        duplicated += sum(1 for k in b if k not in a)  # an extra record or contact
        for k in a.keys() & b.keys():
            if side == "netsuite" and len(b[k]) > len(a[k]):
                duplicated += len(b[k]) - len(a[k])
            elif a[k] != b[k]:
                wrong += 1
    return {"lost": lost, "duplicated": duplicated, "wrong": wrong}


def differences(ref: dict[str, dict[str, Any]], got: dict[str, dict[str, Any]], limit: int = 5) -> list[str]:
    """The first few differences, for an assertion message."""
    out = []
    for side in ref:
        a, b = ref[side], got[side]
        for k in a.keys() | b.keys():
            if a.get(k) != b.get(k):
                out.append(f"{side} {k}: expected {a.get(k)} got {b.get(k)}")
    return sorted(out)[:limit]


FIGURES_DIR = "nstui-fault-figures"


@pytest.fixture
def figures(tmp_path_factory, request):
    """Figures of this test, printed at the end of the session (root conftest)."""
    data: dict[str, Any] = {}
    yield data
    base = tmp_path_factory.getbasetemp()
    if base.name.startswith("popen-"):
        base = base.parent
    folder = base / FIGURES_DIR
    folder.mkdir(exist_ok=True)
    name = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    (folder / f"{name}.json").write_text(json.dumps({"test": request.node.name, **data}, default=str))
