"""The embedded SQLite store (WAL).

One write connection per process, serialised by a lock; every batch is sequenced inside
``BEGIN IMMEDIATE``, which takes SQLite's write lock before the tree size is read, so appenders in
other processes wait instead of forking the tree. ``synchronous=FULL`` makes each commit durable
(the WAL is fsynced) before ``append`` returns. Readers use their own connection per thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sealtrail.errors import StoreUnavailable, ValidationError
from sealtrail.ledger.tiles import Tile
from sealtrail.store.base import Query, Sequenced, StoredCheckpoint, StoredRecord, WriteView

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 60_000

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE tree (id INTEGER PRIMARY KEY CHECK (id = 0), size INTEGER NOT NULL);
INSERT INTO tree (id, size) VALUES (0, 0);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    leaf BLOB NOT NULL,
    time TEXT NOT NULL,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor_id TEXT,
    target_type TEXT,
    target_id TEXT,
    repository TEXT,
    digest TEXT
);
CREATE INDEX records_time ON records (time);
CREATE INDEX records_action ON records (action);
CREATE INDEX records_category ON records (category);
CREATE INDEX records_outcome ON records (outcome);
CREATE INDEX records_actor ON records (actor_id);
CREATE INDEX records_target ON records (target_type, target_id);
CREATE INDEX records_target_id ON records (target_id);
CREATE INDEX records_repository ON records (repository);
CREATE INDEX records_digest ON records (digest);
CREATE TABLE tiles (level INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY (level, n)) WITHOUT ROWID;
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL, signed_at TEXT NOT NULL);
"""

_GROUPABLE = {"action", "category", "outcome", "actor_id", "target_type", "repository"}


class _Reads:
    """Reads shared by the write view (inside a transaction) and the store (outside)."""

    def __init__(self, connection: Callable[[], sqlite3.Connection]) -> None:
        self._connection = connection

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        if not tiles:
            return []
        keys = {(t.level, t.n) for t in tiles}
        where = " OR ".join("(level = ? AND n = ?)" for _ in keys)
        params = [v for key in keys for v in key]
        rows = self._connection().execute(f"SELECT level, n, data FROM tiles WHERE {where}", params)
        found = {(level, n): _as_bytes(data) for level, n, data in rows}
        missing = [t.path() for t in tiles if (t.level, t.n) not in found]
        if missing:
            raise StoreUnavailable(f"stored tiles missing: {', '.join(missing[:3])}")
        return [found[(t.level, t.n)] for t in tiles]


