"""Seed 003, "Duplicate email handling": one NetSuite record <-> one marketing
contact, and when a later sales stage may take a contact over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: "The sales stage order of importance": a later stage may take over a link.
STAGE_RANK = {"LEAD": 1, "PROSPECT": 2, "CUSTOMER": 3}


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


Decision = Literal["link", "keep", "takeover", "duplicate"]


def link_decision(current: Party | None, candidate: Party, *, names_must_match: bool) -> tuple[Decision, str]:
    """Who holds the one link of an email after ``candidate`` is seen.

    ``link``: nobody held it. ``keep``: the candidate already holds it.
    ``takeover``: the candidate is a later sales stage of the same kind of
    party (and has the same name when multiple-match handling asks), so the
    link moves to it. ``duplicate``: the candidate is not synced; the reason
    says why.
    """
    if current is None:
        return "link", ""
    if (current.record_type, current.record_id) == (candidate.record_type, candidate.record_id):
        return "keep", ""
    holder = f"{current.record_type} {current.record_id}"
    if current.record_type != "customer" or candidate.record_type != "customer":
        # Contacts have no sales stage; the first record linked keeps the email.
        return "duplicate", f"duplicate email: already linked to {holder}"
    if current.isperson != candidate.isperson:
        return "duplicate", f"duplicate email: linked to {holder}, and one is a person, the other a company"
    cur_rank = STAGE_RANK.get((current.stage or "").upper(), 0)
    new_rank = STAGE_RANK.get((candidate.stage or "").upper(), 0)
    if new_rank <= cur_rank:
        return "duplicate", f"duplicate email: linked to {holder} at the same or a later sales stage"
    if names_must_match and current.name != candidate.name:
        return "duplicate", f"duplicate email: linked to {holder} whose name differs (names must match)"
    return "takeover", f"later sales stage ({candidate.stage}) takes over from {holder} ({current.stage})"
