"""Modals: each only dismisses with its answer; the screen that pushed it acts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from nstui.config import DIRECTIONS
from nstui.tui.screens.base import account_facts
from nstui.tui.texts import LABELS
from nstui.tui.widgets.account_choice import AccountChoice
from nstui.tui.widgets.inputs import StillInput
from nstui.tui.widgets.pickers import Picker


class ConfirmModal(ModalScreen[bool]):
    """Yes / no. ``y`` and ``n`` answer; escape is no."""

    AUTO_FOCUS = "#no"
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No"):
        super().__init__()
        self.question, self.yes, self.no = question, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Static(Text(self.question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error")
                yield Button(f"{self.no} (n)", id="no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


#: Applies a modal's answer; returns why it is refused (one line per problem), or None.
Submit = Callable[[Any], "str | None"]


class FormModal(ModalScreen[Any]):
    """A form with OK (ctrl+o) and Cancel (esc) buttons. ``action_ok`` hands
    the answer to ``answer``: when the screen that opened the form refuses it,
    the reasons show in the form, which stays open with what was typed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+o", "ok", "OK")]

    def __init__(self, submit: Submit | None = None):
        super().__init__()
        self.submit = submit

    def refuse(self, problem: str) -> None:
        self.query_one("#problem", Static).update(Text(problem))

    def answer(self, value: Any) -> None:
        problem = self.submit(value) if self.submit is not None else None
        if problem:
            self.refuse(problem)
            return
        self.dismiss(value)

    def buttons(self) -> Horizontal:
        return Horizontal(Button("OK (ctrl+o)", id="ok", variant="primary"), Button("Cancel (esc)", id="cancel"),
                          classes="buttons")

    def action_ok(self) -> None:
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_ok()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


@dataclass
class MappingChoice:
    netsuite_subscription: str
    direction: str
    list: str
    #: The list is to be created in the marketing platform (ctrl+n) when the form is confirmed.
    new_list: bool = False


class MappingModal(FormModal):
    """Pick a NetSuite campaign subscription, a direction and a marketing list.

    A subscription already mapped elsewhere cannot be picked; ctrl+n names a
    new list, created only when the form is confirmed (the screen that pushed
    this does the creating), so a cancelled form leaves nothing behind. While
    NetSuite (or the platform) cannot be read, its names are typed, unchecked.
    """

    AUTO_FOCUS = "#subscription, #subscription-type"
    BINDINGS = [Binding("ctrl+n", "new_list", "New list")]

    def __init__(self, subscriptions: list[str], lists: list[str], taken: set[str],
                 current: MappingChoice | None = None, submit: Submit | None = None):
        super().__init__(submit)
        self.subscriptions = subscriptions
        self.lists = list(lists)
        self.new_lists: set[str] = set()
        self.taken = {t.lower() for t in taken}
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        free = [s for s in self.subscriptions if s.lower() not in self.taken or (c and s == c.netsuite_subscription)]
        self.typed = {side for side in ("netsuite", "marketing") if self._unreadable(side)}
        with Vertical(classes="modal wide"):
            yield Label("Edit mapping" if c else "New mapping", classes="title")
            yield Label("NetSuite campaign subscription (type to search)")
            if "netsuite" in self.typed:
                yield AccountChoice(c.netsuite_subscription if c else "", id="subscription", placeholder="Newsletter")
            else:
                yield Picker([(Text(s), s) for s in free], id="subscription", prompt="Pick a subscription",
                             value=c.netsuite_subscription if c and c.netsuite_subscription in free else Select.NULL,
                             compact=True)
            yield Label("Direction")
            yield Picker([(LABELS[d], d) for d in DIRECTIONS], id="direction", allow_blank=False,
                         value=c.direction if c else "netsuite_to_bronto", compact=True)
            yield Label("Marketing list (ctrl+n: create a new list)")
            if "marketing" in self.typed:
                yield AccountChoice(c.list if c else "", id="list", account="the marketing platform",
                                    placeholder="Newsletter")
            else:
                yield Picker([(Text(n), n) for n in self.lists], id="list", prompt="Pick a list",
                             value=c.list if c and c.list in self.lists else Select.NULL, compact=True)
            yield Static("", id="problem", classes="problem")
            yield self.buttons()

    def _unreadable(self, side: str) -> bool:
        facts = getattr(self.app, "facts", None)
        return facts is not None and side in facts.problems

    def on_mount(self) -> None:
        for side, selector in (("netsuite", "#subscription"), ("marketing", "#list")):
            if side in self.typed:
                self.query_one(selector, AccountChoice).set_choices(None, account_facts(self.app, side)[1])  # type: ignore[arg-type]

    def _label(self, name: str) -> Text:
        return Text(f"{name} (new: created on OK)" if name in self.new_lists else name)

    def add_list(self, name: str) -> None:
        if name not in self.lists:
            self.lists.append(name)
            self.new_lists.add(name)
        if "marketing" in self.typed:
            self.query_one("#list", AccountChoice).accept(name)
            return
        select = self.query_one("#list", Select)
        select.set_options([(self._label(n), n) for n in self.lists])
        select.value = name

    def action_new_list(self) -> None:
        def named(name: str | None) -> None:
            if name:
                self.add_list(name)

        self.app.push_screen(NewListModal(self.lists), named)

    def action_ok(self) -> None:
        sub, lst = self._chosen("#subscription"), self._chosen("#list")
        direction = self.query_one("#direction", Select).value
        missing = [what for what, value in (("netsuite_subscription: pick a campaign subscription", sub),
                                            ("list: pick a list (ctrl+n names a new one)", lst))
                   if value is Select.NULL or value == ""]
        if missing:
            self.refuse("\n".join(missing))
            return
        self.answer(MappingChoice(str(sub), str(direction), str(lst), new_list=str(lst) in self.new_lists))


    def _chosen(self, selector: str) -> object:
        widget = self.query_one(selector)
        return widget.current if isinstance(widget, AccountChoice) else self.query_one(selector, Select).value

    @on(AccountChoice.Chosen)
    def _typed(self, event: AccountChoice.Chosen) -> None:
        event.stop()  # enter in a typed name moves on; ctrl+o confirms


class NewListModal(ModalScreen["str | None"]):
    """Seed 000: "Create New List In Bronto". A name the platform has
    already is refused here, before any call."""

    AUTO_FOCUS = "#name"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, existing: list[str] | None = None):
        super().__init__()
        self.existing = {n.lower(): n for n in existing or []}

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label("Create a new list in the marketing platform", classes="title")
            yield StillInput(placeholder="List name", id="name")
            yield Static("", id="problem", classes="problem")
            yield Static("enter creates it, esc cancels", classes="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if not name:
            self.query_one("#problem", Static).update("name: type the new list's name")
            return
        if name.lower() in self.existing:
            self.query_one("#problem", Static).update(
                Text(f"name: a list named {self.existing[name.lower()]!r} exists already; pick it instead"))
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
