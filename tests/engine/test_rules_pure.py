"""The seeds' rules as plain functions: each table row of the README, in isolation."""

from datetime import datetime, timedelta, timezone

import pytest

from nstui.config import GlobalStatusConfig
from nstui.engine.rules.duplicates import Party, link_decision, name_key
from nstui.engine.rules.emails import normalize_email
from nstui.engine.rules.merge import merge_field
from nstui.engine.rules.phones import to_e164
from nstui.engine.rules.status import MarketingState, decide_status, field_from_status, status_from_field

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "raw, expected",
    [("Jane.Doe@Example.COM", "jane.doe@example.com"), ("  bob@x.org ", "bob@x.org")],
)
def test_emails_lowercased(raw, expected):
    assert normalize_email(raw) == (expected, "")


@pytest.mark.parametrize("raw", ["", None, "not-an-email", "a@b", "x@@y.com", "sp ace@x.com"])
def test_invalid_emails_skipped_with_reason(raw):
    email, reason = normalize_email(raw)
    assert email is None and reason


def test_phone_e164_kept():
    assert to_e164("+44 20 7946 0958", "US") == ("+442079460958", "")


def test_phone_local_converted_with_default_country():
    assert to_e164("(415) 555-2671", "US") == ("+14155552671", "")
    assert to_e164("020 7946 0958", "GB") == ("+442079460958", "")


def test_phone_invalid_left_out_with_reason():
    value, reason = to_e164("12345", "US")
    assert value is None and "left out" in reason


def lead(i=1, name="ann lee", person=True):
    return Party("customer", i, "LEAD", person, name)


def test_later_stage_takes_over_link():
    cust = Party("customer", 2, "CUSTOMER", True, "ann lee")
    assert link_decision(lead(), cust, names_must_match=True)[0] == "takeover"


def test_earlier_stage_is_duplicate():
    cust = Party("customer", 2, "CUSTOMER", True, "ann lee")
    assert link_decision(cust, lead(3), names_must_match=True)[0] == "duplicate"


def test_takeover_needs_matching_names_when_asked():
    cust = Party("customer", 2, "CUSTOMER", True, "ann smith")
    assert link_decision(lead(), cust, names_must_match=True)[0] == "duplicate"
    assert link_decision(lead(), cust, names_must_match=False)[0] == "takeover"


def test_takeover_needs_same_kind_of_party():
    company = Party("customer", 2, "CUSTOMER", False, "ann lee")
    assert link_decision(lead(), company, names_must_match=False)[0] == "duplicate"


def test_name_key():
    assert name_key("Ann", " Lee", "Acme", True) == "ann lee"
    assert name_key("Ann", "Lee", "Acme Inc", False) == "acme inc"


# -- directions ---------------------------------------------------------------


def test_netsuite_to_bronto_overwrites_marketing_with_blanks():
    d = merge_field("netsuite_to_bronto", "", "Old")
    assert d.to_marketing and d.value == ""


def test_bronto_to_netsuite_overwrites_netsuite():
    d = merge_field("bronto_to_netsuite", "A", "B")
    assert d.to_netsuite and d.value == "B"


def test_both_latest_wins():
    later = T0 + timedelta(minutes=5)
    d = merge_field("both", "N", "M", shadow="S", ns_time=T0, mk_time=later)
    assert d.to_netsuite and d.value == "M"
    d = merge_field("both", "N", "M", shadow="S", ns_time=later, mk_time=T0)
    assert d.to_marketing and d.value == "N"


def test_both_one_side_changed():
    assert merge_field("both", "N", "S", shadow="S").to_marketing
    assert merge_field("both", "S", "M", shadow="S").to_netsuite


def test_both_echo_is_no_change():
    d = merge_field("both", "X", "X", shadow="Y")
    assert not d.to_marketing and not d.to_netsuite


