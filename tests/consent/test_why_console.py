"""The console's contact look-up: screen 2, `w`, an email, enter."""

from __future__ import annotations

import sqlite3

from nstui.tui.app import NstuiApp
from tests.tui.test_console import SIZE, config_path, ready, screen_text  # noqa: F401 (fixture)


async def test_why_look_up_from_the_global_status_screen(config_path):  # noqa: F811
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("4", "r")
        await ready(pilot)
        state = app.session.cfg.state_path
        with sqlite3.connect(state) as db:
            email = db.execute("SELECT email FROM consent_history WHERE scope = 'global' ORDER BY id LIMIT 1"
                               ).fetchone()[0]
        await pilot.press("2")
        assert "the opt-out wins" in screen_text(app)  # the departure, beside the setting
        await pilot.press("w")
        await pilot.pause()
        await pilot.press(*list(email), "enter")
        await pilot.pause()
        text = screen_text(app)
        assert f"why {email}" in text and "rule:" in text
        await pilot.press("escape")
        await pilot.pause()
        assert f"why {email}" not in screen_text(app)


async def test_the_departures_from_the_seeds_words_beside_the_direction_settings(config_path):  # noqa: F811
    app = NstuiApp(config_path)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = screen_text(app)  # screen 1: the mappings and their directions
        assert "Consent first: an untick, a removal or an unsubscribe is an opt-out in every" in text
        await pilot.press("3")  # each direction in the seed's words, then where consent departs from them
        await pilot.pause()
        text = screen_text(app)
        assert "Consent first: an untick in NetSuite still takes the contact off the" in text
        assert "Consent first: a removal or unsubscribe from the list is never" in text
