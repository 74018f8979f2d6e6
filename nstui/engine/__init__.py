"""The sync engine. It knows nothing of Textual and never prints: it
publishes typed events (``nstui.engine.events``)."""

from typing import Any

from nstui.engine.errors import EngineError, LockedError, SafetyStop

__all__ = ["Engine", "EngineError", "LockedError", "SafetyStop"]


def __getattr__(name: str) -> Any:
    # The runner pulls in both clients; importing the events or the rules
    # alone (the console, the tests of plain rules) should not.
    if name == "Engine":
        from nstui.engine.runner import Engine

        return Engine
    raise AttributeError(name)
