"""`nstui why EMAIL [--json]`: why a contact is (un)subscribed.

Every consent-relevant event the engine recorded for that person (the
``consent_history`` table of the state store): what each side said, when,
which rule fired, what was written, by which run; then the current status
per scope (the global subscription status; each mapped list) and the reason.
The console shows the same (``tui/widgets/why_modal.py``).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from nstui.engine.rules.emails import normalize_email
from nstui.engine.rules.status import NS_STATUS_NAMES


@dataclass
class ScopeNow:
    scope: str
    netsuite: str
    marketing: str
    reason: str


@dataclass
class Explanation:
    email: str
    linked_to: str | None
    events: list[dict[str, Any]] = field(default_factory=list)
    now: list[ScopeNow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"email": self.email, "linked_to": self.linked_to, "events": self.events,
                "now": [asdict(s) for s in self.now]}


def explain(state_path: Path, email: str, lists: list[tuple[str, str]]) -> Explanation:
    """What the state store knows of ``email``. ``lists``: the mapped
    (campaign subscription, list) pairs of the configuration."""
    out = Explanation(email=email, linked_to=None)
    if not state_path.exists():
        return out
    from nstui.engine.state import StateStore

    with StateStore(state_path, readonly=True) as state:
        try:
            out.events = state.consent_history(email)
        except sqlite3.OperationalError:  # a state file from before the history existed
            out.events = []
        link = state.link_by_email(email)
        shadows = state.shadows(email)
    if link is not None:
        out.linked_to = f"NetSuite {link.party.record_type} {link.party.record_id}" + (
            f", marketing contact {link.contact_id}" if link.contact_id else "")
    last = {}
    for row in out.events:
        if row["written"] or row["scope"] not in last or row["rule"]:
            last[row["scope"]] = row
    ns, mk = shadows.get("status:ns"), shadows.get("status:mk")
    if ns is not None or mk is not None or "global" in last:
        out.now.append(ScopeNow(
            "global",
            NS_STATUS_NAMES.get(ns, str(ns)) if ns is not None else "unknown",
            (f"{mk[0]}{' (suppressed)' if mk[1] else ''}" if mk else "unknown"),
            last["global"]["rule"] if "global" in last else "no consent event recorded"))
    for subscription, list_name in lists:
        scope = f"list:{list_name}"
        synced = shadows.get("sub:" + subscription.lower())
        event = last.get(scope)
        if synced is None and event is None:
            continue
        out.now.append(ScopeNow(
            scope,
            event["netsuite"] if event else ("ticked" if synced else "unticked"),
            "on the list" if synced else "not on the list",
            event["rule"] if event else "as last synced"))
    return out


def render(expl: Explanation) -> str:
    lines = [f"why {expl.email}" + (f"  ({expl.linked_to})" if expl.linked_to else "  (not linked)")]
    if not expl.events:
        lines.append("  no consent event recorded for this address (is it synced? `nstui sync` records them)")
    for row in expl.events:
        lines.append(f"run {row['run_id']}  {row['at'].replace('T', ' ')[:19]}  {row['dataset']}  {row['scope']}")
        said = "  ".join(x for x in (f"NetSuite: {row['netsuite']}" if row["netsuite"] else "",
                                     f"marketing: {row['marketing']}" if row["marketing"] else "") if x)
        if said:
            lines.append(f"  said:    {said}")
        if row["rule"]:
            lines.append(f"  rule:    {row['rule']}")
        if row["written"]:
            lines.append(f"  written: {row['written']}")
    if expl.now:
        lines.append("now:")
        for s in expl.now:
            lines.append(f"  {s.scope}: NetSuite {s.netsuite}; marketing {s.marketing}")
            lines.append(f"    because: {s.reason}")
    return "\n".join(lines)


def add_parser(sub: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("why", help="why a contact is (un)subscribed: its consent history and current status")
    config_arg(p)
    p.add_argument("email", help="the contact's email address")
    p.add_argument("--json", action="store_true", help="print as JSON")


def mapped_lists(cfg: Any) -> list[tuple[str, str]]:
    return [(m.netsuite_subscription, m.list) for m in cfg.model.optins.campaign_subscriptions]


def cmd_why(args: argparse.Namespace) -> int:
    from nstui.cli import CliError, load_config

    email, reason = normalize_email(args.email)
    if email is None:
        raise CliError(f"why: {args.email!r} is not an email address ({reason})")
    cfg = load_config(args)
    expl = explain(cfg.state_path, email, mapped_lists(cfg))
    print(json.dumps(expl.to_dict(), indent=2) if args.json else render(expl))
    return 0
