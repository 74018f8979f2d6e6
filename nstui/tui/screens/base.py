"""What every screen of the console shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from rich.style import Style
from textual import events
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Header

from nstui.tui.session import EditRefused
from nstui.tui.widgets.footer import Footer

if TYPE_CHECKING:
    from nstui.tui.app import NstuiApp


class BaseScreen(Screen[None]):
    @property
    def nstui(self) -> "NstuiApp":
        return self.app  # type: ignore[return-value]

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Textual's own handler (the most derived class first).
        # Textual re-applies the stylesheet to every widget of a screen shown
        # again (~240 on screen 5: ~150 ms CPU a switch, most of it). Nothing
        # changes a hidden screen's styles but a theme or CSS change, and that
        # restyles every screen (App.refresh_css, and switch_mode when the
        # screen missed one); Textual itself skips it for an opaque modal's return.
        event.refresh_styles = False

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        # Messages carry names from the admin and the remote systems: a list
        # called "[VIP]" is text, not markup.
        self.app.notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def edit(self, change: Callable[..., None], done: str | None = None) -> bool:
        """Apply a change to the configuration, or refuse it in place."""
        try:
            self.nstui.session.edit(change)
        except EditRefused as e:
            self.notify(str(e), title="Not allowed", severity="error", timeout=8)
            return False
        self.nstui.refresh_title()
        if done:
            self.notify(done, timeout=3)
        return True

    def try_edit(self, change: Callable[..., None], done: str | None = None) -> str | None:
        """Apply a change; None when done, else why not (one line per problem),
        for a form that shows the refusal in place and stays open."""
        try:
            self.nstui.session.edit(change)
        except EditRefused as e:
            return str(e)
        self.nstui.refresh_title()
        if done:
            self.notify(done, timeout=3)
        return None

    def account_facts(self, side: str) -> tuple[Any, str]:
        """What one connected account has (``netsuite``: NetSuiteFacts,
        ``marketing``: MarketingFacts), or None and why not."""
        return account_facts(self.nstui, side)

    def tone(self, name: str) -> Style:
        """The theme's text colour for ``name`` (success, warning, error, muted):
        fixed colour names ("yellow") read at 2:1 on a light background."""
        return Style(color=self.app.theme_variables.get(f"text-{name}"))

    def header(self) -> Header:
        return Header(show_clock=False, icon="")

    def footer(self) -> Footer:
        # Compact, and no palette entry: the screen's keys, the screens, help, save
        # and quit fit at 80 columns (`?` tells of ctrl+p).
        return Footer(compact=True, show_command_palette=False)


def account_facts(app: "NstuiApp", side: str) -> tuple[Any, str]:
    name = "NetSuite" if side == "netsuite" else "the marketing platform"
    facts = app.facts
    if facts is None:
        return None, f"reading {name}..."
    got = facts.netsuite if side == "netsuite" else facts.marketing
    if got is None:
        return None, f"unchecked: {name} could not be read"
    return got, ""
