"""Screen 5: the connections (never a secret: only whether each named
environment variable is set), a connection test per side, and the data-set
settings of seed 003."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Input, Label, Select, Static

from nstui.account_facts import currency_problem, price_level_problem
from nstui.config import DATASETS, format_duration
from nstui.credentials import env_status
from nstui.keys import key
from nstui.tui.screens.base import BaseScreen
from nstui.tui.widgets.account_choice import AccountChoice
from nstui.tui.widgets.checks import YesNo
from nstui.tui.widgets.inputs import FieldInput
from nstui.tui.widgets.pickers import Picker

RECORD_TYPES = [("Persons", "persons"), ("Companies", "companies"), ("Both", "both")]


def field(label: str, widget: Any) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, classes="field")


class ConnectionScreen(BaseScreen):
    AUTO_FOCUS = "#customers-enabled"
    BINDINGS = [
        Binding(key("connection.test_netsuite"), "test_netsuite", "Test NetSuite", id="connection.test_netsuite"),
        Binding(key("connection.test_marketing"), "test_marketing", "Test marketing", id="connection.test_marketing"),
        Binding(key("connection.field_mappings"), "field_mappings", "Fields", id="connection.field_mappings"),
    ]

    def compose(self) -> ComposeResult:
        model = self.nstui.session.model
        yield self.header()
        with VerticalScroll(id="form"):
            yield Static(self.connections_text(), id="connections")
            yield Static("", id="test-result")
            for name in DATASETS:
                ds = model.datasets.get(name)
                yield Label(f"Data set: {name}", classes="section")
                yield field("Enabled", YesNo(value=ds.enabled, id=f"{name}-enabled"))
                yield field("Poll interval", FieldInput(format_duration(ds.poll_interval), id=f"{name}-poll_interval",
                                                   compact=True))
                if name in ("customers", "contacts"):
                    yield field("Record types", Picker(RECORD_TYPES, id=f"{name}-record_types", allow_blank=False,
                                                       value=ds.record_types, compact=True))  # type: ignore[attr-defined]
                    yield field("Default country", FieldInput(ds.default_country, id=f"{name}-default_country",  # type: ignore[attr-defined]
                                                         compact=True))
                    yield field("Names must match", YesNo(value=ds.names_must_match, id=f"{name}-names_must_match"))  # type: ignore[attr-defined]
                if name == "items":
                    yield field("Price level", AccountChoice(ds.price_level, id="items-price_level",  # type: ignore[attr-defined]
                                                             prompt="Pick a price level"))
                    yield field("Currency", AccountChoice(ds.currency, id="items-currency",  # type: ignore[attr-defined]
                                                          prompt="Pick a currency"))
                    yield field("Fallback product URL", FieldInput(ds.fallback_product_url or "",  # type: ignore[attr-defined]
                                                              id="items-fallback_product_url", compact=True))
                    yield field("Fallback image URL", FieldInput(ds.fallback_image_url or "",  # type: ignore[attr-defined]
                                                            id="items-fallback_image_url", compact=True))
                if name == "orders":
                    yield field("Custom fields", FieldInput(", ".join(ds.custom_fields), id="orders-custom_fields",  # type: ignore[attr-defined]
                                                       placeholder="custbody_a, custbody_b", compact=True))
                    yield field("Link field", FieldInput(ds.link_field or "", id="orders-link_field", compact=True))  # type: ignore[attr-defined]
                    yield field("Filter", FieldInput(ds.filter, id="orders-filter", compact=True))  # type: ignore[attr-defined]
            yield Static("Inputs are applied with enter; an invalid value is refused with the reason.",
                         classes="hint")
        yield self.footer()

    def on_mount(self) -> None:
        self.facts_changed()

    def on_screen_resume(self) -> None:
        self.facts_changed()

    def facts_changed(self) -> None:
        """Offer the price levels and currencies NetSuite has (read after the first paint)."""
        netsuite, why = self.account_facts("netsuite")
        for name, values in (("price_level", netsuite and netsuite.price_levels),
                             ("currency", netsuite and netsuite.currencies)):
            choice = self.query_one(f"#items-{name}", AccountChoice)
            choice.set_choices(None if netsuite is None else [(v, v) for v in values], why)

    @on(AccountChoice.Chosen)
    def _chosen(self, event: AccountChoice.Chosen) -> None:
        """A price level or currency NetSuite does not have is refused here
        (the catalog would lose every item for want of a price)."""
        key = (event.choice.id or "").partition("-")[2]
        netsuite, why = self.account_facts("netsuite")
        problem = None
        if netsuite is not None:
            problem = (price_level_problem(event.value, netsuite.price_levels) if key == "price_level"
                       else currency_problem(event.value, netsuite.currencies))
        if problem is None and self._value("items", key) != event.value:
            done = f"items.{key} set{f' ({why})' if why else ''}"
            problem = self.try_edit(lambda model: setattr(model.datasets.items, key, event.value), done)
        if problem:
            event.choice.refuse(problem)
            self.notify(problem, title="Not allowed", severity="error", timeout=8)
            return
        event.choice.accept(event.value)
        if why:
            event.choice.note(why)

    def connections_text(self) -> Text:
        m = self.nstui.session.model
        ns, mk = m.netsuite, m.marketing
        text = Text()
        text.append("NetSuite\n", style="bold")
        text.append(f"  mode {ns.mode}, account {ns.account_id} (realm {ns.realm})\n  {ns.url}\n")
        text.append(self._env_line([ns.consumer_key_env, ns.consumer_secret_env, ns.token_id_env,
                                    ns.token_secret_env], ns.mode))
        text.append(f"  concurrency {ns.concurrency}, page size {ns.page_size}, timeout {ns.timeout_s:g}s\n")
        text.append("Marketing platform (Dotdigital)\n", style="bold")
        text.append(f"  mode {mk.mode}, region {mk.region}\n  {mk.url}\n")
        text.append(self._env_line([mk.username_env, mk.password_env], mk.mode))
        text.append(f"  lists: {mk.list_name('Customers')}\n  catalog: {mk.catalog_name}\n")
        return text

    def _env_line(self, names: list[str], mode: str) -> Text:
        # Two names a line: four in one wrapped at 80 columns to the margin.
        text = Text()
        for i, (name, is_set) in enumerate(env_status(names).items()):
            text.append("  ")
            text.append(f"{name} ", style="")
            text.append("set" if is_set else "not set", style=self.tone("success" if is_set else "warning"))
            if i % 2 == 1 or i == len(names) - 1:
                text.append("\n")
        if mode == "sandbox" and not all(env_status(names).values()):
            text.append("  (sandbox credentials are used)\n", style=self.tone("muted"))
        return text

    def _value(self, dataset: str, key: str) -> Any:
        return getattr(self.nstui.session.model.datasets.get(dataset), key)

    def _apply(self, widget_id: str, value: Any) -> bool:
        dataset, _, key = widget_id.partition("-")
        if self._value(dataset, key) == value:
            return True
        return self.edit(lambda model: setattr(model.datasets.get(dataset), key, value), f"{dataset}.{key} set")

    @on(Checkbox.Changed)
    def _switch(self, event: Checkbox.Changed) -> None:
        if not self._apply(event.checkbox.id or "", event.value):
            with self.prevent(Checkbox.Changed):
                event.checkbox.value = not event.value

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        if event.value is Select.NULL:
            return
        if not self._apply(event.select.id or "", event.value):
            dataset, _, key = (event.select.id or "").partition("-")
            with self.prevent(Select.Changed):
                event.select.value = self._value(dataset, key)

    @on(Input.Submitted)
    def _input(self, event: Input.Submitted) -> None:
        widget_id = event.input.id or ""
        dataset, _, key = widget_id.partition("-")
        raw = event.value.strip()
        value: Any = raw
        if key in ("fallback_product_url", "fallback_image_url", "link_field"):
            value = raw or None
        if key == "custom_fields":
            value = [name.strip() for name in raw.split(",") if name.strip()]
        if key == "poll_interval":
            current = format_duration(self._value(dataset, key))
            if raw == current:
                return
        if not self._apply(widget_id, value):
            current = self._value(dataset, key)
            event.input.value = self._shown(key, current)

    @staticmethod
    def _shown(key: str, value: Any) -> str:
        if key == "poll_interval":
            return format_duration(value)
        if key == "custom_fields":
            return ", ".join(value)
        return value or ""

    def action_field_mappings(self) -> None:
        from nstui.tui.screens.field_mappings import FieldMappingsScreen

        focused = self.focused.id if self.focused is not None and self.focused.id else ""
        dataset = focused.partition("-")[0]
        self.app.push_screen(FieldMappingsScreen(dataset if dataset in DATASETS else "customers"))

    def action_test_netsuite(self) -> None:
        self.test("netsuite")

    def action_test_marketing(self) -> None:
        self.test("marketing")

    @work(exclusive=True, group="connection-test", exit_on_error=False)
    async def test(self, side: str) -> None:
        """The checks of `nstui doctor` for one side, a line each."""
        from nstui.connections import open_connections
        from nstui.doctor import run_doctor

        result = self.query_one("#test-result", Static)
        result.update(Text(f"Testing {side}...", style=self.tone("muted")))
        try:
            async with open_connections(self.nstui.session.cfg) as conn:
                checks = await run_doctor(self.nstui.session.model, conn.netsuite, conn.marketing, (side,))
        except Exception as e:  # noqa: BLE001 (the message is the client's: names the account, never a secret)
            result.update(Text(f"{side}: {e}", style=self.tone("error") + Style(bold=True)))
            self.notify(str(e), title=f"{side} connection failed", severity="error")
            return
        text = Text()
        for check in checks:
            text.append(check.line() + "\n",
                        style=self.tone("success") if check.ok else self.tone("error") + Style(bold=True))
        result.update(text)
        failed = [c for c in checks if not c.ok]
        if failed:
            self.notify(failed[0].line(), title=f"{side}: {len(failed)} of {len(checks)} checks failed",
                        severity="error")
