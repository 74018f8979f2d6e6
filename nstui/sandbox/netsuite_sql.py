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

import functools
import itertools
import re
import sqlite3
import threading
from datetime import datetime, timezone, tzinfo
from typing import Any, Callable

from nstui.sandbox.netsuite_data import INTERNAL_TABLES, META_TABLE

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


@functools.lru_cache(maxsize=256)
def py_format(oracle: str) -> str:
    """An Oracle date format as a strftime/strptime one (cached: a query
    passes the same literal format for every row)."""
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


def to_timestamp(text: Any, fmt: Any = None, zone: tzinfo | None = None) -> str | None:
    """A timestamp literal, read in the account's time zone (``zone``), as stored UTC text."""
    if text is None:
        return None
    try:
        moment = _parse_time(str(text), fmt)
    except ValueError:
        raise ValueError(f"TO_TIMESTAMP/TO_DATE: {text!r} does not match the format {fmt!r}") from None
    if zone is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@functools.lru_cache(maxsize=256)
def _has_time(fmt: str) -> bool:
    return any(t.upper() in ("HH24", "HH12", "HH", "MI", "SS") for t in _FORMAT_TOKEN.findall(fmt))


def to_char(value: Any, fmt: Any = None, zone: tzinfo | None = None) -> str | None:
    """NetSuite renders a time in the account's (the user's) time zone: a
    format with a time of day gets the stored UTC time moved into ``zone``; a
    date-only format (dates such as trandate) is left as it is."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 19 and _STORED_TIME.match(value):
        if not fmt:
            return render(value)
        # fromisoformat is C and checks the date as strptime did, ~20x cheaper per row
        moment = datetime.fromisoformat(value)
        if zone is not None and _has_time(fmt):
            moment = moment.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)
        return moment.strftime(py_format(fmt))
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


def register_functions(conn: sqlite3.Connection, zone: tzinfo | None = None) -> None:
    """The Oracle functions, with times read and written in ``zone`` (the
    account's time zone; None is UTC)."""
    ts = _keep_message(lambda text, fmt=None: to_timestamp(text, fmt, zone))
    ch = _keep_message(lambda value, fmt=None: to_char(value, fmt, zone))
    num = _keep_message(to_number)
    date = _keep_message(to_timestamp)
    conn.create_function("TO_TIMESTAMP", 2, ts, deterministic=True)
    conn.create_function("TO_TIMESTAMP", 1, ts, deterministic=True)
    conn.create_function("TO_DATE", 2, date, deterministic=True)
    conn.create_function("TO_DATE", 1, date, deterministic=True)
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


def _words(sql: str) -> list[tuple[int, int, str, int]]:
    """(start, end, word, parenthesis depth) of every bare word outside
    literals, quoted names and comments."""
    words = []
    i, n, depth = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch == "(":
            depth += 1
            i += 1
        elif ch == ")":
            depth -= 1
            i += 1
        elif ch == "'":
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
            words.append((i, j, sql[i:j], depth))
            i = j
        elif ch == ";":
            words.append((i, i + 1, ";", depth))
            i += 1
        else:
            i += 1
    return words


def prepare(sql: str) -> str:
    """The SQLite text of a SuiteQL SELECT, or SuiteQLError."""
    return _prepared(sql)[0]


def _prepared(sql: str) -> tuple[str, str | None]:
    """(the SQLite text of a SuiteQL SELECT, a cheaper query counting its rows
    or None), or SuiteQLError."""
    text = sql.strip().rstrip(";").rstrip()
    if not text:
        raise SuiteQLError("the query is empty")
    words = _words(text)
    if not words or words[0][2].upper() != "SELECT":
        raise SuiteQLError("only SELECT statements can be run")
    if any(w == ";" for _, _, w, _ in words):
        raise SuiteQLError("one statement only: ';' is not allowed")
    out, last, shift = [], 0, []
    for start, end, word, _ in words:
        if word.lower() == "transaction":
            out.append(text[last:start])
            out.append('"transaction"')
            last = end
            shift.append((end, 2))
    out.append(text[last:])
    prepared = "".join(out)

    def at(i: int) -> int:  # a position of ``text`` in ``prepared``
        return i + sum(n for end, n in shift if end <= i)
    return prepared, _count_query(prepared, [(at(s), at(e), w, d) for s, e, w, d in words])


_AGGREGATES = {"count", "sum", "avg", "min", "max", "listagg", "group_concat", "total", "median",
               "stddev", "variance", "string_agg"}
_KEEP_SELECT_LIST = {"distinct", "all", "unique", "union", "intersect", "except", "minus", "having",
                     "limit", "offset", "fetch", "window", "top"}


def _count_query(text: str, words: list[tuple[int, int, str, int]]) -> str | None:
    """``SELECT COUNT(*)`` of the query without its select list and ORDER BY:
    SQLite then counts through an index without computing a column (TO_CHAR
    is Python) or sorting, where the whole query cost ~17 µs a row. None where the select list decides the number of
    rows (DISTINCT, aggregates, set operations, a row limit): count it whole."""
    top = [(s, w.lower()) for s, _, w, d in words if d == 0]
    if any(w in _KEEP_SELECT_LIST for _, w in top):
        return None
    from_at = next((s for s, w in top if w == "from"), None)
    if from_at is None:
        return None
    if any(w.lower() in _AGGREGATES for s, _, w, _ in words if s < from_at):
        return None
    order_at = next((s for (s, w), (_, nxt) in itertools.pairwise(top) if w == "order" and nxt == "by"), len(text))
    if order_at < from_at:
        return None
    # LIMIT -1 (no limit) keeps the sub-query whole, so SQLite drops a LEFT
    # JOIN on a unique key that no column needs: ~65 ns a row at 20,000 rows
    return f"SELECT COUNT(*) FROM (SELECT 1 {text[from_at:order_at]}\nLIMIT -1)"


def _authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _source: str | None) -> int:
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        table = (arg1 or "").lower()
        if table.startswith(("sqlite_", "_")) or table == META_TABLE:
            return sqlite3.SQLITE_DENY
        if table in INTERNAL_TABLES:
            _failure.message = f"Record '{table}' was not found."
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


