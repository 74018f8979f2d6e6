"""The engine's memory, in SQLite (WAL, synchronous=FULL).

Watermarks per data set and side; the links NetSuite record <-> lower-case
email <-> marketing contact id; the shadow (last value synced) of every mapped
field, campaign subscription, list and status; runs and per-record problems.

A page's state and its watermark go in one commit (``checkpoint``), after that
page's writes on both sides. A dry run opens one transaction and rolls it back
at the end, so it can plan across pages and still write nothing.

Schema versions: the file's ``PRAGMA user_version`` counts the entries of
``MIGRATIONS`` applied to it. Opening a file applies the missing ones in order,
each in its own transaction with the version bump, so a crash leaves the file
at the last whole step. To change the schema, append a migration; never edit
one that has shipped.
"""

from __future__ import annotations

import errno
import json
import pickle
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Union

from nstui.engine.rules.duplicates import Party
from nstui.files import private_file
from nstui.sanitize import clean

# Version 1: the tables as first released (files written before versioning
# have user_version 0 and exactly these tables, hence IF NOT EXISTS).
SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS watermark (
    dataset TEXT NOT NULL, side TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (dataset, side));
CREATE TABLE IF NOT EXISTS link (
    email TEXT PRIMARY KEY, record_type TEXT NOT NULL, record_id INTEGER NOT NULL,
    stage TEXT, isperson INTEGER NOT NULL DEFAULT 1, name TEXT NOT NULL DEFAULT '',
    contact_id INTEGER, linked_at TEXT NOT NULL,
    UNIQUE (record_type, record_id));
CREATE TABLE IF NOT EXISTS shadow (
    email TEXT NOT NULL, field TEXT NOT NULL, value TEXT,
    PRIMARY KEY (email, field));
CREATE TABLE IF NOT EXISTS record_shadow (
    dataset TEXT NOT NULL, key TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (dataset, key));
CREATE TABLE IF NOT EXISTS run (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, dry_run INTEGER NOT NULL,
    datasets TEXT NOT NULL, summary TEXT, status TEXT NOT NULL DEFAULT 'running');
CREATE TABLE IF NOT EXISTS dataset_run (
    run_id INTEGER NOT NULL, dataset TEXT NOT NULL, started TEXT NOT NULL, finished TEXT,
    counts TEXT, status TEXT NOT NULL DEFAULT 'running', PRIMARY KEY (run_id, dataset));
