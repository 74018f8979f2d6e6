"""Screen 2, seed 000 step 6: the global subscription status."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Label, Select, SelectionList, Static

from nstui.account_facts import source_field_choices, source_field_problem
from nstui.config import Config
from nstui.keys import key
from nstui.tui.screens.base import BaseScreen
from nstui.tui.texts import CAN_SPAM, GLOBAL_DIRECTIONS, GUIDANCE
from nstui.tui.widgets.account_choice import AccountChoice
from nstui.tui.widgets.checks import Checklist, YesNo
from nstui.tui.widgets.pickers import Picker

STATUSES = [("Onboarding", "onboarding"), ("Unconfirmed", "unconfirmed")]
SOURCES = [("Subscriptions", "subscriptions"), ("A field", "field")]
SWITCHES = ("soft_opt_out_for_unsubscribed", "soft_opt_out_for_bounce", "remove_opt_outs_from_lists",
            "resubscribe_with_confirmation")


def row(label: str, widget: Any, guidance: str) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, Static(guidance, classes="guidance"),
                      classes="field")


class GlobalStatusScreen(BaseScreen):
    AUTO_FOCUS = "#enable_connection"
    BINDINGS = [Binding(key("global.direction"), "choose_direction", "Direction", id="global.direction"),
                Binding(key("global.why"), "why", "Why (contact)", id="global.why")]

    def compose(self) -> ComposeResult:
        gs = self.nstui.session.model.optins.global_status
        optins = self.nstui.session.model.optins
        yield self.header()
        with VerticalScroll(id="form"):
            yield Static(CAN_SPAM, id="can-spam", classes="fixed")
            yield row("Enable Connection", YesNo(value=optins.enable_connection, id="enable_connection"),
                      GUIDANCE["enable_connection"])
            yield row("Sync Direction", Picker([(d.label, d.value) for d in GLOBAL_DIRECTIONS], id="direction",
                                               allow_blank=False, value=gs.direction, compact=True), GUIDANCE["direction"])
            yield Static("Consent first: where \"most recently modified wins\" would undo a newer opt-out, "
                         "the opt-out wins (README: Consent invariant). w: why is a contact (un)subscribed?",
                         id="consent-first", classes="guidance")
            yield row("Soft Opt-In Status", Picker(STATUSES, id="soft_opt_in_status", allow_blank=False,
                                                   value=gs.soft_opt_in_status, compact=True), GUIDANCE["soft_opt_in_status"])
            yield row("Confirmed Opt-In Status", Picker(STATUSES, id="confirmed_opt_in_status", allow_blank=False,
                                                        value=gs.confirmed_opt_in_status, compact=True),
                      GUIDANCE["confirmed_opt_in_status"])
            yield row("Soft Opt-Out for Unsubscribed", YesNo(value=gs.soft_opt_out_for_unsubscribed,
                                                              id="soft_opt_out_for_unsubscribed"),
                      GUIDANCE["soft_opt_out_for_unsubscribed"])
            yield row("Soft Opt-Out for Bounce", YesNo(value=gs.soft_opt_out_for_bounce, id="soft_opt_out_for_bounce"),
                      GUIDANCE["soft_opt_out_for_bounce"])
            yield row("Add Opt-Ins to Lists", Checklist(id="add_opt_ins_to_lists", compact=True),
                      GUIDANCE["add_opt_ins_to_lists"])
            yield row("Remove Opt-Outs from Lists", YesNo(value=gs.remove_opt_outs_from_lists,
                                                           id="remove_opt_outs_from_lists"),
                      GUIDANCE["remove_opt_outs_from_lists"])
            yield row("Resubscribe with Confirmation", YesNo(value=gs.resubscribe_with_confirmation,
                                                              id="resubscribe_with_confirmation"),
                      "A NetSuite opt-in of an unsubscribed contact sends a double opt-in email; never a silent resubscribe.")
            yield Label("Where NetSuite keeps opt-in/out (customers and contacts)", classes="section")
            yield row("Opt-In Source", Picker(SOURCES, id="optins-source", allow_blank=False, value=optins.source,
                                              compact=True), GUIDANCE["source"])
            yield row("Opt-In Field", AccountChoice(optins.source_field or "", id="optins-source_field",
                                                    placeholder="custentity_...", prompt="Pick a field"),
                      GUIDANCE["source_field"])
            yield row("Sync for Customers", YesNo(value="customers" in optins.datasets, id="optins-customers"),
                      GUIDANCE["datasets"])
            yield row("Sync for Contacts", YesNo(value="contacts" in optins.datasets, id="optins-contacts"),
                      GUIDANCE["datasets"])
            yield row("Create Missing Contact", YesNo(value=optins.create_missing_contact,
                                                       id="optins-create_missing_contact"),
                      GUIDANCE["create_missing_contact"])
        yield self.footer()

    def on_mount(self) -> None:
        self.refresh_lists()
        self.facts_changed()

    def on_screen_resume(self) -> None:
        self.sync_widgets()
        self.facts_changed()

    def facts_changed(self) -> None:
        """Offer the opt-in fields NetSuite has (read after the first paint)."""
        netsuite, why = self.account_facts("netsuite")
        choice = self.query_one("#optins-source_field", AccountChoice)
        if netsuite is None:
            choice.set_choices(None, why)
            return
        datasets = self.nstui.session.model.optins.datasets
        choice.set_choices([(f.name, f.name) for f in source_field_choices(netsuite, datasets)])

    def refresh_lists(self) -> None:
        chosen = self.nstui.session.model.optins.global_status.add_opt_ins_to_lists
        names = list(dict.fromkeys(self.nstui.list_names() + chosen))
        widget = self.query_one("#add_opt_ins_to_lists", SelectionList)
        widget.clear_options()
        widget.add_options([(Text(n), n, n in chosen) for n in names])

    def sync_widgets(self) -> None:
        """Show the model (after a direction chosen on screen 3, or a refused edit)."""
        gs = self.nstui.session.model.optins.global_status
        with self.prevent(Checkbox.Changed, Select.Changed):
            self.query_one("#enable_connection", Checkbox).value = self.nstui.session.model.optins.enable_connection
            self.query_one("#direction", Select).value = gs.direction
            self.query_one("#soft_opt_in_status", Select).value = gs.soft_opt_in_status
            self.query_one("#confirmed_opt_in_status", Select).value = gs.confirmed_opt_in_status
            for name in SWITCHES:
                self.query_one(f"#{name}", Checkbox).value = getattr(gs, name)
            optins = self.nstui.session.model.optins
            self.query_one("#optins-source", Select).value = optins.source
            self.query_one("#optins-source_field", AccountChoice).accept(optins.source_field or "")
            self.query_one("#optins-customers", Checkbox).value = "customers" in optins.datasets
            self.query_one("#optins-contacts", Checkbox).value = "contacts" in optins.datasets
            self.query_one("#optins-create_missing_contact", Checkbox).value = optins.create_missing_contact

    def _optins(self, key: str, value: Any) -> None:
        """The seed-003 opt-in settings, kept in [optins] beside the global status."""
        optins = self.nstui.session.model.optins
        if key in ("customers", "contacts"):
            chosen = set(optins.datasets) | {key} if value else set(optins.datasets) - {key}
            key, value = "datasets", [n for n in ("customers", "contacts") if n in chosen]
        if getattr(optins, key) != value and not self.edit(lambda model: setattr(model.optins, key, value)):
            self.sync_widgets()
        if key == "datasets":
            self.facts_changed()  # the field must be on every record type synced

    @on(AccountChoice.Chosen, "#optins-source_field")
    def _source_field(self, event: AccountChoice.Chosen) -> None:
        """A field NetSuite does not have (or not as a custom checkbox or list
        field of every record synced) is refused here, naming what it has."""
        value = event.value or None
        optins = self.nstui.session.model.optins
        netsuite, why = self.account_facts("netsuite")
        problem = source_field_problem(value, netsuite, optins.datasets) if value and netsuite is not None else None
        if problem is None and value != optins.source_field:
            done = f"source_field set{f' ({why})' if why else ''}"
            problem = self.try_edit(lambda model: setattr(model.optins, "source_field", value), done)
        if problem:
            event.choice.refuse(problem)
            self.notify(problem, title="Not allowed", severity="error", timeout=8)
            return
        event.choice.accept(value or "")
        if why:
            event.choice.note(why)

    @on(Checkbox.Changed)
    def _switch(self, event: Checkbox.Changed) -> None:
        name, value = event.checkbox.id or "", event.value
        if name.startswith("optins-"):
            self._optins(name.removeprefix("optins-"), value)
            return

        def change(model: Config) -> None:
            if name == "enable_connection":
                model.optins.enable_connection = value
            else:
                setattr(model.optins.global_status, name, value)

        current = (self.nstui.session.model.optins.enable_connection if name == "enable_connection"
                   else getattr(self.nstui.session.model.optins.global_status, name))
        if current != value and not self.edit(change):
            self.sync_widgets()

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        name, value = event.select.id or "", event.value
        if name.startswith("optins-"):
            if value is not Select.NULL:
                self._optins(name.removeprefix("optins-"), value)
            return
        if value is Select.NULL or getattr(self.nstui.session.model.optins.global_status, name) == value:
            return
        if not self.edit(lambda model: setattr(model.optins.global_status, name, value)):
            self.sync_widgets()

    @on(SelectionList.SelectedChanged)
    def _lists(self, event: SelectionList.SelectedChanged[Any]) -> None:
        chosen = list(event.selection_list.selected)
        if chosen != self.nstui.session.model.optins.global_status.add_opt_ins_to_lists and not self.edit(
                lambda model: setattr(model.optins.global_status, "add_opt_ins_to_lists", chosen)):
            self.refresh_lists()

    def action_why(self) -> None:
        from nstui.commands.why import mapped_lists
        from nstui.tui.widgets.why_modal import WhyModal

        cfg = self.nstui.session.cfg
        self.app.push_screen(WhyModal(cfg.state_path, mapped_lists(cfg)))

    def action_choose_direction(self) -> None:
        from nstui.tui.screens.directions import DirectionsScreen

        def chosen(direction: str | None) -> None:
            if direction and self.edit(lambda m: setattr(m.optins.global_status, "direction", direction)):
                self.sync_widgets()

        current = self.nstui.session.model.optins.global_status.direction
        self.app.push_screen(DirectionsScreen(target="global", current=current), chosen)
