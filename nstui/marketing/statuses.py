"""The one table between Bronto's contact statuses (seed 000) and Dotdigital's
v3 ``channelProperties.email`` status and ``optInType``.

| Bronto (seed 000) | Dotdigital read | Dotdigital write | why |
|---|---|---|---|
| onboarding | subscribed + optInType Single/Double/Unknown | status subscribed, optInType single | opted in, not yet engaged: Bronto's onboarding is "subscribed, no confirmation yet" |
| unconfirmed | pendingOptIn | status subscribed, optInType verifiedDouble (the platform sends the confirmation email) | has not agreed yet: not mailable until they confirm |
| active | subscribed + optInType VerifiedDouble | not written (engagement makes it) | confirmed by the contact: the engaged state Bronto calls active |
| transactional | noSubscription | not written | a contact that may get transactional mail only |
| bounced | softBounced, hardBounced | not written (the platform's) | delivery failed |
| unsubscribed | unsubscribed, ispComplained, directComplaint, knownComplainer | status unsubscribed | the contact's own opt-out (a complaint is one too): never reversed by the connector |
| suppressed (flag) | suppressed, spamTrap, blockedlocalpart, sharedsuppression, sharedDomainSuppression, domainSuppressed, knownLitigator, purchased, binned, deleted | status suppressed | the company's (or the platform's) block; reported as status unsubscribed with suppressed set, and lifted (resubscribe with no challenge) when the contact opts back in in NetSuite (seed 003) |

Why ``verifiedDouble`` and not ``double`` for unconfirmed: Dotdigital's v3
contacts description (dotdigital-contacts-service.json, components/schemas/
channelProperties_channelProperties_email, property optInType) says "if set
to verified double ... the email holder will be sent an email to confirm their
subscription, and in the meantime the email channel status will be
pendingOptIn". A plain ``double`` leaves the contact subscribed, i.e.
mailable: the opposite of Bronto's unconfirmed ("have not yet agreed to
receive marketing emails").
"""

from __future__ import annotations

from typing import Any

SUPPRESSED_KIN = frozenset({
    "suppressed", "spamTrap", "blockedlocalpart", "sharedsuppression", "sharedDomainSuppression",
    "domainSuppressed", "knownLitigator", "purchased", "binned", "deleted",
})
#: A complaint is the recipient's own opt-out: an unsubscribe, never lifted by us.
COMPLAINTS = frozenset({"ispComplained", "directComplaint", "knownComplainer"})


def from_wire(email_status: str | None, opt_in_type: str | None) -> tuple[str, bool]:
    """Dotdigital's email channel status and opt-in type -> (Bronto status, suppressed)."""
    s = email_status or "noSubscription"
    if s == "subscribed":
        # v3 reads spell it VerifiedDouble, v3 writes verifiedDouble.
        return ("active" if (opt_in_type or "").lower() == "verifieddouble" else "onboarding"), False
    if s == "pendingOptIn":
        return "unconfirmed", False
    if s in ("softBounced", "hardBounced"):
        return "bounced", False
    if s == "unsubscribed" or s in COMPLAINTS:
        return "unsubscribed", False
    if s == "noSubscription":
        return "transactional", False
    if s in SUPPRESSED_KIN:
        return "unsubscribed", True
    raise ValueError(f"unknown Dotdigital email status {s!r}")


def to_wire(status: str) -> dict[str, Any]:
    """Bronto status -> the v3 ``channelProperties.email`` fields to write."""
    if status == "onboarding":
        return {"status": "subscribed", "optInType": "single"}
    if status == "unconfirmed":
        return {"status": "subscribed", "optInType": "verifiedDouble"}
    if status == "unsubscribed":
        return {"status": "unsubscribed"}
    raise ValueError(f"the status {status!r} is the platform's to set, not ours (onboarding, unconfirmed, unsubscribed)")


#: Every read value of the table, for the round-trip test.
READ_TABLE: dict[tuple[str, str | None], tuple[str, bool]] = {
    ("subscribed", "Single"): ("onboarding", False),
    ("subscribed", "Unknown"): ("onboarding", False),
    ("subscribed", "Double"): ("onboarding", False),
    ("subscribed", "VerifiedDouble"): ("active", False),
    ("pendingOptIn", "VerifiedDouble"): ("unconfirmed", False),
    ("noSubscription", None): ("transactional", False),
    ("softBounced", None): ("bounced", False),
    ("hardBounced", None): ("bounced", False),
    ("unsubscribed", None): ("unsubscribed", False),
    **{(k, None): ("unsubscribed", False) for k in COMPLAINTS},
    **{(k, None): ("unsubscribed", True) for k in SUPPRESSED_KIN},
}
