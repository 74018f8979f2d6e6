"""Subcommands that need the sandboxes, the engine or the console.

Kept apart from cli.py so that `nstui validate` and `nstui config` start fast
and never import the engine or Textual.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable


def add_parsers(sub: Any, config_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    pass


def dispatch(args: argparse.Namespace) -> int:
    from nstui.cli import CliError

    raise CliError("no command given; see `nstui --help`")
