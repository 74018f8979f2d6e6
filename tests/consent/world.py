"""A small world for the consent property suite: both sandboxes, the engine
through the real clients, one shared data clock, and a timeline of every
consent event a person, a marketer or a platform made (never the engine's
own writes), with the invariant checked against it.

The invariant (README, "Consent invariant"): for every contact and scope
(global; each mapped or opt-in list), if the latest opt-out bearing on the
scope is newer than the latest opt-in, the contact is not subscribed in that
scope and not on that list, after any sync and at every moment during it
(the marketing sandbox's write log); no sync writes an opt-out no event
caused; Confirmed Opt-Out is never written; an unsubscribe or bounce is only
ever reversed through the confirmation path, and only when configured.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from nstui.config import ConfigFile
from nstui.connections import open_sandboxes
from nstui.engine import Engine
from nstui.engine import events as ev
from nstui.engine.rules.consent import GLOBAL, ConsentEvent, list_scope, opted_out
from tests.engine.conftest import write_config

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
MAPPED, OPT_IN_LIST = "Newsletter", "VIP"
PLATFORM_OPT_OUTS = {"unsubscribed", "softBounced", "hardBounced", "suppressed"}


_TEMPLATE: Path | None = None


def _copy_template_sandboxes(folder: Path) -> None:
    """Empty sandboxes are made once per process and copied: generating the
    NetSuite one (its reference tables) is most of a small example's time."""
    global _TEMPLATE
    if _TEMPLATE is None:
        root = Path(tempfile.mkdtemp(prefix="nstui-consent-template-"))
        open_sandboxes(ConfigFile.load(write_config(root))).close()
        _TEMPLATE = root / "sandbox"
    shutil.copytree(_TEMPLATE, folder)


