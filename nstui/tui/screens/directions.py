"""Screen 3: the direction choices, each with what it does, which side is
master and whether blanks are synced. Opened from a mapping row (c) or a
global-status field, choosing sets it there; as screen 3 on its own, a
campaign direction goes to the mapping last selected on screen 1 and a
global direction to the global subscription status."""

from __future__ import annotations

from typing import Any, Literal

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from nstui.tui.screens.base import BaseScreen
from nstui.tui.texts import CAMPAIGN_DIRECTIONS, GLOBAL_DIRECTIONS, LABELS, DirectionText

GLOBAL_LABELS = {d.value: d.label for d in GLOBAL_DIRECTIONS}

Target = Literal["campaign", "global"]


def _option(kind: str, d: DirectionText, current: str | None) -> Option:
    mark = "● " if d.value == current else "  "
    # A grid, so that a wrapped explanation keeps its indent at 80 columns.
    body = Table.grid()
    body.add_column(width=4)
    body.add_column()
    body.add_row("", d.meaning)
    # The global status has no blanks to sync: only the campaign directions say.
    body.add_row("", f"Master: {d.master}." + (f"  Blanks: {d.blanks}." if d.blanks != "-" else ""))
    if d.consent:  # beside the seed's words, where the consent invariant departs from them
        body.add_row("", f"Consent first: {d.consent}")
    return Option(Group(Text(f"{mark}{d.label}", style="bold"), body), id=f"{kind}:{d.value}")


class DirectionsScreen(BaseScreen):
    AUTO_FOCUS = "#directions"
    BINDINGS = [Binding("escape", "close", "Back")]

    def __init__(self, target: Target | None = None, current: str | None = None):
        super().__init__()
        self.target = target
        self.current = current

    def compose(self) -> ComposeResult:
        yield self.header()
        if self.target:
            where = "this mapping" if self.target == "campaign" else "the global subscription status"
            intro = f"Choose a direction for {where} (enter chooses, esc goes back)."
        else:
            intro = "Directions. enter sets a campaign direction on the mapping selected on screen 1, a global one on screen 2."
        yield Static(intro, classes="intro")
        options: list[Option | None] = []
        if self.target in (None, "campaign"):
            options.append(Option(Text("Campaign subscription directions", style="underline"), disabled=True))
            options += [_option("campaign", d, self.current if self.target else None) for d in CAMPAIGN_DIRECTIONS]
        if self.target in (None, "global"):
            options.append(Option(Text("Global subscription status directions", style="underline"), disabled=True))
            options += [_option("global", d, self.current if self.target else None) for d in GLOBAL_DIRECTIONS]
        yield OptionList(*[o for o in options if o is not None], id="directions")
        yield self.footer()

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        for i in range(ol.option_count):
            option = ol.get_option_at_index(i)
            if option.id and self.current and option.id.endswith(f":{self.current}"):
                ol.highlighted = i
                return
        ol.action_first()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        kind, _, value = (event.option.id or "").partition(":")
        if self.target:
            self.dismiss(value)  # type: ignore[arg-type]
            return
        session = self.nstui.session
        if kind == "global":
            def change(model: Any) -> None:  # the value is a choice string; edit() validates it
                model.optins.global_status.direction = value

            self.edit(change, f"Global subscription status direction: {GLOBAL_LABELS[value]}")
            return
        index = session.selected_mapping
        mappings = session.model.optins.campaign_subscriptions
        if index is None or index >= len(mappings):
            self.notify("Select a mapping on screen 1 first (press 1).", severity="warning")
            return

        def change_row(model: Any) -> None:  # the value is a choice string; edit() validates it
            model.optins.campaign_subscriptions[index].direction = value

        self.edit(change_row, f"{mappings[index].netsuite_subscription}: direction {LABELS[value]}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # As screen 3 on its own there is nothing to go back to: no "Back" in the footer.
        return not (action == "close" and not self.target)

    def action_close(self) -> None:
        if self.target:
            self.dismiss(None)
