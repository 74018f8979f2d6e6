"""The screens' footer: Textual's, rebuilt only when the keys it shows change.

Textual's Footer removes and mounts all its keys (about 15 widgets) whenever
the screen's bindings are updated, which happens on every screen switch and
every focus change even when the keys shown are the same: ~100 ms of the
~140 ms a switch between screens 1 and 2 cost (CPU, measured with
`bench/console.py`'s switch loop in a pilot). Same keys: nothing is rebuilt.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _shown: tuple[Any, ...] | None = None

    def _keys(self, screen: Screen[Any]) -> tuple[Any, ...]:
        """What the footer draws from the bindings: key, label, action, enabled, tooltip."""
        return tuple((self.app.get_key_display(binding), binding.key, binding.action, binding.description,
                      binding.group, enabled, tooltip)
                     for (_, binding, enabled, tooltip) in screen.active_bindings.values() if binding.show)

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._shown = self._keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if (self._bindings_ready and self.is_attached and screen is self.screen and self._shown is not None
                and self._keys(screen) == self._shown):
            return
        super().bindings_changed(screen)
