"""What a dry run saves with ``--plan-out``: every plan it carries out, in
order, with the digests of the records each concerns (read from both sides
as the plan is made), and per data set the bookkeeping its pass leaves in
the state (watermarks, which rows are settled or read again, the consent
history it records beside its plans: an opt-out read from the platform),
taken from the dry run's own state transaction before it is rolled back."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from nstui import __version__
from nstui.config import ConfigFile
from nstui.engine.datasets.ops import RecordConsent
from nstui.engine.plans.file import PlanWriter
from nstui.engine.plans.observe import concerned, observe
from nstui.engine.state import iso

if TYPE_CHECKING:
    from nstui.engine.datasets.base import PassContext, Plan

CHUNK = 1000


def config_digest(cfg: ConfigFile) -> str:
    """The settings a sync uses (the console's theme and keys left out)."""
    model = cfg.model.model_dump(mode="json", exclude={"tui", "keys"})
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()


def made_for(cfg: ConfigFile) -> dict[str, Any]:
    """What a plan was made for, in the header; ``apply`` compares it."""
    m = cfg.model
    accounts: dict[str, Any] = {
        "netsuite": {"mode": m.netsuite.mode, "account_id": m.netsuite.account_id.lower()},
        "marketing": {"mode": m.marketing.mode, "url": m.marketing.url},
    }
    if "sandbox" in (m.netsuite.mode, m.marketing.mode):
        accounts["sandbox_dir"] = str(cfg.sandbox_dir.resolve())
    return {
        "config": {"path": str(cfg.path.resolve()), "sha256": config_digest(cfg)},
        "accounts": accounts,
        "state": {"path": str(cfg.state_path.resolve())},
    }


class PlanRecorder:
    def __init__(self, cfg: ConfigFile, path: Path):
        self.cfg = cfg
        self.writer = PlanWriter(path, {
            "created": iso(datetime.now(timezone.utc)), "nstui": __version__, **made_for(cfg)})
        self.batches = 0
        self.operations = 0
        #: The consent history rows of this run seen so far, and those the
        #: last plan's steps leave (the others were recorded beside the plans).
        self._consent_seen = 0
        self._consent_expected: Counter[tuple[str, ...]] = Counter()

    async def batch(self, plan: Plan) -> None:
        ctx = plan.ctx
        steps = [*plan.steps, *plan.after]
        self._consent_beside(ctx)
        self._consent_expected = Counter(
            _consent_key(c.email, c.dataset, c.scope, c.netsuite, c.marketing, c.rule, c.written)
            for s in steps for c in s.commit if isinstance(c, RecordConsent))
        ids, emails = concerned(ctx.dataset, steps)
        netsuite, marketing = await observe(ctx, ids, emails)
        self.batches += 1
        self.operations += sum(1 for s in plan.steps if s.op is not None)
        self.writer.write({
            "batch": self.batches, "dataset": ctx.dataset,
            "steps": [s.to_dict() for s in plan.steps], "after": [s.to_dict() for s in plan.after],
            "netsuite": netsuite, "marketing": marketing,
        })

    async def dataset_done(self, ctx: PassContext, one: Any) -> None:
        """The pass of ``ctx.dataset`` ended: what it left in the (dry) state
        beyond its plans, compared with the state file as committed."""
        name = ctx.dataset
        self._consent_beside(ctx)
        self._consent_expected = Counter()
        dry = ctx.state.db
        base = sqlite3.connect(f"{ctx.state.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            digests = _delta(
                dry.execute("SELECT key, digest FROM record_shadow WHERE dataset = ? AND key LIKE 'ns:%' "
                            "ORDER BY key", (name,)),
                base.execute("SELECT key, digest FROM record_shadow WHERE dataset = ? AND key LIKE 'ns:%' "
                             "ORDER BY key", (name,)))
            self._chunks(name, "digests", digests)
            pending = _delta(
                dry.execute("SELECT record_id, 1 FROM pending WHERE dataset = ? ORDER BY record_id", (name,)),
                base.execute("SELECT record_id, 1 FROM pending WHERE dataset = ? ORDER BY record_id", (name,)))
            self._chunks(name, "pending", ((rid, flag is not None) for rid, flag in pending))
            marks = {side: base.execute("SELECT value FROM watermark WHERE dataset = ? AND side = ?",
                                        (name, side)).fetchone() for side in ("netsuite", "marketing")}
        finally:
            base.close()
        self.writer.write({
            "dataset": name,
            "base": {side: row[0] if row else None for side, row in marks.items()},
            "watermarks": {side: _iso(ctx.state.watermark(name, side)) for side in ("netsuite", "marketing")},
            "lists": dict(getattr(one, "lists", {}) or {}),
        })

    def _consent_beside(self, ctx: PassContext) -> None:
        """Consent history rows the pass recorded since the last plan that no
        step of that plan left: saved in their place, for ``apply`` to add."""
        rows = ctx.state.db.execute(
            "SELECT id, email, dataset, scope, netsuite, marketing, rule, written FROM consent_history "
            "WHERE run_id = ? AND id > ? ORDER BY id", (ctx.run_id, self._consent_seen)).fetchall()
        beside = []
        for row in rows:
            self._consent_seen = max(self._consent_seen, int(row["id"]))
            key = _consent_key(*(row[k] for k in ("email", "dataset", "scope", "netsuite", "marketing", "rule",
                                                  "written")))
            if self._consent_expected[key] > 0:
                self._consent_expected[key] -= 1
            else:
                beside.append(dict(zip(("email", "dataset", "scope", "netsuite", "marketing", "rule", "written"),
                                       key)))
        if beside:
            self.writer.write({"consent": ctx.dataset, "rows": beside})

    def _chunks(self, name: str, kind: str, pairs: Iterator[tuple[Any, Any]]) -> None:
        chunk: list[list[Any]] = []
        for key, value in pairs:
            chunk.append([key, value])
            if len(chunk) >= CHUNK:
                self.writer.write({"state": name, kind: chunk})
                chunk = []
        if chunk:
            self.writer.write({"state": name, kind: chunk})

    def finish(self) -> None:
        self.writer.finish()

    def abort(self) -> None:
        self.writer.abort()


def _consent_key(*values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def _iso(dt: datetime | None) -> str | None:
    return iso(dt) if dt else None


def _delta(new: Iterator[Any], old: Iterator[Any]) -> Iterator[tuple[Any, Any]]:
    """(key, value) where the sorted rows ``new`` differ from ``old``: added,
    changed, or removed (value None); both streamed side by side."""
    a, b = next(new, None), next(old, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[0], a[1]  # type: ignore[index]
            a = next(new, None)
        elif a is None or b[0] < a[0]:
            yield b[0], None
            b = next(old, None)
        else:
            if a[1] != b[1]:
                yield a[0], a[1]
            a, b = next(new, None), next(old, None)
