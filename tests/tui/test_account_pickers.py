"""The console's NetSuite and marketing names are picked from what the
accounts have (read through the real clients from the sandboxes), a name or
kind they do not have is refused in place, and an account that cannot be
reached leaves typing allowed, the value marked unchecked. Key presses only."""

from __future__ import annotations

import socket
from pathlib import Path

from nstui.tui.app import NstuiApp
from tui.test_console import SIZE, pick, ready

ROOT = Path(__file__).resolve().parents[2]


def config(tmp_path: Path, *, netsuite_down: bool = False, extra: str = "") -> Path:
    text = (ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40") + extra
    if netsuite_down:
        with socket.socket() as s:  # a port nothing listens on: NetSuite cannot be reached
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        text = text.replace("[netsuite]\n", f'[netsuite]\nbase_url = "http://127.0.0.1:{port}"\n', 1)
        text = text.replace("max_retries = ", "max_retries = 0  # ", 1)
    path = tmp_path / "nstui.toml"
    path.write_text(text)
    return path


def errors(app: NstuiApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]  # noqa: SLF001


def note(app: NstuiApp, selector: str) -> str:
    return str(app.screen.query_one(f"{selector} .note").content)


async def test_price_level_picked_from_netsuites_list_and_a_typed_one_refused(tmp_path):
    app = NstuiApp(config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await pilot.pause()
        app.screen.query_one("#items-price_level").focus()
        await pick(pilot, "On")                        # NetSuite's price levels, searched by typing
        assert app.session.model.datasets.items.price_level == "Online Price" and app.session.dirty
        await pick(pilot, "Ty")                      # a name typed instead...
        await pilot.press(*"Gold", "enter")
        await pilot.pause()
        assert app.session.model.datasets.items.price_level == "Online Price"   # ...refused, in place
        refusal = note(app, "#items-price_level")
        assert refusal.startswith("datasets.items.price_level: NetSuite has no price level 'Gold' (it has: Base "
                                  "Price, Alternate Price 1") and "\n" not in refusal
        assert errors(app)[-1] == refusal
        await pilot.press("escape")                      # back to the list, the value kept
        await pilot.pause()
        assert app.screen.query_one("#items-price_level").current == "Online Price"


async def test_a_wrong_source_field_typed_is_refused_in_place(tmp_path):
    app = NstuiApp(config(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        app.screen.query_one("#optins-source_field").focus()
        await pick(pilot, "Ty")
        await pilot.press(*"optin", "enter")
        await pilot.pause()
        assert app.session.model.optins.source_field is None and not app.session.dirty
        assert note(app, "#optins-source_field") == (
            "optins.source_field: 'optin' is not a custom checkbox or list field of customer and "
            "contact in NetSuite (it has: custentity_marketing_optin)")
        await pilot.press("escape")
        await pick(pilot, "cu")                          # what NetSuite has: taken
        assert app.session.model.optins.source_field == "custentity_marketing_optin"
        assert not app.screen.query_one("#optins-source_field .note").display


async def test_a_field_whose_netsuite_kind_does_not_fit_is_refused(tmp_path):
    gone = '\n[[datasets.customers.fields]]\nnetsuite = "custentity_gone"\nmarketing = "POSTCODE"\n'
    app = NstuiApp(config(tmp_path, extra=gone))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5", "f")
        await pilot.pause()
        table = app.screen.query_one("#fields")
        assert str(table.get_cell_at((table.row_count - 1, 3))) == "not in NetSuite"   # a field NetSuite lacks
        await pilot.press("a")
        await pilot.pause()
        before = list(app.session.model.datasets.customers.fields)
        await pick(pilot, "custe")                       # NetSuite's fields of a customer, with their kind
        modal = app.screen
        assert modal.query_one("#type").value == "checkbox"    # the kind NetSuite gives
        await pilot.press("tab")
        await pick(pilot, "GE")                        # the platform's data fields
        await pilot.press("tab", "tab")
        await pick(pilot, "te")                         # type: text
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.screen is modal and app.session.model.datasets.customers.fields == before
        assert str(modal.query_one("#problem").content) == (
            "netsuite_type: custentity_marketing_optin is a checkbox field in NetSuite, not text")
        await pick(pilot, "ch")                       # the type is still focused
        await pilot.press("ctrl+o")
        await pilot.pause()
        added = app.session.model.datasets.customers.fields[-1]
        assert (added.netsuite, added.marketing, added.netsuite_type) == (
            "custentity_marketing_optin", "GENDER", "checkbox")


async def test_an_unreachable_account_allows_typing_marked_unchecked(tmp_path):
    app = NstuiApp(config(tmp_path, netsuite_down=True))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.facts is not None and app.facts.netsuite is None and app.facts.marketing is not None
        await pilot.press("2")
        await pilot.pause()
        app.screen.query_one("#optins-source_field").focus()
        await pilot.press(*"optin", "enter")
        await pilot.pause()
        assert app.session.model.optins.source_field == "optin"   # allowed...
        assert note(app, "#optins-source_field") == "unchecked: NetSuite could not be read"   # ...and marked
        await pilot.press("escape", "5", "f")
        await pilot.pause()
        assert "(unchecked: NetSuite could not be read: names are typed)" in str(
            app.screen.query_one("#intro").content)
        await pilot.press("a", *"tier", "tab")
        await pick(pilot, "PO")                       # the platform was read: its data fields are offered
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.session.model.datasets.customers.fields[-1].netsuite == "tier"
        assert any("unchecked" in n.message for n in app._notifications)  # noqa: SLF001
        await pilot.press("escape", "1", "a", *"Events", "tab", "tab")   # a campaign subscription typed
        await pick(pilot, "Ev")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert [m.netsuite_subscription for m in app.session.model.optins.campaign_subscriptions][-1] == "Events"
