"""The console, driven with key presses only (App.run_test + Pilot)."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest

from nstui.config import ConfigFile
from nstui.engine import events as ev
from nstui.tui.app import NstuiApp

ROOT = Path(__file__).resolve().parents[2]
SIZE = (80, 24)


@pytest.fixture
def config_path(tmp_path) -> Path:
    text = (ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 80")
    path = tmp_path / "nstui.toml"
    path.write_text(text)
    return path


def screen_text(app: NstuiApp) -> str:
    """What the terminal shows, as plain text (from Textual's own screenshot)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r">([^<>]*)</text>", svg))).replace("\xa0", " ")


async def ready(pilot) -> None:
    """Workers done, and the sync log's batched writes (every 0.1 s) flushed."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.25)


async def pick(pilot, text: str) -> None:
    """Open the focused Select, type to search, choose."""
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*list(text))
    await pilot.press("enter")
    await pilot.pause()


def mappings(path: Path) -> list[tuple[str, str, str]]:
    return [(m.netsuite_subscription, m.direction, m.list)
            for m in ConfigFile.load(path).model.optins.campaign_subscriptions]


# -- campaign subscriptions ---------------------------------------------------------------


async def test_add_edit_delete_mapping_and_save(config_path):
    original_comments = [line for line in config_path.read_text().splitlines() if "#" in line]
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pick(pilot, "Promo")          # the NetSuite campaign subscription
        await pilot.press("tab")
        await pick(pilot, "Both - B")       # direction: Both - Bronto Primary
        await pilot.press("tab")
        await pick(pilot, "Prom")           # the marketing list
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert "Promotions" in screen_text(app)
        assert "[modified]" in app.title
        # edit the new (third) row: direction to Bronto to NetSuite
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("tab")
        await pick(pilot, "Bronto to")
        await pilot.press("ctrl+o")
        await pilot.pause()
        # delete the first row (Newsletter), confirming
        await pilot.press("up", "up", "d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "[modified]" not in app.title
    assert mappings(config_path) == [
        ("Product Updates", "netsuite_to_bronto", "Product Updates"),
        ("Promotions", "bronto_to_netsuite", "Promotions"),
    ]
    text = config_path.read_text()
    assert all(line in text for line in original_comments if "Newsletter" not in line and "both" not in line)
    assert "# NetSuite is the master record" in text


async def test_duplicate_mapping_refused(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await pilot.pause()
        modal = app.screen
        # Newsletter is mapped already: it is not offered...
        options = [str(v) for _, v in modal.query_one("#subscription")._options]  # noqa: SLF001
        assert "Newsletter" not in options and "Promotions" in options
        await pilot.press("escape")
        await pilot.pause()
        # ...and an edit that would map it twice is refused with the validator's message.
        screen = app.screen
        screen.edit(lambda m: m.optins.campaign_subscriptions.append(
            type(m.optins.campaign_subscriptions[0])(netsuite_subscription="newsletter", list="VIP")))
        await pilot.pause()
        assert len(app.session.model.optins.campaign_subscriptions) == 2
        assert not app.session.dirty
        assert any("mapped twice" in str(n.message) for n in app._notifications)  # noqa: SLF001


async def test_new_list_created_from_modal(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*list("[b]Spring Sale"), "enter")   # a name, not markup
        await ready(pilot)
        assert "[b]Spring Sale" in app.list_names()
        assert app.session.model.optins.campaign_subscriptions[0].list == "[b]Spring Sale"
        assert "[b]Spring Sale" in screen_text(app)
        made = [n for n in app._notifications if "'[b]Spring Sale' created" in n.message]  # noqa: SLF001
        assert made and not made[0].markup                      # the toast shows the name as typed


async def test_screen_actions_in_the_command_palette(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*list("Campaign Subscriptions: Add"))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "MappingModal"


# -- global subscription status -----------------------------------------------------------


async def test_each_global_status_field(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert "CAN-SPAM" in screen_text(app)
        await pilot.press("space")                       # Enable Connection off
        await pilot.press("tab")
        await pick(pilot, "Both")                        # Sync Direction
        await pilot.press("tab")
        await pick(pilot, "Unc")                         # Soft Opt-In Status
        await pilot.press("tab")
        await pick(pilot, "Unc")                         # Confirmed Opt-In Status
        await pilot.press("tab", "space")                # Soft Opt-Out for Unsubscribed off
        await pilot.press("tab", "space")                # Soft Opt-Out for Bounce off
        await pilot.press("tab", "home", "space")        # first list in Add Opt-Ins to Lists toggled
        await pilot.press("tab", "space")                # Remove Opt-Outs from Lists off
        await pilot.press("tab", "space")                # Resubscribe with Confirmation on
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    m = ConfigFile.load(config_path).model.optins
    gs = m.global_status
    assert m.enable_connection is False
    assert gs.direction == "both"
    assert gs.soft_opt_in_status == "unconfirmed" and gs.confirmed_opt_in_status == "unconfirmed"
    assert gs.soft_opt_out_for_unsubscribed is False and gs.soft_opt_out_for_bounce is False
    assert gs.remove_opt_outs_from_lists is False and gs.resubscribe_with_confirmation is True
    assert gs.add_opt_ins_to_lists != ["VIP"]


async def test_opt_in_source_and_entities_of_seed_003(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        app.screen.query_one("#optins-source").focus()
        await pick(pilot, "A f")                         # refused: no field named yet
        assert app.session.model.optins.source == "subscriptions" and not app.session.dirty
        assert app.screen.query_one("#optins-source").value == "subscriptions"
        await pilot.press("tab")
        await pick(pilot, "cu")                          # the opt-in fields NetSuite has
        await pilot.press("shift+tab")
        await pick(pilot, "A f")                         # now allowed
        await pilot.press("tab", "tab")                  # Sync for Customers
        await pilot.press("tab", "space")                # Sync for Contacts off
        await pilot.press("tab", "space")                # Create Missing Contact on
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    m = ConfigFile.load(config_path).model.optins
    assert m.source == "field" and m.source_field == "custentity_marketing_optin"
    assert m.datasets == ["customers"] and m.create_missing_contact is True


async def test_yes_no_readable_without_colour(config_path):
    """A ticked box shows X and an unticked one a blank: NO_COLOR and
    monochrome terminals tell them apart."""
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        box = app.screen.query_one("#enable_connection")
        assert box.render().plain.startswith("▐X▌")
        await pilot.press("space")
        await pilot.pause()
        assert box.render().plain.startswith("▐ ▌")
        lists = app.screen.query_one("#add_opt_ins_to_lists")
        lines = [lists.render_line(y).text for y in range(lists.option_count)]
        assert [line[:3] for line in lines if "VIP" in line] == ["▐X▌"]
        assert all(line[:3] == "▐ ▌" for line in lines if "VIP" not in line)


# -- directions --------------------------------------------------------------------------


async def test_choose_direction_for_a_mapping(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("down", "c")                   # second row: Product Updates
        await pilot.pause()
        assert "Master: NetSuite" in screen_text(app)
        await pilot.press("end", "enter")                # Both - NetSuite Primary
        await pilot.pause()
        assert app.session.model.optins.campaign_subscriptions[1].direction == "both_netsuite_primary"


async def test_directions_screen_sets_global_direction(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "Blanks: synced" in screen_text(app)  # "never synced": below the fold
        await pilot.press("end", "enter")                # the last entry: global Both Directions
        await pilot.pause()
        assert app.session.model.optins.global_status.direction == "both"


# -- quitting ----------------------------------------------------------------------------------


async def test_quit_with_unsaved_changes_asks(config_path):
    before = config_path.read_text()
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "y")                      # delete a mapping: unsaved
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert "Quit without saving?" in screen_text(app)
        await pilot.press("n")                           # stay
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    assert config_path.read_text() == before             # nothing half-written


async def test_invalid_edit_refused_in_place(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await pilot.pause()
        poll = app.screen.query_one("#customers-poll_interval")
        poll.focus()
        poll.value = "soon"
        await pilot.press("enter")
        await pilot.pause()
        assert poll.value == "1h" and not app.session.dirty
        assert any("poll_interval" in str(n.message) for n in app._notifications)  # noqa: SLF001


async def test_data_set_settings_of_seed_003_edited_and_saved(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await pilot.pause()

        async def type_into(widget_id: str, text: str) -> None:
            box = app.screen.query_one(widget_id)
            box.focus()
            box.value = ""
            await pilot.press(*list(text), "enter")
            await pilot.pause()

        app.screen.query_one("#items-currency").focus()
        await pick(pilot, "Ty")                          # a code typed, not one NetSuite has: refused
        await pilot.press(*"gbp", "enter", "escape")
        assert app.screen.query_one("#items-currency").current == "USD" and not app.session.dirty
        await pick(pilot, "GB")                          # NetSuite's currencies
        await type_into("#orders-custom_fields", "custbody_gift, custbody_channel")
        await type_into("#orders-link_field", "custbody_alt_email")
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = ConfigFile.load(config_path).model.datasets
    assert saved.items.currency == "GBP"
    assert saved.orders.custom_fields == ["custbody_gift", "custbody_channel"]
    assert saved.orders.link_field == "custbody_alt_email"


async def test_field_mappings_added_refused_and_deleted(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5", "f")
        await pilot.pause()
        before = [f.netsuite for f in app.session.model.datasets.customers.fields]
        await pilot.press("a")
        await pilot.pause()
        await pick(pilot, "mobi")                        # NetSuite's fields of a customer
        await pilot.press("tab")
        await pick(pilot, "GEN")                         # the platform's data fields
        await pilot.press("ctrl+o")
        await pilot.pause()
        fields = app.session.model.datasets.customers.fields
        assert [f.netsuite for f in fields] == [*before, "mobilephone"] and fields[-1].marketing == "GENDER"
        await pilot.press("d", "y")                      # the new row is selected: deleted, confirmed
        await pilot.pause()
        assert [f.netsuite for f in app.session.model.datasets.customers.fields] == before
        await pilot.press("a")
        await pilot.pause()
        await pick(pilot, "entityi")
        await pilot.press("tab")
        await pick(pilot, "FULL")
        await pilot.press("ctrl+o")
        await pilot.pause()

        items_before = list(app.session.model.datasets.items.fields)
        await pilot.press("s", "s")                      # items
        await pilot.press("a")
        await pilot.pause()
        await pick(pilot, "custi")                       # a multiple-select field (its kind comes with it)
        await pilot.press("tab", *list("COLORS"), "ctrl+o")
        await pilot.pause()
        assert app.session.model.datasets.items.fields == items_before   # seed 003: refused...
        modal = app.screen                               # ...in place: the form stays open, as typed
        assert type(modal).__name__ == "FieldMappingModal"
        problem = str(modal.query_one("#problem").content)
        assert "multi-select" in problem and "\n" not in problem.strip()
        assert modal.query_one("#netsuite").current == "custitem_colors"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = ConfigFile.load(config_path).model.datasets.customers.fields
    assert [f.netsuite for f in saved] == [*before, "entityid"]
    assert "# " in config_path.read_text()               # the comments are still there


# -- the sync log ------------------------------------------------------------------------------


async def test_sync_run_events_in_log_match_summary(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "r")
        await ready(pilot)
        summary = app.events.last_summary
        assert summary is not None and not summary.dry_run and summary.total.created > 0
        log_text = "\n".join(app.screen.query_one("#log").lines())
        t = summary.total
        assert (f"{t.created} created, {t.updated} updated, {t.deleted} deleted, {t.status_changes} status changes"
                in log_text)
        assert f"{t.created} created" in screen_text(app)  # the progress panel's summary line


async def test_console_keeps_running_during_a_sync(tmp_path):
    """The engine runs beside the console (a process of its own): the console's
    timers (redraws, keys) keep firing while a sync runs, not only after it.
    300 records: the run lasts well over the 0.3 s the assertion needs."""
    path = tmp_path / "nstui.toml"
    path.write_text((ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 300"))
    app = NstuiApp(path)
    fired: list[float] = []
    finished: list[float] = []
    app.bus.listen(lambda e: finished.append(time.monotonic()) if isinstance(e, ev.RunFinished) else None)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4")
        for k in range(1, 11):
            app.set_timer(0.1 * k, lambda: fired.append(time.monotonic()))
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause(1.1)
    assert finished and len(fired) == 10
    assert sum(t < finished[0] for t in fired) >= 3, "the console stood still while the engine ran"


async def test_screens_mounted_once_after_the_remote_data(config_path):
    """As in a terminal (premount is off under run_test unless asked): screens
    2-5 are mounted after screen 1 and the remote data, and showing one shows
    that same screen, with the lists the platform has."""
    app = NstuiApp(config_path, premount=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await ready(pilot)                            # the mounts, started when the remote data came
        mounted = {mode: stack[0] for mode, stack in app._screen_stacks.items()}  # noqa: SLF001
        assert set(mounted) == set(NstuiApp.MODES) and all(s.is_mounted for s in mounted.values())
        await pilot.press("2")
        await pilot.pause()
        assert app.screen is mounted["global"]
        offered = [str(o.prompt) for o in app.screen.query_one("#add_opt_ins_to_lists")._options]  # noqa: SLF001
        assert "Promotions" in offered                # a platform list no mapping names: read before the mount
        await pilot.press("5", "1")
        await pilot.pause()
        assert app.screen is mounted["subscriptions"] and "Newsletter" in screen_text(app)


async def test_quit_while_a_screen_mounts_in_the_background(config_path):
    app = NstuiApp(config_path, premount=True)
    async with app.run_test(size=SIZE) as pilot:
        while "log" not in app._screen_stacks:  # noqa: SLF001 (the sync log, with its pickers, mounting)
            await pilot.pause(0.005)
        app.exit(0)                                   # as q does when nothing is unsaved
        await pilot.pause(0.5)
    assert app.return_code == 0 and app._exception is None  # noqa: SLF001


async def test_dry_run_shows_plan(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "p")
        await ready(pilot)
        assert app.events.last_summary is not None and app.events.last_summary.dry_run
        log_text = "\n".join(app.screen.query_one("#log").lines())
        assert "plan: customers: create" in log_text
        assert "Dry run:" in screen_text(app)
    from nstui.connections import open_sandboxes

    boxes = open_sandboxes(ConfigFile.load(config_path))
    try:
        assert boxes.marketing.dump()["contacts"] == []  # nothing written
    finally:
        boxes.close()


async def test_cancel_reaches_the_engine_in_its_own_process(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "r", "x")
        await ready(pilot)
        summary = app.events.last_summary
        assert summary is not None and summary.cancelled
        assert app._sync_process is None  # noqa: SLF001 (the child has ended and been waited for)
        assert "Last run (cancelled after a page)" in screen_text(app)


async def test_a_run_that_fails_or_dies_is_said_in_the_log(config_path, tmp_path, monkeypatch):
    (tmp_path / "statedir").mkdir()
    monkeypatch.setenv("NSTUI_STATE", str(tmp_path / "statedir"))
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "r")
        await ready(pilot)
        assert "the state file is a folder" in app.screen.query_one("#log").lines()[-1]
        # The engine's process killed mid-run: said in one line, the console goes on.
        monkeypatch.setenv("NSTUI_STATE", str(tmp_path / "state.sqlite"))
        app.bus.listen(lambda e: app._sync_process.process.kill()  # noqa: SLF001
                       if isinstance(e, ev.DatasetStarted) else None)
        await pilot.press("r")
        await ready(pilot)
        assert "the sync process ended without a summary (exit code -9)" in app.screen.query_one("#log").lines()[-1]
        await pilot.press("1")
        await pilot.pause()
        assert "Newsletter" in screen_text(app)


async def test_log_filters_and_search(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "r")
        await ready(pilot)
        await pilot.press("s")                           # data set filter: customers
        await pilot.pause()
        lines = app.screen.query_one("#log").lines()
        assert lines and all("contacts:" not in line for line in lines)
        await pilot.press("slash", *list("duplicate"), "enter")
        await pilot.pause()
        lines = app.screen.query_one("#log").lines()
        assert lines and all("duplicate" in line for line in lines)


# -- every screen at 80x24: test_snapshots.py --------------------------------------------------


async def test_secrets_never_on_screen(config_path, monkeypatch):
    monkeypatch.setenv("NSTUI_NS_TOKEN_SECRET", "topsecret-value-123")
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5")
        await pilot.pause()
        text = screen_text(app)
        assert "NSTUI_NS_TOKEN_SECRET set" in text and "topsecret" not in text


async def test_theme_switch_remembered(config_path):
    app = NstuiApp(config_path, theme="nstui-light")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.theme == "nstui-light"
        assert app.session.model.tui.theme == "nstui-light"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert ConfigFile.load(config_path).model.tui.theme == "nstui-light"
