"""A dry run's picture of the marketing platform after the writes it plans.

A real run reads back what the platform made of each page's writes, and the
later pages reconcile against that. A dry run writes nothing, so without this
a later page would meet, say, a contact an earlier page "created" as if it
were still missing, and plan a second create where the real run updates.
This applies the planned writes to the contacts as the platform would
(the same rules as ``sandbox/marketing.py`` and Dotdigital's API).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Iterable

from nstui.engine.datasets.ops import (
    MARKETING_CONTACT_OPS,
    DeleteContact,
    ListAdd,
    ListRemove,
    Op,
    Resubscribe,
    Suppress,
    Unsuppress,
    Upsert,
)
from nstui.marketing.model import ContactStatus, ContactWrite, MarketingContact

#: The contact id of a contact that only a dry run's plan creates.
PLANNED_ID = -1
OPTED_OUT = ("unsubscribed", "bounced")


def _written_status(before: MarketingContact, write: ContactWrite) -> tuple[ContactStatus, bool]:
    if write.suppressed:
        return "unsubscribed", True
    if write.status is None:
        return before.status, before.suppressed
    if write.status == "unsubscribed":
        return "unsubscribed", before.suppressed
    if before.suppressed or before.status in OPTED_OUT:
        return before.status, before.suppressed  # an opt-out stays so unless resubscribed
    if before.status == "active":
        return "active", False  # engaged already: nothing to change
    if write.status == "unconfirmed" and before.status == "onboarding":
        return "onboarding", False
    return write.status, False


def planned_contact(email: str, before: MarketingContact | None, ops: Iterable[Op],
                    now: datetime) -> MarketingContact | None:
    """``before`` (None: not on the platform) after the operations for ``email``."""
    contact = before
    for op in ops:
        if not isinstance(op, MARKETING_CONTACT_OPS):
            continue
        if isinstance(op, DeleteContact):
            contact = None
            continue
        if contact is None:
            # Created by this write: the status it asks for, else the
            # platform's default (subscribed, single opt-in).
            write = op.write if isinstance(op, Upsert) else ContactWrite(email=email)
            contact = MarketingContact(
                contact_id=PLANNED_ID, email=email, status=write.status or "onboarding", status_changed=now,
                suppressed=False, data_fields={}, mobile_number=None, lists={}, updated=now,
            )
        contact = replace(contact, data_fields=dict(contact.data_fields), lists=dict(contact.lists),
                          suppressed_lists=set(contact.suppressed_lists), updated=now)
        if isinstance(op, Upsert):
            write = op.write
            contact.data_fields.update(write.data_fields)
            if write.mobile_number:
                contact.mobile_number = write.mobile_number
            contact.lists.update({list_id: now for list_id in write.lists})
            status, suppressed = _written_status(contact, write)
            if (status, suppressed) != (contact.status, contact.suppressed):
                contact.status, contact.suppressed, contact.status_changed = status, suppressed, now
        elif isinstance(op, ListAdd):
            contact.lists[op.list_id] = now
        elif isinstance(op, ListRemove):
            contact.lists.pop(op.list_id, None)
        elif isinstance(op, Suppress):
            contact.status, contact.suppressed, contact.status_changed = "unsubscribed", True, now
        elif isinstance(op, Unsuppress):
            contact.status, contact.suppressed, contact.status_changed = "onboarding", False, now
        elif isinstance(op, Resubscribe):
            contact.status, contact.suppressed, contact.status_changed = "unconfirmed", False, now
        # An opt-out of the contact's own suppresses its memberships; a company
        # suppression keeps them (as the client reads them).
        opted_out = contact.status in OPTED_OUT and not contact.suppressed
        contact.suppressed_lists = set(contact.lists) if opted_out else set()
    return contact


def effect_present(op: Op, contact: MarketingContact | None, now: datetime) -> bool:
    """Whether the platform already shows what ``op`` does to ``contact``:
    carrying it out again would change nothing we sync (an interrupted run's
    write reached the platform)."""
    from nstui.engine.rules.merge import canon

    if isinstance(op, DeleteContact):
        return contact is None
    if contact is None:
        return False
    after = planned_contact(contact.email, contact, [op], now)
    assert after is not None
    return (
        (after.status, after.suppressed) == (contact.status, contact.suppressed)
        and set(after.lists) == set(contact.lists)
        and after.mobile_number == contact.mobile_number
        and {k: canon(v) for k, v in after.data_fields.items()} == {k: canon(v) for k, v in contact.data_fields.items()}
    )


def subscribes(op: Op) -> bool:
    """An operation that mails someone more (never retried for a contact who
    opted out after it was decided)."""
    if isinstance(op, Upsert):
        return op.write.status is not None and op.write.status != "unsubscribed" and not op.write.suppressed
    return isinstance(op, (Unsuppress, Resubscribe, ListAdd))
