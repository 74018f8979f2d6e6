"""Lost answers: the sandboxes make the write, then drop the connection or
answer a 200 that is no JSON, for 5 %, 20 % and 50 % of the writes of both
sides, through a first sync, changes on both sides and a second sync. Then
the answers come back and one more run settles what was left in the intent
log. Both sandboxes must end as a world without lost answers ends: no record
wrong, lost or duplicated (`pytest -s` prints the figures)."""

from __future__ import annotations

import asyncio
import json

import pytest

from nstui.config import ConfigFile
from nstui.connections import open_sandboxes
from nstui.engine import Engine
from nstui.marketing import client as mk_client
from nstui.netsuite import retry as ns_retry

from .write_path import ALL, DEEP, differences, figures, intents_left, make_changes, world


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    """Each world keeps its own state file; retries do not wait."""
    monkeypatch.delenv("NSTUI_STATE", raising=False)
    monkeypatch.setattr(ns_retry.Backoff, "delay", lambda self, *a, **k: 0.0)
    monkeypatch.setattr(mk_client.Backoff, "delay", lambda self, *a, **k: 0.0)


def _runs(cfg_path, seed: int, rate: float) -> tuple[dict, int, int]:
    cfg = ConfigFile.load(cfg_path)
    boxes = open_sandboxes(cfg)
    try:
        engine = Engine(cfg, sandboxes=boxes)
        for box in (boxes.netsuite, boxes.marketing):
            box.faults.lose_answers(rate)
        errors = asyncio.run(engine.run_once(ALL)).total.errors
        lost = boxes.netsuite.faults.answers_lost + boxes.marketing.faults.answers_lost
        boxes.close()
        make_changes(cfg_path, seed)
        boxes = open_sandboxes(cfg)
        engine = Engine(cfg, sandboxes=boxes)
        for box in (boxes.netsuite, boxes.marketing):
            box.faults.lose_answers(rate)
        errors += asyncio.run(engine.run_once(ALL)).total.errors
        lost += boxes.netsuite.faults.answers_lost + boxes.marketing.faults.answers_lost
        for box in (boxes.netsuite, boxes.marketing):
            box.faults.lose_answers(0.0)
        for _ in range(2):
            asyncio.run(engine.run_once(ALL))
        return json.loads(json.dumps(boxes.dump(), default=str)), lost, errors
    finally:
        boxes.close()


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
def test_lost_answers_converge_to_the_clean_run(tmp_path, rate):
    seed = 9
    records = 150 if DEEP else 80
    clean, _, _ = _runs(world(tmp_path / "clean", seed=seed, records=records), seed, 0.0)
    hurt_cfg = world(tmp_path / "hurt", seed=seed, records=records)
    hurt, lost, errors = _runs(hurt_cfg, seed, rate)
    diff = differences(clean, hurt)
    figures(f"lost answers at {rate:.0%}", diff, answers_lost=lost, writes_failed=errors)
    assert lost > 0
    assert intents_left(hurt_cfg) == 0
    assert diff == {"wrong": [], "lost": [], "duplicated": []}, {k: v[:5] for k, v in diff.items()}
