"""Keys that never get trapped, pickers that show every choice, a footer that
fits 80 columns, refusals in place: each driven with key presses only."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey
from textual.widgets._select import SelectOverlay

from nstui.tui.app import NstuiApp
from nstui.tui.widgets.help import HelpScreen, key_rows

ROOT = Path(__file__).resolve().parents[2]
SIZE = (80, 24)


@pytest.fixture
def config_path(tmp_path) -> Path:
    text = (ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40")
    path = tmp_path / "nstui.toml"
    path.write_text(text)
    return path


async def ready(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def footer_keys(app: NstuiApp) -> list[tuple[str, int]]:
    """(key, right edge) of every key the footer shows."""
    footer = app.screen.query_one(Footer)
    return [(k.key, k.region.right) for k in footer.query(FooterKey) if k.region.width]


async def test_dropdown_shows_every_choice_and_searches_choices_only(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("enter")                       # open the subscription drop-down
        await pilot.pause()
        overlay = app.screen.query_one("#subscription").query_one(SelectOverlay)
        assert overlay.option_count >= 3
        assert overlay.size.height >= overlay.option_count   # every choice on show, not one
        await pilot.press("p")                           # "Pick a subscription" is the prompt, not a choice
        await pilot.pause()
        assert "Pick" not in str(overlay.get_option_at_index(overlay.highlighted).prompt)
        await pilot.press("escape", "escape")


async def test_esc_leaves_a_text_box_and_the_footer_says_so(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("5", "tab")                    # into the poll interval box
        await pilot.pause()
        assert app.focused.id == "customers-poll_interval"
        keys = dict(footer_keys(app))
        assert "escape" in keys and "1" not in keys     # 1-5 are typed here; esc hands them back
        assert "Leave field" in [k.description for k in app.screen.query_one(Footer).query(FooterKey)]
        await pilot.press("2")                           # typed into the box
        await pilot.pause()
        assert app.focused.value.endswith("2")
        await pilot.press("escape", "1")                 # leave the box; 1 is a screen key again
        await pilot.pause()
        assert type(app.screen).__name__ == "CampaignSubscriptionsScreen"


@pytest.mark.parametrize("theme", ["nstui-dark"])
async def test_footer_fits_80_columns_and_help_lists_every_key(config_path, theme):
    app = NstuiApp(config_path, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for key in ("1", "2", "3", "4", "5", "f"):
            await pilot.press(key)
            await pilot.pause()
            shown = footer_keys(app)
            assert all(right <= 80 for _, right in shown), (key, shown)
            names = {k for k, _ in shown}
            assert {"question_mark", "ctrl+s", "q", "1", "5"} <= names, (key, names)
            screen = app.screen
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            listed = {what for _, what, _ in key_rows(app, screen)}
            for binding in [*type(screen).BINDINGS, *type(app).BINDINGS]:
                assert binding.description in listed, (key, binding)
            await pilot.press("escape")
            await pilot.pause()


async def test_palette_quit_asks_before_dropping_edits(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "y")                      # an unsaved edit
        await pilot.pause()
        await pilot.press("ctrl+p", *list("Quit"))
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert "Quit without saving?" in str(app.screen.query_one(".question").content)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running


async def test_refusals_one_line_per_problem_naming_the_field(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        app.screen.query_one("#optins-source").focus()
        await pilot.press("enter", "end", "enter")       # "A field", with no field named
        await pilot.pause()
        refused = [n.message for n in app._notifications if n.severity == "error"]  # noqa: SLF001
        assert refused and "source_field" in refused[-1]
        assert "OptInsConfig(" not in refused[-1] and len(refused[-1].splitlines()) == 1


async def test_new_list_only_when_the_form_is_confirmed_and_duplicates_refused(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        lists = app.list_names()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*list(lists[0].upper()), "enter")      # a list that exists (any case)
        await pilot.pause()
        assert type(app.screen).__name__ == "NewListModal"
        assert "exists already" in str(app.screen.query_one("#problem").content)
        await pilot.press("ctrl+u", *list("Autumn"), "enter")   # a new name: nothing created yet
        await pilot.pause()
        assert type(app.screen).__name__ == "MappingModal"
        await pilot.press("escape")                      # the form is cancelled
        await ready(pilot)
        assert "Autumn" not in app.list_names()
        assert not app.session.dirty
        await pilot.press("a")                           # again, confirmed this time
        await pilot.pause()
        await pilot.press("enter", "down", "enter", "ctrl+n")
        await pilot.pause()
        await pilot.press(*list("Autumn"), "enter")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await ready(pilot)
        assert "Autumn" in app.list_names()
        assert app.session.model.optins.campaign_subscriptions[-1].list == "Autumn"


async def test_keys_table_remaps_footer_help_and_bindings(tmp_path):
    path = tmp_path / "nstui.toml"
    text = (ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40")
    path.write_text(text + '\n[keys]\nsave = "f2"\n"screen-log" = "f4"\n"log.search" = "f"\n')
    app = NstuiApp(path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        keys = {k for k, _ in footer_keys(app)}
        assert "f2" in keys and "ctrl+s" not in keys
        await pilot.press("question_mark")
        await pilot.pause()
        rows = {what: keys for keys, what, _ in key_rows(app, app.screen.under)}
        assert rows["Save"] == "f2" and rows["Sync log"] == "f4"
        await pilot.press("escape", "f4")
        await pilot.pause()
        assert type(app.screen).__name__ == "SyncLogScreen"
        await pilot.press("f")
        await pilot.pause()
        assert app.focused.id == "search"


@pytest.mark.parametrize("table, problem", [
    ('"log.run" = "alt+r"', "log.run: 'alt+r' is not a key every terminal and SSH client sends"),
    ('"subscriptions.add" = "d"', "subscriptions.delete: 'd' is subscriptions.add already on that screen"),
    ('"nosuch" = "z"', "nosuch: no such action"),
])
def test_keys_table_validated(tmp_path, table, problem):
    from nstui.config import ConfigError, ConfigFile

    path = tmp_path / "nstui.toml"
    path.write_text((ROOT / "sample_config.toml").read_text() + f"\n[keys]\n{table}\n")
    with pytest.raises(ConfigError) as e:
        ConfigFile.load(path)
    assert any(problem in p for p in e.value.problems), e.value.problems


async def test_directions_in_words_and_screen_3_without_back(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "escape" not in {k for k, _ in footer_keys(app)}   # nothing to go back to: no "Back"
        lines = [s.text for s in app.screen._compositor.render_strips()]  # noqa: SLF001
        assert not any("Blanks: -" in line for line in lines)
        await pilot.press("end", "enter")                # the global Both Directions
        await pilot.pause()
        told = [n.message for n in app._notifications]  # noqa: SLF001
        assert told[-1] == "Global subscription status direction: Both Directions"


async def test_saved_entries_beside_their_own_section(config_path):
    """A new mapping and a new opt-in field land under their own sections'
    comments, not under the next section's; deleting every mapping keeps the
    next section's heading."""
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "enter", "down", "enter", "tab", "tab", "enter", "down", "enter", "ctrl+o")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        app.screen.query_one("#optins-source_field").focus()
        await pilot.press("enter", "c", "enter", "ctrl+s")   # NetSuite's opt-in field, picked
        await pilot.pause()
        text = config_path.read_text()
        assert len(app.session.model.optins.campaign_subscriptions) == 3
        assert text.index('source_field = "custentity_marketing_optin"') < text.index("# Step 5")
        assert text.rindex("[[optins.campaign_subscriptions]]") < text.index("# Step 6")
        await pilot.press("escape", "1", "d", "y", "d", "y", "d", "y", "ctrl+s")
        await pilot.pause()
        assert app.session.model.optins.campaign_subscriptions == []
        assert "# Step 6" in config_path.read_text()


async def test_a_list_the_platform_has_already_is_refused_in_words(config_path):
    """The platform refuses a duplicate list name (one the console did not
    know of yet): the toast says so in words, not with the platform's code."""
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        existing = app.list_names()[0]
        app._lists = []  # noqa: SLF001 (as if the list had been created since the console read them)
        made = await app.create_list(existing)
        await pilot.pause()
        assert made is None
        told = [n.message for n in app._notifications if n.severity == "error"]  # noqa: SLF001
        assert told and "has a list named" in told[-1] and "ERROR_ADDRESSBOOK" not in told[-1]
