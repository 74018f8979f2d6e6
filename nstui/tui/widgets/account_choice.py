"""A setting whose values live in a connected account (a NetSuite field, a
price level, a marketing data field): a drop-down of what the account has,
once it has been read; a text box while it cannot be, the value then marked
unchecked. "Type a name..." at the end of the list opens the text box too
(a field made since the console read the account); a typed name is held to
the account's values by the screen or form that takes it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from nstui.tui.widgets.inputs import FieldInput
from nstui.tui.widgets.pickers import Picker

#: The choice that opens the text box.
TYPE_A_NAME = "\x00type"


class _NameInput(FieldInput):
    def action_leave(self) -> None:
        owner = self.parent
        if isinstance(owner, AccountChoice) and owner.choices is not None:
            owner.show_picker(focus=True)  # esc: back to the account's list
            return
        super().action_leave()


class AccountChoice(Vertical):
    DEFAULT_CSS = """
    AccountChoice { height: auto; width: 1fr; }
    AccountChoice > Select { width: 1fr; }
    AccountChoice > .note { color: $text-muted; height: auto; }
    AccountChoice > .note.refused { color: $text-error; }
    """

    class Chosen(Message):
        """A value picked from the list, or typed and applied with enter."""

        def __init__(self, choice: "AccountChoice", value: str, typed: bool):
            super().__init__()
            self.choice, self.value, self.typed = choice, value, typed

        @property
        def control(self) -> "AccountChoice":
            return self.choice

    def __init__(self, value: str, *, id: str, account: str = "NetSuite", placeholder: str = "",
                 prompt: str = "Pick one") -> None:
        super().__init__(id=id)
        self.value = value
        self.account = account
        self.placeholder = placeholder
        self.prompt = prompt
        #: (label, value) of what the account has; None while it is not known.
        self.choices: list[tuple[str, str]] | None = None

    def compose(self) -> ComposeResult:
        picker = Picker([], id=f"{self.id}-pick", prompt=self.prompt, compact=True)
        picker.display = False
        yield picker
        yield _NameInput(self.value, id=f"{self.id}-type", placeholder=self.placeholder, compact=True)
        yield Static("", classes="note")

    # -- what the screen tells it ---------------------------------------------------

    def set_choices(self, choices: list[tuple[str, str]] | None, problem: str = "") -> None:
        """The account's values, or None with why they are not known (loading,
        or the account could not be read: typing is allowed, and unchecked)."""
        self.choices = choices
        had_focus = self.has_focus_within
        if choices is None:
            self.show_box(focus=had_focus)
            self.note(problem)
            return
        self._fill()
        self.show_picker(focus=had_focus)
        self.note("")

    def _fill(self) -> None:
        assert self.choices is not None
        values = {v for _, v in self.choices}
        options: list[tuple[Any, str]] = [(Text(label), v) for label, v in self.choices]
        if self.value and self.value not in values:
            options.insert(0, (Text(f"{self.value} (not in {self.account})"), self.value))
        options.append((Text("Type a name..."), TYPE_A_NAME))
        picker = self.query_one(Picker)
        with self.prevent(Select.Changed):
            picker.set_options(options)
            picker.value = self.value if self.value else Select.NULL

    def accept(self, value: str) -> None:
        """The value was taken: show it as the current one."""
        self.value = value
        self.query_one(_NameInput).value = value
        if self.choices is not None:
            self._fill()
            self.show_picker(focus=self.has_focus_within)
            self.note("")
        else:
            self.note(self._unchecked())

    def refuse(self, problem: str) -> None:
        """Not taken: say why, here, and show the value that stays."""
        box = self.query_one(_NameInput)
        if not box.display:
            with self.prevent(Select.Changed):
                self.query_one(Picker).value = self.value if self.value else Select.NULL
        self.note(problem, refused=True)

    def note(self, text: str, *, refused: bool = False) -> None:
        note = self.query_one(".note", Static)
        note.set_class(refused, "refused")
        note.update(Text(text))
        note.display = bool(text)

    def _unchecked(self) -> str:
        return f"unchecked: {self.account} could not be read"

    @property
    def current(self) -> str:
        """What the form holds now: the typed text, or the picked value."""
        box = self.query_one(_NameInput)
        if box.display:
            return box.value.strip()
        value = self.query_one(Picker).value
        return "" if value is Select.NULL or value == TYPE_A_NAME else str(value)

    @property
    def typed(self) -> bool:
        return bool(self.query_one(_NameInput).display)

    # -- showing one or the other -------------------------------------------------------

    def show_picker(self, *, focus: bool = False) -> None:
        picker = self.query_one(Picker)
        picker.display = True
        self.query_one(_NameInput).display = False
        if focus:
            picker.focus()

    def show_box(self, *, focus: bool = False) -> None:
        box = self.query_one(_NameInput)
        box.display = True
        self.query_one(Picker).display = False
        if focus:
            box.focus()

    def focus(self, scroll_visible: bool = True) -> "AccountChoice":
        inner: Widget = self.query_one(_NameInput) if self.typed else self.query_one(Picker)
        inner.focus(scroll_visible)
        return self

    # -- what the admin does --------------------------------------------------------------

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        if event.value == TYPE_A_NAME:
            with self.prevent(Select.Changed):
                self.query_one(Picker).value = self.value if self.value else Select.NULL
            box = self.query_one(_NameInput)
            box.value = ""
            self.show_box(focus=True)
            self.note(f"type the name; esc goes back to {self.account}'s list")
            return
        self.post_message(self.Chosen(self, str(event.value), typed=False))

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Chosen(self, event.value.strip(), typed=True))
