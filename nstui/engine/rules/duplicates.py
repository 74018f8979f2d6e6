"""Seed 003, "Duplicate email handling": one NetSuite record <-> one marketing
contact, and when a later sales stage may take a contact over.

Who holds the link of an email shared by several records must not depend on
the order the records were read in (a customers pass before or after a
contacts pass, a page that failed and is read again next run): ``link_decision``
names the same holder whichever of two records came first.

1. The seed's remapping: a record at a later sales stage takes the link when
   both are persons or both companies, and (when multiple-match handling asks)
   their names match. Contacts have no sales stage of their own: they rank
   before a lead. The seed's reason for the order ("continue to engage
   throughout the sales cycle and sync a customer's order history") puts the
   record of the sales cycle, whose orders are synced, above a company's
   contact person.
2. Otherwise (same stage, a person and a company, names that differ) the
   earlier record keeps it: the lower internal id. NetSuite's internal ids
   are shared by every record of the Entity group (contact, customer, lead,
   prospect, ...: "Shared Internal and External IDs",
   https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_N3436356.html),
   so a customer's and a contact's compare. A record made after the holder
   has the higher id and never takes its link; an older one does (one read
   later because its pass ran second or failed, or one given the email
   later), so the link is the one a sync reading them in id order makes.

Three or more records sharing one email, of both kinds and several stages,
can still be ranked in a circle (a later stage beats an earlier one of its
kind, which beats a company created after it, which beats the first): then
the order they are read in decides. Two records never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal

from nstui.engine.rules.status import CONFIRMED_OPT_OUT, NS_OPTED_OUT, SOFT_OPT_OUT

#: "The sales stage order of importance": a later stage may take over a link.
#: A contact has no stage and ranks first (see the module's docstring).
STAGE_RANK = {"CONTACT": 0, "LEAD": 1, "PROSPECT": 2, "CUSTOMER": 3}


@dataclass(frozen=True)
class Party:
    """What duplicate handling compares of a NetSuite record."""

    record_type: str  # "customer" | "contact"
    record_id: int
    stage: str | None
    isperson: bool
    name: str  # name_key()


def name_key(firstname: object, lastname: object, companyname: object, isperson: bool) -> str:
    parts = [firstname, lastname] if isperson else [companyname]
    return " ".join(str(p).strip().lower() for p in parts if p and str(p).strip())


def stage_rank(party: Party) -> int:
    """A record's place in the sales stage order (contacts first)."""
    if party.record_type == "contact":
        return STAGE_RANK["CONTACT"]
    return STAGE_RANK.get((party.stage or "").upper(), STAGE_RANK["CONTACT"])


def earlier(a: Party, b: Party) -> bool:
    """True when ``a`` was created before ``b``: the lower internal id (shared
    by every entity type, see above; the type only orders a sandbox's tie)."""
    return (a.record_id, a.record_type) < (b.record_id, b.record_type)


Decision = Literal["link", "keep", "takeover", "duplicate"]


def link_decision(current: Party | None, candidate: Party, *, names_must_match: bool) -> tuple[Decision, str]:
    """Who holds the one link of an email after ``candidate`` is seen.

    ``link``: nobody held it. ``keep``: the candidate already holds it.
    ``takeover``: the candidate wins against the holder (a later sales stage
    of the same kind of party, or else the earlier record), so the link moves
    to it. ``duplicate``: the candidate is not synced; the reason says why.
    Symmetric: of two records, the same one holds the link whichever is
    ``current``.
    """
    if current is None:
        return "link", ""
    if (current.record_type, current.record_id) == (candidate.record_type, candidate.record_id):
        return "keep", ""
    holder = f"{current.record_type} {current.record_id}"
    cur_rank, new_rank = stage_rank(current), stage_rank(candidate)
    if current.isperson != candidate.isperson:
        why = "one is a person, the other a company"
    elif names_must_match and current.name != candidate.name:
        why = "their names differ (names must match)"
    elif cur_rank != new_rank:
        if new_rank > cur_rank:
            return "takeover", (f"later sales stage ({_stage(candidate)}) takes over from {holder} "
                                f"({_stage(current)})")
        return "duplicate", f"duplicate email: linked to {holder} at a later sales stage"
    else:
        why = "the same sales stage"
    if earlier(candidate, current):
        return "takeover", f"duplicate email: {why}; the earlier record takes over from {holder}"
    return "duplicate", f"duplicate email: linked to {holder}, {why}; the earlier record keeps it"


def _stage(party: Party) -> str:
    return "contact" if party.record_type == "contact" else (party.stage or "no stage")



def takeover_shadows(shadows: dict[str, Any], ns_status: int | None, contact_opted_out: bool) -> dict[str, Any]:
    """The synced state of an email that a record taking its contact over is
    reconciled against. The shadow is the old record's, so the new record's
    field values, ticks and unticks read as changes and reach the platform.
    Its opt-in does not: an opt-out in effect on the contact (the old
    record's, or the platform's) was made after a status the new record may
    have held for years, so a takeover never lifts it; the new record's status
    is taken as synced. Its opt-out does reach the contact."""
    if contact_opted_out and ns_status is not None and ns_status not in NS_OPTED_OUT:
        return {**shadows, "status:ns": ns_status}
    return shadows


def strongest_opt_out(statuses: Iterable[int | None]) -> int | None:
    """Of the global subscription statuses of records sharing an email, the
    opt-out that governs (a Confirmed Opt-Out is the recipient's own), or None."""
    present = set(statuses)
    for status in (CONFIRMED_OPT_OUT, SOFT_OPT_OUT):
        if status in present:
            return status
    return None


def consent_status(own: int | None, duplicate_opt_out: int | None) -> int | None:
    """The status an email's consent is decided on: the record holding the
    email, unless another record with the email is opted out. Which of
    several records' statuses came last cannot be shown (a record's
    lastmodifieddate dates any edit), so an opt-out on any of them wins, as
    it does between the two sides (``rules/consent.py``); and so the contact
    ends the same whichever record was synced first."""
    if duplicate_opt_out is not None and own not in NS_OPTED_OUT:
        return duplicate_opt_out
    return own