# ---------------------------------------------------------------------------
# Running a page
# ---------------------------------------------------------------------------


def render(value: Any) -> str:
    """A stored value as SuiteQL's REST answer shows it (always text)."""
    if isinstance(value, str):
        m = _STORED_TIME.match(value) if len(value) == 19 else None
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


def _count(conn: sqlite3.Connection, text: str, counting: str | None) -> int:
    if counting is not None:
        try:
            return int(conn.execute(counting).fetchone()[0])
        except sqlite3.OperationalError:
            pass  # e.g. WHERE naming a select-list alias, as SQLite allows: count it whole
    return int(conn.execute(f"SELECT COUNT(*) FROM ({text}\n)").fetchone()[0])


def run_page(conn: sqlite3.Connection, sql: str, *, limit: int, offset: int,
             cap: int) -> tuple[list[dict[str, str]], int]:
    """(rows of one page, total rows of the query). Rows past ``cap`` are never
    returned, as NetSuite returns at most 100,000 rows of one query."""
    text, counting = _prepared(sql)
    take = max(0, min(limit, cap - offset))
    conn.set_authorizer(_authorize)
    _failure.message = None
    try:
        # newlines: a trailing "-- comment" must not swallow what follows
        cursor = conn.execute(f"{text}\nLIMIT ? OFFSET ?", (take, offset))
        names = column_names(cursor.description)
        rows = [{n: render(v) for n, v in zip(names, values) if v is not None} for values in cursor.fetchall()]
        # A short page is the last one: its total needs no count. A full one is
        # counted without its columns, so a keyset page costs no Python per
        # row beyond the page (the count is SQLite's C walking an index).
        last_page = len(rows) < take and (rows or offset == 0)
        total = offset + len(rows) if last_page else _count(conn, text, counting)
    except sqlite3.DatabaseError as e:
        message = str(e)
        if "not authorized" in message or "prohibited" in message:
            message = getattr(_failure, "message", None) or "only reading NetSuite's tables is allowed"
        elif "user-defined function raised exception" in message and getattr(_failure, "message", None):
            message = _failure.message
        raise SuiteQLError(message) from None
    except (ValueError, OverflowError) as e:  # from our functions
        raise SuiteQLError(str(e)) from None
    finally:
        conn.set_authorizer(None)
    return rows, total

