"""Each rule of the seeds for customers, contacts and opt-ins, against the
sandboxes through the real clients. Test names are the rules' names in the
README's table."""

from __future__ import annotations

from typing import Any

import pytest

from nstui.engine import events as ev

LISTS = "NetSuite (Parent Company - Acme Inc. - US)"


def status_id(env, stage: str) -> int:
    return env.ns.query("SELECT id FROM customerstatus WHERE stage = ? AND isdefault = 'T'", (stage,))[0]["id"]


def add_customer(env, email: str | None, *, first="Ann", last="Lee", stage="CUSTOMER", isperson=True,
                 status=1, phone=None, company=None, city=None, **extra: Any) -> int:
    address = None
    if city:
        address = env.ns.insert("entityaddress", addressee=f"{first} {last}", addr1="1 Main St", city=city,
                                state="CA", zip="94105", country="US")
    return env.ns.insert(
        "customer", entityid=f"{first} {last}", isperson="T" if isperson else "F",
        firstname=first if isperson else None, lastname=last if isperson else None,
        companyname=company, email=email, phone=phone, entitystatus=status_id(env, stage), stage=stage,
        globalsubscriptionstatus=status, defaultbillingaddress=address, isinactive="F", **extra,
    )


def add_contact(env, email: str | None, *, first="Cy", last="Dee", status=1, city=None) -> int:
    address = None
    if city:
        address = env.ns.insert("entityaddress", addressee=f"{first} {last}", addr1="2 High St", city=city,
                                state="", zip="EC1A 1BB", country="GB")
    return env.ns.insert("contact", entityid=f"{first} {last}", firstname=first, lastname=last, email=email,
                         globalsubscriptionstatus=status, defaultbillingaddress=address, isinactive="F")


def subscribe(env, entity: int, name: str, subscribed: bool) -> None:
    sid = env.ns.query("SELECT id FROM campaignsubscription WHERE name = ?", (name,))[0]["id"]
    env.ns.set_subscription(entity, sid, subscribed)


def lists_of(env, email: str) -> set[str]:
    contact = env.mk.contact(email)
    return set(contact["lists"]) if contact else set()


def skipped(env) -> list[tuple[str, str]]:
    return [(e.key, e.reason) for e in env.of(ev.RecordSkipped)]


async def test_emails_lowercased_and_validated(make_env):
    env = make_env()
    add_customer(env, "Ann.Lee@Example.COM")
    add_customer(env, "not an email", first="Bo")
    add_customer(env, None, first="Cy")
    summary = await env.sync("customers")
    assert env.mk.contact("ann.lee@example.com") is not None
    reasons = [r for _, r in skipped(env)]
    assert any(r.startswith("invalid email address") for r in reasons)
    assert "no email address" in reasons
    assert summary.datasets["customers"].created == 1


async def test_duplicate_email_later_stage_takes_over(make_env):
    env = make_env()
    lead = add_customer(env, "dup@example.com", stage="LEAD")
    await env.sync("customers")
    cust = add_customer(env, "DUP@example.com", stage="CUSTOMER")
    await env.sync("customers")
    from nstui.engine.state import StateStore

    with StateStore(env.cfg.state_path) as st:
        link = st.link_by_email("dup@example.com")
    assert link.party.record_id == cust and link.party.record_id != lead
    assert f"{LISTS} - Customers" in lists_of(env, "dup@example.com")
    assert f"{LISTS} - Leads" not in lists_of(env, "dup@example.com")


async def test_duplicate_email_not_synced_and_reported(make_env):
    env = make_env()
    add_customer(env, "twin@example.com", first="Ann", stage="CUSTOMER")
    add_customer(env, "twin@example.com", first="Zed", stage="CUSTOMER")
    summary = await env.sync("customers")
    assert any("duplicate email" in r for _, r in skipped(env))
    assert summary.datasets["customers"].created == 1
    assert env.mk.contact("twin@example.com")["data_fields"]["FIRSTNAME"] == "Ann"


async def test_duplicate_names_must_match(make_env):
    env = make_env()
    add_customer(env, "nm@example.com", first="Ann", stage="LEAD")
    await env.sync("customers")
    add_customer(env, "nm@example.com", first="Other", stage="CUSTOMER")
    await env.sync("customers")
    assert any("names must match" in r for _, r in skipped(env))