CREATE TABLE IF NOT EXISTS problem (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, dataset TEXT NOT NULL, key TEXT NOT NULL,
    kind TEXT NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS problem_run ON problem (run_id);
CREATE TABLE IF NOT EXISTS pending (
    dataset TEXT NOT NULL, record_id INTEGER NOT NULL, PRIMARY KEY (dataset, record_id));
CREATE TABLE IF NOT EXISTS refused (
    dataset TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (dataset, key));
"""

# A migration is SQL (several statements are fine) or a function given the
# connection inside the migration's transaction (it must not COMMIT or use
# executescript). Entry i takes a file from version i to version i + 1.
Migration = Union[str, Callable[[sqlite3.Connection], None]]

# Version 2: the intent log, a remote write recorded (and committed) before
# it is made, deleted with the commit of its effect (engine/datasets/executor.py).
INTENT_LOG = """
CREATE TABLE intent (
    id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, key TEXT NOT NULL, step TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX intent_dataset ON intent (dataset);
"""

# Version 3: the consent history `nstui why` reads: per contact and scope
# (global, or list:<name>), what each side said, the rule that fired, what was
# written, by which run. Appended by the engine, committed with the record's writes.
CONSENT_HISTORY = """
CREATE TABLE consent_history (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL, at TEXT NOT NULL, email TEXT NOT NULL,
    dataset TEXT NOT NULL, scope TEXT NOT NULL, netsuite TEXT NOT NULL DEFAULT '',
    marketing TEXT NOT NULL DEFAULT '', rule TEXT NOT NULL DEFAULT '', written TEXT NOT NULL DEFAULT '');
CREATE INDEX consent_history_email ON consent_history (email);
"""

MIGRATIONS: list[Migration] = [
    SCHEMA_V1,
    INTENT_LOG,
    CONSENT_HISTORY,
]


class StateVersionError(Exception):
    """The state file was written by a newer nstui."""

    exit_code = 2  # a configuration problem for the CLI: this file, this nstui


def schema_version() -> int:
    """The version this code writes: the number of migrations."""
    return len(MIGRATIONS)


def migrate(db: sqlite3.Connection, migrations: list[Migration] | None = None) -> int:
    """Bring ``db`` (autocommit mode, no open transaction) up to date.

    Returns the version the file had before. Each step runs under BEGIN
    IMMEDIATE and re-reads the version, so two processes opening an old file at
    once apply every step exactly once.
    """
    steps = MIGRATIONS if migrations is None else migrations
    target = len(steps)
    before = int(db.execute("PRAGMA user_version").fetchone()[0])
    _refuse_newer(before, target)
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version >= target:
                db.execute("COMMIT")
                return before
            step = steps[version]
            if isinstance(step, str):
                for statement in _statements(step):
                    db.execute(statement)
            else:
                step(db)
            db.execute(f"PRAGMA user_version = {version + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _refuse_newer(version: int, known: int) -> None:
    if version > known:
        raise StateVersionError(
            f"state file is at schema version {version}, newer than this nstui knows ({known}): "
            "upgrade nstui or restore the backup taken before the upgrade"
        )


def _statements(script: str) -> Iterator[str]:
    """Split a script into statements. ``executescript`` would COMMIT the
    migration's transaction first, so statements run one by one."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]}")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Link:
    email: str
    party: Party
    contact_id: int | None


@dataclass(frozen=True)
class DatasetStatus:
    dataset: str
    last_run: datetime | None
    last_status: str | None
    last_counts: dict[str, Any] | None
    last_success: datetime | None
    watermark: datetime | None
    recent_problems: list[tuple[str, str, str]]  # (key, kind, reason)

    @classmethod
    def never(cls, dataset: str) -> "DatasetStatus":
        return cls(dataset, None, None, None, None, None, [])


class StateStore:
    def __init__(self, path: Path, *, dry_run: bool = False, readonly: bool = False):
        self.path = path
        self.dry_run = dry_run
        if readonly:
            # Never creates the file nor changes it (status, health checks).
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                      isolation_level=None, timeout=30)
            _refuse_newer(self.db.execute("PRAGMA user_version").fetchone()[0], schema_version())
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():  # sqlite would say only "unable to open database file"
                raise IsADirectoryError(errno.EISDIR, "the state file is a folder", str(path))
            self.db = sqlite3.connect(private_file(path), isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        if not readonly:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            migrate(self.db)
        self.db.execute("BEGIN")

    # -- transactions ------------------------------------------------------

    def checkpoint(self) -> None:
        """Commit what the current page did (nothing in a dry run)."""
        if self.dry_run:
            return
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")

    def close(self) -> None:
        try:
            self.db.execute("ROLLBACK" if self.dry_run else "COMMIT")
        except sqlite3.OperationalError:
            pass
        self.db.close()

    def __enter__(self) -> "StateStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- watermarks --------------------------------------------------------

    def watermark(self, dataset: str, side: str = "netsuite") -> datetime | None:
        row = self.db.execute(
            "SELECT value FROM watermark WHERE dataset = ? AND side = ?", (dataset, side)
        ).fetchone()
        return parse_iso(row["value"]) if row else None

    def set_watermark(self, dataset: str, value: datetime, side: str = "netsuite") -> None:
        self.db.execute(
            "INSERT INTO watermark VALUES (?, ?, ?) ON CONFLICT (dataset, side) DO UPDATE SET value = excluded.value",
            (dataset, side, iso(value)),
        )

    # -- links -------------------------------------------------------------

    @staticmethod
    def _link(row: sqlite3.Row) -> Link:
        return Link(
            email=row["email"],
            party=Party(row["record_type"], row["record_id"], row["stage"], bool(row["isperson"]), row["name"]),
            contact_id=row["contact_id"],
        )

    def link_by_email(self, email: str) -> Link | None:
        row = self.db.execute("SELECT * FROM link WHERE email = ?", (email,)).fetchone()
        return self._link(row) if row else None

    def link_by_record(self, record_type: str, record_id: int) -> Link | None:
        row = self.db.execute(
            "SELECT * FROM link WHERE record_type = ? AND record_id = ?", (record_type, record_id)
        ).fetchone()
        return self._link(row) if row else None

    def _rows_for_emails(self, select: str, emails: Iterable[str]) -> Iterator[sqlite3.Row]:
        """``select ... WHERE email IN (...)``, 500 emails a query (SQLite's
        variable limit is well above; the statements stay small)."""
        batch = list(emails)
        for i in range(0, len(batch), 500):
            chunk = batch[i : i + 500]
            yield from self.db.execute(f"{select} WHERE email IN ({','.join('?' * len(chunk))})", chunk)

    def links_for_emails(self, emails: Iterable[str]) -> dict[str, Link]:
        return {row["email"]: self._link(row) for row in self._rows_for_emails("SELECT * FROM link", emails)}

    # -- a first run's picture of the marketing platform -------------------
    # A TEMP table: private to this connection and gone when it closes (or the
    # process dies), so a killed first run simply takes it again. Rows are
    # pickled MarketingContact objects that this process wrote itself.

    def snapshot_start(self, *, keep: bool = False) -> None:
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS mk_snapshot (email TEXT PRIMARY KEY, contact BLOB)")
        if not keep:
            self.db.execute("DELETE FROM mk_snapshot")

    def snapshot_put(self, contacts: Iterable[Any], *, replace: bool = True) -> None:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self.db.executemany(f"{verb} INTO mk_snapshot (email, contact) VALUES (?, ?)",
                            ((c.email, pickle.dumps(c)) for c in contacts))

    def snapshot_forget(self, emails: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM mk_snapshot WHERE email = ?", ((e,) for e in emails))

    def snapshot_get(self, emails: Iterable[str]) -> dict[str, Any]:
        rows = self._rows_for_emails("SELECT email, contact FROM mk_snapshot", emails)
        return {row["email"]: pickle.loads(row["contact"]) for row in rows}  # noqa: S301 (our own rows)

    def snapshot_end(self) -> None:
        self.db.execute("DROP TABLE IF EXISTS mk_snapshot")

    def count_links(self, record_type: str | None = None) -> int:
        if record_type:
            return int(self.db.execute("SELECT COUNT(*) FROM link WHERE record_type = ?", (record_type,)).fetchone()[0])
        return int(self.db.execute("SELECT COUNT(*) FROM link").fetchone()[0])

    def save_link(self, email: str, party: Party, contact_id: int | None = None) -> None:
        # One record, one email: a record relinked under a new email drops its old link.
        self.db.execute(
            "DELETE FROM link WHERE record_type = ? AND record_id = ? AND email <> ?",
            (party.record_type, party.record_id, email),
        )
        self.db.execute(
            """INSERT INTO link (email, record_type, record_id, stage, isperson, name, contact_id, linked_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (email) DO UPDATE SET record_type = excluded.record_type,
                 record_id = excluded.record_id, stage = excluded.stage, isperson = excluded.isperson,
                 name = excluded.name, contact_id = COALESCE(excluded.contact_id, link.contact_id)""",
            (email, party.record_type, party.record_id, party.stage, int(party.isperson), party.name,
             contact_id, iso(utcnow())),
        )

    def drop_link(self, email: str) -> None:
        self.db.execute("DELETE FROM link WHERE email = ?", (email,))
        self.db.execute("DELETE FROM shadow WHERE email = ?", (email,))

    # -- shadows -----------------------------------------------------------

    def shadows(self, email: str) -> dict[str, Any]:
        return {
            row["field"]: json.loads(row["value"])
            for row in self.db.execute("SELECT field, value FROM shadow WHERE email = ?", (email,))
        }

    def shadows_for(self, emails: Iterable[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for row in self._rows_for_emails("SELECT * FROM shadow", emails):
            out.setdefault(row["email"], {})[row["field"]] = json.loads(row["value"])
        return out

    def set_shadow(self, email: str, field: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO shadow VALUES (?, ?, ?) ON CONFLICT (email, field) DO UPDATE SET value = excluded.value",
            (email, field, json.dumps(value, default=str)),
        )

    # -- record shadows (items, orders: digest of what was sent) -------------

    def record_digest(self, dataset: str, key: str) -> str | None:
        row = self.db.execute(
            "SELECT digest FROM record_shadow WHERE dataset = ? AND key = ?", (dataset, key)
        ).fetchone()
        return row["digest"] if row else None

    def set_record_digest(self, dataset: str, key: str, digest: str | None) -> None:
        if digest is None:
            self.db.execute("DELETE FROM record_shadow WHERE dataset = ? AND key = ?", (dataset, key))
        else:
            self.db.execute(
                "INSERT INTO record_shadow VALUES (?, ?, ?) ON CONFLICT (dataset, key) DO UPDATE SET digest = excluded.digest",
                (dataset, key, digest),
            )

    def record_keys(self, dataset: str) -> Iterator[str]:
        for row in self.db.execute("SELECT key FROM record_shadow WHERE dataset = ?", (dataset,)):
            yield row["key"]

    # -- records to read again (their writes failed) -------------------------

    def pending(self, dataset: str) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT record_id FROM pending WHERE dataset = ?", (dataset,))]

    def set_pending(self, dataset: str, record_id: int, pending: bool) -> None:
        if pending:
            self.db.execute("INSERT OR IGNORE INTO pending VALUES (?, ?)", (dataset, record_id))
        else:
            self.db.execute("DELETE FROM pending WHERE dataset = ? AND record_id = ?", (dataset, record_id))

    def link_by_contact_id(self, contact_id: int) -> Link | None:
        row = self.db.execute("SELECT * FROM link WHERE contact_id = ?", (contact_id,)).fetchone()
        return self._link(row) if row else None

    # -- the intent log: a remote write, recorded (and committed) before it is made --

    def log_intents(self, dataset: str, steps: Iterable[tuple[str, dict[str, Any]]]) -> list[int]:
        """Record ``(key, step)`` pairs as intended; the caller commits them
        before the writes. Returns their ids, in order."""
        ids = []
        at = iso(utcnow())
        for key, step in steps:
            cur = self.db.execute("INSERT INTO intent (dataset, key, step, at) VALUES (?, ?, ?, ?)",
                                  (dataset, key, json.dumps(step, default=str), at))
            ids.append(int(cur.lastrowid or 0))
        return ids

    def intents_done(self, ids: Iterable[int]) -> None:
        """Committed with the state the writes left (same transaction)."""
        self.db.executemany("DELETE FROM intent WHERE id = ?", ((i,) for i in ids))

    def pending_intents(self, dataset: str) -> list[tuple[int, str, dict[str, Any], datetime]]:
        """Intents of an earlier run whose outcome was never committed: (id, key, step, when)."""
        return [(r["id"], r["key"], json.loads(r["step"]), parse_iso(r["at"]) or utcnow()) for r in self.db.execute(
            "SELECT id, key, step, at FROM intent WHERE dataset = ? ORDER BY id", (dataset,))]

    def count_intents(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM intent").fetchone()[0])

    # -- consent history (`nstui why`) ---------------------------------------

    def add_consent(self, run_id: int, email: str, dataset: str, scope: str, *, netsuite: str = "",
                    marketing: str = "", rule: str = "", written: str = "", at: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO consent_history (run_id, at, email, dataset, scope, netsuite, marketing, rule, written) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, at or iso(utcnow()), email, dataset, scope, netsuite, marketing, rule, written),
        )

    def consent_history(self, email: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM consent_history WHERE email = ? ORDER BY id", (email,))]

    # -- refused changes ---------------------------------------------------

    def refused(self, dataset: str, key: str) -> str | None:
        row = self.db.execute("SELECT fingerprint FROM refused WHERE dataset = ? AND key = ?", (dataset, key)).fetchone()
        return row["fingerprint"] if row else None

    def set_refused(self, dataset: str, key: str, fingerprint: str | None, reason: str = "") -> None:
        if fingerprint is None:
            self.db.execute("DELETE FROM refused WHERE dataset = ? AND key = ?", (dataset, key))
        else:
            self.db.execute(
                "INSERT INTO refused VALUES (?, ?, ?, ?) ON CONFLICT (dataset, key) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, reason = excluded.reason",
                (dataset, key, fingerprint, reason),
            )

    # -- runs --------------------------------------------------------------

    def start_run(self, datasets: list[str], dry_run: bool) -> int:
        # Called under the run lock: a run still "running" is one whose process died.
        if not self.dry_run:
            self.db.execute("UPDATE run SET status = 'interrupted', finished = COALESCE(finished, ?) "
                            "WHERE status = 'running'", (iso(utcnow()),))
            self.db.execute("UPDATE dataset_run SET status = 'interrupted', finished = COALESCE(finished, ?) "
                            "WHERE status = 'running'", (iso(utcnow()),))
        cur = self.db.execute(
            "INSERT INTO run (started, dry_run, datasets) VALUES (?, ?, ?)",
            (iso(utcnow()), int(dry_run), ",".join(datasets)),
        )
        self.checkpoint()
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, summary: dict[str, Any], status: str) -> None:
        self.db.execute(
            "UPDATE run SET finished = ?, summary = ?, status = ? WHERE id = ?",
            (iso(utcnow()), json.dumps(summary), status, run_id),
        )
        self.checkpoint()

    def start_dataset(self, run_id: int, dataset: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO dataset_run (run_id, dataset, started) VALUES (?, ?, ?)",
            (run_id, dataset, iso(utcnow())),
        )

    def finish_dataset(self, run_id: int, dataset: str, counts: dict[str, Any], status: str) -> None:
        self.db.execute(
            "UPDATE dataset_run SET finished = ?, counts = ?, status = ? WHERE run_id = ? AND dataset = ?",
            (iso(utcnow()), json.dumps(counts), status, run_id, dataset),
        )
        self.checkpoint()

    def last_success(self, dataset: str) -> datetime | None:
        row = self.db.execute(
            "SELECT MAX(d.finished) AS f FROM dataset_run d JOIN run r ON r.id = d.run_id "
            "WHERE d.dataset = ? AND d.status = 'ok' AND r.dry_run = 0",
            (dataset,),
        ).fetchone()
        return parse_iso(row["f"]) if row and row["f"] else None

    def first_attempt(self, dataset: str) -> datetime | None:
        """When a real run first started this data set."""
        row = self.db.execute(
            "SELECT MIN(d.started) AS s FROM dataset_run d JOIN run r ON r.id = d.run_id "
            "WHERE d.dataset = ? AND r.dry_run = 0",
            (dataset,),
        ).fetchone()
        return parse_iso(row["s"]) if row and row["s"] else None

    def add_problem(self, run_id: int, dataset: str, key: str, kind: str, reason: str) -> None:
        self.db.execute(
            "INSERT INTO problem (run_id, dataset, key, kind, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, dataset, clean(key, 200), kind, clean(reason), iso(utcnow())),
        )

    def status(self, dataset: str, *, problems: int = 5) -> DatasetStatus:
        row = self.db.execute(
            "SELECT d.* FROM dataset_run d JOIN run r ON r.id = d.run_id WHERE d.dataset = ? AND r.dry_run = 0 "
            "ORDER BY d.run_id DESC LIMIT 1",
            (dataset,),
        ).fetchone()
        recent = [
            (p["key"], p["kind"], p["reason"])
            for p in self.db.execute(
                "SELECT key, kind, reason FROM problem WHERE dataset = ? AND kind = 'error' ORDER BY id DESC LIMIT ?",
                (dataset, problems),
            )
        ]
        return DatasetStatus(
            dataset=dataset,
            last_run=parse_iso(row["started"]) if row else None,
            last_status=row["status"] if row else None,
            last_counts=json.loads(row["counts"]) if row and row["counts"] else None,
            last_success=self.last_success(dataset),
            watermark=self.watermark(dataset),
            recent_problems=recent,
        )