class Clock:
    """The data clock of both sandboxes and the engine: a minute per event."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@dataclass
class Person:
    email: str
    record_id: int = 0
    ns_status: int = 1  # as the person last set it in NetSuite
    events: list[ConsentEvent] = field(default_factory=list)


class Violation(AssertionError):
    pass


class World:
    def __init__(self, *, campaign: str, global_direction: str, unsub_switch: bool, bounce_switch: bool,
                 remove_opt_outs: bool, resubscribe_with_confirmation: bool):
        self._tmp = tempfile.TemporaryDirectory(prefix="nstui-consent-")
        folder = Path(self._tmp.name)
        path = write_config(folder, newsletter_direction=campaign, status_direction=global_direction)
        flag = {True: "true", False: "false"}
        text = path.read_text()
        for key, value in (("soft_opt_out_for_unsubscribed", unsub_switch), ("soft_opt_out_for_bounce", bounce_switch),
                           ("remove_opt_outs_from_lists", remove_opt_outs)):
            text = text.replace(f"{key} = true", f"{key} = {flag[value]}")
        text = text.replace("remove_opt_outs_from_lists",
                            f"resubscribe_with_confirmation = {flag[resubscribe_with_confirmation]}\n"
                            "remove_opt_outs_from_lists", 1)
        path.write_text(text)
        # Each world its own state file (the suite's fixtures point NSTUI_STATE at one per test).
        self._state_env = os.environ.get("NSTUI_STATE")
        os.environ["NSTUI_STATE"] = str(folder / "state.sqlite")
        self.cfg = ConfigFile.load(path)
        _copy_template_sandboxes(folder / "sandbox")
        self.settings = dict(campaign=campaign, global_direction=global_direction, unsub_switch=unsub_switch,
                             bounce_switch=bounce_switch, remove_opt_outs=remove_opt_outs,
                             resubscribe_with_confirmation=resubscribe_with_confirmation)
        self.clock = Clock()
        self.boxes = open_sandboxes(self.cfg)
        self.ns, self.mk = self.boxes.netsuite, self.boxes.marketing
        self.ns.clock = self.mk.clock = self.clock
        self.people: dict[str, Person] = {}
        self.joined_since_sync: set[str] = set()
        self.syncs = 0
        self.sub_id = self.ns.query("SELECT id FROM campaignsubscription WHERE name = ?", (MAPPED,))[0]["id"]

    def close(self) -> None:
        self.boxes.close()
        self._tmp.cleanup()
        if self._state_env is None:
            os.environ.pop("NSTUI_STATE", None)
        else:
            os.environ["NSTUI_STATE"] = self._state_env

    # -- what people and platforms do (each a consent event, or not) ---------

    def _event(self, p: Person, scope: str, opt_in: bool, side: str, what: str) -> None:
        p.events.append(ConsentEvent(self.clock.tick(), scope, opt_in, side, what))  # type: ignore[arg-type]

    def add_record(self, email: str, *, status: int, ticked: bool, stage: str = "CUSTOMER", first: str = "Ann") -> int:
        p = self.people.setdefault(email, Person(email))
        status_id = self.ns.query("SELECT id FROM customerstatus WHERE stage = ? AND isdefault = 'T'", (stage,))[0]["id"]
        rid = self.ns.insert("customer", entityid=f"{first} {stage}", isperson="T", firstname=first, lastname="Lee",
                             email=email, entitystatus=status_id, stage=stage, globalsubscriptionstatus=status,
                             isinactive="F")
        self.ns.set_subscription(rid, self.sub_id, ticked)
        if stage == "CUSTOMER" or not p.record_id:
            p.record_id, p.ns_status = rid, status
        self._event(p, GLOBAL, status in (1, 3), "netsuite", f"record created with status {status}")
        if ticked:
            self._event(p, list_scope(MAPPED), True, "netsuite", "record created ticked")
        return rid

    def platform_has(self, email: str, state: str) -> None:
        """The contact exists on the platform before nstui: subscribed,
        unsubscribed, or a member of the mapped list."""
        p = self.people.setdefault(email, Person(email))
        self.mk.add_contact(email, {})
        self._event(p, GLOBAL, True, "marketing", "signed up on the platform")
        if state == "unsubscribed":
            self.mk.contact_unsubscribes(email)
            self._event(p, GLOBAL, False, "marketing", "unsubscribed")
        elif state == "member":
            self.mk.add_to_list_by_name(email, MAPPED)
            self._event(p, list_scope(MAPPED), True, "marketing", f"joined {MAPPED}")

    def ns_status(self, p: Person, status: int) -> None:
        current = self.ns.row("customer", p.record_id)["globalsubscriptionstatus"]
        if current == status:
            return
        self.clock.tick()
        self.ns.update("customer", p.record_id, globalsubscriptionstatus=status)
        p.ns_status = status
        self._event(p, GLOBAL, status in (1, 3), "netsuite", f"status {current} -> {status}")

    def ns_tick(self, p: Person, ticked: bool) -> None:
        row = self.ns.query("SELECT subscribed FROM entitysubscription WHERE entity = ? AND subscription = ?",
                            (p.record_id, self.sub_id))
        if row and (row[0]["subscribed"] == "T") == ticked:
            return
        self.clock.tick()
        self.ns.set_subscription(p.record_id, self.sub_id, ticked)
        self._event(p, list_scope(MAPPED), ticked, "netsuite", "ticked" if ticked else "unticked")

    def mk_status(self, p: Person, what: str) -> None:
        contact = self.mk.contact(p.email)
        if contact is None:
            return
        wire = contact["wire_status"]
        self.clock.tick()
        if what == "unsubscribe" and wire != "unsubscribed":
            self.mk.contact_unsubscribes(p.email)
        elif what == "bounce" and wire not in ("hardBounced",):
            self.mk.bounce(p.email)
        elif what == "suppress" and wire != "suppressed":
            self.mk.company_suppresses(p.email)
        elif what == "resubscribe" and wire != "subscribed":
            self.mk.contact_resubscribes(p.email)
        else:
            return
        self._event(p, GLOBAL, what == "resubscribe", "marketing", what)

    def mk_list(self, p: Person, how: str) -> None:
        """``join``; ``unsubscribe`` (the contact unsubscribes from the list:
        the platform reports it with its time); ``remove`` (taken off the
        list: no trace but the membership)."""
        contact = self.mk.contact(p.email)
        join = how == "join"
        if contact is None or (MAPPED in contact["lists"]) == join:
            return
        if how == "remove" and p.email in self.joined_since_sync:
            # A join and a plain removal between two passes leave no trace in
            # what the platform's reads show (memberships carry no history): a
            # known limit (README), not generated. A join and an unsubscribe
            # from the list are (the unsubscribe is read with its time).
            return
        if join:
            self.joined_since_sync.add(p.email)
        self.clock.tick()
        if join:
            self.mk.add_to_list_by_name(p.email, MAPPED)
        elif how == "unsubscribe":
            self.mk.contact_unsubscribes_from_list(p.email, MAPPED)
        else:
            self.mk.remove_from_list_by_name(p.email, MAPPED)
        self._event(p, list_scope(MAPPED), join, "marketing",
                    {"join": "joined", "unsubscribe": "unsubscribed from", "remove": "left"}[how] + f" {MAPPED}")

    def edit(self, p: Person, side: str) -> None:
        """An edit that is not about consent."""
        self.clock.tick()
        if side == "netsuite":
            self.ns.update("customer", p.record_id, firstname=f"Ann{self.clock.now.minute}")
        elif self.mk.contact(p.email) is not None:
            self.mk.set_data_fields(p.email, {"LASTNAME": f"Lee{self.clock.now.minute}"})

    # -- a sync, checked during (the write log) and after ------------------------

    async def sync(self) -> None:
        self.clock.tick()
        log_start, ns_log_start = self.mk.write_log_end(), self.ns.write_log_end()
        wire_before = {e: (self.mk.contact(e) or {}).get("wire_status") for e in self.people}
        events: list[ev.Event] = []
        bus = ev.EventBus()
        bus.listen(events.append)
        await Engine(self.cfg, bus=bus, sandboxes=self.boxes, clock=self.clock).run_once(["customers"])
        self.syncs += 1
        self.joined_since_sync.clear()
        errors = [e for e in events if isinstance(e, ev.Error)]
        if errors:
            raise Violation(f"sync {self.syncs} failed: {errors[0]}")
        self.check_during(self.mk.write_log(log_start), wire_before)
        self.check_netsuite_during(self.ns.write_log(ns_log_start))
        self.check_after()

    def _fail(self, what: str, p: Person) -> None:
        timeline = "\n".join(f"  {e.at:%H:%M} {e.scope:16} {'in ' if e.opt_in else 'OUT'} {e.side}: {e.what}"
                             for e in p.events)
        raise Violation(f"sync {self.syncs}: {p.email}: {what}\nsettings {self.settings}\ntimeline:\n{timeline}")

    def check_during(self, log: list[dict[str, Any]], wire_before: dict[str, str | None]) -> None:
        wire = dict(wire_before)
        for w in log:
            p = self.people.get(w["email"])
            if p is None or w["via"] != "api":
                continue
            if w["kind"] == "list_add" and w["detail"] in (MAPPED, OPT_IN_LIST):
                if opted_out(p.events, list_scope(w["detail"])):
                    self._fail(f"added to {w['detail']} while opted out", p)
            if w["kind"] == "status":
                new, old = w["detail"], wire.get(p.email)
                if new in ("subscribed", "pendingOptIn") and opted_out(p.events, GLOBAL):
                    self._fail(f"status written {new} while opted out", p)
                if old in ("unsubscribed", "softBounced", "hardBounced") and new == "subscribed":
                    self._fail(f"{old} contact resubscribed without confirmation", p)
                if new == "pendingOptIn" and not self.settings["resubscribe_with_confirmation"]:
                    self._fail("resubscribed with confirmation while it is switched off", p)
                if new in ("unsubscribed", "suppressed") and old not in PLATFORM_OPT_OUTS:
                    if not any(not e.opt_in and e.side == "netsuite" and e.scope == GLOBAL for e in p.events):
                        self._fail(f"{new} written to the platform with no NetSuite opt-out", p)
                wire[p.email] = new

    def _soft_opt_out_allowed(self, p: Person) -> bool:
        """A platform opt-out whose switch is on: the only cause of a Soft Opt-Out written to NetSuite."""
        kinds = {e.what for e in p.events if e.side == "marketing" and not e.opt_in}
        allowed = ({"unsubscribe", "unsubscribed", "suppress"} if self.settings["unsub_switch"] else set()) | (
            {"bounce"} if self.settings["bounce_switch"] else set())
        return bool(kinds & allowed)

    def check_netsuite_during(self, log: list[dict[str, Any]]) -> None:
        """Every write the engine made to NetSuite in the sync (the NetSuite
        sandbox's write log), checked at the moment it was made: no campaign
        subscription ticked and no opt-in status written for a person opted
        out in that scope; never Confirmed Opt-Out; no opt-out without a cause
        (an untick needs an opt-out bearing on the list, except where the
        direction makes NetSuite the list's mirror: bronto_to_netsuite)."""
        mapped = list_scope(MAPPED)
        for w in log:
            p = self.people.get(w["email"])
            if p is None or w["via"] != "api":
                continue
            kind, detail = w["kind"], w["detail"]
            if kind == "subscribe" and detail == MAPPED and opted_out(p.events, mapped):
                self._fail(f"campaign subscription {MAPPED} ticked in NetSuite (record {w['record_id']}) "
                           "while opted out", p)
            if kind in ("status", "create") and detail in ("1", "3") and opted_out(p.events, GLOBAL):
                self._fail(f"opt-in status {detail} written to NetSuite (record {w['record_id']}) while opted out", p)
            if kind in ("status", "create") and detail == "4":
                self._fail("Confirmed Opt-Out written to NetSuite", p)
            if kind == "status" and detail == "2" and not self._soft_opt_out_allowed(p):
                self._fail("Soft Opt-Out written to NetSuite with no platform opt-out (or its switch off)", p)
            if kind == "unsubscribe" and detail == MAPPED and self.settings["campaign"] != "bronto_to_netsuite" \
                    and not any(not e.opt_in and e.scope in (GLOBAL, mapped) for e in p.events):
                self._fail(f"campaign subscription {MAPPED} cleared in NetSuite with no opt-out", p)
            if kind == "optin_field" and detail == "T" and opted_out(p.events, GLOBAL):
                self._fail("opt-in field set in NetSuite while opted out", p)

    def check_after(self) -> None:
        for p in self.people.values():
            contact = self.mk.contact(p.email)
            if contact is not None:
                mailable = contact["wire_status"] == "subscribed"
                if mailable and opted_out(p.events, GLOBAL):
                    self._fail(f"subscribed ({contact['status']}) after the sync while opted out", p)
                for name in (MAPPED, OPT_IN_LIST):
                    if mailable and name in contact["lists"] and opted_out(p.events, list_scope(name)):
                        self._fail(f"on {name} after the sync while opted out", p)
            for row in self.ns.query("SELECT id, globalsubscriptionstatus AS s FROM customer WHERE LOWER(email) = ?",
                                     (p.email,)):
                if row["s"] == 4 and row["id"] == p.record_id and p.ns_status != 4:
                    self._fail("Confirmed Opt-Out written to NetSuite", p)
                if row["id"] == p.record_id and row["s"] == 2 and p.ns_status != 2:
                    if not self._soft_opt_out_allowed(p):
                        self._fail("Soft Opt-Out written to NetSuite with no platform opt-out (or its switch off)", p)
