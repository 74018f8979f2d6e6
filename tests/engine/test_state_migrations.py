"""State schema versions: a file written by an older nstui opens, keeps its
data and is brought up to the current version; a newer file is refused."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from nstui.engine import state as state_mod
from nstui.engine.state import MIGRATIONS, StateStore, StateVersionError, migrate, schema_version

FIXTURES = Path(__file__).parent / "fixtures"


def _file_from_dump(path: Path, dump: str) -> Path:
    db = sqlite3.connect(path)
    db.executescript(dump)
    db.close()
    return path


def _version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def _schema(path: Path) -> set[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return {(r[0], r[1]) for r in db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    finally:
        db.close()


def _assert_v1_data_kept(st: StateStore) -> None:
    assert st.watermark("customers") == datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
    ada = st.link_by_email("ada@example.com")
    assert ada is not None and ada.contact_id == 5001 and ada.party.record_id == 101
    assert st.shadows("ada@example.com") == {"FIRSTNAME": "Ada"}
    assert st.record_digest("items", "item:3") == "abc123"
    assert st.pending("customers") == [9]
    assert st.refused("customers", "customer:8") == "fp1"
    assert st.last_success("customers") is not None
    assert st.status("customers").recent_problems == [("customer:9", "error", "HTTP 400 from marketing")]


@pytest.mark.parametrize("dump_version", [1, 0])
def test_older_file_is_migrated_and_keeps_its_data(tmp_path: Path, dump_version: int) -> None:
    dump = (FIXTURES / "state_v1.sql").read_text()
    if dump_version == 0:  # written before the schema had a version
        dump = dump.replace("PRAGMA user_version = 1;", "")
    path = _file_from_dump(tmp_path / "state.sqlite", dump)
    assert _version(path) == dump_version
    with StateStore(path) as st:
        _assert_v1_data_kept(st)
    assert _version(path) == schema_version()
    # Same tables as a file created by this version.
    fresh = tmp_path / "fresh.sqlite"
    StateStore(fresh).close()
    assert _schema(path) == _schema(fresh)
    with StateStore(path) as st:  # opening again changes nothing
        _assert_v1_data_kept(st)


def test_fresh_file_is_at_current_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.sqlite"
    StateStore(path).close()
    assert _version(path) == schema_version() == len(MIGRATIONS)


def test_newer_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema_version() + 1}")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StateVersionError, match="newer than this nstui knows"):
        StateStore(path)
    assert path.read_bytes() == before


def test_failed_migration_leaves_the_last_whole_version(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore(path).close()
    broken = [*MIGRATIONS, "CREATE TABLE half_done (a);\nINSERT INTO no_such_table VALUES (1);"]
    db = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, broken)
    db.close()
    assert _version(path) == schema_version()
    assert ("table", "half_done") not in _schema(path)


def test_python_migration_step_runs_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file_from_dump(tmp_path / "state.sqlite", (FIXTURES / "state_v1.sql").read_text())

    def lower_reasons(db: sqlite3.Connection) -> None:
        db.execute("UPDATE problem SET reason = lower(reason)")

    monkeypatch.setattr(state_mod, "MIGRATIONS", [*MIGRATIONS, "ALTER TABLE problem ADD COLUMN note TEXT;", lower_reasons])
    with StateStore(path) as st:
        assert st.status("customers").recent_problems == [("customer:9", "error", "http 400 from marketing")]
        assert "note" in [r[1] for r in st.db.execute("PRAGMA table_info(problem)")]
    assert _version(path) == len(MIGRATIONS) + 2


def test_readonly_never_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite"
    with pytest.raises(sqlite3.OperationalError):
        StateStore(path, readonly=True)
    assert not path.exists()
