"""The consent invariant as a property: hypothesis generates timelines of
events on both sides (NetSuite status changes 1-4, ticks and unticks of the
mapped campaign subscription; platform unsubscribes, bounces, suppressions,
resubscribes, list joins, unsubscribes from the list (a join and an
unsubscribe between two passes included) and removals; edits that are not about consent; a
duplicate email at an earlier sales stage; contacts already on the platform
before the first sync) interleaved with syncs, across the five campaign
directions x both global directions x the two soft-opt-out switches x
``remove_opt_outs_from_lists`` x ``resubscribe_with_confirmation``. After
every sync and, through the marketing sandbox's write log, during it, the
invariant of ``world.py`` must hold. During it means every write, through
both sandboxes' write logs: the marketing one (list joins, statuses) and the
NetSuite one (campaign subscriptions ticked, statuses written).

Seeded and reproducible (``derandomize``, no example database). In `make
test`: 2 x 100 examples; ``pytest --consent-deep tests/consent`` (or
``NSTUI_CONSENT_DEEP=1``) runs 2 x 1,500.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.consent.world import World

DEEP = os.environ.get("NSTUI_CONSENT_DEEP") == "1"  # read at import: the test fixtures clear NSTUI_*
EXAMPLES = 1500 if DEEP else 100

DIRECTIONS = ["netsuite_to_bronto", "bronto_to_netsuite", "both", "both_bronto_primary", "both_netsuite_primary"]
EMAILS = ["ann@example.com", "bo@example.com"]

person = st.sampled_from([0, 1])
action = st.one_of(
    st.tuples(st.just("ns_status"), person, st.sampled_from([1, 2, 3, 4])),
    st.tuples(st.just("ns_tick"), person, st.booleans()),
    st.tuples(st.just("mk_status"), person, st.sampled_from(["unsubscribe", "bounce", "suppress", "resubscribe"])),
    st.tuples(st.just("mk_list"), person, st.sampled_from(["join", "unsubscribe", "remove"])),
    st.tuples(st.just("edit"), person, st.sampled_from(["netsuite", "marketing"])),
    st.just(("sync",)),
)
start = st.tuples(st.sampled_from([1, 2, 3, 4]), st.booleans(), st.sampled_from([None, "subscribed", "unsubscribed", "member"]))
scenario = st.fixed_dictionaries({
    "campaign": st.sampled_from(DIRECTIONS),
    "unsub_switch": st.booleans(),
    "bounce_switch": st.booleans(),
    "remove_opt_outs": st.booleans(),
    "resubscribe_with_confirmation": st.booleans(),
    "people": st.tuples(start, start),
    "duplicate_lead": st.booleans(),
    "steps": st.lists(action, min_size=1, max_size=10),
})


async def play(global_direction: str, sc: dict) -> None:
    world = World(campaign=sc["campaign"], global_direction=global_direction, unsub_switch=sc["unsub_switch"],
                  bounce_switch=sc["bounce_switch"], remove_opt_outs=sc["remove_opt_outs"],
                  resubscribe_with_confirmation=sc["resubscribe_with_confirmation"])
    try:
        for email, (status, ticked, platform) in zip(EMAILS, sc["people"]):
            if platform:
                world.platform_has(email, platform)
            if sc["duplicate_lead"] and email == EMAILS[0]:
                # The same person as a lead first: the customer record takes the link over.
                world.add_record(email, status=status, ticked=ticked, stage="LEAD")
            world.add_record(email, status=status, ticked=ticked)
        await world.sync()
        people = [world.people[e] for e in EMAILS]
        for step in sc["steps"]:
            name, args = step[0], step[1:]
            if name == "sync":
                await world.sync()
            elif name == "ns_status":
                world.ns_status(people[args[0]], args[1])
            elif name == "ns_tick":
                world.ns_tick(people[args[0]], args[1])
            elif name == "mk_status":
                world.mk_status(people[args[0]], args[1])
            elif name == "mk_list":
                world.mk_list(people[args[0]], args[1])
            elif name == "edit":
                world.edit(people[args[0]], args[1])
        await world.sync()
    finally:
        world.close()


@pytest.mark.parametrize("global_direction", ["bronto_to_netsuite", "both"])
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(sc=scenario)
def test_consent_invariant_holds_during_and_after_every_sync(global_direction, sc):
    asyncio.run(play(global_direction, sc))
