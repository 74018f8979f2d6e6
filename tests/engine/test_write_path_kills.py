"""The kill suite: a real `nstui sync` process SIGKILLed at exact points of
the write path — after its intents are committed and before the write, after
a remote write and before its state commit, after a page's commit — one
process after another, each resuming what the last one left; then one
ordinary run. The sandboxes must end exactly as one clean run leaves them:
no record wrong, lost or duplicated, on customers, contacts, items and
orders (the figures are printed; `pytest -s` shows them)."""

from __future__ import annotations

import random

import pytest

from .write_path import DEEP, cli_sync, differences, dump, figures, intents_left, kinds, make_changes, \
    sync_in_process, world

WINDOWS = ("intent", "write", "commit")


@pytest.fixture(autouse=True)
def _state_per_world(monkeypatch):
    """Each world keeps its own state file (the one its configuration names)."""
    monkeypatch.delenv("NSTUI_STATE", raising=False)


def points(seed: int, n: int) -> list[str]:
    """Every window early in a run, then seeded random occurrences of each."""
    rng = random.Random(seed)
    fixed = [f"{w}:1" for w in WINDOWS] + ["write:2", "write:3"]
    return (fixed + [f"{rng.choice(WINDOWS)}:{rng.randint(1, 4)}" for _ in range(n)])[:n]


def series(tmp_path, seed: int, kill_points: list[str], *, changes: bool) -> dict:
    clean, hurt = (world(tmp_path / name, seed=seed) for name in ("clean", "hurt"))
    if changes:  # a first sync, then both sides change: the runs killed are the second
        for cfg in (clean, hurt):
            sync_in_process(cfg)
            make_changes(cfg, seed)
    killed = 0
    for point in kill_points:
        code = cli_sync(hurt, point)
        assert code in (0, 1, -9), code
        killed += code == -9
    assert cli_sync(hurt) in (0, 1)
    sync_in_process(clean)
    for cfg in (clean, hurt):  # converged: another run changes nothing
        sync_in_process(cfg)
    diff = differences(dump(clean), dump(hurt))
    figures(f"kill series (seed {seed}, {'second run' if changes else 'first run'})", diff,
            kills=killed, points=kinds(kill_points))
    assert killed >= len(kill_points) * 3 // 4, "most kill points must be reached"
    assert intents_left(hurt) == 0
    return diff


@pytest.mark.parametrize("seed, changes", [(5, False), (8, True)] + ([(13, False), (21, True)] if DEEP else []))
def test_killed_runs_converge_to_the_clean_run(tmp_path, seed, changes):
    diff = series(tmp_path, seed, points(seed, 40 if DEEP else 16), changes=changes)
    assert diff == {"wrong": [], "lost": [], "duplicated": []}, _explain(tmp_path, diff)


def _explain(tmp_path, diff) -> str:
    from .write_path import view

    a = view(dump(tmp_path / "clean" / "nstui.toml"))
    b = view(dump(tmp_path / "hurt" / "nstui.toml"))
    return "\n".join(f"{k}:\n  clean {a.get(k)}\n  hurt  {b.get(k)}" for k in (diff["wrong"] + diff["duplicated"])[:8])
