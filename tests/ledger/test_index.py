"""The SQLite query index: built from the leaves after the commit, in its own file, disposable."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from sealtrail.errors import VerificationError
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.store import sqlite, sqlite_index
from sealtrail.store.base import Query
from sealtrail.store.sqlite_index import index_path
from tests.ledger.conftest import ORIGIN, pull_event

INDEX = index_path(Path(DATABASE)).name


def _seqs(ledger: Ledger, query: Query) -> list[int]:
    return [record.seq for record in ledger.query(query)]


def _indexed(directory: Path) -> int:
    with sqlite3.connect(directory / INDEX) as conn:
        row = conn.execute("SELECT value FROM index_meta WHERE key = 'indexed'").fetchone()
    return int(row[0]) if row else 0


def test_records_keep_only_the_leaf_and_the_index_file_holds_the_columns(tmp_path: Path) -> None:
    with Ledger.create(tmp_path / "d", origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i, actor=f"a{i % 3}") for i in range(30)])
        assert _seqs(ledger, Query(actor_id="a1", limit=3)) == [28, 25, 22]
    with sqlite3.connect(tmp_path / "d" / DATABASE) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(records)")]
        assert columns == ["seq", "leaf"]
        assert not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'records_text'"
        ).fetchall()
    with sqlite3.connect(tmp_path / "d" / INDEX) as conn:
        assert conn.execute("SELECT COUNT(*) FROM records_index").fetchone() == (30,)


def test_a_query_sees_an_append_that_returned_before_it(tmp_path: Path) -> None:
    with Ledger.create(tmp_path / "d", origin=ORIGIN) as ledger:
        for i in range(40):
            ledger.append(pull_event(i, outcome="failure" if i % 2 else "success"))
            assert _seqs(ledger, Query(limit=1)) == [i]
            assert ledger.count_by("outcome", Query())["success"] == i // 2 + 1
        assert _seqs(ledger, Query(text=("team/app:v39",))) == [39]


def test_the_indexer_thread_catches_up_without_a_query(tmp_path: Path) -> None:
    with Ledger.create(tmp_path / "d", origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i) for i in range(500)])
        deadline = time.monotonic() + 30
        while _indexed(tmp_path / "d") < 500 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _indexed(tmp_path / "d") == 500


def test_a_lost_index_is_rebuilt_from_the_leaves(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i) for i in range(20)])
        assert len(ledger.query(Query(limit=100))) == 20
    for path in directory.glob(INDEX + "*"):
        path.unlink()
    with Ledger.open(directory) as ledger:
        assert _seqs(ledger, Query(text=("team/app:v7",))) == [7]
        assert ledger.count_by("action", Query()) == {"image.pull": 20}


def test_a_rebuild_reports_its_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i) for i in range(25)])
    for path in directory.glob(INDEX + "*"):
        path.unlink()
    monkeypatch.setattr(sqlite_index, "CHUNK", 10)
    with Ledger.open(directory) as ledger:
        assert isinstance(ledger.store, sqlite.SQLiteStore)
        assert ledger.store.index.pending() == 25
        seen: list[tuple[int, int]] = []
        ledger.store.sync_index(lambda done, total: seen.append((done, total)))
        assert seen == [(10, 25), (20, 25), (25, 25)]
        assert ledger.store.index.pending() == 0


def test_another_ledgers_index_is_not_trusted(tmp_path: Path) -> None:
    with Ledger.create(tmp_path / "a", origin=ORIGIN) as a:
        a.append_many([pull_event(i, actor="alice") for i in range(5)])
        a.query(Query())
    with Ledger.create(tmp_path / "b", origin=ORIGIN) as b:
        b.append_many([pull_event(i, actor="bob") for i in range(5)])
    shutil.copy(tmp_path / "a" / INDEX, tmp_path / "b" / INDEX)
    with Ledger.open(tmp_path / "b") as b:
        assert b.count_by("actor_id", Query()) == {"bob": 5}


def test_an_index_ahead_of_a_restored_ledger_is_rebuilt(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i) for i in range(10)])
    shutil.copy(directory / DATABASE, tmp_path / "backup.db")
    with Ledger.open(directory) as ledger:
        ledger.append_many([pull_event(i) for i in range(10, 30)])
        assert len(ledger.query(Query(limit=100))) == 30
    for suffix in ("-wal", "-shm"):
        (directory / (DATABASE + suffix)).unlink(missing_ok=True)
    shutil.copy(tmp_path / "backup.db", directory / DATABASE)
    with Ledger.open(directory) as ledger:
        assert ledger.size() == 10
        assert ledger.count_by("action", Query()) == {"image.pull": 10}
        ledger.append(pull_event(10, actor="after"))
        assert _seqs(ledger, Query(actor_id="after")) == [10]


def test_a_damaged_leaf_gets_no_row_and_stops_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i) for i in range(10)])
    with sqlite3.connect(directory / DATABASE) as conn:
        conn.execute("UPDATE records SET leaf = x'7b6e6f74' WHERE seq = 3")  # '{not'
    with Ledger.open(directory) as ledger:
        assert _seqs(ledger, Query(limit=100)) == [9, 8, 7, 6, 5, 4, 2, 1, 0]
        with pytest.raises(VerificationError) as caught:
            ledger.verify()
    assert caught.value.index == 3


def test_two_processes_share_one_index(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    Ledger.create(directory, origin=ORIGIN).close()
    with Ledger.open(directory) as first, Ledger.open(directory) as second:
        for i in range(0, 60, 2):
            first.append(pull_event(i, actor="first"))
            second.append(pull_event(i + 1, actor="second"))
            assert len(first.query(Query(limit=1000))) == i + 2
        assert second.count_by("actor_id", Query()) == {"first": 30, "second": 30}
        assert first.count_by("actor_id", Query()) == {"first": 30, "second": 30}


def _downgrade_to_schema_9(directory: Path) -> None:
    """The layout before step 9: query columns, their indexes and the text index in records,
    filled as appends filled them; no index file."""
    with sqlite3.connect(directory / DATABASE) as conn:
        conn.executescript(f"""
            CREATE TABLE old_records (
                seq INTEGER PRIMARY KEY, leaf BLOB NOT NULL, time TEXT NOT NULL,
                action TEXT NOT NULL, category TEXT NOT NULL, outcome TEXT NOT NULL,
                actor_id TEXT, target_type TEXT, target_id TEXT, repository TEXT, digest TEXT);
            INSERT INTO old_records SELECT seq, leaf, json_extract(leaf, '$.time'),
                json_extract(leaf, '$.action'), 'image', json_extract(leaf, '$.outcome'),
                json_extract(leaf, '$.actor.id'), json_extract(leaf, '$.target.type'),
                json_extract(leaf, '$.target.id'), json_extract(leaf, '$.target.repository'),
                json_extract(leaf, '$.target.digest') FROM records;
            DROP TABLE records;
            ALTER TABLE old_records RENAME TO records;
            CREATE INDEX records_action ON records (action);
            CREATE INDEX records_actor ON records (actor_id);
            CREATE VIRTUAL TABLE records_text USING fts5(message, details, tokenize = 'trigram');
            INSERT INTO records_text (rowid, message, details)
                SELECT seq, json_extract(leaf, '$.message'), '' FROM records;
            {sqlite._RETENTION_TRIGGER};
            DELETE FROM meta WHERE key = 'ledger_id';
            UPDATE meta SET value = '9' WHERE key = 'schema_version';
        """)
    for path in directory.glob(INDEX + "*"):
        path.unlink()


def test_step_9_moves_the_index_out_of_the_ledger(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        ledger.append_many([pull_event(i, actor=f"a{i % 2}") for i in range(50)])
        root = ledger.root(50)
    _downgrade_to_schema_9(directory)
    with Ledger.open(directory) as ledger:
        assert ledger.store.get_meta("schema_version") == str(sqlite.SCHEMA_VERSION)
        assert ledger.store.get_meta("ledger_id")
        assert ledger.root(50) == root
        assert ledger.verify().size == 50
        assert ledger.count_by("actor_id", Query()) == {"a0": 25, "a1": 25}
        assert _seqs(ledger, Query(text=("team/app:v42",))) == [42]
        ledger.append(pull_event(50, actor="a0"))
        assert _seqs(ledger, Query(actor_id="a0", limit=2)) == [50, 48]
    with sqlite3.connect(directory / DATABASE) as conn:
        assert [row[1] for row in conn.execute("PRAGMA table_info(records)")] == ["seq", "leaf"]
        names = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert not names & {"records_text", "records_action", "records_text_removed"}
