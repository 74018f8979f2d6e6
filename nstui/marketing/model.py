"""What the engine sees of the marketing platform: Bronto's model (seed 000),
with no wire details. ``statuses.py`` maps it to Dotdigital's fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ContactStatus = Literal["onboarding", "unconfirmed", "active", "transactional", "bounced", "unsubscribed"]
CONTACT_STATUSES: tuple[str, ...] = ContactStatus.__args__  # type: ignore[attr-defined]


@dataclass
class MarketingContact:
    contact_id: int
    email: str  # lower-case
    status: ContactStatus
    status_changed: datetime | None
    suppressed: bool
    data_fields: dict[str, Any]
    mobile_number: str | None
    lists: dict[int, datetime | None]  # list id -> when the membership last changed
    updated: datetime | None
    #: Lists the contact is on but no longer mailed from (its opt-out suppressed
    #: the membership): a member, yet not subscribed to what the list stands for.
    suppressed_lists: set[int] = field(default_factory=set)

    def subscribed_to(self, list_id: int | None) -> bool:
        return list_id in self.lists and list_id not in self.suppressed_lists


@dataclass
class ContactWrite:
    """An upsert. ``status`` None leaves the status as it is (a new contact
    then gets the platform's default, subscribed with single opt-in)."""

    email: str
    status: ContactStatus | None = None
    data_fields: dict[str, Any] = field(default_factory=dict)
    mobile_number: str | None = None
    lists: list[int] = field(default_factory=list)
    #: Suppressed (the company's block) in the same write, whatever ``status``.
    suppressed: bool = False


@dataclass
class MarketingList:
    id: int
    name: str
    contacts: int | None = None


@dataclass
class OptOut:
    email: str
    when: datetime
    reason: Literal["unsubscribed", "bounced", "suppressed"]


@dataclass
class ImportReport:
    created: int
    updated: int
    failed: list[tuple[str, str]]  # (email, reason)
