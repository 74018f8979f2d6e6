"""Clock-safe watermarks: never beyond the remote server's own now (its Date
header) minus the overlap; rows stamped in the future skip nothing; the
platform-side watermark is the platform's clock, not ours. With the
sandboxes' clocks shifted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from nstui.engine import Engine
from nstui.engine.rules.watermark import advance, read_from
from nstui.engine.state import StateStore
from tests.engine.test_entity_rules import add_customer

T = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
FIVE = timedelta(minutes=5)


def test_watermark_never_passes_the_servers_now_minus_overlap():
    future_row = T + timedelta(minutes=10)
    assert advance(None, future_row, T, FIVE) == T - FIVE
    assert advance(T - timedelta(hours=1), T - timedelta(minutes=30), T, FIVE) == T - timedelta(minutes=30)
    assert advance(T - timedelta(minutes=20), T - timedelta(minutes=30), T, FIVE) == T - timedelta(minutes=20)  # never back
    assert advance(T + timedelta(hours=1), None, T, FIVE) == T - FIVE  # a stored future value comes down
    assert advance(None, T, None, FIVE) == T  # no Date seen: the rows decide


def test_read_starts_no_later_than_the_servers_now_minus_overlap():
    assert read_from(T, T + timedelta(hours=1), FIVE) == T - FIVE
    assert read_from(T + timedelta(hours=1), T, FIVE) == T - FIVE
    assert read_from(None, T, FIVE) is None


async def test_a_row_stamped_in_the_future_does_not_hide_later_edits(make_env):
    env = make_env()
    a = add_customer(env, "a@example.com", first="Ann")
    b = add_customer(env, "b@example.com", first="Bo")
    await env.sync("customers")
    real = env.ns.clock
    env.ns.clock = lambda: real() + timedelta(minutes=10)  # one save by a server whose clock ran ahead
    env.ns.update("customer", a, firstname="Anna")
    env.ns.clock = real
    await env.sync("customers")
    with StateStore(env.cfg.state_path) as st:
        assert st.watermark("customers") <= real() - timedelta(minutes=5) + timedelta(seconds=2)
    env.ns.update("customer", b, firstname="Bob")  # a normal edit, stamped before A's future stamp
    await env.sync("customers")
    assert env.mk.contact("b@example.com")["data_fields"]["FIRSTNAME"] == "Bob"
    assert env.mk.contact("a@example.com")["data_fields"]["FIRSTNAME"] == "Anna"


async def test_a_local_clock_an_hour_fast_loses_no_platform_unsubscribe(make_env):
    env = make_env()
    cid = add_customer(env, "late@example.com")
    await env.sync("customers")
    fast = Engine(env.cfg, sandboxes=env.boxes, clock=lambda: datetime.now(timezone.utc) + timedelta(hours=1))
    await fast.run_once(["customers"])  # one run with our clock an hour fast
    with StateStore(env.cfg.state_path) as st:
        mark = st.watermark("customers", "marketing")
    assert mark < datetime.now(timezone.utc) + timedelta(minutes=1)  # the platform's time, not ours
    env.mk.contact_unsubscribes("late@example.com")
    await env.sync("customers")
    assert env.ns.row("customer", cid)["globalsubscriptionstatus"] == 2


async def test_the_platform_clock_behind_ours_misses_nothing(make_env):
    env = make_env()
    ns_real = env.ns.clock
    env.ns.clock = lambda: ns_real() - timedelta(hours=1)  # an old record: only the platform's change brings it back
    cid = add_customer(env, "behind@example.com")
    env.ns.clock = ns_real
    real = env.mk.clock
    env.mk.clock = lambda: real() - timedelta(minutes=30)  # the platform's clock half an hour behind ours
    await env.sync("customers")
    env.mk.contact_unsubscribes("behind@example.com")  # stamped by the platform's clock
    await env.sync("customers")
    assert env.ns.row("customer", cid)["globalsubscriptionstatus"] == 2
