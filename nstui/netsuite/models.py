"""Plain values the NetSuite client returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EntityType = Literal["customer", "contact"]


#: globalsubscriptionstatus values.
SOFT_OPT_IN, SOFT_OPT_OUT, CONFIRMED_OPT_IN, CONFIRMED_OPT_OUT = 1, 2, 3, 4
GLOBAL_STATUS_NAMES = {
    SOFT_OPT_IN: "Soft Opt-In",
    SOFT_OPT_OUT: "Soft Opt-Out",
    CONFIRMED_OPT_IN: "Confirmed Opt-In",
    CONFIRMED_OPT_OUT: "Confirmed Opt-Out",
}


@dataclass(frozen=True)
class CampaignSubscription:
    id: int
    name: str
    inactive: bool


@dataclass(frozen=True)
class SubscriptionState:
    subscription_id: int
    name: str
    subscribed: bool
    last_modified: datetime  # UTC
