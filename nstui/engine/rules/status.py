"""Seed 000, step 6: the global subscription status, and consent.

NetSuite's globalsubscriptionstatus: 1 Soft Opt-In, 2 Soft Opt-Out,
3 Confirmed Opt-In, 4 Confirmed Opt-Out. Only the soft values can be written
through the API; the confirmed ones are the recipient's alone.

The marketing side is Bronto's vocabulary (onboarding, unconfirmed, active,
transactional, bounced, unsubscribed) plus suppression. A *suppression* is the
company's and is lifted when the contact opts back in in NetSuite (seed 003);
an *unsubscribe* is the contact's own choice and is never reversed silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from nstui.config import GlobalStatusConfig
from nstui.engine.rules.merge import marketing_is_later

SOFT_OPT_IN, SOFT_OPT_OUT, CONFIRMED_OPT_IN, CONFIRMED_OPT_OUT = 1, 2, 3, 4
NS_STATUS_NAMES = {1: "Soft Opt-In", 2: "Soft Opt-Out", 3: "Confirmed Opt-In", 4: "Confirmed Opt-Out"}
NS_OPTED_IN = frozenset({SOFT_OPT_IN, CONFIRMED_OPT_IN})
NS_OPTED_OUT = frozenset({SOFT_OPT_OUT, CONFIRMED_OPT_OUT})
#: Marketing statuses that may receive marketing email.
MK_OPTED_IN = frozenset({"onboarding", "unconfirmed", "active"})

MarketingAction = Literal["create", "suppress", "unsuppress", "resubscribe", "set_status"]


@dataclass(frozen=True)
class MarketingState:
    status: str
    suppressed: bool

    @property
    def opted_out(self) -> bool:
        return self.suppressed or self.status in ("unsubscribed", "bounced")

    def label(self) -> str:
        return f"{self.status}{' (suppressed)' if self.suppressed else ''}"


@dataclass(frozen=True)
class StatusDecision:
    #: What to do on the marketing side, and the status it should end with.
    marketing: MarketingAction | None = None
    marketing_status: str | None = None
    #: The soft status to write to NetSuite.
    netsuite: int | None = None
    rule: str = ""
    #: A conflict the admin should see (consent kept, nothing written).
    conflict: str | None = None
    add_to_opt_in_lists: bool = False
    remove_from_lists: bool = False
    extra: dict[str, str] = field(default_factory=dict)


NOTHING = StatusDecision()


def status_from_field(value: object) -> int | None:
    """Seed 003: opt-in/out may live in a field instead of NetSuite's
    subscriptions. The field is a checkbox: checked is Soft Opt-In, unchecked
    Soft Opt-Out; a status id (1-4, from a list field) is taken as it is;
    blank is no status at all."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return SOFT_OPT_IN if value else SOFT_OPT_OUT
    text = str(value).strip()
    if text in ("T", "F") or text.lower() in ("true", "false"):
        return SOFT_OPT_IN if text in ("T",) or text.lower() == "true" else SOFT_OPT_OUT
    try:
        number = int(float(text))
    except ValueError:
        return None
    return number if number in NS_STATUS_NAMES else None


def field_from_status(status: int) -> bool:
    """The checkbox value written for a status (checked = opted in)."""
    return status in NS_OPTED_IN


def imported_status(ns_status: int, gs: GlobalStatusConfig) -> str:
    """Seed 000: the opt-ins import as the configured status; the opt-outs as
    unsubscribed, always (CAN-SPAM), whatever else is configured."""
    if ns_status == SOFT_OPT_IN:
        return gs.soft_opt_in_status
    if ns_status == CONFIRMED_OPT_IN:
        return gs.confirmed_opt_in_status
    return "unsubscribed"


