"""The console's keys by name, for the `[keys]` table of the TOML:

    [keys]
    save = "f2"
    "log.run" = "ctrl+r"

A name is a screen's action (``log.run``) or one of the whole console
(``save``); each gets one key or several separated by commas. The console
reads the defaults from here, so the table and the keys cannot drift apart.
Only keys every terminal and SSH client sends are allowed, and no key may do
two things on one screen.
"""

from __future__ import annotations

import re

#: name -> default key. "screen.action" belongs to one screen; plain names to every screen.
DEFAULTS: dict[str, str] = {
    "screen-subscriptions": "1", "screen-global": "2", "screen-directions": "3", "screen-log": "4",
    "screen-connection": "5", "help": "question_mark", "save": "ctrl+s", "quit": "q", "quit-ctrl": "ctrl+q",
    "subscriptions.add": "a", "subscriptions.edit": "enter", "subscriptions.delete": "d",
    "subscriptions.new_list": "n", "subscriptions.direction": "c",
    "global.direction": "c", "global.why": "w",
    "log.run": "r", "log.dry_run": "p", "log.cancel": "x", "log.search": "slash", "log.level": "l",
    "log.dataset": "s",
    "connection.test_netsuite": "t", "connection.test_marketing": "m", "connection.field_mappings": "f",
    "fields.add": "a", "fields.edit": "enter", "fields.delete": "d", "fields.dataset": "s",
}

NAMED = {"enter", "escape", "tab", "space", "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
         "delete", "backspace", "insert", "question_mark", "slash", "backslash", "minus", "plus", "equals_sign",
         "comma", "full_stop", "colon", "semicolon", "exclamation_mark", "number_sign", "asterisk"}
_KEY = re.compile(r"^(ctrl\+[a-z]|[a-z0-9]|f([1-9]|10)|[?/!#*+=,.:;-])$")
ALLOWED = ("letters, digits, f1-f10, ctrl+letter, enter, escape, tab, space, arrows, home, end, pageup, "
           "pagedown, ? / ! # * + = , . : ; -")


def key(name: str) -> str:
    return DEFAULTS[name]


def scope(name: str) -> str | None:
    return name.split(".", 1)[0] if "." in name else None


def problems(table: dict[str, str]) -> list[str]:
    """What is wrong with a `[keys]` table, one line per problem."""
    out = []
    for name, keys in table.items():
        if name not in DEFAULTS:
            out.append(f"{name}: no such action; actions: {', '.join(sorted(DEFAULTS))}")
            continue
        for k in (k.strip().lower() for k in str(keys).split(",")):
            if not (_KEY.match(k) or k in NAMED):
                out.append(f"{name}: {k!r} is not a key every terminal and SSH client sends; allowed: {ALLOWED}")
    if out:
        return out
    bound = {name: [k.strip().lower() for k in table.get(name, default).split(",")] for name, default in DEFAULTS.items()}
    screens = {s for n in DEFAULTS if (s := scope(n)) is not None}
    for screen in sorted(screens):
        seen: dict[str, str] = {}
        for name in (n for n in DEFAULTS if scope(n) in (None, screen)):
            for k in bound[name]:
                if k in seen and (name in table or seen[k] in table):
                    out.append(f"{name}: {k!r} is {seen[k]} already on that screen")
                seen.setdefault(k, name)
    return list(dict.fromkeys(out))
