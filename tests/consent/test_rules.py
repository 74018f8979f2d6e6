"""The consent rules as plain functions of data (no sandbox)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nstui.config import GlobalStatusConfig
from nstui.engine.rules.consent import GLOBAL, ConsentEvent, join_refused, list_scope, list_unsubscribe_wins, opted_out
from nstui.engine.rules.merge import merge_subscription
from nstui.engine.rules.status import NOTHING, MarketingState, StatusDecision, decide_status

T = datetime(2026, 6, 1, tzinfo=timezone.utc)
NEWS = list_scope("Newsletter")


def e(minutes: int, scope: str, opt_in: bool) -> ConsentEvent:
    return ConsentEvent(T + timedelta(minutes=minutes), scope, opt_in, "netsuite")


def test_latest_opt_out_wins_per_scope_and_ties_go_to_the_opt_out():
    assert opted_out([e(1, GLOBAL, True), e(2, GLOBAL, False)])
    assert not opted_out([e(1, GLOBAL, False), e(2, GLOBAL, True)])
    assert opted_out([e(1, GLOBAL, True), e(1, GLOBAL, False)])
    assert not opted_out([])
    # a list is governed by its own events and the global ones
    assert opted_out([e(1, NEWS, True), e(2, GLOBAL, False)], NEWS)
    assert not opted_out([e(1, NEWS, False)], GLOBAL)
    assert not opted_out([e(1, NEWS, False), e(2, GLOBAL, True)], NEWS)


def test_no_join_for_a_contact_opted_out_now_or_by_this_pass():
    subscribed = MarketingState("onboarding", False)
    assert join_refused(1, subscribed, NOTHING) is None
    assert join_refused(1, MarketingState("unsubscribed", False), NOTHING)
    assert join_refused(2, subscribed, NOTHING)
    # the pass writes Soft Opt-Out back (family 1) or suppresses: refused in the same pass
    assert join_refused(1, MarketingState("bounced", False), StatusDecision(netsuite=2))
    assert join_refused(2, subscribed, StatusDecision(marketing="suppress", marketing_status="unsubscribed"))
    # lifted in this pass: allowed
    assert join_refused(1, MarketingState("unsubscribed", True),
                        StatusDecision(marketing="unsuppress", marketing_status="onboarding")) is None


@pytest.mark.parametrize("direction", ["netsuite_to_bronto", "bronto_to_netsuite", "both",
                                       "both_bronto_primary", "both_netsuite_primary"])
def test_an_untick_leaves_the_list_in_every_direction(direction):
    d = merge_subscription(direction, False, True, shadow=True)
    assert d.to_marketing and d.value is False


@pytest.mark.parametrize("direction", ["bronto_to_netsuite", "both", "both_bronto_primary", "both_netsuite_primary"])
def test_a_list_removal_is_an_opt_out_not_a_blank(direction):
    d = merge_subscription(direction, True, False, shadow=True)
    assert d.to_netsuite and d.value is False and not d.to_marketing


def test_netsuite_master_neither_refills_a_removal_nor_is_told_of_it():
    d = merge_subscription("netsuite_to_bronto", True, False, shadow=True)
    assert not d.to_marketing and not d.to_netsuite


def test_primary_directions_still_fill_true_blanks():
    assert merge_subscription("both_bronto_primary", True, False, shadow=False).to_marketing
    assert merge_subscription("both_netsuite_primary", False, True, shadow=False).to_netsuite


def test_both_sides_changed_status_keeps_the_opt_out():
    gs = GlobalStatusConfig(direction="both", soft_opt_out_for_unsubscribed=False, soft_opt_out_for_bounce=False)
    d = decide_status(3, MarketingState("unsubscribed", True), gs, ns_changed=True, mk_changed=True)
    assert d.marketing is None and d.netsuite is None and "opt-out is kept" in (d.conflict or "")
    # the opt-out seen in an earlier pass, the opt-in later: the suppression is lifted
    d = decide_status(3, MarketingState("unsubscribed", True), gs, ns_changed=True, mk_changed=False)
    assert d.marketing == "unsuppress"


def test_a_list_unsubscribe_newer_than_the_tick_wins():
    skew = timedelta(seconds=2)
    t1, t3 = T, T + timedelta(minutes=2)
    assert list_unsubscribe_wins(True, False, t3, t1, skew)  # tick, join, unsubscribe: the unsubscribe is latest
    assert list_unsubscribe_wins(True, False, t3, t3 + timedelta(seconds=1), skew)  # a tie goes to the opt-out
    assert list_unsubscribe_wins(True, False, t3, None, skew)  # a tick of unknown time is older
    assert not list_unsubscribe_wins(True, False, t1, t3, skew)  # ticked again after: a newer opt-in
    assert not list_unsubscribe_wins(True, True, t3, t1, skew)  # back on the list since: their own join
    assert not list_unsubscribe_wins(False, False, t3, t1, skew)  # nothing to re-add
    assert not list_unsubscribe_wins(True, False, None, t1, skew)  # no unsubscribe reported
