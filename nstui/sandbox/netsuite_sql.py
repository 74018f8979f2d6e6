"""SuiteQL on SQLite: the sandbox runs the client's queries as real SQL.

Only what must be is translated:
- Oracle functions SuiteQL offers are SQLite functions here: TO_CHAR,
  TO_DATE, TO_TIMESTAMP, TO_NUMBER, NVL, NVL2, CONCAT (Oracle formats such as
  ``'YYYY-MM-DD"T"HH24:MI:SS'`` are understood);
- ``transaction``, a keyword to SQLite, is quoted where it is a bare word.

A query must be one SELECT; it runs under an authorizer that allows reading
and nothing else (no writes, no PRAGMA, no ATTACH, none of the sandbox's own
tables). Rows come back as NetSuite sends them: lower-case column names
(``exprN`` for an unnamed expression), every value as text, NULLs left out,
and a bare date/time column in NetSuite's default date format (M/D/YYYY),
which is why the client reads times through TO_CHAR.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
import threading
from typing import Any, Callable

from nstui.sandbox.netsuite_data import META_TABLE

_STORED_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) \d{2}:\d{2}:\d{2}$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMAT_TOKEN = re.compile(r'"[^"]*"|YYYY|YY|MM|MON|DD|HH24|HH12|HH|MI|SS|AM|PM|.', re.IGNORECASE)
_ORACLE_TO_PY = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "MON": "%b", "DD": "%d", "HH24": "%H",
                 "HH12": "%I", "HH": "%I", "MI": "%M", "SS": "%S", "AM": "%p", "PM": "%p"}


class SuiteQLError(Exception):
    """The query cannot run; the message is NetSuite's "search error" text."""


# ---------------------------------------------------------------------------
# Oracle functions
# ---------------------------------------------------------------------------


def py_format(oracle: str) -> str:
    out = []
    for token in _FORMAT_TOKEN.findall(oracle):
        if token.startswith('"'):
            out.append(token[1:-1].replace("%", "%%"))
        else:
            out.append(_ORACLE_TO_PY.get(token.upper(), token.replace("%", "%%")))
    return "".join(out)


def _parse_time(text: str, fmt: str | None) -> datetime:
    if fmt is None:
        return datetime.fromisoformat(text)
    return datetime.strptime(text, py_format(fmt))


def to_timestamp(text: Any, fmt: Any = None) -> str | None:
    if text is None:
        return None
    try:
        return _parse_time(str(text), fmt).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError(f"TO_TIMESTAMP/TO_DATE: {text!r} does not match the format {fmt!r}") from None


def to_char(value: Any, fmt: Any = None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and _STORED_TIME.match(value):
        moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        return moment.strftime(py_format(fmt)) if fmt else render(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_number(value: Any) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


_failure = threading.local()


def _keep_message(fn: Callable[..., Any]) -> Callable[..., Any]:
    """sqlite3 replaces a function's exception with a generic one; keep its text."""
    def wrapped(*args: Any) -> Any:
        try:
            return fn(*args)
        except (ValueError, TypeError) as e:
            _failure.message = str(e)
            raise
    return wrapped


def register_functions(conn: sqlite3.Connection) -> None:
    ts, ch, num = _keep_message(to_timestamp), _keep_message(to_char), _keep_message(to_number)
    conn.create_function("TO_TIMESTAMP", 2, ts, deterministic=True)
    conn.create_function("TO_TIMESTAMP", 1, ts, deterministic=True)
    conn.create_function("TO_DATE", 2, ts, deterministic=True)
    conn.create_function("TO_DATE", 1, ts, deterministic=True)
    conn.create_function("TO_CHAR", 2, ch, deterministic=True)
    conn.create_function("TO_CHAR", 1, ch, deterministic=True)
    conn.create_function("TO_NUMBER", 1, num, deterministic=True)
    conn.create_function("NVL", 2, lambda a, b: b if a is None else a, deterministic=True)
    conn.create_function("NVL2", 3, lambda a, b, c: c if a is None else b, deterministic=True)
    conn.create_function("CONCAT", 2, lambda a, b: (a or "") + (b or "") if (a or b) else None,
                         deterministic=True)


# ---------------------------------------------------------------------------
# The query text
# ---------------------------------------------------------------------------


def _words(sql: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of every bare word outside literals, quoted names and comments."""
    words = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                raise SuiteQLError("a string literal is not closed")
            i = j + 1
        elif ch == '"':
            j = sql.find('"', i + 1)
            if j < 0:
                raise SuiteQLError("a quoted name is not closed")
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "_$#"):
                j += 1
            words.append((i, j, sql[i:j]))
            i = j
        elif ch == ";":
            words.append((i, i + 1, ";"))
            i += 1
        else:
            i += 1
    return words


def prepare(sql: str) -> str:
    """The SQLite text of a SuiteQL SELECT, or SuiteQLError."""
    text = sql.strip().rstrip(";").rstrip()
    if not text:
        raise SuiteQLError("the query is empty")
    words = _words(text)
    if not words or words[0][2].upper() != "SELECT":
        raise SuiteQLError("only SELECT statements can be run")
    if any(w == ";" for _, _, w in words):
        raise SuiteQLError("one statement only: ';' is not allowed")
    out, last = [], 0
    for start, end, word in words:
        if word.lower() == "transaction":
            out.append(text[last:start])
            out.append('"transaction"')
            last = end
    out.append(text[last:])
    return "".join(out)


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _source: str | None) -> int:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        table = (arg1 or "").lower()
        if table.startswith("sqlite_") or table.startswith("_") or table == META_TABLE:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


# ---------------------------------------------------------------------------
# Running a page
# ---------------------------------------------------------------------------


def render(value: Any) -> str:
    """A stored value as SuiteQL's REST answer shows it (always text)."""
    if isinstance(value, str):
        m = _STORED_TIME.match(value)
        if m:
            return f"{int(m.group(2))}/{int(m.group(3))}/{m.group(1)}"
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    return str(value)


def column_names(description: Any) -> list[str]:
    names = []
    for i, d in enumerate(description, start=1):
        name = d[0]
        names.append(name.lower() if _IDENT.match(name) else f"expr{i}")
    return names


def run_page(conn: sqlite3.Connection, sql: str, *, limit: int, offset: int,
             cap: int) -> tuple[list[dict[str, str]], int]:
    """(rows of one page, total rows of the query). Rows past ``cap`` are never
    returned, as NetSuite returns at most 100,000 rows of one query."""
    text = prepare(sql)
    take = max(0, min(limit, cap - offset))
    conn.set_authorizer(_authorize)
    _failure.message = None
    try:
        # newlines: a trailing "-- comment" must not swallow what follows
        total = conn.execute(f"SELECT COUNT(*) FROM ({text}\n)").fetchone()[0]
        cursor = conn.execute(f"{text}\nLIMIT ? OFFSET ?", (take, offset))
        names = column_names(cursor.description)
        rows = [{n: render(v) for n, v in zip(names, values) if v is not None} for values in cursor.fetchall()]
    except sqlite3.DatabaseError as e:
        message = str(e)
        if "not authorized" in message or "prohibited" in message:
            message = "only reading NetSuite's tables is allowed"
        elif "user-defined function raised exception" in message and getattr(_failure, "message", None):
            message = _failure.message
        raise SuiteQLError(message) from None
    except (ValueError, OverflowError) as e:  # from our functions
        raise SuiteQLError(str(e)) from None
    finally:
        conn.set_authorizer(None)
    return rows, total

