"""Screen 4: the engine's live event stream, progress per data set, and the
keys that start a sync (r), a dry run (p) or cancel one after its page (x)."""

from __future__ import annotations

from typing import Callable, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, RichLog, Select, Static

from nstui.config import DATASETS
from nstui.engine import events as ev
from nstui.sanitize import clean
from nstui.tui.screens.base import BaseScreen
from nstui.tui.widgets.inputs import FieldInput
from nstui.tui.widgets.pickers import Picker

LEVEL_STYLE = {"debug": "dim", "info": "", "warning": "yellow", "error": "bold red"}
LEVEL_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}
#: Lines drawn in one go (a filter changed, or many events came at once). The
#: console keeps every event; drawing tens of thousands of lines at once froze
#: it for seconds.
DRAWN_AT_ONCE = 1_000
PER_TICK = 300


def render(event: ev.Event) -> Text:
    stamp = event.at.astimezone().strftime("%H:%M:%S")
    line = Text(f"{stamp} ", style="dim")
    line.append(f"{event.level:<7} ", style=LEVEL_STYLE[event.level] or "bold")
    line.append(clean(event.message(), 2000), style=LEVEL_STYLE[event.level])  # text from outside, escaped
    return line


class SyncLogScreen(BaseScreen):
    AUTO_FOCUS = "#log"
    BINDINGS = [
        Binding("r", "run", "Run sync"),
        Binding("p", "dry_run", "Dry run"),
        Binding("x", "cancel", "Cancel"),
        Binding("slash", "search", "Search"),
        # In the palette and on the ? screen; the footer keeps the run keys.
        Binding("l", "cycle_level", "Level", show=False),
        Binding("s", "cycle_dataset", "Data set", show=False),
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
        yield RichLog(id="log", max_lines=20_000, wrap=False, markup=False, auto_scroll=True)
        yield self.footer()

    def on_mount(self) -> None:
        self.rebuild()
        self.set_interval(0.1, self.flush)
        self.update_progress()

    def on_screen_resume(self) -> None:
        self.flush()  # what came while another screen was shown; the rest is still drawn

    # -- filtering -------------------------------------------------------------------

    def matcher(self) -> Callable[[ev.Event], bool]:
        """The filters as they are now, read once for a whole batch of events."""
        rank = LEVEL_RANK[str(self.query_one("#level", Select).value)]
        dataset = self.query_one("#dataset", Select).value
        needle = self.query_one("#search", Input).value.strip().lower()

        def shown(event: ev.Event) -> bool:
            if LEVEL_RANK[event.level] < rank or isinstance(event, ev.Progress):
                return False
            if dataset != "all" and event.dataset not in (dataset, None):
                return False
            return not needle or needle in event.message().lower()

        return shown

    def draw(self, events: Iterable[ev.Event], *, follow: bool) -> None:
        log = self.query_one(RichLog)
        lines = list(filter(self.matcher(), events))
        if len(lines) > DRAWN_AT_ONCE:
            log.write(Text(f"... {len(lines) - DRAWN_AT_ONCE} earlier lines not drawn; "
                           "filter (l, s) or search (/) to see them", style="dim"), scroll_end=False)
            lines = lines[-DRAWN_AT_ONCE:]
        for event in lines:
            log.write(render(event), scroll_end=False)
        if follow and lines:
            log.scroll_end(animate=False, immediate=False)

    def rebuild(self) -> None:
        self.query_one(RichLog).clear()
        self.nstui.events.take()
        self.draw(self.nstui.events.all(), follow=True)

    def flush(self) -> None:
        """Batched writes: one redraw per tick, and at most PER_TICK events
        (a page's thousand events are drawn over a few ticks, not in one that
        keeps the keys waiting)."""
        pending = self.nstui.events.take(PER_TICK)
        if pending:
            log = self.query_one(RichLog)
            # Auto-scroll pauses while the admin has scrolled up.
            self.draw(pending, follow=log.scroll_offset.y >= log.max_scroll_y - 1)
        self.update_progress()

    def update_progress(self) -> None:
        lines = []
        for name, p in self.nstui.events.progress.items():
            lines.append(f"{name:<10} read {p.read:>7}  written {p.written:>6}  API calls {p.api_calls:>6}  {p.elapsed:6.1f}s")
        state = self.nstui.sync_state()
        self.query_one("#progress", Static).update(Text("\n".join([state] + lines)))

    @on(Select.Changed)
    def _filter(self) -> None:
        self.rebuild()

    @on(Input.Changed, "#search")
    def _search(self) -> None:
        self.rebuild()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one(RichLog).focus()

    def leave_field(self, _field: object) -> None:
        self.query_one(RichLog).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        self.query_one("#search", Input).value = ""
        self.query_one(RichLog).focus()

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
