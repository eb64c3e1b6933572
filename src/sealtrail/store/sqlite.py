"""The embedded SQLite store (WAL).

One write connection per process, serialised by a lock; every batch is sequenced inside
``BEGIN IMMEDIATE``, which takes SQLite's write lock before the tree size is read, so appenders in
other processes wait instead of forking the tree. ``synchronous=FULL`` makes each commit durable
(the WAL is fsynced) before ``append`` returns. Readers use their own connection per thread.

The ledger file holds what the log needs: records (seq, leaf), hash tiles, checkpoints. What
queries filter on lives in a second file, built from the leaves after each commit
(``sealtrail.store.sqlite_index``); reader connections attach it as ``idx``.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import uuid
from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import Any

from sealtrail.errors import StoreUnavailable, ValidationError
from sealtrail.ledger.tiles import Tile
from sealtrail.store.base import (
    ApiKeyRow,
    Query,
    Sequenced,
    StoredCheckpoint,
    StoredRecord,
    WriteView,
    as_bytes,
)
from sealtrail.store.filters import where
from sealtrail.store.sqlite_index import (
    SQLiteIndex,
    create_text_table,
    execute_each,
    index_path,
    text_match,
)

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

SCHEMA_VERSION = 10
BUSY_TIMEOUT_MS = 60_000
#: Readers (one connection per thread) read pages through a memory map of the database file,
#: without a system call and a copy per page, and keep 16 MiB of pages (the default is 2 MiB,
#: less than the interior pages of a million records' tables): a random record and tile read
#: took about 45 us of CPU instead of 70 us or more. SQLite caps the map at its compile-time
#: limit.
READER_MMAP_BYTES = 1 << 32
READER_CACHE_KIB = 16_384

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
CREATE INDEX records_outcome ON records (outcome);
CREATE INDEX records_actor ON records (actor_id);
CREATE INDEX records_target_id ON records (target_id);
CREATE INDEX records_repository ON records (repository);
CREATE INDEX records_digest ON records (digest);
CREATE TABLE tiles (level INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY (level, n)) WITHOUT ROWID;
CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note TEXT NOT NULL, signed_at TEXT NOT NULL);
"""

# Each step takes the schema from version N to N + 1, inside one transaction: SQL, or a function
# of the write connection.
_MIGRATIONS: dict[int, str | Callable[[sqlite3.Connection], None]] = {
    1: """
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    actor_id TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT,
    revoked_at TEXT
);
""",
    2: lambda conn: create_text_table(conn),  # the free-text index (moved out at step 9)
    3: """
CREATE TABLE idempotency (key TEXT PRIMARY KEY, first_seq INTEGER NOT NULL,
                          count INTEGER NOT NULL) WITHOUT ROWID;
""",
    4: lambda conn: execute_each(conn, _TAG_INDEX),  # tags and immutability policies
    5: """
CREATE TABLE IF NOT EXISTS subject_keys (key_id TEXT PRIMARY KEY, subject TEXT NOT NULL UNIQUE,
                                         key BLOB NOT NULL, created_at TEXT NOT NULL);
""",  # erasable personal fields: one key per subject (sealtrail.privacy.sealing)
    6: lambda conn: execute_each(conn, _ALERTS),  # the alert follower's state
    7: lambda conn: _create_retention(conn),  # archived record bodies (sealtrail.retention)
    8: lambda conn: _add_tile_nodes(conn),  # full tiles' interior nodes, for proofs
    9: lambda conn: _move_index_out(conn),  # query columns and text: built after the commit
}


def _move_index_out(conn: sqlite3.Connection) -> None:
    """Migration 9 to 10: records keep only (seq, leaf); the query columns, their indexes and the
    text index move to the index file (``sealtrail.store.sqlite_index``), which rebuilds them
    from the leaves. Written in every append, they took more than half of each commit's time.
    ``ledger_id`` lets an index file tell its ledger from another."""
    conn.execute("DROP TRIGGER IF EXISTS records_text_removed")
    conn.execute("DROP TABLE IF EXISTS records_text")
    conn.execute("CREATE TABLE records_rebuilt (seq INTEGER PRIMARY KEY, leaf BLOB NOT NULL)")
    conn.execute("INSERT INTO records_rebuilt (seq, leaf) SELECT seq, leaf FROM records")
    conn.execute("DROP TABLE records")
    conn.execute("ALTER TABLE records_rebuilt RENAME TO records")
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger_id', ?)", (uuid.uuid4().hex,)
    )


