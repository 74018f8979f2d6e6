"""Modals: each only dismisses with its answer; the screen that pushed it acts."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from nstui.config import DIRECTIONS
from nstui.tui.texts import LABELS


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


class FormModal(ModalScreen):
    """A form with OK (ctrl+o) and Cancel (esc) buttons; ``action_ok``
    dismisses with the answer, or shows what is missing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+o", "ok", "OK")]

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


class MappingModal(FormModal):
    """Pick a NetSuite campaign subscription, a direction and a marketing list.

    A subscription already mapped elsewhere cannot be picked; ``n`` creates a
    new list (the screen that pushed this does the creating).
    """

    AUTO_FOCUS = "#subscription"
    BINDINGS = [Binding("ctrl+n", "new_list", "New list")]

    def __init__(self, subscriptions: list[str], lists: list[str], taken: set[str],
                 current: MappingChoice | None = None):
        super().__init__()
        self.subscriptions = subscriptions
        self.lists = list(lists)
        self.taken = {t.lower() for t in taken}
        self.current = current

    def compose(self) -> ComposeResult:
        c = self.current
        free = [s for s in self.subscriptions if s.lower() not in self.taken or (c and s == c.netsuite_subscription)]
        with Vertical(classes="modal wide"):
            yield Label("Edit mapping" if c else "New mapping", classes="title")
            yield Label("NetSuite campaign subscription (type to search)")
            yield Select([(Text(s), s) for s in free], id="subscription", prompt="Pick a subscription",
                         value=c.netsuite_subscription if c and c.netsuite_subscription in free else Select.NULL,
                         compact=True)
            yield Label("Direction")
            yield Select([(LABELS[d], d) for d in DIRECTIONS], id="direction", allow_blank=False,
                         value=c.direction if c else "netsuite_to_bronto", compact=True)
            yield Label("Marketing list (ctrl+n: create a new list)")
            yield Select([(Text(n), n) for n in self.lists], id="list", prompt="Pick a list",
                         value=c.list if c and c.list in self.lists else Select.NULL, compact=True)
            yield Static("", id="problem", classes="problem")
            yield self.buttons()

    def add_list(self, name: str) -> None:
        if name not in self.lists:
            self.lists.append(name)
        select = self.query_one("#list", Select)
        select.set_options([(Text(n), n) for n in self.lists])
        select.value = name

    def action_new_list(self) -> None:
        def created(name: str | None) -> None:
            if name:
                self.app.run_worker(self._create(name), exclusive=False)

        self.app.push_screen(NewListModal(), created)

    async def _create(self, name: str) -> None:
        creator = getattr(self.app, "create_list", None)
        if creator is None:
            return
        made = await creator(name)
        if made:
            self.add_list(made)

    def action_ok(self) -> None:
        sub = self.query_one("#subscription", Select).value
        lst = self.query_one("#list", Select).value
        direction = self.query_one("#direction", Select).value
        if sub is Select.NULL or lst is Select.NULL:
            self.query_one("#problem", Static).update("Pick a campaign subscription and a list.")
            return
        self.dismiss(MappingChoice(str(sub), str(direction), str(lst)))


class NewListModal(ModalScreen["str | None"]):
    """Seed 000: "Create New List In Bronto"."""

    AUTO_FOCUS = "#name"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal"):
            yield Label("Create a new list in the marketing platform", classes="title")
            yield Input(placeholder="List name", id="name")
            yield Static("enter creates it, esc cancels", classes="hint")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name:
            self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
