"""Building SuiteQL: the one quoting helper, and the time expressions.

Every value that reaches a query goes through ``quote``. SuiteQL is Oracle
SQL: a string literal ends only at a single quote, which is doubled inside;
backslashes and newlines are ordinary characters. NUL is refused outright (it
can cut a string short in the layers below).

Times are read with ``ts(column)``: SuiteQL returns a bare datetime column in
the user's date format, date only, so the engine always reads
``TO_CHAR(column, 'YYYY-MM-DD"T"HH24:MI:SS')`` and gets ISO-8601 back.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

#: The Oracle format of ``ts``: ISO-8601 to the second.
TS_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS'
#: The Oracle format of timestamp literals made by ``quote``.
LITERAL_FORMAT = "YYYY-MM-DD HH24:MI:SS"

_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class QuoteError(ValueError):
    """A value that cannot be written into SuiteQL."""


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value  # naive times are UTC throughout nstui
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def quote(value: Any) -> str:
    """``value`` as a SuiteQL literal: strings, numbers, booleans ('T'/'F'),
    None (NULL), datetimes (TO_TIMESTAMP, in UTC) and dates (TO_DATE)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "'T'" if value else "'F'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QuoteError(f"{value!r} is not a number SuiteQL can hold")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QuoteError(f"{value!r} is not a number SuiteQL can hold")
        return str(value)
    if isinstance(value, datetime):
        text = _utc(value).strftime("%Y-%m-%d %H:%M:%S")
        return f"TO_TIMESTAMP('{text}', '{LITERAL_FORMAT}')"
    if isinstance(value, date):
        return f"TO_DATE('{value:%Y-%m-%d}', 'YYYY-MM-DD')"
    if isinstance(value, str):
        if "\x00" in value:
            raise QuoteError("a text value holds a NUL character, which SuiteQL cannot carry")
        return "'" + value.replace("'", "''") + "'"
    raise QuoteError(f"cannot write a {type(value).__name__} into SuiteQL (text, number, bool, date or None)")


def quote_list(values: Iterable[Any]) -> str:
    """``(v1, v2, ...)`` for IN; an empty list gives ``(NULL)``, which matches nothing."""
    items = [quote(v) for v in values]
    return "(" + (", ".join(items) if items else "NULL") + ")"


def column(name: str) -> str:
    """``name`` if it is a plain column reference (``col`` or ``alias.col``)."""
    if not _COLUMN.match(name or ""):
        raise QuoteError(f"{name!r} is not a column name (letters, digits, _ and one optional 'alias.')")
    return name


def ts(column_name: str) -> str:
    """The SuiteQL expression that reads ``column_name`` as ISO-8601 (UTC)."""
    return f"TO_CHAR({column(column_name)}, '{TS_FORMAT}')"


def parse_ts(text: str | None) -> datetime | None:
    """A ``ts`` value back to an aware UTC datetime."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