def decide_status(
    ns_status: int,
    mk: MarketingState | None,
    gs: GlobalStatusConfig,
    *,
    ns_changed: bool,
    mk_changed: bool,
    ns_time: datetime | None = None,
    mk_time: datetime | None = None,
    skew: timedelta = timedelta(seconds=2),
) -> StatusDecision:
    """The global subscription status of one linked record and contact.

    ``ns_changed`` / ``mk_changed``: the side's status differs from the one
    last synced (True when never synced).
    """
    ns_out = ns_status in NS_OPTED_OUT
    name = NS_STATUS_NAMES.get(ns_status, str(ns_status))

    if mk is None:
        # Seed 000: net-new contacts are created "reflecting their existing
        # NetSuite statuses"; opt-outs arrive unsubscribed (suppressed).
        if ns_out:
            return StatusDecision(
                marketing="create", marketing_status="unsubscribed",
                rule=f"CAN-SPAM: NetSuite {name} imports as unsubscribed", remove_from_lists=True,
            )
        status = imported_status(ns_status, gs)
        return StatusDecision(
            marketing="create", marketing_status=status,
            rule=f"NetSuite {name} imports as {status}", add_to_opt_in_lists=True,
        )

    if ns_out:
        if not mk.opted_out:
            if ns_changed:
                # An opt-out always reaches marketing, whatever the direction.
                return StatusDecision(
                    marketing="suppress", marketing_status="unsubscribed",
                    rule=f"CAN-SPAM: NetSuite {name} sets the contact unsubscribed (suppressed)",
                    remove_from_lists=True,
                )
            if mk_changed and ns_status == SOFT_OPT_OUT:
                # The contact opted back in on the marketing side.
                return StatusDecision(
                    netsuite=SOFT_OPT_IN, rule=f"marketing status {mk.label()} written to NetSuite as Soft Opt-In",
                )
            if ns_status == CONFIRMED_OPT_OUT:
                return StatusDecision(
                    marketing="suppress", marketing_status="unsubscribed",
                    rule="NetSuite Confirmed Opt-Out is the recipient's own: marketing is suppressed",
                    remove_from_lists=True,
                )
        return NOTHING

    # NetSuite is opted in.
    if mk.opted_out:
        if mk_changed:
            reason = "bounced" if mk.status == "bounced" else "unsubscribed"
            switch = gs.soft_opt_out_for_bounce if reason == "bounced" else gs.soft_opt_out_for_unsubscribed
            if switch:
                return StatusDecision(
                    netsuite=SOFT_OPT_OUT,
                    rule=f"{reason} in marketing: Soft Opt-Out written to NetSuite",
                )
            if not ns_changed:
                return NOTHING
            # Both sides changed since the last pass. NetSuite's lastmodifieddate
            # dates the record, not its status (any edit moves it), so which
            # came last cannot be shown: the opt-out wins (issue 12, family 3:
            # a later suppression was lifted by an earlier opt-in).
            return StatusDecision(
                rule="both sides changed since the last pass: the opt-out is kept",
                conflict=(f"NetSuite says {name} and the contact became {mk.label()} in marketing since the "
                          "last pass; which came last is unknown, so the opt-out is kept"),
            )
        if ns_changed:
            if mk.suppressed:
                status = imported_status(ns_status, gs)
                return StatusDecision(
                    marketing="unsuppress", marketing_status=status,
                    rule=f"opted back in in NetSuite ({name}): unsuppressed", add_to_opt_in_lists=True,
                )
            if mk.status == "unsubscribed":
                if gs.resubscribe_with_confirmation:
                    return StatusDecision(
                        marketing="resubscribe", marketing_status="unconfirmed",
                        rule=f"NetSuite {name} of an unsubscribed contact: resubscribe with confirmation email",
                    )
                return StatusDecision(
                    conflict=(
                        f"NetSuite says {name} but the contact unsubscribed in marketing; "
                        "their unsubscribe is kept (turn on resubscribe_with_confirmation to ask them)"
                    )
                )
            if mk.status == "bounced":
                return StatusDecision(conflict=f"NetSuite says {name} but the address bounced in marketing; kept bounced")
        return NOTHING

    # Both sides opted in.
    if mk.status not in MK_OPTED_IN:
        return NOTHING  # transactional: not ours to promote to marketing
    if ns_changed and gs.direction == "both" and mk.status in ("onboarding", "unconfirmed"):
        # "Both": the latest change wins; active contacts are never reset.
        target = imported_status(ns_status, gs)
        if target != mk.status and not (mk_changed and marketing_is_later(ns_time, mk_time, skew)):
            return StatusDecision(
                marketing="set_status", marketing_status=target,
                rule=f"NetSuite {name} is the latest change: {mk.status} -> {target}",
                add_to_opt_in_lists=True,
            )
    if ns_changed:
        return StatusDecision(rule=f"NetSuite {name}", add_to_opt_in_lists=True)
    return NOTHING
