"""Screen 4: the engine's live event stream, progress per data set, and the
keys that start a sync (r), a dry run (p) or cancel one after its page (x)."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Select, Static

from nstui.config import DATASETS
from nstui.engine import events as ev
from nstui.keys import key
from nstui.sanitize import clean
from nstui.tui.screens.base import BaseScreen
from nstui.tui.widgets.event_log import EventLog
from nstui.tui.widgets.inputs import FieldInput
from nstui.tui.widgets.pickers import Picker

LEVEL_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}
#: How long new events gather before the list draws them: one redraw for a
#: burst, and none at all while nothing happens.
BATCH_S = 0.1


def parts(event: ev.Event) -> tuple[str, str, str]:
    """(time, level, message): the one place an event becomes text on screen."""
    # Text from outside (names, remote errors) escaped: no control character reaches the terminal.
    return event.at.astimezone().strftime("%H:%M:%S"), event.level, clean(event.message(), 2000)


def render(event: ev.Event) -> Text:
    stamp, level, message = parts(event)
    return Text(f"{stamp} {level:<7} {message}")


class SyncLogScreen(BaseScreen):
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding(key("log.run"), "run", "Run sync", id="log.run"),
        Binding(key("log.dry_run"), "dry_run", "Dry run", id="log.dry_run"),
        Binding(key("log.cancel"), "cancel", "Cancel", id="log.cancel"),
        Binding(key("log.search"), "search", "Search", id="log.search"),
        # In the palette and on the ? screen; the footer keeps the run keys.
        Binding(key("log.level"), "cycle_level", "Level", show=False, id="log.level"),
        Binding(key("log.dataset"), "cycle_dataset", "Data set", show=False, id="log.dataset"),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static("", id="progress")
        with Horizontal(id="filters"):
            yield Picker([("info and up", "info"), ("all (debug)", "debug"), ("warnings", "warning"),
                          ("errors", "error")], id="level", allow_blank=False, value="info", compact=True)
            yield Picker([("all data sets", "all")] + [(d, d) for d in DATASETS], id="dataset", allow_blank=False,
                         value="all", compact=True)
            yield FieldInput(placeholder="/ search", id="search", compact=True)
        yield EventLog(self.nstui.events, parts, id="log")
        yield self.footer()

    def on_mount(self) -> None:
        self._seen = self.nstui.events.next
        self._scheduled = False
        self.nstui.events.on_new(self._wake)
        self.rebuild()
        self.update_progress()

    def on_screen_resume(self) -> None:
        self.flush()  # what came while another screen was shown

    def _wake(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.set_timer(BATCH_S, self.flush)

    # -- filtering -------------------------------------------------------------------

    def matcher(self) -> Callable[[ev.Event], bool]:
        """The filters as they are now, read once for a whole batch of events."""
        # A picker whose mount has not set its value yet (Select.NULL) reads as its default.
        rank = LEVEL_RANK.get(str(self.query_one("#level", Select).value), LEVEL_RANK["info"])
        dataset = self.query_one("#dataset", Select).value
        if dataset is Select.NULL:
            dataset = "all"
        needle = self.query_one("#search", Input).value.strip().lower()

        def shown(event: ev.Event) -> bool:
            if LEVEL_RANK[event.level] < rank or isinstance(event, ev.Progress):
                return False
            if dataset != "all" and event.dataset not in (dataset, None):
                return False
            return not needle or needle in event.message().lower()

        return shown

    @property
    def event_log(self) -> EventLog:
        return self.query_one(EventLog)

    def rebuild(self) -> None:
        """The filters changed: every kept event is looked at again."""
        store = self.nstui.events
        shown = self.matcher()
        self._seen = store.next
        self.event_log.replace([n for n, event in store.since(store.first) if shown(event)])
        self.update_progress()

    def flush(self) -> None:
        """New events onto the list, in one batch and one redraw."""
        self._scheduled = False
        store = self.nstui.events
        store.woken()
        if not self.is_current:
            return  # drawn when the screen is shown again
        new = store.since(self._seen)
        self._seen = store.next
        shown = self.matcher()
        self.event_log.extend([n for n, event in new if shown(event)])
        self.update_progress()

    def update_progress(self) -> None:
        lines = []
        for name, p in self.nstui.events.progress.items():
            lines.append(f"{name:<10} read {p.read:>7}  written {p.written:>6}  API calls {p.api_calls:>6}  {p.elapsed:6.1f}s")
        state = self.nstui.sync_state()
        log = self.event_log
        where = "following new lines" if log.following else "paused: end follows again"
        lines.append(f"{len(log.rows):,} lines, {where}; enter shows a line in full")
        text = Text("\n".join([state, *lines]))
        panel = self.query_one("#progress", Static)
        if getattr(self, "_progress_text", None) != text.plain:  # no redraw when nothing changed
            self._progress_text = text.plain
            panel.update(text)

    @on(EventLog.FollowChanged)
    def _follow_changed(self) -> None:
        self.update_progress()

    @on(EventLog.Selected)
    def _detail(self, event: EventLog.Selected) -> None:
        from nstui.tui.widgets.event_detail import EventDetail

        self.app.push_screen(EventDetail(event.event, lambda e: parts(e)[2]))

    @on(Select.Changed)
    def _filter(self) -> None:
        self.rebuild()

    @on(Input.Changed, "#search")
    def _search(self) -> None:
        self.rebuild()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.event_log.focus()

    def leave_field(self, _field: object) -> None:
        self.event_log.focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        self.event_log.focus()

    def _cycle(self, select_id: str) -> None:
        select = self.query_one(select_id, Select)
        values = [v for _, v in select._options if v is not Select.NULL]  # noqa: SLF001
        select.value = values[(values.index(select.value) + 1) % len(values)]

    def action_cycle_level(self) -> None:
        self._cycle("#level")

    def action_cycle_dataset(self) -> None:
        self._cycle("#dataset")

    # -- runs ----------------------------------------------------------------------------

    def action_run(self) -> None:
        self.nstui.start_sync(dry_run=False)

    def action_dry_run(self) -> None:
        self.nstui.start_sync(dry_run=True)

    def action_cancel(self) -> None:
        self.nstui.cancel_sync()
