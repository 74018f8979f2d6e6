"""The consent invariant, as plain functions of data.

For every contact and every scope (the global subscription status; each
mapped list): if the latest opt-out event on either side (NetSuite Soft or
Confirmed Opt-Out, an untick of the campaign subscription; a platform
unsubscribe, bounce, suppression or list removal) is newer than the latest
opt-in event on either side, the contact is not subscribed in that scope and
not on that list, after any sync and at every moment during it.

``opted_out`` states it over a timeline of events (what the property suite
checks); ``join_refused`` is the gate the engine asks before it writes a
list join, from what the pass knows and has decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Literal

from nstui.engine.rules.status import NS_OPTED_OUT, SOFT_OPT_OUT, MarketingState, StatusDecision

GLOBAL = "global"
Side = Literal["netsuite", "marketing"]


def list_scope(name: str) -> str:
    return f"list:{name}"


@dataclass(frozen=True)
class ConsentEvent:
    """One consent-relevant event of a person, a marketer or a platform."""

    at: datetime
    scope: str  # GLOBAL or list_scope(name)
    opt_in: bool
    side: Side
    what: str = ""


def latest(events: Iterable[ConsentEvent], scope: str, *, opt_in: bool) -> datetime | None:
    """The newest opt-in (or opt-out) that bears on ``scope``: a list is
    governed by its own events and by the global ones."""
    times = [e.at for e in events if e.opt_in == opt_in and e.scope in (scope, GLOBAL)]
    return max(times) if times else None


def opted_out(events: Iterable[ConsentEvent], scope: str = GLOBAL) -> bool:
    """True when the latest opt-out bearing on ``scope`` is newer than (or as
    new as: a tie goes to the opt-out) the latest opt-in."""
    events = list(events)
    out = latest(events, scope, opt_in=False)
    if out is None:
        return False
    opt_in = latest(events, scope, opt_in=True)
    return opt_in is None or out >= opt_in


def state_after(mk: MarketingState | None, d: StatusDecision) -> MarketingState | None:
    """The contact's marketing state once the pass's status decision is carried out."""
    if d.marketing == "create":
        return MarketingState(d.marketing_status or "onboarding", d.marketing_status == "unsubscribed")
    if d.marketing == "suppress":
        return MarketingState("unsubscribed", True)
    if d.marketing in ("unsuppress", "resubscribe", "set_status"):
        return MarketingState(d.marketing_status or "onboarding", False)
    return mk


def join_refused(ns_status: int | None, mk: MarketingState | None, d: StatusDecision) -> str | None:
    """Why a list join may not be written for this contact in this pass (None:
    it may). The pass's own decision counts: a contact it is about to
    suppress, or whose opt-out it is about to write back to NetSuite, is
    opted out already (family 1 of issue 12: a transient list add)."""
    after = state_after(mk, d)
    if after is not None and after.opted_out:
        return f"the contact is {after.label()} in marketing"
    final_ns = d.netsuite if d.netsuite is not None else ns_status
    if final_ns in NS_OPTED_OUT:
        return "NetSuite says " + ("Soft Opt-Out" if final_ns == SOFT_OPT_OUT else "Confirmed Opt-Out")
    return None


def list_unsubscribe_wins(ns_ticked: bool, on_list: bool, unsubscribed_at: datetime | None,
                          ticked_at: datetime | None, skew: timedelta) -> bool:
    """True when an unsubscribe from the list the platform reported since the
    last pass (with its own time) is the latest event of that list: the
    contact is not on it now and NetSuite's tick is not clearly later (a tie
    within the skew goes to the opt-out; a tick of unknown time is older).
    The pass then treats the list as left since it was synced, even when a
    join before the unsubscribe left no trace in what it reads (the contact
    joined and unsubscribed between two passes)."""
    if unsubscribed_at is None or on_list or not ns_ticked:
        return False
    return ticked_at is None or ticked_at - unsubscribed_at <= skew