def _add_tile_nodes(conn: sqlite3.Connection) -> None:
    """Migration 8 to 9: each full tile's interior nodes (``sealtrail.ledger.tiles.grow_tiles``)
    in its own row, so a proof reads a tile and its nodes in one lookup; NULL for partial tiles
    and for tiles filled before this step.

    The table is rebuilt as a rowid table with a unique (level, n) index: its rows (8 to 16 KiB)
    are far larger than a WITHOUT ROWID table suits, whose interior pages would carry them; a
    random tile read took 14.2 us that way and 8.7 us this way (1,000,000 entries).
    """
    conn.execute(
        "CREATE TABLE tiles_rebuilt (level INTEGER NOT NULL, n INTEGER NOT NULL,"
        " data BLOB NOT NULL, nodes BLOB, UNIQUE (level, n))"
    )
    conn.execute("INSERT INTO tiles_rebuilt (level, n, data) SELECT level, n, data FROM tiles")
    conn.execute("DROP TABLE tiles")
    conn.execute("ALTER TABLE tiles_rebuilt RENAME TO tiles")


#: Migration 6 to 7: the alert follower's position, its rules' fingerprints and their sliding
#: windows (``sealtrail.alerts``), written in the transaction that appends their alerts.
_ALERTS = """
CREATE TABLE IF NOT EXISTS alert_cursor (name TEXT PRIMARY KEY, evaluated INTEGER NOT NULL,
                                         updated_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_rules (rule TEXT PRIMARY KEY,
                                        fingerprint TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_windows (rule TEXT NOT NULL, grp TEXT NOT NULL,
                                          entries TEXT NOT NULL,
                                          PRIMARY KEY (rule, grp)) WITHOUT ROWID;
"""

