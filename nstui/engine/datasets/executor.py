"""Carrying a plan out.

The write path of a real run, for each page:

1. **intent**: every step with a write is recorded in the state's intent log
   and committed (durable) before the first remote call;
2. **write**: the writes, grouped in bulk where the platform allows (one
   contact import, one list call per list, one insight import per
   collection), the rest one by one;
3. **commit**: the state each key's steps leave (links, shadows, digests) is
   applied, and its intents deleted, in the page's transaction (committed with
   its watermark by ``PassContext.page_done``). A key with a failed write
   commits nothing: its record is read again and the rules decide anew.

An intent still in the log at the next run (the process died, or an answer
was lost) is reconciled before anything else is read (``intents.py``).

A dry run takes exactly the same steps with ``Simulated`` as the target:
nothing is written, every write "succeeds" on the dry run's picture of both
sides (``planned.py``), which the rest of the run reads through
(``simulated.py``). So the plan of a dry run is what the real run executes
(``tests/engine/test_dry_run_parity.py``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from nstui.engine import events as ev
from nstui.engine.datasets.ops import (
    DeleteContact,
    InsightDelete,
    InsightUpsert,
    ListAdd,
    ListRemove,
    NetSuiteCreate,
    NetSuitePatch,
    NetSuiteSetStatus,
    NetSuiteSetSubscription,
    Op,
    Resubscribe,
    SetRefused,
    Step,
    Suppress,
    Unsuppress,
    Upsert,
)
from nstui.engine.datasets.planned import Picture
from nstui.engine.datasets.simulated import Simulated
from nstui.engine.errors import REMOTE_ERRORS

if TYPE_CHECKING:
    from nstui.connections import Connections
    from nstui.engine.datasets.base import PassContext, Plan


def group_of(op: Op | None) -> tuple[Any, ...] | None:
    """The bulk call an operation is made with, or None: a call of its own."""
    if isinstance(op, Upsert):
        return ("upsert",)
    if isinstance(op, ListAdd):
        return ("list_add", op.list_id)
    if isinstance(op, ListRemove):
        return ("list_remove", op.list_id)
    if isinstance(op, InsightUpsert):
        return ("insight", op.collection)
    return None


class Remote:
    """The remote systems, through the real clients."""

    def __init__(self, conn: Connections):
        self.ns = conn.netsuite
        self.mk = conn.marketing

    async def bulk(self, group: tuple[Any, ...], ops: list[Any]) -> dict[str, str]:
        """One call for ``ops``; returns the keys the platform refused, with why."""
        kind = group[0]
        if kind == "upsert":
            if len(ops) == 1:
                await self.mk.upsert_contact(ops[0].write)
                return {}
            report = await self.mk.import_contacts([op.write for op in ops])
            return {email: reason for email, reason in report.failed}
        if kind == "list_add":
            await self.mk.add_to_list(group[1], [op.key for op in ops])
        elif kind == "list_remove":
            known = {op.key: op.contact_id for op in ops if op.contact_id}
            await self.mk.remove_from_list(group[1], [op.key for op in ops], known_ids=known)
        elif kind == "insight":
            emails = [op.email for op in ops]
            await self.mk.upsert_insight_records(
                group[1], [(op.key, op.record) for op in ops],
                contact_emails=emails if any(e is not None for e in emails) else None,
            )
        return {}

    async def single(self, op: Op) -> int | None:
        """One write; returns the id of a record it created."""
        if isinstance(op, Suppress):
            await self.mk.suppress(op.key)
        elif isinstance(op, Unsuppress):
            await self.mk.unsuppress(op.key)
        elif isinstance(op, Resubscribe):
            await self.mk.resubscribe(op.key, with_confirmation=True)
        elif isinstance(op, DeleteContact):
            await self.mk.delete_contact(op.key)
        elif isinstance(op, InsightDelete):
            await self.mk.delete_insight_record(op.collection, op.key)
        elif isinstance(op, NetSuitePatch):
            await self.ns.patch_record(op.record_type, op.record_id, op.body)
        elif isinstance(op, NetSuiteSetStatus):
            if op.source_field:
                await self.ns.patch_record(op.record_type, op.record_id, op.body)
            else:
                await self.ns.set_global_subscription_status(op.record_type, op.record_id, op.status)  # type: ignore[arg-type]
        elif isinstance(op, NetSuiteSetSubscription):
            await self.ns.set_campaign_subscription(op.record_type, op.record_id,  # type: ignore[arg-type]
                                                    op.subscription_id, op.subscribed)
        elif isinstance(op, NetSuiteCreate):
            return int(await self.ns.create_record(op.record_type, op.body, external_id=op.external_id))
        else:  # pragma: no cover - a new operation without its call
            raise TypeError(f"no remote call for {op!r}")
        return None


async def execute(ctx: PassContext, plan: Plan) -> set[str]:
    """Carry ``plan`` out; returns the keys whose writes failed."""
    from nstui.engine.datasets.base import breathe, planned

    dry = ctx.dry_run
    target: Remote | Simulated = Remote(ctx.conn)
    if dry:  # never the remote systems: the picture the run reads through (simulated.py)
        picture = getattr(ctx.conn, "picture", None)
        target = Simulated(picture or Picture(ctx.state, ctx.conn.netsuite, ctx.conn.marketing, ctx.clock))
    writes = [s for s in plan.steps if s.op is not None]
    intent: dict[int, int] = {}  # id(step) -> intent id
    if writes and not dry:
        ids = ctx.state.log_intents(ctx.dataset, ((s.key, s.to_dict()) for s in writes))
        intent = {id(s): i for s, i in zip(writes, ids)}
        ctx.state.checkpoint()  # durable before the first remote write
        ctx.window("intent")
    failed: dict[str, str] = {}
    uncertain: set[str] = set()  # the write may have been applied: its intents stay

    def fail(step: Step, reason: str, maybe_applied: bool) -> None:
        if step.key in failed:
            return
        failed[step.key] = reason
        # A catalog or order write is one-way and idempotent: whatever the
        # failure, its intent stays and the next run sends it again.
        if maybe_applied or isinstance(step.op, (InsightUpsert, InsightDelete)):
            uncertain.add(step.key)
        ctx.error(step.fail_prefix + reason, key=step.key)
        for change in step.on_fail:
            if isinstance(change, SetRefused):
                change = dataclasses.replace(change, reason=reason)
            change.apply(ctx.state)

    groups: dict[tuple[Any, ...], list[Step]] = {}
    for step in writes:
        group = group_of(step.op)
        if group is not None:
            groups.setdefault(group, []).append(step)
    for group, steps in groups.items():
        try:
            refused = await target.bulk(group, [s.op for s in steps])
        except REMOTE_ERRORS as e:
            for s in steps:
                fail(s, _describe(e), maybe_applied(e))
            continue
        by_key = {s.key: s for s in steps}
        for key, reason in refused.items():
            if key in by_key:
                fail(by_key[key], reason, False)
        for s in steps:
            if s.key not in refused:
                ctx.carried_out(s.op)  # type: ignore[arg-type]
        ctx.window("write")
    done: list[tuple[Step, int | None]] = []
    for i, step in enumerate(plan.steps):
        await breathe(i)
        if step.key in failed:
            continue
        created: int | None = None
        if step.op is not None and group_of(step.op) is None:
            try:
                created = await target.single(step.op)
            except REMOTE_ERRORS as e:  # one record's failure never stops the page
                fail(step, _describe(e), maybe_applied(e))
                continue
            ctx.carried_out(step.op)
            ctx.window("write")
        for event in step.events:
            if dry and isinstance(event, ev.RecordEvent):
                event = planned(event)
            ctx.emit(event)
        for name in step.counts:
            setattr(ctx.counts, name, getattr(ctx.counts, name) + 1)
        done.append((step, created))
    finished: list[int] = []
    for step, created in done:
        if step.key in failed:
            continue
        for change in step.commit:
            change.apply(ctx.state, created)
        if id(step) in intent:
            finished.append(intent[id(step)])
    for step in plan.after:
        if step.key in failed:
            continue
        for event in step.events:
            ctx.emit(planned(event, dry) if isinstance(event, ev.RecordEvent) else event)
        for change in step.commit:
            change.apply(ctx.state)
    # A key that failed for sure (refused, or never tried) leaves no intent;
    # one whose answer never came keeps all of its intents for the next run.
    finished += [intent[id(s)] for s in writes if id(s) in intent and s.key in failed and s.key not in uncertain]
    if finished:
        ctx.state.intents_done(finished)
    return set(failed)


def maybe_applied(e: Exception) -> bool:
    """A refusal (4xx) left nothing behind; any other failure (no answer, a
    5xx after the retries, an answer we could not read) may have been applied."""
    status = getattr(e, "status", 0) or 0
    return not 400 <= status < 500


def _describe(e: Exception) -> str:
    text = str(e) or e.__class__.__name__
    return text if len(text) < 300 else text[:297] + "..."
