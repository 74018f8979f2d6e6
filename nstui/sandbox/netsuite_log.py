"""The NetSuite sandbox's write log: every consent-relevant write to a
customer or contact (its global subscription status, a campaign subscription
ticked or cleared, the opt-in field, the record created or deleted) with the
sandbox's time, the record, its email and who wrote it: "api" inside a REST
request, "direct" for what a user or a test does through the sandbox's own
methods.

NetSuite keeps no log a client could read this way; the sandbox keeps one
for the tests, like the marketing sandbox's: the consent property suite
checks each write at the moment it happened, not only the state after a
sync. A table SuiteQL cannot reach (its name starts with ``_``).
"""

from __future__ import annotations

import sqlite3
from contextvars import ContextVar
from typing import Any

#: Who is writing; the sandbox's gate sets "api" for the length of a request.
VIA: ContextVar[str] = ContextVar("nstui_netsuite_sandbox_via", default="direct")

TABLE = "_sandbox_write_log"
SCHEMA = (f"CREATE TABLE IF NOT EXISTS {TABLE} (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, via TEXT NOT NULL, "
          "record_type TEXT NOT NULL, record_id INTEGER NOT NULL, email TEXT NOT NULL, kind TEXT NOT NULL, "
          "detail TEXT NOT NULL)")

#: kind -> what detail holds
KINDS = {
    "create": "the global subscription status it was created with",
    "status": "the global subscription status written (1-4)",
    "subscribe": "the campaign subscription ticked (its name)",
    "unsubscribe": "the campaign subscription cleared (its name)",
    "optin_field": "the opt-in field's new value (T or F)",
    "delete": "",
}


class WriteLog:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        with conn:
            conn.execute(SCHEMA)

    def add(self, record_id: int, kind: str, detail: Any, at: str) -> None:
        """One write to an entity (customers and contacts share their ids)."""
        if kind not in KINDS:
            raise ValueError(f"unknown write kind {kind!r}")
        for table in ("customer", "contact"):
            found = self.conn.execute(f"SELECT email FROM {table} WHERE id = ?", (record_id,)).fetchone()
            if found is not None:
                break
        else:
            table, found = "?", None
        self.conn.execute(
            f"INSERT INTO {TABLE} (at, via, record_type, record_id, email, kind, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (at, VIA.get(), table, record_id, str(found[0] or "").lower() if found else "", kind, str(detail)))

    def entries(self, after: int = 0) -> list[dict[str, Any]]:
        cur = self.conn.execute(f"SELECT * FROM {TABLE} WHERE seq > ? ORDER BY seq", (after,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def end(self) -> int:
        return int(self.conn.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {TABLE}").fetchone()[0])
