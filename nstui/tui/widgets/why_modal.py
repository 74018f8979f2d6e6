"""The console's contact look-up: `nstui why` in a modal (screen 2, `w`).
Type an email, enter shows its consent history and status per scope from the
state store; escape closes."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from nstui.commands.why import explain, render
from nstui.engine.rules.emails import normalize_email
from nstui.tui.widgets.inputs import StillInput


class WhyModal(ModalScreen[None]):
    AUTO_FOCUS = "#why-email"
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, state_path: Path, lists: list[tuple[str, str]]):
        super().__init__()
        self.state_path, self.lists = state_path, lists

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal", id="why"):
            # Two short lines: one long label is cut at 80 columns.
            yield Label("Why is this contact (un)subscribed?")
            yield Label("Type an email, then enter. Esc closes.")
            yield StillInput(placeholder="name@example.com", id="why-email")
            with VerticalScroll(id="why-scroll"):
                yield Static("", id="why-answer")

    @on(Input.Submitted, "#why-email")
    def _look_up(self, event: Input.Submitted) -> None:
        email, reason = normalize_email(event.value)
        answer = self.query_one("#why-answer", Static)
        if email is None:
            answer.update(Text(f"{event.value!r} is not an email address ({reason})"))
            return
        answer.update(Text(render(explain(self.state_path, email, self.lists))))

    def action_close(self) -> None:
        self.dismiss(None)