class SQLiteStore:
    """The SQLite engine of ``Store``: one database file, WAL, durable commits."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if create == path.exists():
            raise ValidationError(f"{path}: {'exists already' if create else 'no ledger here'}")
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._writer = self._connect()
        if create:
            self._writer.executescript(_SCHEMA)
            self._writer.execute(
                "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        self._check_schema()
        self._reads = _Reads(self._reader)

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.path}: {error}") from error
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
        return conn

    def _check_schema(self) -> None:
        row = self._writer.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or int(row[0]) > SCHEMA_VERSION:
            raise StoreUnavailable(
                f"{self.path}: schema {row and row[0]} is newer than this sealtrail"
            )

    def append(self, build: Callable[[int, WriteView], Sequenced]) -> Sequenced:
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    (size,) = conn.execute("SELECT size FROM tree").fetchone()
                    batch = build(size, _Reads(lambda: conn))
                    self._write(conn, batch)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                raise StoreUnavailable(f"{self.path}: append failed: {error}") from error
        return batch

    @staticmethod
    def _write(conn: sqlite3.Connection, batch: Sequenced) -> None:
        rows = [
            (
                batch.first_seq + i,
                leaf,
                f.time,
                f.action,
                f.category,
                f.outcome,
                f.actor_id,
                f.target_type,
                f.target_id,
                f.repository,
                f.digest,
            )
            for i, (leaf, f) in enumerate(zip(batch.leaves, batch.fields, strict=True))
        ]
        conn.executemany("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        conn.executemany(
            "INSERT OR REPLACE INTO tiles (level, n, data) VALUES (?, ?, ?)",
            [(level, n, data) for (level, n), data in batch.tiles.items()],
        )
        conn.execute("UPDATE tree SET size = ?", (batch.new_size,))

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        return self._reads.read_tiles(tiles)

    def size(self) -> int:
        (size,) = self._reader().execute("SELECT size FROM tree").fetchone()
        return int(size)

    def read_records(self, start: int, end: int) -> list[StoredRecord]:
        rows = self._reader().execute(
            "SELECT seq, leaf FROM records WHERE seq >= ? AND seq < ? ORDER BY seq", (start, end)
        )
        return [StoredRecord(seq, _as_bytes(leaf)) for seq, leaf in rows]

    def iter_records(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Iterator[list[StoredRecord]]:
        conn = self._connect()  # its own snapshot, held for the whole scan
        try:
            conn.execute("BEGIN")
            cursor = conn.execute(
                "SELECT seq, leaf FROM records WHERE seq >= ? AND seq < ? ORDER BY seq",
                (start, end),
            )
            while rows := cursor.fetchmany(chunk):
                yield [StoredRecord(seq, _as_bytes(leaf)) for seq, leaf in rows]
        finally:
            conn.close()

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        with self._write_lock:
            self._writer.execute(
                "INSERT OR IGNORE INTO checkpoints (size, note, signed_at) VALUES (?, ?, ?)",
                (checkpoint.size, checkpoint.note, checkpoint.signed_at),
            )

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        row = (
            self._reader()
            .execute("SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1")
            .fetchone()
        )
        return None if row is None else StoredCheckpoint(*row)

    def checkpoints(self) -> list[StoredCheckpoint]:
        rows = self._reader().execute("SELECT size, note, signed_at FROM checkpoints ORDER BY size")
        return [StoredCheckpoint(*row) for row in rows]

    def query(self, query: Query) -> list[StoredRecord]:
        where, params = _where(query)
        order = "ASC" if query.oldest_first else "DESC"
        sql = f"SELECT seq, leaf FROM records WHERE {where} ORDER BY seq {order} LIMIT ?"
        rows = self._reader().execute(sql, [*params, query.limit])
        return [StoredRecord(seq, _as_bytes(leaf)) for seq, leaf in rows]

    def count_by(self, column: str, query: Query) -> dict[str, int]:
        if column not in _GROUPABLE:
            raise ValidationError(
                f"cannot count by {column!r}; one of {', '.join(sorted(_GROUPABLE))}"
            )
        where, params = _where(query)
        sql = f"SELECT {column}, COUNT(*) FROM records WHERE {where} GROUP BY {column}"
        return {str(key): count for key, count in self._reader().execute(sql, params)}

    def get_meta(self, key: str) -> str | None:
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write_lock:
            self._writer.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _as_bytes(value: object) -> bytes:
    """Stored bytes as bytes, whatever type an edit of the file gave them (TEXT, a number...)."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


_EQUALS = ("category", "outcome", "actor_id", "target_type", "target_id", "repository", "digest")


def _where(query: Query) -> tuple[str, list[object]]:
    """The SQL condition and parameters of a query; columns come from code, values are bound."""
    clauses = ["1 = 1"]
    params: list[object] = []
    if query.actions:
        clauses.append(f"action IN ({','.join('?' * len(query.actions))})")
        params.extend(query.actions)
    for column in _EQUALS:
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.excluded_outcomes:
        clauses.append(f"outcome NOT IN ({','.join('?' * len(query.excluded_outcomes))})")
        params.extend(query.excluded_outcomes)
    for clause, value in (
        ("time >= ?", query.since),
        ("time < ?", query.until),
        ("seq < ?", query.before_seq),
        ("seq > ?", query.after_seq),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params
