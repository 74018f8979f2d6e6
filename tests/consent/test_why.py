"""`nstui why EMAIL`: a contact created, opted out, re-opted-in and bounced
across several runs; every step with its rule and what was written, and the
status now per scope."""

from __future__ import annotations

import json

from nstui.cli import main
from tests.engine.test_entity_rules import add_customer, subscribe


async def test_why_tells_a_contacts_consent_history(make_env, capsys):
    env = make_env()
    email = "wendy@example.com"
    cid = add_customer(env, email, first="Wendy", status=1)
    subscribe(env, cid, "Newsletter", True)
    await env.sync("customers")  # run 1: created, onboarding, joins Newsletter
    env.ns.update("customer", cid, globalsubscriptionstatus=2)
    await env.sync("customers")  # run 2: Soft Opt-Out -> suppressed, leaves the lists
    env.ns.update("customer", cid, globalsubscriptionstatus=1)
    await env.sync("customers")  # run 3: opted back in -> unsuppressed
    env.mk.bounce(email)
    await env.sync("customers")  # run 4: the bounce writes Soft Opt-Out to NetSuite

    assert main(["why", email, "--config", str(env.cfg.path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["linked_to"].startswith(f"NetSuite customer {cid}")
    glob = [e for e in data["events"] if e["scope"] == "global"]
    rules = [e["rule"] for e in glob]
    assert rules[0] == "NetSuite Soft Opt-In imports as onboarding"
    assert any("sets the contact unsubscribed (suppressed)" in r for r in rules)
    assert any("opted back in in NetSuite" in r and "unsuppressed" in r for r in rules)
    assert any(e["marketing"].startswith("bounced at ") for e in glob)  # the platform's own time
    assert glob[-1]["rule"] == "bounced in marketing: Soft Opt-Out written to NetSuite"
    assert glob[-1]["written"] == "NetSuite: Soft Opt-Out"
    assert [e["run_id"] for e in glob] == sorted(e["run_id"] for e in glob) and len({e["run_id"] for e in glob}) == 4
    lists = [e for e in data["events"] if e["scope"] == "list:Newsletter"]
    assert lists and lists[0]["written"] == "marketing: join Newsletter"
    now = {s["scope"]: s for s in data["now"]}
    assert now["global"]["netsuite"] == "Soft Opt-Out" and now["global"]["marketing"] == "bounced"
    assert "Soft Opt-Out written to NetSuite" in now["global"]["reason"]

    assert main(["why", email.upper(), "--config", str(env.cfg.path)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"why {email}") and "now:" in text and "because:" in text


def test_why_refuses_what_is_not_an_email(sample_copy, capsys):
    assert main(["why", "not-an-email", "--config", str(sample_copy)]) == 2
    err = capsys.readouterr().err
    assert "not an email address" in err and "Traceback" not in err


def test_why_before_any_sync(sample_copy, capsys):
    assert main(["why", "nobody@example.com", "--config", str(sample_copy)]) == 0
    assert "no consent event recorded" in capsys.readouterr().out
