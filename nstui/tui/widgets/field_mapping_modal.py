"""The editor of one field mapping: NetSuite field -> marketing field, with a
direction (seed 003: "field mappings", each with its own direction)."""

from __future__ import annotations

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from nstui.config import DIRECTIONS, FieldMapping, describe_validation_error
from nstui.tui.texts import LABELS
from nstui.tui.widgets.modals import FormModal, Submit
from nstui.tui.widgets.pickers import Picker

TYPES = [("not known", ""), ("text", "text"), ("checkbox", "checkbox"), ("list/record", "select"),
         ("multiple select", "multiselect"), ("date", "date"), ("number", "number")]


class FieldMappingModal(FormModal):
    AUTO_FOCUS = "#netsuite"

    def __init__(self, dataset: str, current: FieldMapping | None = None, submit: Submit | None = None):
        super().__init__(submit)
        self.dataset = dataset
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        one_way = self.dataset in ("items", "orders")  # the catalog and order data only go to marketing
        directions = ["netsuite_to_bronto"] if one_way else list(DIRECTIONS)
        with Vertical(classes="modal wide"):
            yield Label(Text(f"{'Edit' if c else 'New'} field mapping: {self.dataset}"), classes="title")
            yield Label("NetSuite field (its SuiteQL name, e.g. phone, custentity_tier)")
            yield Input(c.netsuite if c else "", id="netsuite", placeholder="custentity_tier", compact=True)
            yield Label("Marketing field (a data field, or mobileNumber)")
            yield Input(c.marketing if c else "", id="marketing", placeholder="TIER", compact=True)
            yield Label("Direction")
            yield Picker([(LABELS[d], d) for d in directions], id="direction", allow_blank=False,
                         value=c.direction if c and c.direction in directions else directions[0], compact=True)
            yield Label("NetSuite field type")
            yield Picker(TYPES, id="type", allow_blank=False, value=(c.netsuite_type or "") if c else "",
                         compact=True)
            yield Static("", id="problem", classes="problem")
            yield self.buttons()

    def action_ok(self) -> None:
        netsuite = self.query_one("#netsuite", Input).value.strip()
        marketing = self.query_one("#marketing", Input).value.strip()
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
        self.answer(mapping)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_ok()

