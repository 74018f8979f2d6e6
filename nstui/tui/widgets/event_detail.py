"""One event of the sync log in full: its whole text wrapped, and its record,
rule, reason and error as fields (the list shows one cropped line per event)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Callable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from nstui.engine import events as ev
from nstui.sanitize import clean

#: Field names as the admin reads them.
NAMES = {"key": "record", "side": "system", "reason": "reason", "rule": "rule", "text": "text",
         "fields": "fields", "old": "old status", "new": "new status", "list_name": "list", "action": "action",
         "field": "field", "planned": "dry run plan", "run_id": "run", "datasets": "data sets", "since": "since",
         "page": "page", "rows": "rows", "dry_run": "dry run"}


def detail_rows(event: ev.Event) -> list[tuple[str, str]]:
    rows = [("time", event.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")), ("level", event.level),
            ("kind", event.kind.replace("_", " "))]
    if event.dataset:
        rows.append(("data set", event.dataset))
    for f in dataclasses.fields(event):
        if f.name in ("at", "dataset"):
            continue
        value = getattr(event, f.name)
        if value in ("", None, (), False) or isinstance(value, datetime):
            continue
        if hasattr(value, "to_dict") or dataclasses.is_dataclass(value):
            continue  # counts and summaries: the message says them
        shown = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
        rows.append((NAMES.get(f.name, f.name.replace("_", " ")), clean(shown, 2000)))
    return rows


class EventDetail(ModalScreen[None]):
    AUTO_FOCUS = "#detail"
    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, event: ev.Event, message: Callable[[ev.Event], str] = lambda e: e.message()):
        super().__init__()
        self.event = event
        self.message = message

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        for name, value in detail_rows(self.event):
            table.add_row(name, Text(value))
        with Vertical(classes="modal wide detail"):
            yield Label("Event (esc closes)", classes="title")
            with VerticalScroll(id="detail"):
                yield Static(Text(self.message(self.event)), id="detail-message")
                yield Static(table, id="detail-fields")

    def action_close(self) -> None:
        self.dismiss(None)
