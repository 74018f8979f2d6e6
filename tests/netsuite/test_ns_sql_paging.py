"""The sandbox's SuiteQL runner answers what a whole-query count and strptime
answered before it was made fast: exact totalResults on every page, and
TO_CHAR output unchanged."""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta

import pytest

from nstui.sandbox import netsuite_sql as sq

FORMATS = [
    'YYYY-MM-DD"T"HH24:MI:SS', "YYYY-MM-DD HH24:MI:SS", "DD/MM/YY", "MON DD, YYYY HH12:MI AM",
    "HH:MI:SS PM", "YYYYMMDD", "MM-DD-YYYY 100%", '"Day" DD "of" MON',
]


def strptime_to_char(value: str, fmt: str) -> str:
    """TO_CHAR as it was: strptime of the stored text, strftime of the format."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").strftime(sq.py_format(fmt))


def test_to_char_matches_the_strptime_rendering():
    rng = random.Random(7)
    base = datetime(1990, 1, 1)
    for _ in range(300):
        moment = base + timedelta(seconds=rng.randrange(0, 60 * 365 * 24 * 3600))
        stored = moment.strftime("%Y-%m-%d %H:%M:%S")
        for fmt in FORMATS:
            assert sq.to_char(stored, fmt) == strptime_to_char(stored, fmt), (stored, fmt)
    assert sq.to_char("2024-03-05 06:07:08") == "3/5/2024"
    with pytest.raises(ValueError):
        sq.to_char("2024-02-30 00:00:00", "YYYY")  # not a date: refused as strptime refused it


@pytest.fixture
def conn() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    sq.register_functions(db)
    db.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT, city TEXT, "
               "lastmodifieddate TEXT, defaultbillingaddress INTEGER)")
    db.execute("CREATE INDEX ix_customer_lmd ON customer(lastmodifieddate, id)")
    db.execute("CREATE TABLE entityaddress (nkey INTEGER PRIMARY KEY, city TEXT)")
    db.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, entity INTEGER)")
    db.execute('CREATE TABLE "transaction" (id INTEGER PRIMARY KEY, entity INTEGER)')
    rng = random.Random(3)
    t0 = datetime(2026, 1, 1)
    for i in range(1, 238):
        stamp = (t0 + timedelta(minutes=rng.randrange(0, 40))).strftime("%Y-%m-%d %H:%M:%S")  # many ties
        db.execute("INSERT INTO customer VALUES (?, ?, ?, ?, ?)",
                   (i, f"p{i % 50}@x.com", rng.choice(["Oslo", "Rome", None]), stamp, i if i % 3 else None))
        if i % 3:
            db.execute("INSERT INTO entityaddress VALUES (?, ?)", (i, "Paris"))
        for _ in range(i % 4):  # a LEFT JOIN on note multiplies rows
            db.execute("INSERT INTO note (entity) VALUES (?)", (i,))
        db.execute('INSERT INTO "transaction" (entity) VALUES (?)', (i,))
    return db


QUERIES = [
    f"SELECT c.id, {sq_ts} AS lmd, a.city FROM customer c LEFT JOIN entityaddress a ON a.nkey = c.defaultbillingaddress "
    f"WHERE c.lastmodifieddate > TO_TIMESTAMP('2026-01-01T00:10:00', 'YYYY-MM-DD\"T\"HH24:MI:SS') "
    "ORDER BY c.lastmodifieddate, c.id"
    for sq_ts in ["TO_CHAR(c.lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS')"]
] + [
    "SELECT c.id, n.id AS note FROM customer c LEFT JOIN note n ON n.entity = c.id ORDER BY c.id, n.id",
    "SELECT DISTINCT email FROM customer ORDER BY email",
    "SELECT email, COUNT(*) AS n FROM customer GROUP BY email ORDER BY email",
    "SELECT COUNT(*) AS n FROM customer",
    "SELECT city, MAX(id) AS top FROM customer GROUP BY city HAVING COUNT(*) > 1",
    "SELECT id, UPPER(email) AS shout FROM customer WHERE shout LIKE 'P1%' ORDER BY id",  # alias in WHERE
    "SELECT id FROM customer WHERE id IN (SELECT entity FROM note) ORDER BY (SELECT COUNT(*) FROM note), id",
    "SELECT t.id FROM transaction t WHERE t.entity > 5 -- a comment\nORDER BY t.id",
    "SELECT id FROM customer WHERE id < 20 UNION SELECT id FROM customer WHERE id > 200",
    "SELECT id FROM customer WHERE city IS NULL ORDER BY id",
    "SELECT id FROM customer WHERE id > 10000",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("limit", [7, 50, 1000])
def test_every_page_reports_the_whole_querys_total(conn, query, limit):
    text = sq.prepare(query)
    expected_rows = [tuple(r) for r in conn.execute(text)]
    total = conn.execute(f"SELECT COUNT(*) FROM ({text}\n)").fetchone()[0]
    seen = []
    for offset in range(0, max(total, 1) + 2 * limit, limit):
        rows, reported = sq.run_page(conn, query, limit=limit, offset=offset, cap=100_000)
        assert reported == total, (offset, reported, total)
        seen.extend(rows)
    assert len(seen) == len(expected_rows) == total


def test_the_row_cap_still_applies(conn):
    rows, total = sq.run_page(conn, "SELECT id FROM customer ORDER BY id", limit=50, offset=100, cap=120)
    assert len(rows) == 20 and total == 237


def test_errors_keep_their_message(conn):
    with pytest.raises(sq.SuiteQLError, match="does not match the format"):
        sq.run_page(conn, "SELECT id FROM customer WHERE lastmodifieddate > TO_TIMESTAMP('x', 'YYYY')",
                    limit=10, offset=0, cap=100)
    with pytest.raises(sq.SuiteQLError, match="no such column"):
        sq.run_page(conn, "SELECT nope FROM customer", limit=10, offset=0, cap=100)
