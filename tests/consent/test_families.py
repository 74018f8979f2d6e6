"""The three families of consent breaks issue 12 found, each as a plain
example against the sandboxes through the real clients; the marketing
sandbox's write log shows what happened during the sync, not only after."""

from __future__ import annotations

import json

from nstui.cli import main
from tests.engine.test_entity_rules import add_customer, lists_of, subscribe


def adds(env, email: str, after: int) -> list[str]:
    return [w["detail"] for w in env.mk.write_log(after)
            if w["email"] == email and w["via"] == "api" and w["kind"] == "list_add"]


def ticked(env, cid: int) -> bool:
    sid = env.ns.query("SELECT id FROM campaignsubscription WHERE name = 'Newsletter'")[0]["id"]
    row = env.ns.query("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = ?", (cid, sid))
    return bool(row) and row[0]["subscribed"] == "T"


# -- family 1: a transient list add ------------------------------------------------


async def test_family1_no_list_add_for_a_contact_who_unsubscribed_since_the_tick(make_env):
    for direction in ("netsuite_to_bronto", "both"):
        env = make_env(newsletter_direction=direction)
        email = f"t-{direction}@example.com"
        cid = add_customer(env, email)
        subscribe(env, cid, "Newsletter", False)
        await env.sync("customers")
        subscribe(env, cid, "Newsletter", True)  # NetSuite ticks ...
        env.mk.contact_unsubscribes(email)  # ... and before the next sync the contact unsubscribes
        mark = env.mk.write_log_end()
        await env.sync("customers")
        assert env.ns.row("customer", cid)["globalsubscriptionstatus"] == 2  # the write-back still happens
        assert "Newsletter" not in adds(env, email, mark), direction  # but no join, not even for one pass
        assert "Newsletter" not in lists_of(env, email)


async def test_family1_contact_unsubscribed_before_the_first_sync_is_never_listed(make_env):
    env = make_env(newsletter_direction="netsuite_to_bronto")
    email = "early@example.com"
    env.mk.add_contact(email, {})
    env.mk.contact_unsubscribes(email)
    cid = add_customer(env, email)
    subscribe(env, cid, "Newsletter", True)
    mark = env.mk.write_log_end()
    await env.sync("customers")
    assert not {"Newsletter", "VIP"} & set(adds(env, email, mark))
    assert not {"Newsletter", "VIP"} & lists_of(env, email)


# -- family 2: the master side's newer opt-out refilled ------------------------------


async def test_family2_netsuite_primary_untick_is_not_refilled(make_env):
    env = make_env(newsletter_direction="both_netsuite_primary")
    email = "np@example.com"
    cid = add_customer(env, email)
    subscribe(env, cid, "Newsletter", True)
    await env.sync("customers")
    assert "Newsletter" in lists_of(env, email)
    subscribe(env, cid, "Newsletter", False)  # the master (NetSuite) unticks
    await env.sync("customers")
    assert not ticked(env, cid)  # not re-ticked from the platform
    assert "Newsletter" not in lists_of(env, email)  # and the opt-out reached the list
    again = await env.sync("customers")
    assert not ticked(env, cid) and again.total.written == 0


async def test_family2_bronto_primary_removal_is_not_refilled(make_env):
    env = make_env(newsletter_direction="both_bronto_primary")
    email = "bp@example.com"
    cid = add_customer(env, email)
    subscribe(env, cid, "Newsletter", True)
    await env.sync("customers")
    env.mk.remove_from_list_by_name(email, "Newsletter")  # the master (the platform) removes them
    mark = env.mk.write_log_end()
    await env.sync("customers")
    assert "Newsletter" not in adds(env, email, mark)
    assert "Newsletter" not in lists_of(env, email)
    assert not ticked(env, cid)  # the opt-out reached NetSuite


# -- family 3: a later suppression lifted by an earlier opt-in -----------------------


async def test_family3_later_suppression_is_not_lifted_by_an_earlier_opt_in(make_env):
    env = make_env(status_direction="both")
    env.cfg.set("optins.global_status.soft_opt_out_for_unsubscribed", False)
    env.cfg.set("optins.global_status.soft_opt_out_for_bounce", False)
    email = "sup@example.com"
    cid = add_customer(env, email, status=1)
    subscribe(env, cid, "Newsletter", True)
    await env.sync("customers")
    env.ns.update("customer", cid, globalsubscriptionstatus=3)  # t1: Soft -> Confirmed Opt-In
    contact_id = env.mk.contact(email)["id"]
    with env.mk.db:  # t2: the company suppresses the address on the platform
        env.mk._set_status(contact_id, "suppressed", env.mk._stamp())
    mark = env.mk.write_log_end()
    await env.sync("customers")
    contact = env.mk.contact(email)
    assert contact["suppressed"] and contact["wire_status"] == "suppressed"
    assert not [w for w in env.mk.write_log(mark) if w["email"] == email and w["via"] == "api"
                and (w["kind"] == "list_add" or w["detail"] == "subscribed")]


# -- a join and an unsubscribe from the list between two passes ----------------------


async def test_a_tick_older_than_a_list_unsubscribe_never_re_adds(make_env, capsys):
    """NetSuite ticks at t1; on the platform the contact joins the list at t2
    and unsubscribes from it at t3, all between two passes: the membership
    reads the same as at the last pass, but the list's unsubscribes since it
    (read with their time) make t3 the latest event of the list."""
    for direction in ("netsuite_to_bronto", "both", "both_netsuite_primary"):
        env = make_env(newsletter_direction=direction)
        email = f"j-{direction}@example.com"
        cid = add_customer(env, email)
        subscribe(env, cid, "Newsletter", False)
        await env.sync("customers")
        subscribe(env, cid, "Newsletter", True)  # t1
        env.mk.add_to_list_by_name(email, "Newsletter")  # t2
        env.mk.contact_unsubscribes_from_list(email, "Newsletter")  # t3
        mark = env.mk.write_log_end()
        await env.sync("customers")
        await env.sync("customers")
        assert "Newsletter" not in adds(env, email, mark), direction
        assert "Newsletter" not in lists_of(env, email)
        # the opt-out reaches NetSuite unless NetSuite is the one-way master
        assert ticked(env, cid) == (direction == "netsuite_to_bronto"), direction
        # what the NetSuite sandbox's write log saw during those syncs: no tick
        assert not [w for w in env.ns.write_log() if w["via"] == "api" and w["kind"] == "subscribe"]
        # and `nstui why` tells it, with the platform's time of the unsubscribe
        assert main(["why", email, "--config", str(env.cfg.path), "--json"]) == 0
        said = [e for e in json.loads(capsys.readouterr().out)["events"] if e["scope"] == "list:Newsletter"]
        assert said[-1]["marketing"].startswith("unsubscribed from the list at "), said
        assert ("after NetSuite's tick" in said[-1]["rule"]) and said[-1]["written"] == (
            "nothing" if direction == "netsuite_to_bronto" else "NetSuite: untick Newsletter"), said
