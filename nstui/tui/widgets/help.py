"""The `?` screen: every key of the screen on show and of the whole console,
as remapped by the `[keys]` table."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Label, Static

#: Keys that no binding table lists: Textual's own, and those of every text box.
GENERAL = [
    ("tab / shift+tab", "next / previous field"),
    ("up / down, pgup / pgdn", "move in a table, a list or a form"),
    ("enter", "open a drop-down, choose, apply a text box"),
    ("esc", "leave a text box (the screen keys work again), close a drop-down or a modal"),
    ("ctrl+o", "OK in a form modal"),
    ("ctrl+p", "command palette: every action by name"),
]


def key_of(app: App[Any], binding: Binding) -> str:
    keys = app._keymap.get(binding.id, binding.key) if binding.id else binding.key  # noqa: SLF001
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(app.get_key_display(Binding(key, binding.action, binding.description)))
    return " / ".join(shown)


def declared(node: DOMNode) -> list[Binding]:
    """The bindings nstui's own classes declare for ``node`` (base classes first)."""
    out: list[Binding] = []
    for cls in reversed(type(node).__mro__):
        if cls.__module__.startswith("nstui") and "BINDINGS" in cls.__dict__:
            out += [b for b in cls.__dict__["BINDINGS"] if isinstance(b, Binding)]
    return out


def key_rows(app: App[Any], screen: DOMNode) -> list[tuple[str, str, str]]:
    """(keys, what, where) for the screen's own keys, then the console's."""
    rows: list[tuple[str, str, str]] = []
    focused = getattr(screen, "focused", None)
    nodes = ([("this screen", focused)] if focused is not None else []) + [("this screen", screen), ("everywhere", app)]
    for where, node in nodes:
        for binding in declared(node):
            if binding.description:
                rows.append((key_of(app, binding), binding.description, where))
    rows += [(keys, what, "everywhere") for keys, what in GENERAL]
    return rows


class HelpScreen(ModalScreen[None]):
    AUTO_FOCUS = "#keys"
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", show=True)]

    def __init__(self, under: DOMNode, title: str):
        super().__init__()
        self.under = under
        self.heading = title

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        where = None
        for keys, what, place in key_rows(self.app, self.under):
            if place != where:
                table.add_row(Text(f"{self.heading}" if place == "this screen" else "Everywhere", style="bold"), "")
                where = place
            table.add_row(Text(keys), Text(what))
        with Vertical(classes="modal wide help"):
            yield Label(Text(f"Keys ({self.heading}); esc or ? closes"), classes="title")
            with VerticalScroll(id="keys"):
                yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