#: Migration 7 to 8: which record bodies retention removed, and the archive segments holding them
#: (``sealtrail.retention``). The index drops the rows of removed records when it next syncs.
_RETENTION = """
CREATE TABLE IF NOT EXISTS retention_segments (
    name TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    end_seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    checkpoint_size INTEGER NOT NULL,
    archived_at TEXT NOT NULL,
    announced_seq INTEGER
);
CREATE TABLE IF NOT EXISTS retention_ranges (
    first_seq INTEGER PRIMARY KEY,
    end_seq INTEGER NOT NULL,
    segment TEXT NOT NULL
);
"""
_RETENTION_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS records_text_removed AFTER DELETE ON records
BEGIN DELETE FROM records_text WHERE rowid = old.seq; END
"""


def _create_retention(conn: sqlite3.Connection) -> None:
    execute_each(conn, _RETENTION)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'records_text'").fetchone():
        conn.execute(_RETENTION_TRIGGER)  # until step 9 moves the text index out


#: Migration 4 to 5: the tag index and the immutability policies (``sealtrail.policies``).
_TAG_INDEX = """
CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    registry TEXT NOT NULL,
    name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    UNIQUE (registry, name)
);
CREATE INDEX repositories_namespace ON repositories (namespace);
CREATE INDEX repositories_name ON repositories (name);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    immutable INTEGER NOT NULL DEFAULT 0,
    immutable_by TEXT CHECK (immutable_by IN ('policy', 'manual')),
    policy_uuid TEXT,
    policy_version INTEGER,
    reason_seq INTEGER,
    updated_at TEXT NOT NULL,
    UNIQUE (repository_id, name)
);
CREATE TABLE immutability_policies (
    uuid TEXT PRIMARY KEY,
    scope TEXT NOT NULL CHECK (scope IN ('namespace', 'repository')),
    namespace TEXT NOT NULL,
    repository TEXT,
    tag_pattern TEXT NOT NULL,
    tag_pattern_matches INTEGER NOT NULL,
    version INTEGER NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX immutability_policies_scope ON immutability_policies (namespace, repository);
CREATE TABLE policy_runs (
    policy_uuid TEXT NOT NULL,
    version INTEGER NOT NULL,
    policy_seq INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    affected INTEGER NOT NULL,
    batches INTEGER NOT NULL,
    resumes INTEGER NOT NULL,
    sample TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_seq INTEGER,
    PRIMARY KEY (policy_uuid, version)
);
CREATE TABLE immutability_policy_versions (
    uuid TEXT NOT NULL,
    version INTEGER NOT NULL,
    policy TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (uuid, version)
) WITHOUT ROWID;
"""


_GROUPABLE = {
    "action": "action",
    "category": "category",
    "outcome": "outcome",
    "actor_id": "actor_id",
    "target_type": "target_type",
    "repository": "repository",
    "day": "substr(time, 1, 10)",
    "hour": "substr(time, 1, 13)",
}


class _Reads:
    """Reads shared by the write view (inside a transaction) and the store (outside)."""

    def __init__(self, connection: Callable[[], sqlite3.Connection]) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._connection().execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        self._connection().executemany(sql, rows)

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        found = self._tile_rows(tiles, "data")
        return [as_bytes(found[(t.level, t.n)][0]) for t in tiles]

    def read_full_tiles(self, tiles: Sequence[Tile]) -> Sequence[tuple[bytes, bytes | None]]:
        found = self._tile_rows(tiles, "data, nodes")
        rows = (found[(t.level, t.n)] for t in tiles)
        return [(as_bytes(data), None if n is None else as_bytes(n)) for data, n in rows]

    def _tile_rows(
        self, tiles: Sequence[Tile], columns: str
    ) -> dict[tuple[int, int], tuple[Any, ...]]:
        """``columns`` of each tile's row by (level, n); a tile not stored is refused."""
        if not tiles:
            return {}
        keys = {(t.level, t.n) for t in tiles}
        where = " OR ".join("(level = ? AND n = ?)" for _ in keys)
        params = [v for key in keys for v in key]
        sql = f"SELECT level, n, {columns} FROM tiles WHERE {where}"
        found = {(row[0], row[1]): row[2:] for row in self._connection().execute(sql, params)}
        missing = [t.path() for t in tiles if (t.level, t.n) not in found]
        if missing:
            raise StoreUnavailable(f"stored tiles missing: {', '.join(missing[:3])}")
        return found


def _open(path: Path, pragmas: Sequence[str]) -> sqlite3.Connection:
    """A connection in autocommit mode that any thread may use, waiting up to the busy timeout
    for another writer, with ``pragmas`` applied in order."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        for pragma in pragmas:
            conn.execute(f"PRAGMA {pragma}")
    except sqlite3.Error as error:
        raise StoreUnavailable(f"{path}: {error}") from error
    return conn


class SQLiteStore:
    """The SQLite engine of ``Store``: one database file, WAL, durable commits."""

    indexes_leaves = True  # in the index file, after the commit (``sqlite_index``)

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if create == path.exists():
            raise ValidationError(f"{path}: {'exists already' if create else 'no ledger here'}")
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._writer = self._connect()
        if create:  # pages freed by retention go back to the file system (``reclaim``)
            self._writer.execute("PRAGMA auto_vacuum = INCREMENTAL")
            self._writer.execute("VACUUM")  # an empty file: instant; makes the mode stick
            self._writer.executescript(_SCHEMA)
            self._writer.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        self._migrate()
        self._reads = _Reads(self._reader)
        self._index: SQLiteIndex | None = None  # made when first needed: a copy may be read-only
        self._index_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        return _open(self.path, ("journal_mode = WAL", "synchronous = FULL"))

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only = ON")
            conn.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
            conn.execute(f"PRAGMA cache_size = -{READER_CACHE_KIB}")
            self._local.conn = conn
            self._local.attached = False
        if self._index is not None and not self._local.attached:
            conn.execute("ATTACH DATABASE ? AS idx", (str(self._index.path),))
            self._local.attached = True
        return conn

    def _ledger_reader(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA query_only = ON")
        return conn

    @staticmethod
    def _connect_index(path: Path) -> sqlite3.Connection:
        return _open(
            path,
            (
                "auto_vacuum = INCREMENTAL",  # takes effect in a new file only
                "journal_mode = WAL",
                "secure_delete = ON",  # an erased pseudonym leaves no trace
            ),
        )

    @property
    def index(self) -> SQLiteIndex:
        """The query index (``sealtrail.store.sqlite_index``), opened or made on first use."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = SQLiteIndex(
                        index_path(self.path),
                        self._ledger_reader,
                        self._reader,
                        self._connect_index,
                    )
        return self._index

    def sync_index(self, progress: Callable[[int, int], None] | None = None) -> SQLiteIndex:
        """The query index, holding every record stored so far (``progress`` as in
        ``SQLiteIndex.sync``)."""
        index = self.index
        index.sync(progress)
        return index

    def _migrate(self) -> None:
        """Bring the schema up to ``SCHEMA_VERSION``, one step per transaction; refuse a schema
        newer than this code. The version is re-read under the write lock, so two processes
        opening an old ledger at once run each step once; a failing step is rolled back."""
        conn = self._writer
        while (version := self._schema_version()) < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = self._schema_version()
                if version < SCHEMA_VERSION:
                    step = _MIGRATIONS[version]
                    conn.execute(step) if isinstance(step, str) else step(conn)
                    sql = "UPDATE meta SET value = ? WHERE key = 'schema_version'"
                    conn.execute(sql, (str(version + 1),))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        if version > SCHEMA_VERSION:
            raise StoreUnavailable(f"{self.path}: schema {version} is newer than this sealtrail")

    def _schema_version(self) -> int:
        sql = "SELECT value FROM meta WHERE key = 'schema_version'"
        (text,) = self._writer.execute(sql).fetchone()
        return int(text)

    def append(self, build: Callable[[int, WriteView], Sequenced]) -> Sequenced:
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    (size,) = conn.execute("SELECT size FROM tree").fetchone()
                    batch = build(size, _Reads(lambda: conn))
                    self._write(conn, batch)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:  # a failed COMMIT (disk full) leaves it open
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise StoreUnavailable(f"{self.path}: append failed: {error}") from error
        if batch.leaves:
            self.index.notify(len(batch.leaves))
        return batch

    @staticmethod
    def _write(conn: sqlite3.Connection, batch: Sequenced) -> None:
        conn.executemany(
            "INSERT INTO records (seq, leaf) VALUES (?, ?)",
            enumerate(batch.leaves, batch.first_seq),
        )
        nodes = batch.nodes
        conn.executemany(
            "INSERT OR REPLACE INTO tiles (level, n, data, nodes) VALUES (?, ?, ?, ?)",
            [(level, n, data, nodes.get((level, n))) for (level, n), data in batch.tiles.items()],
        )
        conn.execute("UPDATE tree SET size = ?", (batch.new_size,))

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        return self._reads.read_tiles(tiles)

    def read_full_tiles(self, tiles: Sequence[Tile]) -> Sequence[tuple[bytes, bytes | None]]:
        return self._reads.read_full_tiles(tiles)

    def size(self) -> int:
        (size,) = self._reader().execute("SELECT size FROM tree").fetchone()
        return int(size)

    def read_records(self, start: int, end: int) -> list[StoredRecord]:
        rows = self._reader().execute(
            "SELECT seq, leaf FROM records WHERE seq >= ? AND seq < ? ORDER BY seq", (start, end)
        )
        return [StoredRecord(seq, as_bytes(leaf)) for seq, leaf in rows]

    def iter_records(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Generator[list[StoredRecord], None, None]:
        for rows in self.iter_rows(start, end, chunk):
            yield [StoredRecord(seq, leaf) for seq, leaf in rows]

    def iter_rows(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Generator[list[tuple[int, bytes]], None, None]:
        conn = self._connect()  # its own snapshot, held for the whole scan
        try:
            conn.execute("BEGIN")
            cursor = conn.execute(
                "SELECT seq, leaf FROM records WHERE seq >= ? AND seq < ? ORDER BY seq",
                (start, end),
            )
            while rows := cursor.fetchmany(chunk):
                if not all(type(leaf) is bytes for _, leaf in rows):
                    rows = [(seq, as_bytes(leaf)) for seq, leaf in rows]
                yield rows
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
        condition, params = where(query, self._text_clauses())
        order = "ASC" if query.oldest_first else "DESC"
        sql = (
            f"SELECT r.seq, r.leaf FROM (SELECT seq FROM idx.records_index WHERE {condition}"
            f" ORDER BY seq {order} LIMIT ?) AS m JOIN records AS r ON r.seq = m.seq"
            f" ORDER BY r.seq {order}"
        )
        rows = self._reader().execute(sql, [*params, query.limit])
        return [StoredRecord(seq, as_bytes(leaf)) for seq, leaf in rows]

    def _text_clauses(self) -> Callable[[Sequence[str]], tuple[list[str], list[object]]]:
        """How free text matches, once the index holds every record stored so far."""
        return functools.partial(text_match, trigram=self.sync_index().trigram)

    def count_by(self, column: str, query: Query) -> dict[str, int]:
        if column not in _GROUPABLE:
            raise ValidationError(
                f"cannot count by {column!r}; one of {', '.join(sorted(_GROUPABLE))}"
            )
        condition, params = where(query, self._text_clauses())
        expression = _GROUPABLE[column]
        sql = (
            f"SELECT {expression}, COUNT(*) FROM idx.records_index WHERE {condition}"
            f" GROUP BY {expression}"
        )
        return {str(key): count for key, count in self._reader().execute(sql, params)}

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only statement on this thread's reader connection (modules' own
        tables: the tag index, the policies)."""
        try:
            return self._reads.execute(sql, params)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{self.path}: read failed: {error}") from error

    def get_meta(self, key: str) -> str | None:
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._write_lock:
            self._writer.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)
            )

    def writable(self) -> bool:
        """Whether a write transaction can start now (without waiting long for another writer)."""
        with self._write_lock:
            try:
                self._writer.execute("PRAGMA busy_timeout = 2000")
                self._writer.execute("BEGIN IMMEDIATE")
                self._writer.execute("ROLLBACK")
                return True
            except sqlite3.Error:
                return False
            finally:
                self._writer.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def disk_bytes(self) -> int:
        """Bytes the ledger takes on disk: the database and index files and their write-ahead
        logs."""
        index = index_path(self.path)
        paths = (self.path, Path(f"{self.path}-wal"), index, Path(f"{index}-wal"))
        return sum(path.stat().st_size for path in paths if path.exists())

    def reclaim(self, full: bool = False) -> None:
        """Return the pages of removed records to the file system and empty the write-ahead log.

        A ledger made with incremental auto-vacuum (every ledger made since retention exists)
        frees its free pages in place (``PRAGMA incremental_vacuum``). An older one, or ``full``,
        is rewritten by ``VACUUM``, which needs the database's size again in free space and holds
        the write lock while it runs (a database in WAL mode cannot switch to incremental).
        """
        with self._write_lock:
            conn = self._writer
            try:
                (mode,) = conn.execute("PRAGMA auto_vacuum").fetchone()
                if full or mode != 2:
                    conn.execute("VACUUM")
                else:
                    conn.executescript("PRAGMA incremental_vacuum;")  # to the end: all pages
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as error:
                raise StoreUnavailable(f"{self.path}: reclaim failed: {error}") from error
        self.sync_index().reclaim(full)

    def add_key(self, key: ApiKeyRow) -> None:
        with self._write_lock:
            self._writer.execute("INSERT INTO api_keys VALUES (?,?,?,?,?,?,?,?)", key)

    def key_by_hash(self, secret_hash: str) -> ApiKeyRow | None:
        sql = "SELECT * FROM api_keys WHERE secret_hash = ?"
        row = self._reader().execute(sql, (secret_hash,)).fetchone()
        return None if row is None else ApiKeyRow(*row)

    def list_keys(self) -> list[ApiKeyRow]:
        rows = self._reader().execute("SELECT * FROM api_keys ORDER BY created_at, key_id")
        return [ApiKeyRow(*row) for row in rows]

    def revoke_key(self, key_id: str, at: str) -> bool:
        with self._write_lock:
            sql = "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL"
            return self._writer.execute(sql, (at, key_id)).rowcount == 1

    def scrub(self, tables: Sequence[str], wait: float = 30.0) -> bool:
        """After rows of ``tables`` were deleted with ``secure_delete`` on (which zeroes them in
        the pages written): copy the WAL into the database file and truncate it, so no earlier
        page image holding them is left. False when a reader kept the WAL from being reset
        (within the busy timeout, whatever ``wait`` says)."""
        with self._write_lock:
            busy, _, _ = self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy and self.sync_index().scrub()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        with self._write_lock:
            self._writer.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