async def test_persons_companies_or_both(make_env):
    env = make_env(record_types="persons")
    add_customer(env, "person@example.com")
    add_customer(env, "company@example.com", isperson=False, company="Acme Ltd")
    await env.sync("customers")
    assert env.mk.contact("person@example.com") is not None
    assert env.mk.contact("company@example.com") is None
    assert any("record type not synced" in r for _, r in skipped(env))


async def test_company_records_carry_isperson_and_companyname(make_env):
    env = make_env(record_types="both")
    add_customer(env, "company@example.com", isperson=False, company="Acme Ltd")
    await env.sync("customers")
    fields = env.mk.contact("company@example.com")["data_fields"]
    assert fields["COMPANYNAME"] == "Acme Ltd"
    assert fields["ISPERSON"] in (False, "False", "false", 0)


async def test_phone_to_mobile_number(make_env):
    env = make_env()
    add_customer(env, "intl@example.com", phone="+44 20 7946 0958")
    add_customer(env, "local@example.com", phone="(415) 555-2671")
    add_customer(env, "bad@example.com", phone="12345")
    await env.sync("customers")
    assert env.mk.contact("intl@example.com")["mobile_number"] == "+442079460958"
    assert env.mk.contact("local@example.com")["mobile_number"] == "+14155552671"
    assert not env.mk.contact("bad@example.com")["mobile_number"]
    assert any(e.field == "mobile number" for e in env.of(ev.FieldLeftOut) if e.key == "bad@example.com")


async def test_contact_address_never_written_back(make_env):
    from nstui.config import ADDRESS_FIELDS

    mappings = "".join(
        f'[[datasets.contacts.fields]]\nnetsuite = "{a}"\nmarketing = "{a.upper()}"\ndirection = "both"\n\n'
        for a in ADDRESS_FIELDS
    )
    env = make_env(address_mappings=mappings)
    cid = add_contact(env, "addr@example.com", city="London")
    await env.sync("contacts")
    assert env.mk.contact("addr@example.com")["data_fields"]["CITY"] == "London"
    env.mk.set_data_fields("addr@example.com", {"CITY": "Paris"})
    await env.sync("contacts")
    nkey = env.ns.row("contact", cid)["defaultbillingaddress"]
    assert env.ns.row("entityaddress", nkey)["city"] == "London"
    assert not [e for e in env.of(ev.RecordUpdated) if e.side == "netsuite"]


async def test_email_removed_deletes_marketing_contact(make_env):
    env = make_env()
    cid = add_customer(env, "gone@example.com")
    await env.sync("customers")
    assert env.mk.contact("gone@example.com") is not None
    env.ns.update("customer", cid, email=None)
    await env.sync("customers")
    assert env.mk.contact("gone@example.com") is None
    assert [e.reason for e in env.of(ev.RecordDeleted)] == ["email removed in NetSuite"]


async def test_email_change_collision_refused_not_retried(make_env):
    env = make_env()
    add_customer(env, "first@example.com", first="Ann")
    bob = add_customer(env, "taken@example.com", first="Bob", last="Roe")
    await env.sync("customers")
    # The contact's email changes on the platform to one another NetSuite customer has.
    env.ns.update("customer", bob, email="taken2@example.com")
    env.mk.change_email("first@example.com", "taken2@example.com")
    summary = await env.sync("customers")
    errors = [e for e in env.of(ev.Error) if "refused" in e.text]
    assert len(errors) == 1 and summary.total.errors == 1
    again = await env.sync("customers")
    assert not [e for e in env.of(ev.Error) if "refused" in e.text]
    assert again.total.errors == 0


async def test_integration_lists_named_and_created(make_env):
    env = make_env()
    add_customer(env, "l@example.com", stage="LEAD")
    add_customer(env, "p@example.com", stage="PROSPECT", first="Pat")
    add_customer(env, "c@example.com", stage="CUSTOMER", first="Cat")
    add_contact(env, "k@example.com")
    await env.sync("customers", "contacts")
    names = {lst["name"] for lst in env.mk.dump()["lists"]} if "lists" in env.mk.dump() else set()
    for kind in ("Customers", "Leads", "Prospects", "Contacts"):
        assert f"{LISTS} - {kind}" in names
    assert f"{LISTS} - Leads" in lists_of(env, "l@example.com")
    assert f"{LISTS} - Prospects" in lists_of(env, "p@example.com")
    assert f"{LISTS} - Customers" in lists_of(env, "c@example.com")
    assert f"{LISTS} - Contacts" in lists_of(env, "k@example.com")


