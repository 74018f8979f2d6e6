"""Seed 000, step 5.3: the five directions, as a three-way merge of one value.

Each field (and each campaign subscription) is decided from its NetSuite value,
its marketing value and the value last synced (the shadow). The shadow tells
which side changed since the last sync, so an echo of our own write is no
change and a value never ping-pongs between the systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

NO_SHADOW: Any = object()


def canon(value: Any) -> Any:
    """A value as compared across the systems: blanks are None, booleans and
    NetSuite's 'T'/'F' are bools, numbers compare by value, text as stripped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if text in ("T", "F") or text.lower() in ("true", "false"):
        return text in ("T",) or text.lower() == "true"
    try:
        return float(text) if text.lstrip("-").replace(".", "", 1).isdigit() else text
    except ValueError:
        return text


def is_blank(value: Any) -> bool:
    """Blank for the "primary" directions: empty, or (for a subscription) False."""
    v = canon(value)
    return v is None or v is False


@dataclass(frozen=True)
class FieldDecision:
    to_marketing: bool = False
    to_netsuite: bool = False
    value: Any = None
    reason: str = ""


SAME = FieldDecision()


def merge_field(
    direction: str,
    ns: Any,
    mk: Any,
    *,
    shadow: Any = NO_SHADOW,
    ns_time: datetime | None = None,
    mk_time: datetime | None = None,
    skew: timedelta = timedelta(seconds=2),
    mk_exists: bool = True,
) -> FieldDecision:
    """Which side gets which value for one mapped field.

    - netsuite_to_bronto: NetSuite is master; marketing gets its value, blanks included.
    - bronto_to_netsuite: marketing is master; NetSuite gets its value, blanks included.
    - both: the side changed since the last sync wins; if both changed, the most
      recently modified record wins (ties within ``skew`` go to NetSuite).
    - both_bronto_primary: a non-blank marketing value overwrites NetSuite;
      NetSuite only fills a blank marketing value; blanks are never synced.
    - both_netsuite_primary: the mirror image.
    """
    n, m = canon(ns), canon(mk)
    if n == m:
        return SAME
    if direction == "netsuite_to_bronto":
        return FieldDecision(to_marketing=True, value=ns, reason="NetSuite is master")
    if direction == "bronto_to_netsuite":
        if not mk_exists:
            return SAME
        return FieldDecision(to_netsuite=True, value=mk, reason="marketing is master")
    if direction == "both_bronto_primary":
        if mk_exists and not is_blank(mk):
            return FieldDecision(to_netsuite=True, value=mk, reason="marketing primary")
        if not is_blank(ns):
            return FieldDecision(to_marketing=True, value=ns, reason="marketing value empty")
        return SAME
    if direction == "both_netsuite_primary":
        if not is_blank(ns):
            return FieldDecision(to_marketing=True, value=ns, reason="NetSuite primary")
        if mk_exists and not is_blank(mk):
            return FieldDecision(to_netsuite=True, value=mk, reason="NetSuite value empty")
        return SAME
    if direction == "both":
        if not mk_exists:
            return FieldDecision(to_marketing=True, value=ns, reason="new contact")
        if shadow is NO_SHADOW:
            # Never synced: fill whichever side is empty, else the latest wins.
            if m is None:
                return FieldDecision(to_marketing=True, value=ns, reason="marketing value empty")
            if n is None:
                return FieldDecision(to_netsuite=True, value=mk, reason="NetSuite value empty")
            ns_changed = mk_changed = True
        else:
            s = canon(shadow)
            ns_changed, mk_changed = n != s, m != s
        if ns_changed and not mk_changed:
            return FieldDecision(to_marketing=True, value=ns, reason="changed in NetSuite")
        if mk_changed and not ns_changed:
            return FieldDecision(to_netsuite=True, value=mk, reason="changed in marketing")
        if marketing_is_later(ns_time, mk_time, skew):
            return FieldDecision(to_netsuite=True, value=mk, reason="changed on both sides; marketing is later")
        return FieldDecision(to_marketing=True, value=ns, reason="changed on both sides; NetSuite is later")
    raise ValueError(f"unknown direction {direction!r}")


def marketing_is_later(ns_time: datetime | None, mk_time: datetime | None, skew: timedelta) -> bool:
    """"Latest record update is used"; a tie within the skew goes to NetSuite."""
    if mk_time is None:
        return False
    if ns_time is None:
        return True
    return mk_time - ns_time > skew


def merge_subscription(
    direction: str,
    ns: bool,
    mk: bool,
    *,
    shadow: bool | None = None,
    ns_time: datetime | None = None,
    mk_time: datetime | None = None,
    skew: timedelta = timedelta(seconds=2),
    mk_exists: bool = True,
) -> FieldDecision:
    """One campaign subscription (NetSuite tick) and its list (membership).

    ``shadow`` is the value last synced (None: never synced). With it, exactly
    one side changed whenever the sides differ, and what it did is an event:
    - an untick in NetSuite is an opt-out: the contact leaves the list in every
      direction (the platform is what mails; the invariant wins over "does not
      update Bronto contacts with NetSuite data");
    - a removal from the list is an opt-out: it is never refilled ("primary
      fills only blanks" never takes an opt-out for a blank) and reaches
      NetSuite unless NetSuite is the one-way master;
    - a tick or a join is an opt-in and follows the direction as the seed
      words it (``merge_field``), master directions overwriting the other side.
    """
    n, m = bool(ns), bool(mk)
    if n == m:
        return SAME
    if not mk_exists:
        if direction == "bronto_to_netsuite":
            return SAME
        return FieldDecision(to_marketing=True, value=n, reason="new contact")
    if shadow is not None:
        if n != shadow and not n:
            return FieldDecision(to_marketing=True, value=False,
                                 reason="unticked in NetSuite: an opt-out leaves the list in every direction")
        if m != shadow and not m:
            if direction == "netsuite_to_bronto":
                return SAME  # NetSuite is not told; the list is not refilled either
            return FieldDecision(to_netsuite=True, value=False,
                                 reason="removed from the list: an opt-out, never a blank to refill")
    return merge_field(direction, n, m, shadow=NO_SHADOW if shadow is None else shadow,
                       ns_time=ns_time, mk_time=mk_time, skew=skew, mk_exists=True)
