"""The editor of one field mapping: NetSuite field -> marketing field, with a
direction (seed 003: "field mappings", each with its own direction).

The NetSuite field is picked from the fields the account's record has (the
REST metadata catalog), with its kind; the marketing field of customers and
contacts from the account's data fields. A name either account does not
have, a kind that does not fit the type given, or a multi-select on items is
refused in the form, one line each; while an account cannot be read its
names are typed, and unchecked."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from nstui.account_facts import MOBILE_NUMBER, RECORD_TYPES, mapping_problems
from nstui.config import DIRECTIONS, FieldMapping, describe_validation_error
from nstui.tui.screens.base import account_facts
from nstui.tui.texts import LABELS
from nstui.tui.widgets.account_choice import AccountChoice
from nstui.tui.widgets.inputs import StillInput
from nstui.tui.widgets.modals import FormModal, Submit
from nstui.tui.widgets.pickers import Picker

TYPES = [("not known", ""), ("text", "text"), ("checkbox", "checkbox"), ("list/record", "select"),
         ("multiple select", "multiselect"), ("date", "date"), ("number", "number")]


class FieldMappingModal(FormModal):
    AUTO_FOCUS = "#netsuite-pick, #netsuite-type, #netsuite"

    def __init__(self, dataset: str, current: FieldMapping | None = None, submit: Submit | None = None):
        super().__init__(submit)
        self.dataset = dataset
        self.current = current

    @property
    def checked(self) -> bool:
        """Whether NetSuite's fields of this data set are read (orders' are not)."""
        return self.dataset in RECORD_TYPES

    @property
    def data_fields(self) -> bool:
        """Whether the marketing field is a contact data field (not a catalog or order field)."""
        return self.dataset in ("customers", "contacts")

    def compose(self) -> ComposeResult:
        c = self.current
        one_way = self.dataset in ("items", "orders")  # the catalog and order data only go to marketing
        directions = ["netsuite_to_bronto"] if one_way else list(DIRECTIONS)
        netsuite: Widget = (AccountChoice(c.netsuite if c else "", id="netsuite", placeholder="custentity_tier",
                                          prompt="Pick a field (type to search)") if self.checked
                            else StillInput(c.netsuite if c else "", id="netsuite", placeholder="custbody_tier",
                                       compact=True))
        marketing: Widget = (AccountChoice(c.marketing if c else "", id="marketing", placeholder="TIER",
                                           account="the marketing platform", prompt="Pick a data field")
                             if self.data_fields else
                             StillInput(c.marketing if c else "", id="marketing", placeholder="tier", compact=True))
        with Vertical(classes="modal wide"):
            yield Label(Text(f"{'Edit' if c else 'New'} field mapping: {self.dataset}"), classes="title")
            yield Label("NetSuite field (its SuiteQL name and kind)")
            yield netsuite
            yield Label("Marketing field (a data field, or mobileNumber)" if self.data_fields else
                        "Marketing field (of the catalog or order data)")
            yield marketing
            yield Label("Direction")
            yield Picker([(LABELS[d], d) for d in directions], id="direction", allow_blank=False,
                         value=c.direction if c and c.direction in directions else directions[0], compact=True)
            yield Label("NetSuite field type")
            yield Picker(TYPES, id="type", allow_blank=False, value=(c.netsuite_type or "") if c else "",
                         compact=True)
            yield Static("", id="problem", classes="problem")
            yield self.buttons()

    def on_mount(self) -> None:
        self.facts_changed()

    def facts_changed(self) -> None:
        """The accounts' names, once read (the app calls this when they arrive)."""
        app: Any = self.app
        if self.checked:
            netsuite, why = account_facts(app, "netsuite")
            fields = netsuite.fields[self.dataset].values() if netsuite is not None else None
            self.query_one("#netsuite", AccountChoice).set_choices(
                None if fields is None else [(f.label, f.name) for f in sorted(fields, key=lambda f: f.name)], why)
        if self.data_fields:
            marketing, why = account_facts(app, "marketing")
            names = None if marketing is None else [
                (f"{name:<30} {kind}", name) for name, kind in sorted(marketing.data_fields.items())]
            self.query_one("#marketing", AccountChoice).set_choices(
                None if names is None else [*names, (f"{MOBILE_NUMBER:<30} the contact's Mobile Number", MOBILE_NUMBER)],
                why)

    def _entered(self, selector: str) -> str:
        widget = self.query_one(selector)
        return widget.current if isinstance(widget, AccountChoice) else self.query_one(selector, Input).value.strip()

    def action_ok(self) -> None:
        netsuite = self._entered("#netsuite")
        marketing = self._entered("#marketing")
        missing = [f"{key}: name the {what} field" for key, what, value in
                   (("netsuite", "NetSuite", netsuite), ("marketing", "marketing", marketing)) if not value]
        if missing:
            self.refuse("\n".join(missing))
            return
        kind = str(self.query_one("#type", Select).value or "")
        try:
            mapping = FieldMapping(netsuite=netsuite, marketing=marketing,
                                   direction=str(self.query_one("#direction", Select).value),
                                   netsuite_type=kind or None)
        except ValidationError as e:
            self.refuse("\n".join(describe_validation_error(e)))
            return
        app: Any = self.app
        netsuite_facts = account_facts(app, "netsuite")[0] if self.checked else None
        marketing_facts = account_facts(app, "marketing")[0] if self.data_fields else None
        problems = mapping_problems(self.dataset, mapping, netsuite_facts, marketing_facts)
        if problems:
            self.refuse("\n".join(problems))
            return
        self.answer(mapping)

    @on(AccountChoice.Chosen, "#netsuite")
    def _netsuite_chosen(self, event: AccountChoice.Chosen) -> None:
        if event.typed:
            self.action_ok()
            return
        # A picked field brings its kind, unless one is given already.
        netsuite, _ = account_facts(self.app, "netsuite")  # type: ignore[arg-type]
        found = netsuite.fields[self.dataset].get(event.value) if netsuite is not None else None
        kind = self.query_one("#type", Select)
        if found is not None and not kind.value:
            kind.value = found.kind

    @on(AccountChoice.Chosen, "#marketing")
    def _marketing_chosen(self, event: AccountChoice.Chosen) -> None:
        if event.typed:
            self.action_ok()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_ok()
