"""Emails that customers and contacts share, against the sandboxes through
the real clients: the record that holds the email, and what its contact
ends as, do not depend on which pass ran first, and consent comes first."""

from __future__ import annotations

import pytest

from nstui.engine import events as ev
from nstui.engine.state import StateStore

from .test_entity_rules import LISTS, add_contact, add_customer, lists_of, subscribe

EMAIL = "ann@example.com"


def holder(env) -> tuple[str, int] | None:
    with StateStore(env.cfg.state_path) as state:
        link = state.link_by_email(EMAIL)
    return (link.party.record_type, link.party.record_id) if link else None


@pytest.mark.parametrize("order", [("contacts", "customers"), ("customers", "contacts")])
async def test_a_lead_takes_a_contact_over_whichever_pass_runs_first(make_env, order):
    env = make_env()
    contact = add_contact(env, EMAIL, first="Ann", last="Lee")
    lead = add_customer(env, EMAIL, first="Ann", last="Lee", stage="LEAD")
    for dataset in order:
        await env.sync(dataset)
    assert holder(env) == ("customer", lead) != ("contact", contact)
    assert lists_of(env, EMAIL) == {f"{LISTS} - Leads", "VIP", "Newsletter"}


async def test_a_takeover_never_lifts_an_opt_out(make_env):
    env = make_env()
    add_contact(env, EMAIL, first="Ann", last="Lee", status=4)  # Confirmed Opt-Out
    await env.sync("contacts")
    assert env.mk.contact(EMAIL)["suppressed"]
    cust = add_customer(env, EMAIL, first="Ann", last="Lee", status=1)
    subscribe(env, cust, "Newsletter", True)
    await env.sync("customers")
    assert holder(env) == ("customer", cust)
    contact = env.mk.contact(EMAIL)
    assert contact["suppressed"] and contact["status"] == "unsubscribed"
    assert lists_of(env, EMAIL) == {f"{LISTS} - Customers"}  # no VIP, no Newsletter, off the Contacts list


async def test_an_opted_out_record_that_does_not_hold_the_email_still_opts_the_contact_out(make_env):
    env = make_env()
    cust = add_customer(env, EMAIL, first="Ann", last="Lee", status=1)
    subscribe(env, cust, "Newsletter", True)
    await env.sync("customers")
    assert lists_of(env, EMAIL) == {f"{LISTS} - Customers", "VIP", "Newsletter"}
    add_contact(env, EMAIL, first="Ann", last="Lee", status=2)  # Soft Opt-Out, a contact: ranks first
    await env.sync("contacts")
    assert holder(env) == ("customer", cust)
    assert any(e.key == EMAIL and "duplicate email" in e.reason for e in env.of(ev.RecordSkipped))
    contact = env.mk.contact(EMAIL)
    assert contact["suppressed"] and lists_of(env, EMAIL) == {f"{LISTS} - Customers"}
    # our own suppression is no change of the contact's: nothing is written back
    again = await env.sync("customers", "contacts")
    assert again.total.written == 0


async def test_an_opted_out_duplicate_on_the_same_page_creates_the_contact_opted_out(make_env):
    env = make_env()
    add_customer(env, EMAIL, first="Ann", last="Lee", stage="LEAD", status=2)
    add_customer(env, EMAIL, first="Ann", last="Lee", stage="CUSTOMER", status=1)
    await env.sync("customers")
    contact = env.mk.contact(EMAIL)
    assert contact["suppressed"] and lists_of(env, EMAIL) == {f"{LISTS} - Customers"}
    assert not any(e.key == EMAIL and e.list_name == "VIP" for e in env.of(ev.ListChanged))
