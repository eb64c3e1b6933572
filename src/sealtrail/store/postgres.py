"""The PostgreSQL store: one log shared by any number of processes on any number of hosts.

Sequencing: every batch is sequenced inside one transaction that first locks the single row of
``tree`` (``SELECT ... FOR UPDATE``), so exactly one writer at a time reads the right edge and
extends the tree, whichever process or host it runs in; the others wait for the lock, then see the
new size. A writer killed mid-batch (SIGKILL, lost host) leaves an aborted transaction: PostgreSQL
releases the lock and keeps none of it, so the next writer continues from the last committed size
with no gap, no duplicate and no second tree. ``COMMIT`` returns after the WAL is flushed
(``synchronous_commit = on``, forced per session), so an acknowledged append is durable.

The schema is versioned (``meta.schema_version``); ``PostgresStore.create`` makes the latest
one, ``upgrade()`` (``sealtrail db upgrade``) applies the missing steps, and opening refuses a
schema older or newer than this code. Every statement is written with ``?`` placeholders, shared
with the SQLite engine (``store/filters.py``), and rewritten to psycopg's ``%s`` here.

A URL may choose a schema with ``options=-csearch_path=NAME`` (the tests give each ledger its own).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from sealtrail.errors import StoreUnavailable, ValidationError
from sealtrail.ledger.tiles import Tile
from sealtrail.store.base import (
    ApiKeyRow,
    Query,
    Sequenced,
    StoredCheckpoint,
    StoredRecord,
    WriteView,
)
from sealtrail.store.filters import searchable, where

__all__ = ["SCHEMA_VERSION", "PostgresStore"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tree (id INTEGER PRIMARY KEY CHECK (id = 0), size BIGINT NOT NULL);
INSERT INTO tree (id, size) VALUES (0, 0);
CREATE TABLE records (
    seq BIGINT PRIMARY KEY,
    leaf BYTEA NOT NULL,
    time TEXT NOT NULL,
    action TEXT COLLATE "C" NOT NULL,  -- byte order: a category is a range of actions
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor_id TEXT,
    target_type TEXT,
    target_id TEXT,
    repository TEXT,
    digest TEXT,
    search TEXT NOT NULL DEFAULT ''
);
-- (column, seq): the newest N records with a value are a backward range scan, never a sort
CREATE INDEX records_time ON records (time);
CREATE INDEX records_action ON records (action, seq);
CREATE INDEX records_outcome ON records (outcome, seq);
CREATE INDEX records_actor ON records (actor_id, seq);
CREATE INDEX records_target_id ON records (target_id, seq);
CREATE INDEX records_repository ON records (repository, seq);
CREATE INDEX records_digest ON records (digest, seq);
CREATE INDEX records_search ON records USING gin (search gin_trgm_ops);
CREATE TABLE tiles (level INTEGER NOT NULL, n BIGINT NOT NULL, data BYTEA NOT NULL,
                    PRIMARY KEY (level, n));
CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, note TEXT NOT NULL, signed_at TEXT NOT NULL);
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
CREATE TABLE idempotency (key TEXT PRIMARY KEY, first_seq BIGINT NOT NULL, count INTEGER NOT NULL);
"""

# Each step takes the schema from version N to N + 1 inside one transaction.
_MIGRATIONS: dict[int, str] = {}

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


@lru_cache(maxsize=512)
def _sql(statement: str) -> str:
    """A statement with ``?`` placeholders in psycopg's form (``%`` doubled, ``?`` as ``%s``)."""
    return statement.replace("%", "%%").replace("?", "%s")


