"""The nstui console: wires the screens, the session and the engine together."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from nstui.account_facts import Facts
from nstui.engine import events as ev
from nstui.keys import key
from nstui.tui.event_store import EventStore
from nstui.tui.screens.campaign_subscriptions import CampaignSubscriptionsScreen
from nstui.tui.session import EditRefused, Session
from nstui.tui.themes import load_themes
from nstui.tui.widgets.modals import ConfirmModal

if TYPE_CHECKING:
    from nstui.tui.sync_process import SyncProcess

SCREENS = {
    "subscriptions": ("1", "Campaign Subscriptions"),
    "global": ("2", "Global Subscription Status"),
    "directions": ("3", "Direction choices"),
    "log": ("4", "Sync log"),
    "connection": ("5", "Connection and data sets"),
}


SCREENS_GROUP = Binding.Group("Screens", compact=True)

#: Screen actions that the palette offers already under their own names.
IN_PALETTE_ALREADY = {"run", "dry_run", "cancel", "test_netsuite", "test_marketing", "field_mappings"}


class NstuiApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "nstui"
    # Screens 2-5 are imported when first shown: screen 1 is drawn sooner.
    MODES = {
        "subscriptions": CampaignSubscriptionsScreen,
        "global": lambda: _screen("global_status", "GlobalStatusScreen"),
        "directions": lambda: _screen("directions", "DirectionsScreen"),
        "log": lambda: _screen("sync_log", "SyncLogScreen"),
        "connection": lambda: _screen("connection", "ConnectionScreen"),
    }
    DEFAULT_MODE = "subscriptions"
    BINDINGS = [
        # One footer entry "12345 Screens" for the five: the screen's own keys,
        # save, help and quit fit at 80 columns; ? lists every key.
        *[Binding(key(f"screen-{mode}"), f"switch_mode('{mode}')", title, id=f"screen-{mode}", group=SCREENS_GROUP)
          for mode, (_, title) in SCREENS.items()],
        Binding(key("help"), "help", "Keys", id="help"),
        Binding(key("save"), "save", "Save", id="save", priority=True),
        Binding(key("quit"), "quit_app", "Quit", id="quit"),
        Binding(key("quit-ctrl"), "quit_app", "Quit", id="quit-ctrl", show=False, priority=True),
    ]

    def __init__(self, config_path: Path, *, theme: str | None = None, watch_hangup: bool = False,
                 colors: str | None = None, demo: bool = False, premount: bool | None = None):
        super().__init__()
        self.demo = demo
        #: Mount screens 2-5 in the background once screen 1 is drawn (default: not
        #: under App.run_test, where each test pays only for the screens it shows).
        self.premount = premount
        self._premounted = False
        self._mounting: asyncio.Future[None] | None = None
        self._sandboxes: asyncio.Future[None] | None = None
        #: "16", "256" or "truecolor": what the terminal shows (TERM=xterm over SSH: 16).
        self.color_depth = colors or {"standard": "16", "windows": "16", "256": "256"}.get(
            self.console.color_system or "", "truecolor")
        self.watch_hangup = watch_hangup
        self.hung_up = False
        self.session = Session(config_path)
        self.events = EventStore()
        self.bus = ev.EventBus()
        self.bus.listen(self.events)
        self._requested_theme = theme
        self._subscriptions: list[str] = []
        self._lists: list[str] = []
        #: What the connected accounts have (the pickers' values); None until read.
        self.facts: Facts | None = None
        self._cancel: threading.Event | None = None
        self._sync_worker: Worker[ev.RunSummary | None] | None = None
        self._sync_process: SyncProcess | None = None
        self.animation_level = "none"  # every redraw crosses the network over SSH

    # -- start-up ------------------------------------------------------------------

    def on_mount(self) -> None:
        # The [keys] table (validated with the configuration): the footer, the
        # ? screen and the bindings all follow it.
        self.set_keymap(dict(self.session.model.keys))
        for theme in load_themes(self.color_depth):
            self.register_theme(theme)
        wanted = self._requested_theme or self.session.model.tui.theme
        for name in (wanted, "nstui-dark", "textual-dark"):
            if name in self.available_themes:
                self.theme = name
                break
        if wanted and self.theme != wanted:
            self.notify(f"No theme {wanted!r}; themes: {', '.join(sorted(self.available_themes))}",
                        severity="warning")
        self.refresh_title()
        # Drawn first; the sandboxes (generated on a demo's first start) and
        # the pickers' remote data come after, off the event loop.
        self.call_after_refresh(self.ensure_remote)
        if self.watch_hangup:
            # Through the event loop, so that it wakes up: a plain signal
            # handler would run only when some other event arrives.
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._hang_up)
            # SIGHUP does not always come (under make, the session leader gets
            # it); a hung-up terminal is no longer a terminal. Textual's input
            # thread would read its end of file forever.
            if _stdin_is_terminal():
                self.set_interval(1.0, self._check_terminal)

    def on_unmount(self) -> None:
        self._stop_run()  # a run in progress stops after its page when the console goes away
        if self.watch_hangup:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)

    def _check_terminal(self) -> None:
        if not self.hung_up and not _stdin_is_terminal():
            self._hang_up()

    def _hang_up(self) -> None:
        self.hung_up = True
        self._stop_run()
        self.exit(129)

    def _leave(self) -> None:
        self._stop_run()  # a run stops after its current page; the console closes
        self.exit(0)

    def exit(self, result: int | None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        if self._mounting is not None and not self._mounting.done():
            # A screen torn down while it mounts in the background makes
            # Textual's Select fail (NoMatches, a traceback on the way out):
            # that one screen's mount (well under a second) is let finish.
            self._mounting.add_done_callback(lambda _: super(NstuiApp, self).exit(result, return_code, message))
            return
        super().exit(result, return_code, message)

    def _stop_run(self) -> None:
        """Ask the run in progress to stop after its page."""
        if self._cancel is not None:
            self._cancel.set()
        if self._sync_process is not None:
            self._sync_process.cancel()

    def open_field_mappings(self) -> None:
        from nstui.tui.screens.field_mappings import FieldMappingsScreen

        self.push_screen(FieldMappingsScreen())

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        # Names from the admin and the remote systems are text, never markup.
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def refresh_title(self) -> None:
        mark = " [modified]" if self.session.dirty else ""
        self.title = f"nstui - {self.session.cfg.path.name}{mark}"
        self.sub_title = "unsaved changes: ctrl+s saves" if mark else ""

    def format_title(self, title: str, sub_title: str) -> Content:
        # Textual dims the sub-title ("unsaved changes: ctrl+s saves") to 2:1 on a light header.
        return Content.assemble(Content(title), " - ", Content(sub_title)) if sub_title else Content(title)

    def watch_theme(self, theme: str) -> None:
        # The choice is remembered in the config (saved with ctrl+s).
        if theme and self.session.model.tui.theme != theme:
            try:
                self.session.edit(lambda m: setattr(m.tui, "theme", theme))
            except EditRefused:
                return
            self.refresh_title()

    # -- remote data for the pickers ----------------------------------------------------

    def ensure_remote(self) -> None:
        if self.facts is None or self.facts.problems:
            self.run_worker(self._load_remote(), group="remote", exclusive=True, exit_on_error=False)

    async def sandboxes_ready(self) -> None:
        """The embedded sandboxes exist (generated in a thread the first time)."""
        if self._sandboxes is None:
            self._sandboxes = asyncio.ensure_future(asyncio.to_thread(self._generate_sandboxes))
        await asyncio.shield(self._sandboxes)

    def _generate_sandboxes(self) -> None:
        from nstui.connections import embedded, open_sandboxes

        if any(embedded(self.session.cfg)) and not (self.session.cfg.sandbox_dir / "netsuite.sqlite").exists():
            open_sandboxes(self.session.cfg).close()

    async def _load_remote(self) -> None:
        from nstui.account_facts import read_facts

        try:
            await self.sandboxes_ready()
            # On a thread with its own event loop, like a sync: the embedded
            # sandboxes answer there, never between two of the admin's keys.
            facts = await asyncio.to_thread(asyncio.run, read_facts(self.session.cfg))
        except Exception as e:  # noqa: BLE001 (shown, never a crash: the admin can still edit by hand)
            facts = Facts(problems={"netsuite": str(e), "marketing": str(e)})
        self.facts = facts
        if facts.netsuite is not None:
            self._subscriptions = list(facts.netsuite.subscriptions)
        if facts.marketing is not None:
            self._lists = list(facts.marketing.lists)
        for side, problem in facts.problems.items():
            name = "NetSuite" if side == "netsuite" else "the marketing platform"
            self.notify(f"Could not read {name}: {problem}. Names typed for it are not checked.",
                        severity="warning", timeout=8)
        for screen in self.screen_stack:
            changed = getattr(screen, "facts_changed", None)
            if changed is not None:
                changed()
        self._mount_screens()

    def _mount_screens(self) -> None:
        """Mount screens 2-5 now, in the background, so that showing one is a
        switch (~15-60 ms CPU), not a first mount (120-320 ms CPU: imports,
        stylesheets, layout) in the middle of a sync. After the pickers'
        remote data, which screen 2 shows."""
        if self._premounted or not (self.premount if self.premount is not None else not self.is_headless):
            return
        self._premounted = True

        async def mount_one(mode: str) -> None:
            await self._init_mode(mode)
            # Styled as it mounted, with the CSS as it is now: the switch need
            # not re-read the whole stylesheet (~150 ms CPU), as it does for a
            # screen it has not seen styled.
            self._screen_stacks[mode][0]._css_update_count = self._css_update_count

        async def mount() -> None:
            # Textual has no public call that mounts a mode's screen without
            # showing it; should its internals change, this fails in its worker
            # (not exiting) and the screens are mounted when first shown, as before.
            for mode in self.MODES:
                if mode not in self._screen_stacks and not self._exit:  # not shown yet
                    self._mounting = asyncio.ensure_future(mount_one(mode))
                    await asyncio.shield(self._mounting)
                    await asyncio.sleep(0.05)  # a key pressed meanwhile is answered between two screens

        self.run_worker(mount(), group="screens", exit_on_error=False)

    def subscription_names(self) -> list[str]:
        mapped = [m.netsuite_subscription for m in self.session.model.optins.campaign_subscriptions]
        return list(dict.fromkeys(self._subscriptions + mapped))

    def list_names(self) -> list[str]:
        mapped = [m.list for m in self.session.model.optins.campaign_subscriptions]
        return sorted(set(self._lists + mapped))

    async def create_list(self, name: str) -> str | None:
        from nstui.connections import open_connections

        try:
            await self.sandboxes_ready()
            async with open_connections(self.session.cfg) as conn:
                made = await conn.marketing.create_list(name)
        except Exception as e:  # noqa: BLE001 (shown, never a crash)
            if "ERROR_ADDRESSBOOK_DUPLICATE" in (f"{getattr(e, 'code', '')} {e}"):
                # Created meanwhile elsewhere (another console, the platform's own UI): say so in words.
                self._lists = sorted(set(self._lists) | {name})
                self.notify(f"List not created: the marketing platform has a list named {name!r} already; "
                            "pick it in the list field", severity="error", timeout=8)
            else:
                self.notify(f"List not created: {e}", severity="error", timeout=8)
            return None
        self._lists = sorted(set(self._lists) | {made.name})
        self.notify(f"List {made.name!r} created")
        return made.name

    async def ping(self, side: str) -> str:
        from nstui.connections import open_connections

        await self.sandboxes_ready()
        async with open_connections(self.session.cfg) as conn:
            return await (conn.netsuite.ping() if side == "netsuite" else conn.marketing.ping())

    # -- syncs ------------------------------------------------------------------------

    def sync_state(self) -> str:
        if self._sync_worker is not None and self._sync_worker.state == WorkerState.RUNNING:
            return "A run is in progress (x cancels after the current page)."
        s = self.events.last_summary
        if s is None:
            return "No run yet: r runs a sync, p a dry run."
        t = s.total
        kind = "Dry run" if s.dry_run else "Last run"
        if s.cancelled:
            kind = f"{kind} (cancelled after a page)"
        return (f"{kind}: {t.created} created, {t.updated} updated, {t.deleted} deleted, "
                f"{t.status_changes} status, {t.list_changes} lists, {t.skipped_total} skipped, {t.errors} errors")

    def start_sync(self, *, dry_run: bool) -> None:
        if self._sync_worker is not None and self._sync_worker.state == WorkerState.RUNNING:
            self.notify("A run is already in progress.", severity="warning")
            return
        self._cancel = threading.Event()
        self._sync_worker = self.run_worker(self._sync(dry_run, self._cancel), group="sync", exclusive=True,
                                            exit_on_error=False)

    async def _sync(self, dry_run: bool, cancel: threading.Event) -> ev.RunSummary | None:
        from nstui.tui.sync_process import SyncFailed, SyncProcess

        if self.session.dirty:
            self.bus.publish(ev.Warning_(text="this run uses the unsaved configuration shown here"))
        await self.sandboxes_ready()
        # The engine in a process of its own (sync_process.py says why); the
        # unsaved configuration shown here is what it runs.
        run = await asyncio.to_thread(SyncProcess, str(self.session.cfg.path), self.session.cfg.dumps(),
                                      dry_run=dry_run)
        self._sync_process = run
        if cancel.is_set():
            run.cancel()
        try:
            return await asyncio.to_thread(run.wait, self.bus.publish)
        except SyncFailed as e:
            self.notify(str(e), severity="error", timeout=10)
            self.bus.publish(ev.Error(text=str(e)))
            return None
        finally:
            self._sync_process = None

    def cancel_sync(self) -> None:
        if self._sync_worker is None or self._sync_worker.state != WorkerState.RUNNING:
            self.notify("No run in progress: nothing to cancel.", severity="warning")
        elif self._cancel is not None and not self._cancel.is_set():
            self._stop_run()
            self.notify("Cancelling after the current page...")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._sync_worker:
            self.events.poke()  # the log's panel says whether a run is in progress

    # -- save and quit ------------------------------------------------------------------

    def action_save(self) -> None:
        try:
            self.session.save()
        except OSError as e:
            self.notify(f"Not saved: {e}", severity="error", timeout=10)
            return
        self.refresh_title()
        where = (" (a demo: its folder is deleted when the console closes; `nstui demo --keep` keeps it)"
                 if self.demo else "")
        self.notify(f"Saved {self.session.cfg.path}{where}")

    async def action_quit(self) -> None:
        # The palette's "Quit" too asks before unsaved edits are dropped.
        self.action_quit_app()

    def action_help(self) -> None:
        from nstui.tui.widgets.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        title = next((t for m, (_, t) in SCREENS.items() if self.current_mode == m and len(self.screen_stack) == 1),
                     None)
        self.push_screen(HelpScreen(self.screen, str(title or getattr(self.screen, "TITLE_TEXT", "this screen"))))

    def action_quit_app(self) -> None:
        if not self.session.dirty:
            self._leave()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._leave()

        self.push_screen(ConfirmModal("There are unsaved changes. Quit without saving?", "Quit", "Stay"), answered)

    # -- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> list[SystemCommand]:
        commands = list(super().get_system_commands(screen))
        for mode, (_, title) in SCREENS.items():
            shown = self._keymap.get(f"screen-{mode}", key(f"screen-{mode}"))
            commands.append(SystemCommand(f"{shown} {title}", f"Switch to the {title} screen",
                                          lambda m=mode: self.switch_mode(m)))
        commands += [
            SystemCommand("Save", "Save the configuration (ctrl+s)", self.action_save),
            SystemCommand("Run sync", "Run a sync of the due data sets now (r on screen 4)",
                          lambda: self.start_sync(dry_run=False)),
            SystemCommand("Dry run", "Plan a sync and show it, writing nothing (p on screen 4)",
                          lambda: self.start_sync(dry_run=True)),
            SystemCommand("Cancel run", "Stop the run after its current page (x on screen 4)", self.cancel_sync),
            SystemCommand("Test NetSuite connection", "A signed request to NetSuite (t on screen 5)",
                          lambda: self.run_worker(self._palette_ping("netsuite"), exit_on_error=False)),
            SystemCommand("Test marketing connection", "A request to the marketing platform (m on screen 5)",
                          lambda: self.run_worker(self._palette_ping("marketing"), exit_on_error=False)),
            SystemCommand("Field mappings", "NetSuite field -> marketing field of each data set (f on screen 5)",
                          self.open_field_mappings),
        ]
        return commands + self._screen_commands(screen, {c.title for c in commands})

    def _screen_commands(self, screen: Screen[Any], taken: set[str]) -> list[SystemCommand]:
        """The actions of the screen on show, each as a palette entry too."""
        where = re.sub(r"(?<!^)(?=[A-Z])", " ", type(screen).__name__.removesuffix("Screen"))
        out: list[SystemCommand] = []
        for binding in getattr(screen, "BINDINGS", []):
            if (not isinstance(binding, Binding) or not binding.description or binding.key == "escape"
                    or binding.description in taken or binding.action in IN_PALETTE_ALREADY):
                continue
            pressed = self._keymap.get(binding.id, binding.key) if binding.id else binding.key
            out.append(SystemCommand(f"{where}: {binding.description}", f"{pressed.split(',')[0]} on this screen",
                                     lambda action=binding.action: self.call_later(screen.run_action, action)))
        return out

    async def _palette_ping(self, side: str) -> None:
        try:
            self.notify(await self.ping(side))
        except Exception as e:  # noqa: BLE001 (shown, never a crash)
            self.notify(str(e), severity="error", timeout=8)


def _screen(module: str, name: str) -> Screen[Any]:
    from importlib import import_module

    screen: Screen[Any] = getattr(import_module(f"nstui.tui.screens.{module}"), name)()
    return screen


def _stdin_is_terminal() -> bool:
    stdin = sys.__stdin__
    try:
        return stdin is not None and os.isatty(stdin.fileno())
    except (OSError, ValueError):  # closed
        return False
