"""Faults on both sides at 5%, 20% and 50% (429, 503, hangs, dropped
connections, slow drips, oversized, truncated, wrongly shaped answers,
redirects, hostile error pages), two runs through them, then one clean run:
contacts, consent and NetSuite's records end as in the fault-free world."""

from __future__ import annotations

import pytest

from .conftest import compare, differences, reference

RECORDS, PAGE = 20, 10


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
async def test_faults_then_one_clean_run_converge(make_world, tmp_path, figures, rate):
    seed = int(rate * 100)
    expected = await reference(tmp_path / "reference", seed=seed, records=RECORDS, page_size=PAGE)
    world = make_world("faulty", seed=seed, records=RECORDS, page_size=PAGE)
    errors = 0
    for attempt in range(2):
        world.faults(rate, seed * 10 + attempt)
        errors += (await world.sync(timeout=0.2, retries=1)).total.errors
    world.faults(0, 0)
    clean = await world.sync()
    got = world.view()
    # Contacts, their statuses and lists (emails that customers and contacts
    # share included), NetSuite's records and subscriptions, the catalog and
    # the orders must converge.
    result = compare(expected, got, sides=("marketing", "netsuite", "subscriptions", "insight", "orders"))
    figures.update(rate=rate, faults=dict(world.injected), faulty_run_errors=errors,
                   clean_run_errors=clean.total.errors, **result)
    assert sum(world.injected.values()) > 0
    assert result == {"lost": 0, "duplicated": 0, "wrong": 0}, differences(expected, got)
    assert clean.total.errors == 0
