"""``nstui apply FILE``: a saved plan carried out exactly, or refused.

Before anything is written, everything the plan was made from is checked:
the configuration and accounts, the state (its watermarks as the plan found
them, no unsettled intents), the lists it names, and every record it
concerns, read again from both sides and compared by digest
(``observe.py``). Any difference refuses the plan (``PlanRefused``, exit 2)
with nothing written anywhere.

Then each data set's plans run in their order through the real executor —
intent log, bulk writes, commit — as the sync would have run them; after
each, the contacts written are read back (their marketing status and id are
the shadow, as in a sync); at the end of a data set its bookkeeping and
watermarks are committed as the plan says. A record whose write fails is
read again by the next sync; an apply killed midway leaves intents that the
next sync settles, like a killed sync's.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from nstui.engine import events as ev
from nstui.engine.datasets.base import PassContext, Plan
from nstui.engine.datasets.ops import (
    ListAdd,
    ListRemove,
    NetSuiteCreate,
    RecordConsent,
    SaveLink,
    SetPending,
    Step,
    Upsert,
)
from nstui.engine.datasets.planned import CREATED_FROM
from nstui.engine.datasets.platform_view import PlatformContacts
from nstui.engine.lock import RunLock
from nstui.engine.plans.file import Batch, PlanFile
from nstui.engine.plans.observe import ENTITIES, concerned, observe
from nstui.engine.plans.record import made_for
from nstui.engine.state import StateStore, parse_iso
from nstui.netsuite.suiteql import quote

if TYPE_CHECKING:
    from nstui.connections import Connections
    from nstui.engine.runner import Engine

#: Records named in a refusal; the rest are counted.
NAMED = 3
CONSENT_FIELDS = ("email", "dataset", "scope", "netsuite", "marketing", "rule", "written")


class PlanRefused(Exception):
    """The plan no longer fits what it was made from: nothing was written."""

    exit_code = 2


async def apply_plan(engine: Engine, path: Path, cancel: asyncio.Event | None = None) -> ev.RunSummary:
    from nstui.connections import open_connections

    cfg = engine.cfg
    plan = PlanFile.open(path)
    _check_made_for(plan, made_for(cfg))
    lock = RunLock.for_config(cfg)
    lock.acquire()
    try:
        state = StateStore(cfg.state_path)
        try:
            _check_state(plan, state)
            async with open_connections(cfg, sandboxes=engine.sandboxes) as conn:
                await _check_remote(plan, engine, state, conn)
            passes: dict[str, Callable[[PassContext], Any]] = {
                name: (lambda ctx: ApplyPass(ctx, plan)) for name in plan.datasets
            }
            return await engine._run(state, list(plan.datasets), False, cancel or asyncio.Event(), passes=passes)
        finally:
            state.close()
    finally:
        lock.release()


# -- checks (nothing is written before all of them pass) ---------------------------


def _refuse(plan: PlanFile, what: str) -> PlanRefused:
    return PlanRefused(f"{plan.path}: refused, nothing written: {what}; make a new plan "
                       "(nstui sync --dry-run --plan-out FILE)")


def _check_made_for(plan: PlanFile, now: dict[str, Any]) -> None:
    h = plan.header
    if h["accounts"] != now["accounts"]:
        raise _refuse(plan, "it was made for other accounts (NetSuite "
                            f"{h['accounts'].get('netsuite', {}).get('account_id')}, marketing "
                            f"{h['accounts'].get('marketing', {}).get('url')}) than this configuration's")
    if h["config"].get("sha256") != now["config"]["sha256"]:
        raise _refuse(plan, f"the configuration differs from the one it was made for ({h['config'].get('path')})")
    if h["state"].get("path") != now["state"]["path"]:
        raise _refuse(plan, f"it was made for the state file {h['state'].get('path')}, not {now['state']['path']}")


def _check_state(plan: PlanFile, state: StateStore) -> None:
    if state.count_intents():
        raise _refuse(plan, "an interrupted run left writes to settle (run nstui sync first)")
    for name, end in plan.datasets.items():
        for side, value in end.base.items():
            mark = state.watermark(name, side)
            if (parse_iso(value) if value else None) != mark:
                raise _refuse(plan, f"{name} was synced since the plan was made (its {side} watermark moved)")


async def _check_remote(plan: PlanFile, engine: Engine, state: StateStore, conn: Connections) -> None:
    existing = {lst.id: lst.name for lst in await conn.marketing.list_lists()}
    for name, end in plan.datasets.items():
        for list_name, list_id in end.lists.items():
            if list_id >= 0 and existing.get(list_id) != list_name:
                raise _refuse(plan, f"the list {list_name!r} (id {list_id}) of {name} no longer exists")
    changed: list[str] = []
    contexts: dict[str, PassContext] = {}
    for batch in plan.batches():
        ctx = contexts.get(batch.dataset)
        if ctx is None:
            ctx = contexts[batch.dataset] = PassContext(
                cfg=engine.cfg, state=state, conn=conn, bus=ev.EventBus(), run_id=0, dataset=batch.dataset,
                dry_run=True, cancel=asyncio.Event(), clock=engine.clock)
        ids, emails = concerned(batch.dataset, [*batch.steps, *batch.after])
        netsuite, marketing = await observe(ctx, ids, emails)
        record = "customer" if batch.dataset == "customers" else batch.dataset.rstrip("s")
        changed += [f"{record} {rid} (in NetSuite)" for rid, d in netsuite.items() if batch.netsuite.get(rid) != d]
        changed += [f"{email} (on the platform)" for email, d in marketing.items() if batch.marketing.get(email) != d]
    if changed:
        names = list(dict.fromkeys(changed))
        more = f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
        raise _refuse(plan, f"changed since the plan was made: {', '.join(names[:NAMED])}{more}")


# -- carrying it out ------------------------------------------------------------


class ApplyPass:
    """One data set of a saved plan, in the place of its sync pass."""

    def __init__(self, ctx: PassContext, plan: PlanFile):
        self.ctx = ctx
        self.plan = plan
        self.end = plan.datasets[ctx.dataset]
        self.lists: dict[int, int] = {}
        #: The dry run's ids of the NetSuite records the plan creates -> their real ids.
        self.created: dict[int, int] = {}

    async def run(self) -> None:
        ctx = self.ctx
        await self.make_lists()
        if ctx.dataset not in ENTITIES:
            from nstui.engine.datasets import PASSES

            one = PASSES[ctx.dataset](ctx)
            await ctx.conn.marketing.ensure_collection(one.collection, scope=one.scope)
        failed: set[int] = set()
        written: set[int] = set()  # NetSuite records our writes changed
        for batch in self.plan.items(ctx.dataset):
            if not isinstance(batch, Batch):  # consent rows recorded beside the plans: committed with the next
                for row in batch:
                    ctx.state.add_consent(ctx.run_id, **{k: str(row.get(k, "")) for k in CONSENT_FIELDS})
                continue
            plan = Plan(ctx)
            await self.find_created([*batch.steps, *batch.after])
            plan.steps = [s for s in map(self.resolve, batch.steps) if s is not None]
            plan.after = [s for s in map(self.resolve, batch.after) if s is not None]
            started = ctx.clock()
            await plan.execute()
            failed |= {s.record_id for s in [*plan.steps, *plan.after]
                       if s.key in plan.failed and s.record_id is not None and s.record_id > 0}
            written |= {int(getattr(s.op, "record_id", 0)) for s in plan.steps
                        if s.op is not None and s.op.side == "netsuite" and s.key not in plan.failed}
            if ctx.dataset in ENTITIES:
                await self.read_back(plan, started)
            ctx.state.checkpoint()
            if ctx.cancel.is_set():
                return  # watermarks stay: the next sync reads these records again
        self.bookkeeping(failed, written)

    async def make_lists(self) -> None:
        """The lists the plan creates (found by name if one was made since, or
        its creation's answer was lost)."""
        mk = self.ctx.conn.marketing
        for name, list_id in self.end.lists.items():
            if list_id >= 0:
                continue
            found = await mk.find_list(name)
            if found is None:
                found = await mk.create_list(name)
                self.ctx.emit(ev.RecordCreated(dataset=self.ctx.dataset, side="marketing", key=name,
                                               reason="list did not exist"))
            self.lists[list_id] = int(found.id)

    async def find_created(self, steps: list[Step]) -> None:
        """A record the plan creates in NetSuite has a dry run's id in the
        steps after its create (``planned.CREATED_FROM`` and up); once made,
        it is found by the create's external ID (record type and email)."""
        default = "customer" if self.ctx.dataset == "customers" else "contact"
        for step in steps:
            for record_type, rid in _record_ids(step, default):
                if rid >= CREATED_FROM and rid not in self.created:
                    ext = NetSuiteCreate(step.key, record_type=record_type).external_id
                    rows = [r async for r in self.ctx.conn.netsuite.suiteql(
                        f"SELECT id FROM {record_type} WHERE externalid = {quote(ext)}")]
                    if rows:
                        self.created[rid] = int(rows[0]["id"])

    def resolve(self, step: Step) -> Step | None:
        """The step with the ids a dry run could not know: lists it planned to
        create, contacts it planned to create (no id yet: the read-back
        after the write links them), this run's id in the consent history,
        and NetSuite records it planned to create (None: that create did not
        happen; the next sync reads the record when it is there)."""
        default = "customer" if self.ctx.dataset == "customers" else "contact"
        if any(rid >= CREATED_FROM and rid not in self.created for _, rid in _record_ids(step, default)):
            return None
        step = _with_record_ids(step, self.created)
        op = step.op
        if isinstance(op, Upsert) and op.write.lists:
            op = dataclasses.replace(op, write=dataclasses.replace(
                op.write, lists=[self.lists.get(i, i) for i in op.write.lists]))
        elif isinstance(op, ListAdd):
            op = dataclasses.replace(op, list_id=self.lists.get(op.list_id, op.list_id))
        elif isinstance(op, ListRemove):
            op = dataclasses.replace(op, list_id=self.lists.get(op.list_id, op.list_id),
                                     contact_id=op.contact_id if (op.contact_id or 0) > 0 else None)
        commit = tuple(self.resolve_change(c) for c in step.commit)
        return dataclasses.replace(step, op=op, commit=commit)

    def resolve_change(self, change: Any) -> Any:
        if isinstance(change, SaveLink) and change.contact_id is not None and change.contact_id < 0:
            return dataclasses.replace(change, contact_id=None)
        if isinstance(change, RecordConsent):
            return dataclasses.replace(change, run_id=self.ctx.run_id)  # written by this run, not the dry one
        return change

    async def read_back(self, plan: Plan, started: Any) -> None:
        """What the platform made of the contacts written is their shadow,
        never a guess (as a sync pass does after its writes)."""
        ctx = self.ctx
        written = sorted({s.key for s in plan.steps if s.op is not None and s.op.side == "marketing"}
                         - plan.failed)
        if not written:
            return
        model = ctx.cfg.model
        optins_on = model.optins.enable_connection and ctx.dataset in model.optins.datasets
        since = started - model.engine.skew_tolerance - timedelta(seconds=1)
        fresh = await PlatformContacts(ctx).read_back(written, since)
        for email, contact in fresh.items():
            if optins_on:
                ctx.state.set_shadow(email, "status:mk", [contact.status, contact.suppressed])
            link = ctx.state.link_by_email(email)
            if link is not None and link.contact_id != contact.contact_id:
                ctx.state.save_link(email, link.party, contact.contact_id)

    def bookkeeping(self, failed: set[int], written: set[int]) -> None:
        """The state the pass left for the rows it read, and the watermarks,
        as the plan says; a record whose write failed is read again, and one
        our writes changed in NetSuite is no longer the row the plan read (a
        sync reads it again too: its modification date is newer)."""
        ctx, name = self.ctx, self.ctx.dataset
        for line in self.plan.state_lines(name):
            for key, value in line.get("digests", ()):
                rid = int(key[3:]) if str(key)[3:].isdigit() else None
                if rid is not None and rid >= CREATED_FROM:
                    continue  # a record the plan created: read again by the next sync
                ctx.state.set_record_digest(name, key, None if rid in failed or rid in written else value)
            for rid, flag in line.get("pending", ()):
                if int(rid) >= CREATED_FROM:
                    continue
                ctx.state.set_pending(name, int(rid), bool(flag) or int(rid) in failed)
        for rid in failed:
            ctx.state.set_pending(name, rid, True)
        for side, value in self.end.watermarks.items():
            mark = parse_iso(value) if value else None
            if mark is not None:
                ctx.state.set_watermark(name, mark, side)
        ctx.state.checkpoint()


def _record_ids(step: Step, default_type: str) -> list[tuple[str, int]]:
    """(record type, id) of every NetSuite record ``step`` names."""
    found = []
    if step.record_id is not None:
        found.append((default_type, step.record_id))
    rid = getattr(step.op, "record_id", None)
    if isinstance(rid, int):
        found.append((getattr(step.op, "record_type", default_type), rid))
    for change in step.commit:
        if isinstance(change, SaveLink):
            found.append((change.record_type, change.record_id))
        elif isinstance(change, SetPending):
            found.append((default_type, change.record_id))
    return found


def _with_record_ids(step: Step, real: dict[int, int]) -> Step:
    """``step`` with the record ids of ``real`` replaced."""
    if not real:
        return step
    op = step.op
    if op is not None and getattr(op, "record_id", None) in real:
        op = dataclasses.replace(op, record_id=real[op.record_id])  # type: ignore[attr-defined,call-arg]
    commit = tuple(dataclasses.replace(c, record_id=real[c.record_id])
                   if isinstance(c, (SaveLink, SetPending)) and c.record_id in real else c for c in step.commit)
    record_id = real.get(step.record_id, step.record_id) if step.record_id is not None else None
    return dataclasses.replace(step, op=op, commit=commit, record_id=record_id)
