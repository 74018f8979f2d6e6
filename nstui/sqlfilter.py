"""Validation of the one raw SuiteQL fragment an admin may write: the additional
filter criteria for orders (seed 003: "specify your own additional filter
criteria for selecting sales orders").

Every other value reaches a query through ``nstui.netsuite.suiteql.quote``; this
fragment cannot, so it is held to a small grammar instead:

    expr      := term { (AND | OR) term }
    term      := [NOT] ( "(" expr ")" | predicate )
    predicate := column op value
               | column [NOT] IN "(" value { "," value } ")"
               | column IS [NOT] NULL
               | column [NOT] LIKE string
               | column BETWEEN value AND value
    column    := identifier [ "." identifier ]
    value     := number | 'string' (quotes doubled inside) | column

Comments, semicolons, sub-queries and every other keyword are refused, so the
fragment can narrow the transactions read but never change what the query is.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'(?:[^']|'')*')
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
      | (?P<op><>|!=|<=|>=|=|<|>)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)

_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN"}
# Words that must never appear even as a column name: they would let a fragment
# reach outside the WHERE clause it is pasted into.
_FORBIDDEN = {
    "SELECT", "FROM", "UNION", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER",
    "CREATE", "EXEC", "EXECUTE", "INTO", "WHERE", "HAVING", "GROUP", "ORDER",
    "JOIN", "LIMIT", "OFFSET", "FETCH", "WITH", "CASE", "ATTACH", "PRAGMA",
}
MAX_LENGTH = 2000


class FilterError(ValueError):
    """The fragment is not in the allowed grammar; the message says where."""


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    stripped_end = len(text.rstrip())
    while pos < stripped_end:
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            snippet = text[pos:].lstrip()[:12]
            raise FilterError(f"unexpected text at character {pos + 1}: {snippet!r}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        start = m.start(kind) + 1
        if kind == "ident":
            upper = value.upper()
            if upper in _FORBIDDEN:
                raise FilterError(f"the word {value!r} is not allowed in a filter")
            if upper in _KEYWORDS:
                kind, value = "kw", upper
        tokens.append((kind, value, start))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]]):
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise FilterError("the filter ends too early")
        if (kind and tok[0] != kind) or (value and tok[1] != value):
            want = value or kind
            raise FilterError(f"expected {want} at character {tok[2]}, found {tok[1]!r}")
        self.i += 1
        return tok

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == kind and (value is None or tok[1] == value)

    def expr(self, depth: int = 0) -> None:
        if depth > 20:
            raise FilterError("the filter nests too deeply")
        self.term(depth)
        while self.at("kw", "AND") or self.at("kw", "OR"):
            self.take()
            self.term(depth)

    def term(self, depth: int) -> None:
        if self.at("kw", "NOT"):
            self.take()
        if self.at("punct", "("):
            self.take()
            self.expr(depth + 1)
            self.take("punct", ")")
            return
        self.predicate()

    def value(self) -> None:
        tok = self.peek()
        if tok is None or tok[0] not in ("number", "string", "ident"):
            where = f"at character {tok[2]}, found {tok[1]!r}" if tok else "at the end"
            raise FilterError(f"expected a number, a 'quoted string' or a column {where}")
        self.take()

    def predicate(self) -> None:
        self.take("ident")
        if self.at("op"):
            self.take()
            self.value()
            return
        if self.at("kw", "IS"):
            self.take()
            if self.at("kw", "NOT"):
                self.take()
            self.take("kw", "NULL")
            return
        if self.at("kw", "NOT"):
            self.take()
            if not (self.at("kw", "IN") or self.at("kw", "LIKE")):
                tok = self.peek()
                raise FilterError(f"expected IN or LIKE after NOT at character {tok[2] if tok else 'end'}")
        if self.at("kw", "LIKE"):
            self.take()
            self.take("string")
            return
        if self.at("kw", "IN"):
            self.take()
            self.take("punct", "(")
            self.value()
            while self.at("punct", ","):
                self.take()
                self.value()
            self.take("punct", ")")
            return
        if self.at("kw", "BETWEEN"):
            self.take()
            self.value()
            self.take("kw", "AND")
            self.value()
            return
        tok = self.peek()
        where = f"at character {tok[2]}, found {tok[1]!r}" if tok else "at the end"
        raise FilterError(f"expected a comparison (=, <>, <, >, IN, LIKE, IS NULL, BETWEEN) {where}")


def validate_filter(text: str) -> str:
    """Return the fragment stripped, or raise FilterError saying what is wrong."""
    text = text.strip()
    if not text:
        return text
    if len(text) > MAX_LENGTH:
        raise FilterError(f"the filter is longer than {MAX_LENGTH} characters")
    if "--" in text.replace("'--'", "") or "/*" in text or ";" in text:
        # Checked on the raw text too: a comment marker inside a string literal
        # is harmless, but refusing it costs admins nothing and keeps this simple.
        raise FilterError("comments and ';' are not allowed in a filter")
    parser = _Parser(_tokenize(text))
    parser.expr()
    if parser.peek() is not None:
        tok = parser.peek()
        assert tok is not None
        raise FilterError(f"unexpected {tok[1]!r} at character {tok[2]}")
    return text
