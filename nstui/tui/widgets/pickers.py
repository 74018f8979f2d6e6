"""A drop-down whose type-to-search looks only at the choices.

Textual's Select puts its prompt ("Pick a list") first in the overlay, and
its search prefers the earliest match: typing "P" for "Promotions" landed
on the prompt itself.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Select
from textual.widgets._select import SelectCurrent, SelectOverlay


class _ChoicesOverlay(SelectOverlay):
    def __init__(self, type_to_search: bool = True, *, skip_first: bool = False) -> None:
        super().__init__(type_to_search=type_to_search)
        self._skip_first = skip_first

    def _find_search_match(self, query: str) -> int | None:
        best, best_at = None, None
        query = query.lower()
        for index, option in enumerate(self._options):
            if index == 0 and self._skip_first:
                continue  # the prompt, not a choice
            prompt = option.prompt
            text = getattr(prompt, "plain", prompt)
            if not isinstance(text, str):
                continue
            at = text.lower().find(query)
            if at != -1 and (best_at is None or at < best_at):
                best, best_at = index, at
        return best


class Picker(Select[Any]):
    def compose(self) -> ComposeResult:
        yield SelectCurrent(self.prompt)
        yield _ChoicesOverlay(type_to_search=self._type_to_search, skip_first=self._allow_blank).data_bind(
            compact=Select.compact)
