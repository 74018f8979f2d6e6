"""The ``nstui`` command: the console, and the headless commands around it.

Conventions: results on stdout (``--json``: one JSON object, or one per line
for a stream); events, progress and diagnostics on stderr.

Exit codes (documented in the README):
  0  success
  1  a sync finished but some records failed (``status --check``: a data set is overdue)
  2  bad configuration or bad usage; a saved plan refused by `apply`
  3  another sync holds the run lock
  4  a remote system refused our credentials or could not be reached
  130 interrupted
  141 the output was closed early (`| head`): 128 + SIGPIPE, as the shell shows a program SIGPIPE ended
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from nstui import __version__
from nstui.config import ConfigError, ConfigFile, default_config_path, parse_cli_value
from nstui.sanitize import clean

EXIT_OK = 0
EXIT_RECORDS_FAILED = 1
EXIT_BAD_CONFIG = 2
EXIT_LOCKED = 3
EXIT_REMOTE = 4
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141


def output_closed() -> int:
    """The reader of our output went away (`nstui status | head -3`): stop
    quietly. Later writes (and the interpreter's final flush) go nowhere."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_CONFIG):
        super().__init__(message)
        self.code = code


def _config_arg(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    # Accepted before or after the command; a subcommand's copy must not reset
    # a value given before it, hence SUPPRESS below the top level.
    p.add_argument(
        "--config", "-c", type=Path, default=None if top else argparse.SUPPRESS,
        help="configuration file (default: $NSTUI_CONFIG, then ./nstui.toml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nstui",
        description="NetSuite <-> email-marketing connector: the console, and headless sync.",
        epilog="Without a command, nstui opens the console on the configuration file.",
    )
    _config_arg(parser, top=True)
    parser.add_argument("--version", action="version", version=f"nstui {__version__}")
    parser.add_argument("--theme", help="console theme (nstui-dark, nstui-light, ansi-dark, ansi-light)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check a configuration file; exit 0 when valid, 2 otherwise")
    _config_arg(p)
    p.add_argument("path", nargs="?", type=Path, help="the file (same as --config)")
    p.add_argument("--json", action="store_true",
                   help='print {"path", "valid", "problems"} as JSON on stdout (exit codes unchanged)')

    p = sub.add_parser("config", help="read or change one setting by dotted key")
    _config_arg(p)
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    g = csub.add_parser("get", help="print the value of KEY (defaults included)")
    _config_arg(g)
    g.add_argument("key", help="dotted key, e.g. optins.global_status.direction")
    g.add_argument("--json", action="store_true", help="print as JSON")
    s = csub.add_parser("set", help="set KEY to VALUE; refused (file untouched) if the result is invalid")
    _config_arg(s)
    s.add_argument("key", help="dotted key, e.g. optins.global_status.soft_opt_in_status")
    s.add_argument("value", help='TOML value: true, 3, "text", ["a", "b"]; a bare word is a string')
    csub.add_parser("sample", help="print the sample configuration shipped with nstui (start from it: > nstui.toml)")

    from nstui import cli_commands

    cli_commands.add_parsers(sub, _config_arg)
    return parser


def _config_path(args: argparse.Namespace) -> Path:
    path = getattr(args, "path", None) or args.config
    return Path(path) if path else default_config_path()


def load_config(args: argparse.Namespace) -> ConfigFile:
    return ConfigFile.load(_config_path(args))


def cmd_validate(args: argparse.Namespace) -> int:
    if not args.json:
        cfg = load_config(args)
        print(f"{cfg.path}: valid")
        return EXIT_OK
    path = _config_path(args)
    try:
        ConfigFile.load(path)
    except ConfigError as e:
        print(json.dumps({"path": str(e.path), "valid": False, "problems": e.lines()}))
        return EXIT_BAD_CONFIG
    print(json.dumps({"path": str(path), "valid": True, "problems": []}))
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    if args.config_command == "sample":
        from importlib.resources import files

        sys.stdout.write((files("nstui") / "sample_config.toml").read_text(encoding="utf-8"))
        return EXIT_OK
    cfg = load_config(args)
    if args.config_command == "get":
        value = cfg.get(args.key)
        if args.json or isinstance(value, (dict, list)):
            print(json.dumps(value, indent=2 if isinstance(value, (dict, list)) else None))
        else:
            print("" if value is None else value)
        return EXIT_OK
    new_value: Any = parse_cli_value(args.value)
    before = cfg.dumps()
    cfg.set(args.key, new_value)
    if cfg.dumps() != before:
        cfg.save()
    print(f"{cfg.path}: {args.key} = {json.dumps(cfg.get(args.key))}")
    return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return cmd_validate(args)
    if args.command == "config":
        return cmd_config(args)
    from nstui import cli_commands

    return cli_commands.dispatch(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as e:
        for line in e.lines():
            print(line, file=sys.stderr)
        return EXIT_BAD_CONFIG
    except CliError as e:
        print(f"nstui: {clean(e, 1000)}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("nstui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return output_closed()
    except OSError as e:  # a configured path that cannot be used (state file, sandbox or lock folder)
        where = f"{e.filename}: " if e.filename else ""
        print(f"nstui: cannot use {clean(where, 300)}{clean(e.strerror or e, 300)}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    except Exception as e:  # the last line of defence: no traceback reaches a user
        code = getattr(e, "exit_code", None)  # errors that know their exit code (state version)
        if isinstance(code, int):
            print(f"nstui: {e}", file=sys.stderr)
            return code
        if os.environ.get("NSTUI_DEBUG"):
            raise
        print(f"nstui: unexpected error: {e.__class__.__name__}: {clean(e)} (set NSTUI_DEBUG=1 for details)",
              file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
