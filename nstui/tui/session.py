"""The configuration being edited in the console.

Every edit is made on a copy of the model and adopted only when the whole
configuration still validates (cross-field rules included); otherwise it is
refused with the validator's message and nothing changes. ``dirty`` compares
the document with what is on disk, so undoing an edit by hand clears it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from nstui.config import Config, ConfigError, ConfigFile, describe_validation_error


class EditRefused(Exception):
    """An edit the configuration does not allow; the message says why."""


class Session:
    def __init__(self, path: Path):
        self.cfg = ConfigFile.load(path)
        self.saved_text = self.cfg.path.read_text(encoding="utf-8")
        #: The mapping row last selected on the Campaign Subscriptions screen.
        self.selected_mapping: int | None = None

    @property
    def model(self) -> Config:
        return self.cfg.model

    @property
    def dirty(self) -> bool:
        return self.cfg.dumps() != self.saved_text

    def edit(self, change: Callable[[Config], None]) -> None:
        """Apply ``change`` to a copy; adopt it if valid, else raise EditRefused."""
        self._refused(lambda: self.cfg.update(self._changed(change)))

    def check(self, change: Callable[[Config], None]) -> None:
        """Raise EditRefused if ``edit(change)`` would be refused; change nothing."""
        self._refused(lambda: Config.model_validate(self._changed(change).model_dump(mode="json", exclude_none=True)))

    def _changed(self, change: Callable[[Config], None]) -> Config:
        working = self.cfg.model.model_copy(deep=True)
        change(working)
        return working

    @staticmethod
    def _refused(step: Callable[[], object]) -> None:
        try:
            step()
        except ValidationError as e:
            raise EditRefused(_lines(describe_validation_error(e))) from None
        except ConfigError as e:
            raise EditRefused(_lines(e.problems)) from None
        except ValueError as e:
            raise EditRefused(str(e)) from None

    def save(self) -> None:
        self.cfg.save()
        self.saved_text = self.cfg.dumps()

    def recovery_path(self) -> Path:
        return self.cfg.path.with_name(self.cfg.path.name + ".recovery")

    def write_recovery(self) -> Path | None:
        """Unsaved edits go next to the config, never into it."""
        if not self.dirty:
            return None
        path = self.recovery_path()
        path.write_text(self.cfg.dumps(), encoding="utf-8")
        return path


def _lines(problems: list[str]) -> str:
    """One line per problem. A rule across fields (raised while a value is
    assigned) has no key of its own; its message names the fields."""
    return "\n".join(p.removeprefix("(top level): ") for p in problems)