async def test_write_back_sets_stage_default_status(make_env):
    env = make_env()
    cid = add_customer(env, "stage@example.com", stage="LEAD")
    await env.sync("customers")
    env.mk.add_to_list_by_name("stage@example.com", f"{LISTS} - Customers")
    env.mk.add_contact("brandnew@example.com", {"FIRSTNAME": "Bran", "LASTNAME": "New"})
    env.mk.add_to_list_by_name("brandnew@example.com", f"{LISTS} - Prospects")
    await env.sync("customers")
    assert env.ns.row("customer", cid)["entitystatus"] == status_id(env, "CUSTOMER")
    created = env.ns.query("SELECT * FROM customer WHERE email = 'brandnew@example.com'")
    assert len(created) == 1 and created[0]["entitystatus"] == status_id(env, "PROSPECT")


# -- global subscription status ---------------------------------------------------


async def test_opt_ins_import_as_configured_status(make_env):
    env = make_env()
    add_customer(env, "soft@example.com", status=1)
    add_customer(env, "conf@example.com", status=3, first="Con")
    await env.sync("customers")
    assert env.mk.contact("soft@example.com")["status"] == "onboarding"
    assert env.mk.contact("conf@example.com")["status"] == "onboarding"
    assert "VIP" in lists_of(env, "soft@example.com")


async def test_opt_outs_import_as_unsubscribed_can_spam(make_env):
    env = make_env()
    add_customer(env, "so@example.com", status=2)
    add_customer(env, "co@example.com", status=4, first="Co")
    summary = await env.sync("customers")
    for email in ("so@example.com", "co@example.com"):
        contact = env.mk.contact(email)
        assert contact["suppressed"] or contact["status"] == "unsubscribed"
        assert "VIP" not in lists_of(env, email)
    # New contacts are suppressed by the import that creates them: per email a
    # read before and a read back after, no PATCH of its own.
    assert summary.datasets["customers"].status_changes == 2
    assert [env.mk.requests[f"/contacts/v3/email/{e}"] for e in ("so@example.com", "co@example.com")] == [2, 2]


async def test_opt_out_suppresses_and_opt_in_unsuppresses(make_env):
    env = make_env()
    cid = add_customer(env, "flip@example.com", status=1)
    await env.sync("customers")
    env.ns.update("customer", cid, globalsubscriptionstatus=2)
    await env.sync("customers")
    assert env.mk.contact("flip@example.com")["suppressed"]
    env.ns.update("customer", cid, globalsubscriptionstatus=1)
    await env.sync("customers")
    assert not env.mk.contact("flip@example.com")["suppressed"]


async def test_bronto_to_netsuite_never_resets_active(make_env):
    env = make_env(status_direction="bronto_to_netsuite")
    cid = add_customer(env, "act@example.com", status=1)
    await env.sync("customers")
    env.mk.engage("act@example.com")
    env.ns.update("customer", cid, globalsubscriptionstatus=3)
    await env.sync("customers")
    assert env.mk.contact("act@example.com")["status"] == "active"


async def test_unsubscribe_writes_soft_opt_out_to_netsuite(make_env):
    env = make_env()
    cid = add_customer(env, "unsub@example.com", status=1)
    await env.sync("customers")
    env.mk.contact_unsubscribes("unsub@example.com")
    await env.sync("customers")
    assert env.ns.row("customer", cid)["globalsubscriptionstatus"] == 2


async def test_bounce_writes_soft_opt_out_to_netsuite(make_env):
    env = make_env()
    cid = add_customer(env, "bounce@example.com", status=3)
    await env.sync("customers")
    env.mk.bounce("bounce@example.com", hard=True)
    await env.sync("customers")
    assert env.ns.row("customer", cid)["globalsubscriptionstatus"] == 2


