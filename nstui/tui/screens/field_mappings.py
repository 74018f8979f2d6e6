"""Seed 003's field mappings of one data set: NetSuite field -> marketing
field, each with a direction. Opened from screen 5 with f."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from nstui.config import DATASETS, Config, FieldMapping
from nstui.keys import key
from nstui.tui.screens.base import BaseScreen
from nstui.tui.texts import LABELS
from nstui.tui.widgets.field_mapping_modal import FieldMappingModal
from nstui.tui.widgets.modals import ConfirmModal


class FieldMappingsScreen(BaseScreen):
    AUTO_FOCUS = "#fields"
    BINDINGS = [
        Binding(key("fields.add"), "add", "Add", id="fields.add"),
        Binding(key("fields.edit"), "edit", "Edit", priority=True, id="fields.edit"),
        Binding(key("fields.delete"), "delete", "Delete", id="fields.delete"),
        Binding(key("fields.dataset"), "next_dataset", "Data set", id="fields.dataset"),
        Binding("escape", "close", "Back"),
    ]

    def __init__(self, dataset: str = "customers"):
        super().__init__()
        self.dataset = dataset

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("", id="intro", classes="intro")
        table: DataTable[Text] = DataTable(id="fields", cursor_type="row", zebra_stripes=True)
        table.add_column("NetSuite field", key="netsuite")
        table.add_column("Marketing field", key="marketing")
        table.add_column("Direction", key="direction")
        table.add_column("Type", key="type")
        yield table
        yield self.footer()

    def on_mount(self) -> None:
        self.refresh_table()

    @property
    def fields(self) -> list[FieldMapping]:
        return self.nstui.session.model.datasets.get(self.dataset).fields

    def facts_changed(self) -> None:
        self.refresh_table()

    def _type_shown(self, f: FieldMapping) -> str:
        """The type given; a name NetSuite's record does not have says so."""
        netsuite, _ = self.account_facts("netsuite")
        if netsuite is not None and self.dataset in netsuite.fields and \
                f.netsuite.lower() not in netsuite.fields[self.dataset]:
            return "not in NetSuite"
        return f.netsuite_type or ""

    def _unchecked(self) -> str:
        whys = [why for side in ("netsuite", "marketing") for why in [self.account_facts(side)[1]]
                if why.startswith("unchecked")]
        return f" ({'; '.join(whys)})" if whys else ""

    def refresh_table(self) -> None:
        _, why = self.account_facts("netsuite")
        unchecked = f" ({why}: names are typed)" if why.startswith("unchecked") else ""
        self.query_one("#intro", Static).update(Text(
            f"Field mappings of {self.dataset} ({len(self.fields)}). a adds, enter edits, d deletes, "
            f"s shows the next data set, esc goes back.{unchecked}"))
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i, f in enumerate(self.fields):
            table.add_row(Text(f.netsuite), Text(f.marketing), Text(LABELS[f.direction]), Text(self._type_shown(f)),
                          key=str(i))
        if self.fields:
            table.move_cursor(row=min(max(row, 0), len(self.fields) - 1))

    @property
    def selected(self) -> int | None:
        row = self.query_one(DataTable).cursor_row
        return row if self.fields and 0 <= row < len(self.fields) else None

    def action_next_dataset(self) -> None:
        self.dataset = DATASETS[(DATASETS.index(self.dataset) + 1) % len(DATASETS)]
        self.refresh_table()

    def action_close(self) -> None:
        self.dismiss()

    def action_add(self) -> None:
        dataset = self.dataset

        def submit(mapping: FieldMapping) -> str | None:
            problem = self.try_edit(lambda m: m.datasets.get(dataset).fields.append(mapping),
                                    f"{dataset}: {mapping.netsuite} -> {mapping.marketing} mapped{self._unchecked()}")
            if problem is None:
                self.refresh_table()
                self.query_one(DataTable).move_cursor(row=len(self.fields) - 1)
            return problem

        self.app.push_screen(FieldMappingModal(dataset, submit=submit))

    def action_edit(self) -> None:
        index = self.selected
        if index is None:
            return self.action_add()
        dataset = self.dataset

        def submit(mapping: FieldMapping) -> str | None:
            def change(model: Config) -> None:
                model.datasets.get(dataset).fields[index] = mapping

            problem = self.try_edit(change, f"{dataset}: mapping changed{self._unchecked()}")
            if problem is None:
                self.refresh_table()
            return problem

        self.app.push_screen(FieldMappingModal(dataset, self.fields[index], submit=submit))

    def action_delete(self) -> None:
        index = self.selected
        if index is None:
            return
        dataset, f = self.dataset, self.fields[index]

        def confirmed(yes: bool | None) -> None:
            if yes and self.edit(lambda m: m.datasets.get(dataset).fields.pop(index),
                                 f"{dataset}: mapping of {f.netsuite} deleted"):
                self.refresh_table()

        self.app.push_screen(ConfirmModal(f"Delete the mapping {f.netsuite} -> {f.marketing} of {dataset}?",
                                          "Delete", "Keep"), confirmed)
