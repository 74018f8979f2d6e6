"""Ways the engine's end state depended on the order things happened in,
found by the fault suite (a data set that failed part-way changes that
order). The one still marked xfail(strict): when the engine is fixed it
passes, and the mark must go (so must the exclusions in conftest.compare/view).
An order skipped for a missing contact is now read again each run until its
contact exists (engine/datasets/records.py); a failed catalog or order write
stays in the intent log and is sent again by the next run."""

from __future__ import annotations

import pytest

from nstui.config import ConfigFile
from nstui.connections import open_sandboxes
from nstui.engine import Engine

from .conftest import embedded_config


@pytest.fixture
def embedded(tmp_path):
    cfg = ConfigFile.load(embedded_config(tmp_path, records=20, page_size=50, seed=20))
    boxes = open_sandboxes(cfg)
    yield cfg, boxes
    boxes.close()


async def test_orders_skipped_for_a_missing_contact_are_sent_once_it_exists(embedded):
    cfg, boxes = embedded
    engine = Engine(cfg, sandboxes=boxes)
    first = await engine.run_once(["orders"])  # as when the customers pass failed before it
    assert first.datasets["orders"].skipped_total > 0
    await engine.run_once(["customers", "contacts"])
    await engine.run_once(["orders"])
    orders = {k for k, _ in boxes.marketing.insight_records("Orders")}
    assert len(orders) >= first.datasets["orders"].skipped_total


@pytest.mark.xfail(strict=True, reason="engine: when a customer and a contact share an email, the one synced "
                                       "first keeps the link (contacts have no sales stage to compare)")
async def test_the_link_of_a_shared_email_does_not_depend_on_the_order_of_passes(tmp_path):
    owners = []
    for order, name in ((["customers", "contacts"], "a"), (["contacts", "customers"], "b")):
        folder = tmp_path / name
        folder.mkdir()
        cfg = ConfigFile.load(embedded_config(folder, records=40, page_size=50, seed=5))
        boxes = open_sandboxes(cfg)
        try:
            engine = Engine(cfg, sandboxes=boxes)
            for dataset in order:
                await engine.run_once([dataset])
            ns = boxes.netsuite.dump()
            shared = ({(r.get("email") or "").lower() for r in ns["customer"]}
                      & {(r.get("email") or "").lower() for r in ns["contact"]}) - {""}
            assert shared
            owners.append({e: (boxes.marketing.contact(e) or {}).get("lists") for e in sorted(shared)})
        finally:
            boxes.close()
    assert owners[0] == owners[1]


async def test_a_catalog_write_that_failed_is_sent_by_the_next_run(make_world):
    world = make_world("w", seed=20, records=20, page_size=50)
    layer = world.layers["marketing"]
    layer.kinds, layer.rate, layer.budget, layer.paths = ("hostile",), 1.0, 1, ("/insightData/v3/import",)
    first = await world.sync(datasets=["items"])
    assert first.datasets["items"].errors > 0 and world.injected["hostile"] == 1
    await world.sync(datasets=["items"])
    sent = world.boxes.marketing.insight_records(world.config().model.marketing.catalog_name)
    assert len(sent) == first.datasets["items"].read - first.datasets["items"].skipped_total
