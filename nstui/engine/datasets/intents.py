"""An interrupted run's writes, settled before a pass reads anything.

An intent still in the log means its page never committed: the process died
between intent and commit, or a write's answer never came. Its write may or
may not have reached the remote system. So, per record (key), before the
pass reads either side's changes:

- each write whose effect the remote already shows is ours (it is not
  repeated);
- each one whose effect is absent is carried out now, as decided: the plan
  resumes. One exception keeps consent first: a write that would mail a
  contact more (an opt-in status, an unsuppress, a resubscribe, a list
  join) is dropped when the contact opted out after it was decided;
- then the state the record's steps leave (links, shadows, digests, and the
  marketing status our writes left) is committed, so the next read sees our
  writes as echoes and the contact's own later changes as changes.

A record whose resumption fails keeps nothing: it is read again and the rules
decide anew.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from nstui.engine import events as ev
from nstui.engine.datasets.executor import Remote, _describe, group_of
from nstui.engine.datasets.ops import MARKETING_CONTACT_OPS, NetSuiteCreate, Step
from nstui.engine.datasets.planned import OPTED_OUT, effect_present, planned_contact, subscribes
from nstui.engine.errors import REMOTE_ERRORS, netsuite_values
from nstui.netsuite.suiteql import quote

if TYPE_CHECKING:
    from nstui.engine.datasets.base import PassContext


async def reconcile_intents(ctx: PassContext) -> None:
    rows = ctx.state.pending_intents(ctx.dataset)
    if not rows:
        return
    if ctx.dry_run:
        ctx.warn(f"{len(rows)} writes of an interrupted run are not settled yet; the next real run settles "
                 "them first, so this plan may differ from it for their records")
        return
    by_key: dict[str, list[tuple[int, Step, datetime]]] = defaultdict(list)
    for intent_id, key, data, at in rows:
        by_key[key].append((intent_id, Step.from_dict(data), at))
    emails = sorted(k for k, items in by_key.items()
                    if any(isinstance(s.op, MARKETING_CONTACT_OPS) for _, s, _ in items))
    contacts = await ctx.conn.marketing.get_contacts(emails) if emails else {}
    remote = Remote(ctx.conn)
    now = ctx.clock()
    seen = resumed = dropped = failed = 0
    for key, items in by_key.items():
        contact = contacts.get(key)
        created: int | None = None
        ok = True
        for _, step, at in items:
            op = step.op
            if op is None:
                continue
            if isinstance(op, MARKETING_CONTACT_OPS):
                if effect_present(op, contact, now):
                    seen += 1
                    continue
                if (subscribes(op) and contact is not None and _opted_out_since(contact, at)):
                    dropped += 1
                    continue
            elif isinstance(op, NetSuiteCreate):
                found = await _created(ctx, op)
                if found is not None:
                    created, seen = found, seen + 1
                    continue
            try:
                group = group_of(op)
                if group is not None:
                    refused = await remote.bulk(group, [op])
                    if refused:
                        raise _Refused(next(iter(refused.values())))
                else:
                    created = await remote.single(op) or created
            except _FAILED as e:
                ctx.error(f"an interrupted run's write could not be completed: {_describe(e)}", key=key)
                ok = False
                failed += 1
                break
            resumed += 1
            ctx.carried_out(op)
            for event in step.events:
                ctx.emit(event)
            for name in step.counts:
                setattr(ctx.counts, name, getattr(ctx.counts, name) + 1)
            if isinstance(op, MARKETING_CONTACT_OPS):
                contact = planned_contact(key, contact, [op], now)
        for _, step, _ in items:
            if ok:
                for change in step.commit:
                    change.apply(ctx.state, created)
            elif step.record_id is not None:
                ctx.state.set_pending(ctx.dataset, step.record_id, True)
        ctx.state.intents_done(i for i, _, _ in items)
    ctx.state.checkpoint()
    ctx.emit(ev.Warning_(
        dataset=ctx.dataset,
        text=(f"settled {len(rows)} writes of an interrupted run: {seen} had reached the remote system, "
              f"{resumed} carried out now, {dropped} dropped (the contact opted out since), {failed} failed "
              "(their records are read again)"),
    ))


def _opted_out_since(contact: object, at: datetime) -> bool:
    status = getattr(contact, "status", None)
    changed = getattr(contact, "status_changed", None)
    opted_out = status in OPTED_OUT or bool(getattr(contact, "suppressed", False))
    return opted_out and (changed is None or changed >= at)


async def _created(ctx: PassContext, op: NetSuiteCreate) -> int | None:
    """The record an interrupted create made, found by its email."""
    email = str(op.body.get("email") or op.key).lower()
    rows = [r async for r in ctx.conn.netsuite.suiteql(
        f"SELECT id FROM {op.record_type} WHERE LOWER(email) = {quote(email)} ORDER BY id")]
    with netsuite_values(f"the {op.record_type} an interrupted create made"):
        return int(rows[0]["id"]) if rows else None


class _Refused(Exception):
    pass


#: What a resumed write may meet: the remote's refusal, reported and retried next run.
_FAILED: tuple[type[Exception], ...] = (*REMOTE_ERRORS, _Refused)