async def test_netsuite_opt_in_never_reverses_unsubscribe(make_env):
    env = make_env(status_direction="both")
    cid = add_customer(env, "keep@example.com", status=1)
    await env.sync("customers")
    env.mk.contact_unsubscribes("keep@example.com")
    await env.sync("customers")  # Soft Opt-Out written back
    env.ns.update("customer", cid, globalsubscriptionstatus=1)
    await env.sync("customers")
    assert env.mk.contact("keep@example.com")["status"] == "unsubscribed"
    assert any("unsubscribe is kept" in e.text for e in env.of(ev.Warning_))


async def test_remove_opt_outs_from_lists(make_env):
    env = make_env()
    cid = add_customer(env, "rm@example.com", status=1)
    subscribe(env, cid, "Newsletter", True)
    await env.sync("customers")
    assert {"VIP", "Newsletter"} <= lists_of(env, "rm@example.com")
    env.ns.update("customer", cid, globalsubscriptionstatus=2)
    await env.sync("customers")
    assert not ({"VIP", "Newsletter"} & lists_of(env, "rm@example.com"))


async def test_create_missing_contact_for_opt_out(make_env):
    env = make_env(create_missing="true")
    add_contact(env, "known@example.com")
    await env.sync("contacts")
    env.mk.add_contact("stranger@example.com", {})
    env.mk.contact_unsubscribes("stranger@example.com")
    await env.sync("contacts")
    rows = env.ns.query("SELECT * FROM contact WHERE email = 'stranger@example.com'")
    assert len(rows) == 1 and rows[0]["globalsubscriptionstatus"] == 2


async def test_create_missing_contact_for_opt_outs_from_before_the_first_sync(make_env):
    env = make_env(create_missing="true")
    add_customer(env, "customer@example.com")
    add_contact(env, "contact@example.com")
    for email in ("old-optout@example.com", "customer@example.com", "contact@example.com"):
        env.mk.add_contact(email, {})
        env.mk.contact_unsubscribes(email)
    summary = await env.sync("customers", "contacts")
    assert summary.datasets["contacts"].created >= 1
    for email, count in (("old-optout@example.com", 1), ("customer@example.com", 0), ("contact@example.com", 1)):
        assert len(env.ns.query("SELECT id FROM contact WHERE LOWER(email) = ?", (email,))) == count, email
    created = env.ns.query("SELECT * FROM contact WHERE email = 'old-optout@example.com'")[0]
    assert created["globalsubscriptionstatus"] == 2
    again = await env.sync("customers", "contacts")
    assert again.datasets["contacts"].created == 0


async def test_takeover_moves_an_unsubscribed_contact_between_entity_lists(make_env):
    """An unsubscribed contact's memberships are still memberships: a later
    stage that takes the link on another page moves it from Leads to
    Customers, and the next run neither re-adds it nor reads our own join as
    the admin's (which would set the customer back to a lead status)."""
    env = make_env(page_size=5)
    lead = add_customer(env, "moved@example.com", stage="LEAD", first="Mo", last="Ved")
    for i in range(5):  # the two records land on different pages
        add_customer(env, f"filler{i}@example.com", first=f"F{i}")
    customer = add_customer(env, "moved@example.com", stage="CUSTOMER", first="Mo", last="Ved")
    env.mk.add_contact("moved@example.com", {})
    env.mk.contact_unsubscribes("moved@example.com")
    await env.sync("customers")
    lists = lists_of(env, "moved@example.com")
    assert any(n.endswith("- Customers") for n in lists) and not any(n.endswith("- Leads") for n in lists)
    statuses = {r["id"]: r["entitystatus"] for r in env.ns.query("SELECT id, entitystatus FROM customer")}
    again = await env.sync("customers")
    assert again.total.written == 0
    assert {r["id"]: r["entitystatus"] for r in env.ns.query("SELECT id, entitystatus FROM customer")} == statuses
    assert lead in statuses and customer in statuses


