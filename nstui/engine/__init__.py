"""The sync engine. It knows nothing of Textual and never prints: it
publishes typed events (``nstui.engine.events``)."""

from nstui.engine.errors import EngineError, LockedError, SafetyStop
from nstui.engine.runner import Engine

__all__ = ["Engine", "EngineError", "LockedError", "SafetyStop"]
