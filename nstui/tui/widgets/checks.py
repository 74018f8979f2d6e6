"""Yes/no widgets whose state shows as a character, not only as a colour.

Textual's Checkbox and SelectionList draw the same "X" for on and off and
tell them apart by colour alone; with NO_COLOR, a monochrome terminal or a
screen reader over SSH, every box reads as ticked. Here off is a blank.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

ON, OFF = "X", " "


class YesNo(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 (Textual's name)
        return ON if self.value else OFF


class Checklist(SelectionList[str]):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 2:
            return strip
        mark = segments[1]
        segments[1] = Segment(ON if selection.value in self._selected else OFF, mark.style, mark.control)
        return Strip(segments, strip.cell_length)