def test_primary_directions_never_sync_blanks():
    assert not merge_field("both_bronto_primary", "A", "").to_netsuite
    d = merge_field("both_bronto_primary", "A", "")
    assert d.to_marketing and d.value == "A"  # fills the empty marketing value
    d = merge_field("both_bronto_primary", "A", "B")
    assert d.to_netsuite and d.value == "B"
    d = merge_field("both_netsuite_primary", "", "B")
    assert d.to_netsuite and d.value == "B"
    d = merge_field("both_netsuite_primary", "A", "B")
    assert d.to_marketing and d.value == "A"
    d = merge_field("both_netsuite_primary", "", "")
    assert not d.to_marketing and not d.to_netsuite


def test_subscription_false_is_blank_for_primary():
    d = merge_field("both_netsuite_primary", False, True)
    assert d.to_netsuite and d.value is True


# -- global subscription status -------------------------------------------


GS = GlobalStatusConfig()


def test_opt_out_imports_as_unsubscribed_always():
    for ns in (2, 4):
        d = decide_status(ns, None, GlobalStatusConfig(soft_opt_in_status="onboarding"), ns_changed=True, mk_changed=False)
        assert d.marketing == "create" and d.marketing_status == "unsubscribed"


def test_opt_ins_import_as_configured():
    gs = GlobalStatusConfig(soft_opt_in_status="unconfirmed", confirmed_opt_in_status="onboarding")
    assert decide_status(1, None, gs, ns_changed=True, mk_changed=False).marketing_status == "unconfirmed"
    assert decide_status(3, None, gs, ns_changed=True, mk_changed=False).marketing_status == "onboarding"


def test_active_contact_not_reset_to_onboarding():
    mk = MarketingState("active", False)
    for direction in ("bronto_to_netsuite", "both"):
        d = decide_status(1, mk, GlobalStatusConfig(direction=direction), ns_changed=True, mk_changed=False)
        assert d.marketing is None


def test_netsuite_opt_out_suppresses():
    d = decide_status(2, MarketingState("active", False), GS, ns_changed=True, mk_changed=False)
    assert d.marketing == "suppress"


def test_opt_back_in_unsuppresses():
    d = decide_status(1, MarketingState("active", True), GS, ns_changed=True, mk_changed=False)
    assert d.marketing == "unsuppress"


def test_unsubscribe_never_silently_reversed():
    d = decide_status(1, MarketingState("unsubscribed", False), GlobalStatusConfig(soft_opt_out_for_unsubscribed=False), ns_changed=True, mk_changed=False)
    assert d.marketing is None and d.conflict
    d = decide_status(1, MarketingState("unsubscribed", False), GlobalStatusConfig(soft_opt_out_for_unsubscribed=False, resubscribe_with_confirmation=True), ns_changed=True, mk_changed=False)
    assert d.marketing == "resubscribe"


def test_unsubscribe_and_bounce_switches():
    on = GlobalStatusConfig(soft_opt_out_for_unsubscribed=True, soft_opt_out_for_bounce=False)
    assert decide_status(1, MarketingState("unsubscribed", False), on, ns_changed=False, mk_changed=True).netsuite == 2
    assert decide_status(1, MarketingState("bounced", False), on, ns_changed=False, mk_changed=True).netsuite is None


def test_both_direction_netsuite_later_sets_status():
    gs = GlobalStatusConfig(direction="both", confirmed_opt_in_status="onboarding")
    d = decide_status(3, MarketingState("unconfirmed", False), gs, ns_changed=True, mk_changed=False)
    assert d.marketing == "set_status" and d.marketing_status == "onboarding"
    gs = GlobalStatusConfig(direction="bronto_to_netsuite", confirmed_opt_in_status="onboarding")
    assert decide_status(3, MarketingState("unconfirmed", False), gs, ns_changed=True, mk_changed=False).marketing is None


@pytest.mark.parametrize("value, status", [
    ("T", 1), ("F", 2), (True, 1), (False, 2), ("true", 1), ("3", 3), (4, 4), ("4.0", 4),
    (None, None), ("", None), ("maybe", None), (9, None),
])
def test_opt_in_field_read_as_status(value, status):
    assert status_from_field(value) == status


def test_opt_in_field_written_from_status():
    assert [field_from_status(s) for s in (1, 2, 3, 4)] == [True, False, True, False]