async def test_opt_in_status_kept_in_a_field(make_env):
    """Seed 003: "You can use either the NetSuite marketing subscriptions or a
    field to store opt-in/out status." With a field, it is read and written
    instead of globalsubscriptionstatus, which is left alone."""
    env = make_env(create_missing="true")
    env.cfg.set("optins.source_field", "custentity_marketing_optin")
    env.cfg.set("optins.source", "field")
    ticked = add_customer(env, "ticked@example.com", status=2, custentity_marketing_optin="T")
    add_customer(env, "unticked@example.com", status=1, first="Una", custentity_marketing_optin="F")
    both = add_customer(env, "both@example.com", status=1, first="Bo", custentity_marketing_optin="T")
    await env.sync("customers", "contacts")
    assert env.mk.contact("ticked@example.com")["status"] == "onboarding"
    unticked = env.mk.contact("unticked@example.com")
    assert unticked["suppressed"] or unticked["status"] == "unsubscribed"

    env.mk.contact_unsubscribes("both@example.com")
    env.mk.add_contact("stranger@example.com", {})
    env.mk.contact_unsubscribes("stranger@example.com")
    await env.sync("customers", "contacts")
    row = env.ns.row("customer", both)
    assert row["custentity_marketing_optin"] == "F" and row["globalsubscriptionstatus"] == 1
    assert env.ns.row("customer", ticked)["custentity_marketing_optin"] == "T"
    created = env.ns.query("SELECT * FROM contact WHERE email = 'stranger@example.com'")
    assert len(created) == 1 and created[0]["custentity_marketing_optin"] == "F"


# -- campaign subscriptions, the five directions ------------------------------------


@pytest.mark.parametrize(
    "direction, ns_sub, mk_member, expect_ns, expect_mk",
    [
        ("netsuite_to_bronto", True, False, True, True),
        ("netsuite_to_bronto", False, True, False, False),
        ("bronto_to_netsuite", False, True, True, True),
        ("bronto_to_netsuite", True, False, False, False),
        ("both_bronto_primary", False, True, True, True),
        ("both_bronto_primary", True, False, True, True),  # never syncs the blank: fills marketing
        ("both_netsuite_primary", True, False, True, True),
        ("both_netsuite_primary", False, True, True, True),  # never syncs the blank: fills NetSuite
    ],
)
async def test_campaign_subscription_directions(make_env, direction, ns_sub, mk_member, expect_ns, expect_mk):
    env = make_env(newsletter_direction=direction)
    cid = add_customer(env, "sub@example.com")
    # The contact exists on both sides first, without the subscription (the
    # sandbox ticks subscribed-by-default ones on creation: untick it first,
    # or the removal below would be an opt-out, which no direction refills).
    subscribe(env, cid, "Newsletter", False)
    await env.sync("customers")
    subscribe(env, cid, "Newsletter", ns_sub)
    if mk_member:
        env.mk.add_to_list_by_name("sub@example.com", "Newsletter")
    else:
        env.mk.remove_from_list_by_name("sub@example.com", "Newsletter")
    env.ns.update("customer", cid, firstname="Ann")  # the change that brings the record back
    await env.sync("customers")
    sid = env.ns.query("SELECT id FROM campaignsubscription WHERE name = 'Newsletter'")[0]["id"]
    row = env.ns.query("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = ?", (cid, sid))
    assert (bool(row) and row[0]["subscribed"] == "T") == expect_ns
    assert ("Newsletter" in lists_of(env, "sub@example.com")) == expect_mk


async def test_campaign_subscription_both_latest_wins(make_env):
    env = make_env(newsletter_direction="both")
    cid = add_customer(env, "latest@example.com")
    subscribe(env, cid, "Newsletter", True)
    await env.sync("customers")
    assert "Newsletter" in lists_of(env, "latest@example.com")
    env.mk.remove_from_list_by_name("latest@example.com", "Newsletter")  # changed only in marketing
    await env.sync("customers")
    sid = env.ns.query("SELECT id FROM campaignsubscription WHERE name = 'Newsletter'")[0]["id"]
    row = env.ns.query("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = ?", (cid, sid))
    assert row[0]["subscribed"] == "F"


async def test_both_direction_field_latest_wins_without_ping_pong(make_env):
    env = make_env(name_direction="both")
    cid = add_customer(env, "pp@example.com", first="Ann")
    await env.sync("customers")
    env.mk.set_data_fields("pp@example.com", {"FIRSTNAME": "Anne"})
    await env.sync("customers")
    assert env.ns.row("customer", cid)["firstname"] == "Anne"
    again = await env.sync("customers")
    assert again.total.written == 0
