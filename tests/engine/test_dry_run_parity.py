"""Dry-run parity: over generated scenarios, the operations a dry run carries
out (on its picture of both sides) are the operations the real run then
carries out, for customers, contacts, items and orders.

Each example starts from one of two seeded worlds (never synced, or synced
once), makes random changes on both sides as their users would (NetSuite
status, name and stage changes, duplicate emails, new records, ticks and
unticks, emails removed; platform unsubscribes, bounces, suppressions,
resubscribes, data edits, list joins and leaves, sign-ups to the
integration's lists, opt-outs of addresses NetSuite has no record of, an
email changed; items and orders edited), then runs all four data sets dry,
then for real, through the real clients on the embedded sandboxes, and
compares the two runs' operations as data (``Op.to_dict``), in order.

The sandboxes and the engine share one frozen data clock, so the two runs
see the same times. Seeded (``derandomize``); ``NSTUI_PARITY_EXAMPLES=N``
runs N examples instead of the default.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from nstui.config import ConfigFile
from nstui.connections import Sandboxes, open_sandboxes
from nstui.engine import Engine
from nstui.engine.datasets.ops import Op
from nstui.engine.rules.emails import normalize_email

from .conftest import write_config

EXAMPLES = int(os.environ.get("NSTUI_PARITY_EXAMPLES") or 25)  # read at import: the fixtures clear NSTUI_*
#: Shrinking a failure takes minutes; NSTUI_PARITY_SHRINK=1 shrinks it to the smallest scenario.
PHASES = tuple(Phase) if os.environ.get("NSTUI_PARITY_SHRINK") == "1" else (Phase.explicit, Phase.reuse, Phase.generate)
ALL = ["customers", "contacts", "items", "orders"]
LISTS = ["Customers", "Leads", "Prospects", "Contacts", "Newsletter", "VIP"]


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


_BASES: dict[bool, tuple[Path, datetime]] = {}


def _open(folder: Path, clock: Clock) -> tuple[ConfigFile, Sandboxes]:
    os.environ["NSTUI_STATE"] = str(folder / "state.sqlite")
    cfg = ConfigFile.load(folder / "nstui.toml")
    boxes = open_sandboxes(cfg)
    boxes.netsuite.clock = boxes.marketing.clock = clock
    return cfg, boxes


def _base(synced: bool) -> tuple[Path, datetime]:
    """A seeded world, made once per process: 36 customers and their contacts
    on pages of 8, synced once or never."""
    if synced not in _BASES:
        folder = Path(tempfile.mkdtemp(prefix="nstui-parity-base-"))
        write_config(folder, records=36, page_size=8, seed=11, create_missing="true")
        start = datetime.now(timezone.utc).replace(microsecond=0)
        clock = Clock(start)
        cfg, boxes = _open(folder, clock)
        try:
            if synced:
                clock.now = start + timedelta(hours=1)
                asyncio.run(Engine(cfg, sandboxes=boxes, clock=clock).run_once(ALL))
        finally:
            boxes.close()
        _BASES[synced] = (folder, start)
    return _BASES[synced]


# -- what users do between two runs -----------------------------------------------

idx = st.integers(min_value=0, max_value=60)
change = st.one_of(
    st.tuples(st.just("ns_status"), idx, st.sampled_from([1, 2, 3, 4])),
    st.tuples(st.just("ns_rename"), idx),
    st.tuples(st.just("ns_stage"), idx, st.sampled_from(["LEAD", "PROSPECT", "CUSTOMER"])),
    st.tuples(st.just("ns_same_email"), idx, idx),
    st.tuples(st.just("ns_new_duplicate"), idx, st.sampled_from(["LEAD", "PROSPECT", "CUSTOMER", "contact"])),
    st.tuples(st.just("ns_new"), idx, st.sampled_from(["LEAD", "CUSTOMER", "contact"])),
    st.tuples(st.just("ns_tick"), idx, st.booleans()),
    st.tuples(st.just("ns_email_removed"), idx),
    st.tuples(st.just("mk_status"), idx, st.sampled_from(["unsubscribe", "bounce", "suppress", "resubscribe"])),
    st.tuples(st.just("mk_edit"), idx),
    st.tuples(st.just("mk_join"), idx, st.sampled_from(LISTS)),
    st.tuples(st.just("mk_leave"), idx, st.sampled_from(LISTS)),
    st.tuples(st.just("mk_signup"), idx, st.sampled_from(["Customers", "Leads", "Prospects", "Contacts"])),
    st.tuples(st.just("mk_opt_out_unknown"), idx),
    st.tuples(st.just("mk_email_changed"), idx, st.booleans()),
    st.tuples(st.just("item_edit"), idx, st.booleans()),
    st.tuples(st.just("order_edit"), idx),
)
scenario = st.fixed_dictionaries({
    "synced": st.booleans(),
    "changes": st.lists(change, min_size=1, max_size=8),
})


def _pick(rows: list[Any], i: int) -> Any:
    return rows[i % len(rows)] if rows else None


def make_changes(boxes: Sandboxes, changes: list[tuple[Any, ...]], clock: Clock) -> None:
    ns, mk = boxes.netsuite, boxes.marketing
    sub_id = ns.query("SELECT id FROM campaignsubscription WHERE name = 'Newsletter'")[0]["id"]
    default = {r["stage"]: r["id"] for r in ns.query("SELECT id, stage FROM customerstatus WHERE isdefault = 'T'")}
    lists = {r["name"].rsplit(" - ", 1)[-1] if r["name"].startswith("NetSuite (") else r["name"]: r["name"]
             for r in mk.dump()["lists"]}
    for n, (kind, i, *args) in enumerate(changes):
        clock.now += timedelta(seconds=7)
        entities = ns.query("SELECT 'customer' AS t, id, email FROM customer UNION ALL "
                            "SELECT 'contact', id, email FROM contact ORDER BY id")
        mailed = [r for r in entities if r["email"] and "@" in r["email"]]
        contacts = [c["email"] for c in mk.dump()["contacts"]]
        r = _pick(mailed, i)
        if kind == "ns_status":
            ns.update(r["t"], r["id"], globalsubscriptionstatus=args[0])
        elif kind == "ns_rename":
            ns.update(r["t"], r["id"], firstname=f"Renamed{n}")
        elif kind == "ns_stage":
            c = _pick([x for x in mailed if x["t"] == "customer"], i)
            ns.update("customer", c["id"], entitystatus=default[args[0]])
        elif kind == "ns_same_email":
            ns.update(r["t"], r["id"], email=_pick(mailed, args[0])["email"])
        elif kind in ("ns_new_duplicate", "ns_new"):
            email = r["email"] if kind == "ns_new_duplicate" else f"new{n}.{i}@example.org"
            if args[0] == "contact":
                ns.insert("contact", firstname=f"New{n}", lastname="Person", email=email)
            else:
                ns.insert("customer", firstname=f"New{n}", lastname="Person", email=email, isperson="T",
                          entitystatus=default[args[0]])
        elif kind == "ns_tick":
            ns.set_subscription(r["id"], sub_id, args[0])
        elif kind == "ns_email_removed":
            ns.update(r["t"], r["id"], email=None)
        elif kind == "mk_status" and contacts:
            email = _pick(contacts, i)
            {"unsubscribe": mk.contact_unsubscribes, "bounce": mk.bounce, "suppress": mk.company_suppresses,
             "resubscribe": mk.contact_resubscribes}[args[0]](email)
        elif kind == "mk_edit" and contacts:
            mk.set_data_fields(_pick(contacts, i), {"FIRSTNAME": f"Mk{n}"})
        elif kind in ("mk_join", "mk_leave") and contacts and args[0] in lists:
            email = _pick(contacts, i)
            (mk.add_to_list_by_name if kind == "mk_join" else mk.remove_from_list_by_name)(email, lists[args[0]])
        elif kind == "mk_signup" and args[0] in lists:
            email = f"signup{n}.{i}@example.net"
            mk.add_contact(email, {"FIRSTNAME": "Sign", "LASTNAME": f"Up{n}"})
            mk.add_to_list_by_name(email, lists[args[0]])
        elif kind == "mk_opt_out_unknown":
            email = f"gone{n}.{i}@example.net"
            mk.add_contact(email, {})
            mk.contact_unsubscribes(email)
        elif kind == "mk_email_changed" and contacts:
            # to a new address, or to one another NetSuite record has (NetSuite
            # refuses it); the platform takes valid addresses only
            taken = {c.lower() for c in contacts}
            free = [x["email"].lower() for x in mailed if x["email"].lower() not in taken
                    and normalize_email(x["email"])[0]]
            new = _pick(free, i) if args[0] and free else f"moved{n}.{i}@example.net"
            mk.change_email(_pick(contacts, i), new)
        elif kind == "item_edit":
            item = _pick(ns.query("SELECT id FROM item WHERE isinactive = 'F' ORDER BY id"), i)
            ns.update("item", item["id"], **({"isinactive": "T"} if args[0] else {"displayname": f"Item v{n}"}))
        elif kind == "order_edit":
            order = _pick(ns.query("SELECT id FROM \"transaction\" WHERE type IN ('SalesOrd', 'CashSale') ORDER BY id"), i)
            ns.update("transaction", order["id"], status="B")


# -- comparing the two runs ------------------------------------------------------------


def normalized(op: Op, known: dict[str, set[int]]) -> str:
    """An operation as data, with the ids only one run can know (a contact,
    list or NetSuite record made by the run itself) replaced by "new"."""
    data = op.to_dict()
    for name, kind in (("contact_id", "contacts"), ("list_id", "lists"), ("record_id", "records")):
        if data.get(name) is not None and data[name] not in known[kind]:
            data[name] = "new"
    if "write" in data:
        data["write"]["lists"] = [x if x in known["lists"] else "new" for x in data["write"]["lists"]]
    return json.dumps(data, sort_keys=True, default=str)


def known_ids(boxes: Sandboxes) -> dict[str, set[int]]:
    mk = boxes.marketing.dump()
    ns = boxes.netsuite.query("SELECT id FROM customer UNION ALL SELECT id FROM contact")
    return {"contacts": {c["id"] for c in mk["contacts"]}, "lists": {r["id"] for r in mk["lists"]},
            "records": {r["id"] for r in ns}}


async def both_runs(cfg: ConfigFile, boxes: Sandboxes, clock: Clock) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    known = known_ids(boxes)
    runs: list[dict[str, list[str]]] = []
    for dry in (True, False):
        ops: dict[str, list[str]] = {name: [] for name in ALL}

        def record(dataset: str, op: Op, ops: dict[str, list[str]] = ops) -> None:
            ops[dataset].append(normalized(op, known))

        engine = Engine(cfg, sandboxes=boxes, clock=clock, on_op=record)
        await engine.run_once(ALL, dry_run=dry)
        runs.append(ops)
    return runs[0], runs[1]


@contextmanager
def changed_world(synced: bool, changes: list[tuple[Any, ...]]
                  ) -> Iterator[tuple[Path, ConfigFile, Sandboxes, Clock]]:
    """A copy of the base world (synced once or never), ``changes`` made on
    both sides, the clock ten minutes on; NSTUI_STATE restored afterwards."""
    base, start = _base(synced)
    saved = os.environ.get("NSTUI_STATE")
    with tempfile.TemporaryDirectory(prefix="nstui-parity-") as tmp:
        folder = Path(tmp) / "world"
        shutil.copytree(base, folder)
        clock = Clock(start + timedelta(hours=2))
        cfg, boxes = _open(folder, clock)
        try:
            make_changes(boxes, changes, clock)
            clock.now += timedelta(minutes=10)
            yield folder, cfg, boxes, clock
        finally:
            boxes.close()
            if saved is None:
                os.environ.pop("NSTUI_STATE", None)
            else:
                os.environ["NSTUI_STATE"] = saved


def check(sc: dict[str, Any]) -> None:
    with changed_world(sc["synced"], sc["changes"]) as (_folder, cfg, boxes, clock):
        dry, real = asyncio.run(both_runs(cfg, boxes, clock))
    for name in ALL:
        assert dry[name] == real[name], _diff(name, dry[name], real[name])


def _diff(name: str, dry: list[str], real: list[str]) -> str:
    only_dry = [x for x in dry if x not in real]
    only_real = [x for x in real if x not in dry]
    lines = [f"{name}: dry run {len(dry)} operations, real run {len(real)}"]
    lines += ["  only in the dry run: " + x for x in only_dry[:8]]
    lines += ["  only in the real run: " + x for x in only_real[:8]]
    if not only_dry and not only_real:
        lines.append("  same operations, another order")
    return "\n".join(lines)


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          phases=PHASES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sc=scenario)
def test_dry_run_operations_equal_the_real_runs(sc):
    check(sc)


def test_a_saved_plan_names_the_records_it_creates_by_their_real_ids_once_applied():
    """The dry run reads back the NetSuite records it creates (a sign-up to the
    Customers list, an opt-out NetSuite has no record of) and plans their
    links; ``nstui apply`` links them to the records NetSuite made."""
    from nstui.engine.datasets.planned import CREATED_FROM
    from nstui.engine.plans.apply import apply_plan
    from nstui.engine.plans.record import PlanRecorder
    from nstui.engine.state import StateStore

    with changed_world(True, [("mk_signup", 0, "Customers"), ("mk_opt_out_unknown", 3)]) as (folder, cfg, boxes, clock):
        plan = folder / "plan.json"
        recorder = PlanRecorder(cfg, plan)
        asyncio.run(Engine(cfg, sandboxes=boxes, clock=clock).run_once(ALL, dry_run=True, recorder=recorder))
        recorder.finish()
        text = plan.read_text()  # the plan goes on with the records it creates, by the dry run's ids
        assert any(f"{CREATED_FROM + n}," in text for n in range(1, 50))
        clock.now += timedelta(minutes=1)
        summary = asyncio.run(apply_plan(Engine(cfg, sandboxes=boxes, clock=clock), plan))
        assert summary.total.errors == 0
        with StateStore(cfg.state_path) as state:
            links = {e: state.link_by_email(e) for e in ("signup0.0@example.net", "gone1.3@example.net")}
        for email, link in links.items():
            assert link is not None and link.party.record_id < CREATED_FROM, email
            row = boxes.netsuite.row(link.party.record_type, link.party.record_id)
            assert row is not None and row["email"].lower() == email
