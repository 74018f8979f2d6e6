"""The NetSuite sandbox's write log (every consent-relevant write with its
time, record, email and who made it), and the property suite's check of it
during a sync: each one can fail."""

from __future__ import annotations

import pytest

from nstui.engine.rules.consent import GLOBAL, ConsentEvent, list_scope
from tests.consent.world import MAPPED, T0, Person, Violation, World
from tests.engine.test_entity_rules import add_customer, subscribe


async def test_every_consent_write_is_logged_with_who_and_when(make_env):
    env = make_env()
    email = "log@example.com"
    cid = add_customer(env, email)
    subscribe(env, cid, "Newsletter", True)
    mark = env.ns.write_log_end()
    env.ns.update("customer", cid, firstname="Other")  # not about consent: not logged
    assert env.ns.write_log(mark) == []
    await env.sync("customers")
    env.mk.contact_unsubscribes(email)
    await env.sync("customers")  # the unsubscribe writes Soft Opt-Out back, through the API
    log = [(w["via"], w["record_id"], w["email"], w["kind"], w["detail"]) for w in env.ns.write_log()]
    assert ("direct", cid, email, "create", "1") in log
    assert ("direct", cid, email, "subscribe", "Newsletter") in log
    api = [w for w in env.ns.write_log(mark) if w["via"] == "api"]
    # Soft Opt-Out, and the campaign subscription cleared: the list no longer mails them
    assert sorted((w["record_id"], w["kind"], w["detail"]) for w in api) == [
        (cid, "status", "2"), (cid, "unsubscribe", "Newsletter")]
    assert api[0]["at"] == env.ns.row("customer", cid)["lastmodifieddate"]


@pytest.fixture
def world():
    w = World(campaign="both", global_direction="both", unsub_switch=True, bounce_switch=True,
              remove_opt_outs=True, resubscribe_with_confirmation=False)
    yield w
    w.close()


def entry(email: str, kind: str, detail: str) -> dict:
    return {"via": "api", "email": email, "record_id": 1001, "kind": kind, "detail": detail}


def test_the_suite_fails_a_netsuite_write_against_the_opt_out_of_that_moment(world):
    p = world.people.setdefault("x@example.com", Person("x@example.com"))
    p.events += [ConsentEvent(T0, GLOBAL, True, "netsuite", "created"),
                 ConsentEvent(T0, list_scope(MAPPED), True, "netsuite", "ticked")]
    world.check_netsuite_during([entry(p.email, "subscribe", MAPPED), entry(p.email, "status", "1")])  # opted in: fine
    for bad in (entry(p.email, "status", "4"), entry(p.email, "status", "2"), entry(p.email, "unsubscribe", MAPPED)):
        with pytest.raises(Violation):  # no platform opt-out caused them
            world.check_netsuite_during([bad])
    p.events.append(ConsentEvent(T0.replace(minute=5), GLOBAL, False, "marketing", "unsubscribe"))
    world.check_netsuite_during([entry(p.email, "status", "2")])  # caused by the unsubscribe, switch on
    for bad in (entry(p.email, "subscribe", MAPPED), entry(p.email, "status", "1")):
        with pytest.raises(Violation):
            world.check_netsuite_during([bad])
