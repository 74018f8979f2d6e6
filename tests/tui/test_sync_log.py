"""The sync log: every event kept, only the lines on show drawn, a detail
view with the full text, auto-scroll that pauses only when the admin moves
up, and no redraw while nothing happens. Events are published on the app's
bus directly (the engine's own tests cover what it publishes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nstui.engine import events as ev
from nstui.tui.app import NstuiApp
from nstui.tui.widgets.event_detail import EventDetail
from nstui.tui.widgets.event_log import EventLog

ROOT = Path(__file__).resolve().parents[2]
LONG = "NetSuite refused the write: " + "the value of custentity_tier is not one of its list's values; " * 5


@pytest.fixture
def config_path(tmp_path) -> Path:
    path = tmp_path / "nstui.toml"
    path.write_text((ROOT / "sample_config.toml").read_text().replace("records = 2000", "records = 40"))
    return path


def skipped(i: int) -> ev.RecordSkipped:
    return ev.RecordSkipped(dataset="customers", side="netsuite", key=f"c{i}@example.com", reason="duplicate email")


async def settle(pilot) -> None:
    await pilot.pause(0.15)   # the log gathers new events for 0.1 s, then draws once
    await pilot.pause()


async def test_log_keeps_everything_draws_the_visible_lines_and_follows(config_path, monkeypatch):
    drawn: list[int] = []
    original = EventLog.render_line
    monkeypatch.setattr(EventLog, "render_line", lambda self, y: drawn.append(y) or original(self, y))
    app = NstuiApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        for i in range(20_000):
            app.bus.publish(skipped(i))
        app.bus.publish(ev.Error(dataset="customers", key="x@example.com", text=LONG))
        drawn.clear()
        await settle(pilot)
        assert len(log.rows) == 20_001 and log.following, (log.scroll_offset, log.max_scroll_y, log.size)
        assert 0 < len(drawn) <= 3 * log.size.height          # the lines on show, not 20,000
        last = log.render_line(log.size.height - 1).text
        assert last.rstrip().endswith("…") and len(last) <= 80     # cut on the list...
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EventDetail)                # ...whole in the detail view
        shown = str(app.screen.query_one("#detail-message").content)
        assert shown == LONG.strip() or LONG.strip() in shown
        fields = str(app.screen.query_one("#detail-fields").content.columns[1]._cells)  # noqa: SLF001
        assert "x@example.com" in fields
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("up", "up")                             # the admin scrolls up: paused
        top = log.scroll_offset.y
        for i in range(500):
            app.bus.publish(skipped(i))
        await settle(pilot)
        assert not log.following and log.scroll_offset.y == top and len(log.rows) == 20_501
        await pilot.press("end")                                   # follows again
        for i in range(10):
            app.bus.publish(skipped(i))
        await settle(pilot)
        assert log.following and log.scroll_offset.y == log.max_scroll_y > 0

        drawn.clear()
        await pilot.pause(0.5)                                     # idle: nothing drawn
        assert drawn == []


async def test_log_search_and_filters_read_the_whole_history(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause()
        for i in range(5_000):
            app.bus.publish(skipped(i))
        app.bus.publish(ev.Warning_(dataset="items", text="price level Online not found"))
        await settle(pilot)
        await pilot.press("slash", *list("c17@"), "enter")
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        assert [line.split(" ", 2)[2] for line in log.lines()] == ["customers: skip c17@example.com: duplicate email"]
        await pilot.press("slash", "ctrl+u", "escape")            # esc leaves the search box, to the log
        await pilot.pause()
        assert app.focused is log and len(log.rows) == 5_001
        await pilot.press("s", "s", "s")                          # data set: items
        await pilot.pause()
        assert len(log.rows) == 1 and "price level" in log.lines()[0]


async def test_cancel_without_a_run_and_a_cancelled_run_say_so(config_path):
    app = NstuiApp(config_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4", "x")                    # nothing to cancel: said, not silent
        await pilot.pause()
        assert "No run in progress" in list(app._notifications)[-1].message  # noqa: SLF001
        app.bus.publish(ev.RunFinished(summary=ev.RunSummary(run_id=1, dry_run=False, cancelled=True)))
        await settle(pilot)
        panel = str(app.screen.query_one("#progress").content)
        assert panel.startswith("Last run (cancelled after a page):")


async def test_a_demo_save_says_where_the_file_goes(config_path):
    app = NstuiApp(config_path, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "deleted when the console closes" in list(app._notifications)[-1].message  # noqa: SLF001