class _View:
    """SQL inside one write transaction (``WriteView``)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        return _read_tiles(self._conn, tiles)

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        cursor = self._conn.execute(_sql(sql), list(params))
        return cursor.fetchall() if cursor.description else []

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_sql(sql), [list(row) for row in rows])


class PostgresStore:
    """The PostgreSQL engine of ``Store``."""

    def __init__(self, url: str, *, create: bool = False, upgrade: bool = False) -> None:
        self.url = url
        self._write_lock = threading.Lock()
        try:
            self._writer = self._connect()
            self._pool = ConnectionPool(
                url, min_size=1, max_size=8, open=True, configure=_configure, timeout=5
            )
        except psycopg.Error as error:
            raise StoreUnavailable(f"PostgreSQL {_safe(url)}: {_reason(error)}") from error
        exists = self._has_schema()
        if create == exists:
            self.close()
            raise ValidationError(
                f"PostgreSQL {_safe(url)}: {'a ledger exists already' if create else 'no ledger'}"
            )
        if create:
            with self._transaction() as conn:
                conn.execute(_SCHEMA)
                conn.execute(
                    _sql("INSERT INTO meta VALUES ('schema_version', ?)"), [str(SCHEMA_VERSION)]
                )
        elif upgrade:
            self.upgrade()
        self._check_version()

    @staticmethod
    def _connect_url(url: str) -> psycopg.Connection[Any]:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        _configure(conn)
        return conn

    def _connect(self) -> psycopg.Connection[Any]:
        return self._connect_url(self.url)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """The write connection inside one transaction; reconnects once if it was lost."""
        with self._write_lock:
            if self._writer.closed or self._writer.broken:
                try:
                    self._writer = self._connect()
                except psycopg.Error as error:
                    raise StoreUnavailable(f"PostgreSQL: {_reason(error)}") from error
            conn = self._writer
            try:
                with conn.transaction():
                    yield conn
            except psycopg.Error as error:
                raise StoreUnavailable(f"PostgreSQL: write failed: {_reason(error)}") from error

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as error:
            raise StoreUnavailable(f"PostgreSQL: read failed: {_reason(error)}") from error
        except Exception as error:  # the pool's own timeout when the server is gone
            if type(error).__module__.startswith("psycopg_pool"):
                raise StoreUnavailable(f"PostgreSQL: no connection: {error}") from error
            raise

    # schema

    def _has_schema(self) -> bool:
        row = self._writer.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()
        return bool(row and row[0])

    def schema_version(self) -> int:
        row = self._writer.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            raise StoreUnavailable("PostgreSQL: the ledger schema has no version")
        return int(row[0])

    def _check_version(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            self.close()
            raise StoreUnavailable(
                f"PostgreSQL: schema {version} is newer than this sealtrail ({SCHEMA_VERSION}); "
                "upgrade sealtrail"
            )
        if version < SCHEMA_VERSION:
            self.close()
            raise StoreUnavailable(
                f"PostgreSQL: schema {version} is older than this sealtrail ({SCHEMA_VERSION}); "
                "run `sealtrail db upgrade`"
            )

    def upgrade(self) -> list[int]:
        """Apply the missing migration steps, each in its own transaction; the versions reached."""
        reached: list[int] = []
        while True:
            with self._transaction() as conn:
                conn.execute("LOCK TABLE meta IN EXCLUSIVE MODE")
                version = self.schema_version()
                if version >= SCHEMA_VERSION:
                    return reached
                conn.execute(_MIGRATIONS[version])
                sql = "UPDATE meta SET value = ? WHERE key = 'schema_version'"
                conn.execute(_sql(sql), [str(version + 1)])
                reached.append(version + 1)

    # writing

    def append(self, build: Callable[[int, WriteView], Sequenced]) -> Sequenced:
        with self._transaction() as conn:
            row = conn.execute("SELECT size FROM tree WHERE id = 0 FOR UPDATE").fetchone()
            size = row[0] if row else 0
            batch = build(int(size), _View(conn))
            self._write(conn, batch)
        return batch

    @staticmethod
    def _write(conn: psycopg.Connection[Any], batch: Sequenced) -> None:
        columns = (
            "seq, leaf, time, action, category, outcome, actor_id, target_type, target_id,"
            " repository, digest, search"
        )
        with conn.cursor() as cursor, cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy:
            for i, (leaf, f) in enumerate(zip(batch.leaves, batch.fields, strict=True)):
                message, details = searchable(leaf)
                copy.write_row(
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
                        f"{message}\n{details}" if details else message,
                    )
                )
        if batch.tiles:
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO tiles (level, n, data) VALUES (%s, %s, %s)"
                    " ON CONFLICT (level, n) DO UPDATE SET data = EXCLUDED.data",
                    [(level, n, data) for (level, n), data in batch.tiles.items()],
                )
        conn.execute("UPDATE tree SET size = %s WHERE id = 0", [batch.new_size])

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO checkpoints (size, note, signed_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (size) DO NOTHING",
                [checkpoint.size, checkpoint.note, checkpoint.signed_at],
            )

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, value],
            )

    def add_key(self, key: ApiKeyRow) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO api_keys VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", list(key))

    def revoke_key(self, key_id: str, at: str) -> bool:
        with self._transaction() as conn:
            sql = "UPDATE api_keys SET revoked_at = %s WHERE key_id = %s AND revoked_at IS NULL"
            return conn.execute(sql, [at, key_id]).rowcount == 1

    # reading

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        with self._read() as conn:
            return _read_tiles(conn, tiles)

    def size(self) -> int:
        with self._read() as conn:
            (size,) = conn.execute("SELECT size FROM tree WHERE id = 0").fetchone()  # type: ignore[misc]
        return int(size)

    def read_records(self, start: int, end: int) -> list[StoredRecord]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT seq, leaf FROM records WHERE seq >= %s AND seq < %s ORDER BY seq",
                [start, end],
            ).fetchall()
        return [StoredRecord(int(seq), bytes(leaf)) for seq, leaf in rows]

    def iter_records(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Iterator[list[StoredRecord]]:
        for rows in self.iter_rows(start, end, chunk):
            yield [StoredRecord(seq, leaf) for seq, leaf in rows]

    def iter_rows(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Iterator[list[tuple[int, bytes]]]:
        try:
            conn = self._connect()  # its own snapshot, held for the whole scan
        except psycopg.Error as error:
            raise StoreUnavailable(f"PostgreSQL: {_reason(error)}") from error
        try:
            with conn.transaction(), conn.cursor(name="sealtrail_scan") as cursor:
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.itersize = chunk
                cursor.execute(
                    "SELECT seq, leaf FROM records WHERE seq >= %s AND seq < %s ORDER BY seq",
                    [start, end],
                )
                while rows := cursor.fetchmany(chunk):
                    yield [(int(seq), bytes(leaf)) for seq, leaf in rows]
        except psycopg.Error as error:
            raise StoreUnavailable(f"PostgreSQL: scan failed: {_reason(error)}") from error
        finally:
            conn.close()

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT size, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        return None if row is None else StoredCheckpoint(int(row[0]), row[1], row[2])

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self._read() as conn:
            rows = conn.execute("SELECT size, note, signed_at FROM checkpoints ORDER BY size")
            return [StoredCheckpoint(int(size), note, at) for size, note, at in rows]

    def query(self, query: Query) -> list[StoredRecord]:
        possible = _without_nul(query)
        if possible is None:
            return []
        condition, params = where(possible, _text_match)
        order = "ASC" if query.oldest_first else "DESC"
        sql = f"SELECT seq, leaf FROM records WHERE {condition} ORDER BY seq {order} LIMIT ?"
        with self._read() as conn:
            rows = conn.execute(_sql(sql), [*params, query.limit]).fetchall()
        return [StoredRecord(int(seq), bytes(leaf)) for seq, leaf in rows]

    def count_by(self, column: str, query: Query) -> dict[str, int]:
        if column not in _GROUPABLE:
            raise ValidationError(
                f"cannot count by {column!r}; one of {', '.join(sorted(_GROUPABLE))}"
            )
        possible = _without_nul(query)
        if possible is None:
            return {}
        condition, params = where(possible, _text_match)
        expression = _GROUPABLE[column]
        sql = f"SELECT {expression}, COUNT(*) FROM records WHERE {condition} GROUP BY {expression}"
        with self._read() as conn:
            return {str(key): int(count) for key, count in conn.execute(_sql(sql), params)}

    def explain(self, query: Query) -> str:
        """PostgreSQL's plan for ``query`` (the tests check that each API filter uses an index)."""
        condition, params = where(query, _text_match)
        order = "ASC" if query.oldest_first else "DESC"
        sql = (
            f"EXPLAIN SELECT seq, leaf FROM records WHERE {condition} ORDER BY seq {order} LIMIT ?"
        )
        with self._read() as conn:
            return "\n".join(row[0] for row in conn.execute(_sql(sql), [*params, query.limit]))

    def get_meta(self, key: str) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = %s", [key]).fetchone()
        return None if row is None else str(row[0])

    def writable(self) -> bool:
        """Whether the database answers and accepts writes (not a read-only standby)."""
        try:
            with self._read() as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        except StoreUnavailable:
            return False
        return bool(row is not None and not row[0])

    def key_by_hash(self, secret_hash: str) -> ApiKeyRow | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM api_keys WHERE secret_hash = %s", [secret_hash])
            found = row.fetchone()
        return None if found is None else ApiKeyRow(*found)

    def list_keys(self) -> list[ApiKeyRow]:
        with self._read() as conn:
            rows = conn.execute("SELECT * FROM api_keys ORDER BY created_at, key_id").fetchall()
        return [ApiKeyRow(*row) for row in rows]

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.close()


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Every session: durable commits, and UTC text times as written."""
    conn.autocommit = True
    conn.execute("SET synchronous_commit = on")


_NAMES = ("category", "outcome", "actor_id", "target_type", "target_id", "repository", "digest")
_EXCLUDED = (
    "excluded_outcomes",
    "excluded_actions",
    "excluded_categories",
    "excluded_actor_ids",
    "excluded_repositories",
)


def _without_nul(query: Query) -> Query | None:
    """The same query without values holding NUL, which no stored name holds (validation refuses
    them) and PostgreSQL text cannot even hold; None when such a value must match."""
    if any("\0" in (getattr(query, name) or "") for name in _NAMES):
        return None
    actions = tuple(a for a in query.actions if "\0" not in a)
    if query.actions and not actions:
        return None
    changes: dict[str, Any] = {"actions": actions}
    for name in _EXCLUDED:
        changes[name] = tuple(v for v in getattr(query, name) if "\0" not in v)
    return dataclasses.replace(query, **changes)


def _read_tiles(conn: psycopg.Connection[Any], tiles: Sequence[Tile]) -> list[bytes]:
    if not tiles:
        return []
    keys = sorted({(t.level, t.n) for t in tiles})
    rows = conn.execute(
        "SELECT level, n, data FROM tiles"
        " WHERE (level, n) IN (SELECT * FROM unnest(%s::int[], %s::bigint[]))",
        [[level for level, _ in keys], [n for _, n in keys]],
    ).fetchall()
    found = {(int(level), int(n)): bytes(data) for level, n, data in rows}
    missing = [t.path() for t in tiles if (t.level, t.n) not in found]
    if missing:
        raise StoreUnavailable(f"stored tiles missing: {', '.join(missing[:3])}")
    return [found[(t.level, t.n)] for t in tiles]


def _text_match(terms: Sequence[str]) -> tuple[list[str], list[object]]:
    """Every term as a case-insensitive substring of the record's text; the trigram index
    answers terms of three or more characters, shorter ones are filtered after it."""
    clauses = ["search ILIKE ? ESCAPE '\\'" for _ in terms]
    params: list[object] = [f"%{_escape_like(term)}%" for term in terms]
    return clauses, params


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _reason(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(unparsable URL)"
    info.pop("password", None)
    return " ".join(f"{key}={value}" for key, value in info.items())
