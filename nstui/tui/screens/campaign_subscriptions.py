"""Screen 1, seed 000 step 5: campaign subscription -> list mappings."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from nstui.config import CampaignSubscriptionMapping, Config
from nstui.keys import key
from nstui.tui.screens.base import BaseScreen
from nstui.tui.session import EditRefused
from nstui.tui.texts import LABELS
from nstui.tui.widgets.modals import ConfirmModal, MappingChoice, MappingModal, NewListModal


def _mapping(choice: MappingChoice) -> CampaignSubscriptionMapping:
    return CampaignSubscriptionMapping(netsuite_subscription=choice.netsuite_subscription,
                                       direction=choice.direction, list=choice.list)


class CampaignSubscriptionsScreen(BaseScreen):
    AUTO_FOCUS = "#mappings"
    BINDINGS = [
        Binding(key("subscriptions.add"), "add", "Add", id="subscriptions.add"),
        Binding(key("subscriptions.edit"), "edit", "Edit", priority=True, id="subscriptions.edit"),
        Binding(key("subscriptions.delete"), "delete", "Delete", id="subscriptions.delete"),
        Binding(key("subscriptions.new_list"), "new_list", "New list", id="subscriptions.new_list"),
        Binding(key("subscriptions.direction"), "choose_direction", "Direction", id="subscriptions.direction"),
    ]

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("Campaign Subscriptions: NetSuite campaign subscription -> marketing list, with a direction.",
                     classes="intro")
        table: DataTable[Text] = DataTable(id="mappings", cursor_type="row", zebra_stripes=True)
        table.add_column("NetSuite campaign subscription", key="subscription")
        table.add_column("Direction", key="direction")
        table.add_column("Marketing list", key="list")
        yield table
        yield Static("", id="empty", classes="hint")
        yield Static("Consent first: an untick, a removal or an unsubscribe is an opt-out in every direction; "
                     "an older tick never re-adds (README: Consent invariant).",
                     id="consent-first", classes="hint")
        yield self.footer()

    def on_mount(self) -> None:
        self.refresh_table()

    def on_screen_resume(self) -> None:
        self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i, m in enumerate(self.nstui.session.model.optins.campaign_subscriptions):
            table.add_row(Text(m.netsuite_subscription), Text(LABELS[m.direction]), Text(m.list), key=str(i))
        mappings = self.nstui.session.model.optins.campaign_subscriptions
        self.query_one("#empty", Static).update(
            "" if mappings else "No mappings yet: press a to map a campaign subscription to a list.")
        if mappings:
            table.move_cursor(row=min(row, len(mappings) - 1))

    @property
    def selected(self) -> int | None:
        table = self.query_one(DataTable)
        count = len(self.nstui.session.model.optins.campaign_subscriptions)
        return table.cursor_row if count and 0 <= table.cursor_row < count else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.nstui.session.selected_mapping = self.selected

    def _taken(self, except_index: int | None = None) -> set[str]:
        return {m.netsuite_subscription for i, m in enumerate(self.nstui.session.model.optins.campaign_subscriptions)
                if i != except_index}

    def action_add(self) -> None:
        self.nstui.ensure_remote()

        def submit(choice: MappingChoice) -> str | None:
            mapping = _mapping(choice)
            if choice.new_list:
                return self._with_new_list(choice, lambda m: m.optins.campaign_subscriptions.append(mapping))
            problem = self.try_edit(lambda m: m.optins.campaign_subscriptions.append(mapping),
                                    f"Mapped {choice.netsuite_subscription} to {choice.list}")
            if problem is None:
                self._show_row(len(self.nstui.session.model.optins.campaign_subscriptions) - 1)
            return problem

        self.app.push_screen(MappingModal(self.nstui.subscription_names(), self.nstui.list_names(), self._taken(),
                                          submit=submit))

    def action_edit(self) -> None:
        index = self.selected
        if index is None:
            return self.action_add()
        m = self.nstui.session.model.optins.campaign_subscriptions[index]

        def submit(choice: MappingChoice) -> str | None:
            def change(model: Config) -> None:
                model.optins.campaign_subscriptions[index] = _mapping(choice)

            if choice.new_list:
                return self._with_new_list(choice, change)
            problem = self.try_edit(change, "Mapping changed")
            if problem is None:
                self.refresh_table()
            return problem

        self.app.push_screen(MappingModal(self.nstui.subscription_names(), self.nstui.list_names(), self._taken(index),
                                          MappingChoice(m.netsuite_subscription, m.direction, m.list), submit=submit))

    def _with_new_list(self, choice: MappingChoice, change: Callable[[Config], None]) -> str | None:
        """The mapping is checked first; the list is created only then, and the
        mapping adopted once the platform has the list."""
        try:
            self.nstui.session.check(change)
        except EditRefused as e:
            return str(e)

        async def create_then_map() -> None:
            made = await self.nstui.create_list(choice.list)
            if made and self.edit(change, f"Mapped {choice.netsuite_subscription} to the new list {made}"):
                self.refresh_table()

        self.run_worker(create_then_map(), group="new-list", exit_on_error=False)
        return None

    def _show_row(self, row: int) -> None:
        self.refresh_table()
        self.query_one(DataTable).move_cursor(row=row)

    def action_delete(self) -> None:
        index = self.selected
        if index is None:
            return
        m = self.nstui.session.model.optins.campaign_subscriptions[index]

        def confirmed(yes: bool | None) -> None:
            if yes and self.edit(lambda model: model.optins.campaign_subscriptions.pop(index),
                                 f"Mapping of {m.netsuite_subscription} deleted"):
                self.refresh_table()

        self.app.push_screen(ConfirmModal(f"Delete the mapping {m.netsuite_subscription} -> {m.list}?", "Delete",
                                          "Keep"), confirmed)

    def action_new_list(self) -> None:
        index = self.selected

        def named(name: str | None) -> None:
            if name:
                self.run_worker(self._create_and_select(name, index))

        self.app.push_screen(NewListModal(self.nstui.list_names()), named)

    async def _create_and_select(self, name: str, index: int | None) -> None:
        made = await self.nstui.create_list(name)
        if made and index is not None:
            def change(model: Config) -> None:
                model.optins.campaign_subscriptions[index].list = made

            if self.edit(change, f"List {made!r} created and selected"):
                self.refresh_table()

    def action_choose_direction(self) -> None:
        index = self.selected
        if index is None:
            return
        from nstui.tui.screens.directions import DirectionsScreen

        current = self.nstui.session.model.optins.campaign_subscriptions[index].direction

        def chosen(direction: str | None) -> None:
            if direction is None:
                return

            def change(model: Any) -> None:  # the value is a choice string; edit() validates it
                model.optins.campaign_subscriptions[index].direction = direction

            if self.edit(change, f"Direction: {LABELS[direction]}"):
                self.refresh_table()

        self.app.push_screen(DirectionsScreen(target="campaign", current=current), chosen)
