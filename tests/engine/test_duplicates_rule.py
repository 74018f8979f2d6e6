"""Duplicate email handling as plain functions (engine/rules/duplicates.py):
who holds an email shared by two records does not depend on which was read
first, and a record that takes a contact over never lifts an opt-out."""

from __future__ import annotations

from itertools import product

from nstui.engine.rules.duplicates import (
    Party,
    consent_status,
    link_decision,
    strongest_opt_out,
    takeover_shadows,
)

PARTIES = [
    Party(record_type, record_id, stage, isperson, name)
    for (record_type, stage), isperson, name, record_id in product(
        [("contact", None), ("customer", "LEAD"), ("customer", "PROSPECT"), ("customer", "CUSTOMER"),
         ("customer", None)],
        [True, False], ["ann lee", "bo chan"], [3, 8])
    if record_type == "customer" or isperson
]


def holder_after(first: Party, second: Party, names_must_match: bool) -> Party:
    decision, _ = link_decision(first, second, names_must_match=names_must_match)
    return second if decision == "takeover" else first


def test_of_two_records_the_same_one_holds_the_email_whichever_came_first():
    pairs = 0
    for a, b in product(PARTIES, PARTIES):
        if (a.record_type, a.record_id) == (b.record_type, b.record_id):
            continue
        for names_must_match in (True, False):
            assert holder_after(a, b, names_must_match) == holder_after(b, a, names_must_match), (a, b)
            pairs += 1
    assert pairs > 500


def test_a_contact_ranks_before_a_lead():
    contact = Party("contact", 3, None, True, "ann lee")
    lead = Party("customer", 8, "LEAD", True, "ann lee")
    decision, why = link_decision(contact, lead, names_must_match=True)
    assert decision == "takeover" and "later sales stage (LEAD)" in why
    assert link_decision(lead, contact, names_must_match=True)[0] == "duplicate"


def test_without_a_remapping_the_earlier_record_keeps_the_email():
    # a person and a company, names that differ, or the same stage: the lower internal id holds it
    company = Party("customer", 3, "CUSTOMER", False, "acme")
    contact = Party("contact", 8, None, True, "ann lee")
    assert link_decision(contact, company, names_must_match=True)[0] == "takeover"
    decision, why = link_decision(company, contact, names_must_match=True)
    assert decision == "duplicate" and "one is a person, the other a company" in why
    older, newer = Party("customer", 3, "LEAD", True, "ann lee"), Party("customer", 8, "LEAD", True, "ann lee")
    assert link_decision(newer, older, names_must_match=True)[0] == "takeover"
    assert link_decision(older, newer, names_must_match=True)[0] == "duplicate"


def test_the_strongest_opt_out_of_the_other_records():
    assert strongest_opt_out([1, 2, 4, None]) == 4
    assert strongest_opt_out([1, 2]) == 2
    assert strongest_opt_out([1, 3, None]) is None


def test_an_opt_out_on_any_record_with_the_email_governs_its_consent():
    assert consent_status(1, 2) == 2 and consent_status(3, 4) == 4
    assert consent_status(4, 2) == 4  # the holder's own opt-out stays
    assert consent_status(1, None) == 1 and consent_status(None, None) is None


def test_a_takeover_does_not_read_the_new_records_opt_in_as_news():
    shadows = {"status:ns": 4, "status:mk": ["unsubscribed", True], "f:firstname": "Cy", "sub:newsletter": False}
    # the contact is opted out: the new record's opt-in is taken as synced, its fields are not
    assert takeover_shadows(shadows, 1, True) == {**shadows, "status:ns": 1}
    # its opt-out reaches the contact; a contact opted in keeps the old record's shadow
    assert takeover_shadows(shadows, 2, True) == shadows
    assert takeover_shadows(shadows, 1, False) == shadows
