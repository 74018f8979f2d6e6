"""A text box that never keeps the keyboard: esc hands the keys back to the
screen (1-5, q and the screen's own keys), and the footer says so."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input


class StillInput(Input):
    """A text box whose cursor does not blink: a blinking cursor redraws twice
    a second, over SSH too, for nothing (and makes snapshots depend on time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cursor_blink = False


class FieldInput(StillInput):
    BINDINGS = [
        Binding("enter", "submit", "Apply", show=True),
        Binding("escape", "leave", "Leave field", show=True),
    ]

    def action_leave(self) -> None:
        leave = getattr(self.screen, "leave_field", None)
        if leave is not None:
            leave(self)
            return
        # The nearest container that takes the focus (a scrolling form) keeps
        # the arrows working; otherwise nothing is focused and every screen key
        # is free again.
        for node in self.ancestors:
            if node is self.screen:
                break
            if isinstance(node, Widget) and node.can_focus and node.focusable:
                node.focus()
                return
        self.screen.set_focus(None)
