"""The sync log's list: one line per event, drawn only for the lines on show.

The history lives in the EventStore; this widget holds only the numbers of
the events the filters let through, and turns an event into a line when that
line is on screen. A cursor selects a line (enter: its detail, full text
wrapped); the list follows new events while the cursor is on the last line
and stays where it is once the admin moves up (end follows again).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from nstui.engine import events as ev
from nstui.tui.event_store import EventStore

#: (time, level, message) of an event, as the list shows it.
Parts = Callable[[ev.Event], tuple[str, str, str]]


class EventLog(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"event-log--stamp", "event-log--warning", "event-log--error", "event-log--cursor",
                         "event-log--level"}
    DEFAULT_CSS = """
    EventLog {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
    }
    EventLog > .event-log--stamp { color: $text-muted; }
    EventLog > .event-log--level { text-style: bold; }
    EventLog > .event-log--warning { color: $text-warning; }
    EventLog > .event-log--error { color: $text-error; text-style: bold; }
    EventLog > .event-log--cursor { background: $block-cursor-blurred-background; }
    EventLog:focus > .event-log--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last (follow)", show=False),
        Binding("enter", "detail", "Line in full", show=False),
    ]

    class Selected(Message):
        """enter on a line: show this event in full."""

        def __init__(self, event: ev.Event) -> None:
            super().__init__()
            self.event = event

    class FollowChanged(Message):
        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(self, store: EventStore, parts: Parts, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store = store
        self.parts = parts
        #: Numbers (in the store) of the events on the list, oldest first.
        self.rows: list[int] = []
        self.cursor = 0
        self.following = True
        self._cache: dict[int, Text] = {}

    # -- content -------------------------------------------------------------------

    def replace(self, rows: list[int]) -> None:
        self.rows = rows
        self._cache.clear()
        self._follow(True)
        self.cursor = max(0, len(rows) - 1)
        self._resized()
        self.refresh()

    def extend(self, rows: list[int]) -> None:
        """New events at the end; old ones the store has let go are dropped."""
        gone = bisect_left(self.rows, self.store.first) if self.rows and self.rows[0] < self.store.first else 0
        if gone:
            del self.rows[:gone]
            self.cursor = max(0, self.cursor - gone)
            self._cache = {k: v for k, v in self._cache.items() if k >= self.store.first}
            if not self.following:
                self.scroll_to(y=max(0, self.scroll_offset.y - gone), animate=False, immediate=True, force=True)
        if not rows and not gone:
            return
        on_show_before = self._rows_on_show()
        self.rows.extend(rows)
        if self.following:
            self.cursor = max(0, len(self.rows) - 1)
        self._resized()
        # Nothing on show changed (the admin reads older lines): no redraw but the scroll bar's.
        if self.following or gone or on_show_before != self._rows_on_show():
            self.refresh()

    def _rows_on_show(self) -> tuple[int, int]:
        top = self.scroll_offset.y
        return top, min(len(self.rows), top + self.size.height)

    def _resized(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows))
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def on_resize(self) -> None:
        self._resized()

    @property
    def selected(self) -> ev.Event | None:
        return self.store.get(self.rows[self.cursor]) if 0 <= self.cursor < len(self.rows) else None

    def lines(self) -> list[str]:
        """Every line on the list as plain text (its full message)."""
        out = []
        for number in self.rows:
            event = self.store.get(number)
            if event is not None:
                out.append(" ".join(self.parts(event)))
        return out

    # -- drawing -------------------------------------------------------------------

    def _line(self, number: int) -> Text:
        text = self._cache.get(number)
        if text is None:
            event = self.store.get(number)
            if event is None:
                return Text("")
            stamp, level, message = self.parts(event)
            style = {"warning": "event-log--warning", "error": "event-log--error"}.get(event.level)
            text = Text(no_wrap=True, overflow="ellipsis", end="")
            text.append(f"{stamp} ", style=Style(color=self.get_component_rich_style("event-log--stamp").color))
            level_style = self.get_component_rich_style("event-log--level", partial=True)
            if style:
                level_style += self.get_component_rich_style(style, partial=True)
            text.append(f"{level:<7} ", style=level_style)
            text.append(message, style=self.get_component_rich_style(style, partial=True) if style else "")
            if len(self._cache) > 2_000:
                self._cache.clear()
            self._cache[number] = text
        return text

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        index = self.scroll_offset.y + y
        if index >= len(self.rows):
            return Strip.blank(width, base)
        text = self._line(self.rows[index]).copy()
        text.truncate(width, overflow="ellipsis")
        segments = [Segment(s.text, base + s.style if s.style else base)
                    for s in text.render(self.app.console, end="")]
        strip = Strip(segments).extend_cell_length(width, base).crop(0, width)
        if index == self.cursor:
            cursor = self.get_component_rich_style("event-log--cursor")
            strip = strip.apply_style(cursor)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # -- keys ------------------------------------------------------------------------

    def _follow(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            self.post_message(self.FollowChanged(following))

    def _go(self, index: int) -> None:
        if not self.rows:
            return
        old = self.cursor
        self.cursor = max(0, min(len(self.rows) - 1, index))
        # Auto-scroll pauses only when the admin moves away from the last line.
        self._follow(self.cursor == len(self.rows) - 1)
        top, height = self.scroll_offset.y, self.size.height
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True, force=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True, force=True)
        for row in (old, self.cursor):
            self.refresh(Region(0, row - self.scroll_offset.y, self.size.width, 1))

    def action_move(self, step: int) -> None:
        self._go(self.cursor + step)

    def action_page(self, step: int) -> None:
        self._go(self.cursor + step * max(1, self.size.height - 1))

    def action_first(self) -> None:
        self._go(0)

    def action_last(self) -> None:
        self._go(len(self.rows) - 1)

    def action_detail(self) -> None:
        event = self.selected
        if event is not None:
            self.post_message(self.Selected(event))

    def on_mouse_scroll_up(self) -> None:
        # Scrolling up with the wheel is moving away from the end, too.
        self._follow(False)
