"""The SQLite engine's query index, built from the stored leaves after they are durable.

An append commits only what the log needs (records, tiles): the columns queries filter on, their
seven B-tree indexes and the free-text index live in a second database file beside the ledger
(``ledger.index.db``) and are derived from the leaves by an indexer thread. Its writes take that
file's lock, not the ledger's, so indexing runs beside the appends (SQLite works without the GIL)
instead of inside every durable commit, where it cost more than half of each commit's time.

Queries never see a stale index: ``SQLiteIndex.sync`` indexes whatever the ledger holds beyond
the index before a query runs. Everything here is derived, and so disposable:

- progress (the next seq to index) commits with the rows it covers, so a crash loses at most
  work that is redone;
- the file records which ledger it indexes (``ledger_id``); an index of another ledger, or one
  ahead of its ledger (a database restored from a backup), is emptied and rebuilt;
- records that retention archived lose their index rows (``retention_ranges``);
- a sealed actor (``sealtrail.privacy.sealing``) is indexed as its subject's pseudonym while the
  subject's key exists and as ``erased`` after; indexing an ``audit.erase`` record relabels the
  rows of every subject whose key is gone.

A damaged leaf (not a JSON object with the event's fields) gets no index row: ``verify`` names it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from sealtrail.errors import StoreUnavailable
from sealtrail.events import indexed_fields
from sealtrail.privacy.sealing import ERASED_ACTOR, envelope_key_id
from sealtrail.store.filters import record_text

__all__ = [
    "INDEX_SUFFIX",
    "SQLiteIndex",
    "create_text_table",
    "execute_each",
    "index_path",
    "text_match",
]

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".index.db"
#: Records indexed per transaction: large enough that the text index writes few segments, small
#: enough that a query waiting for the indexer waits little.
CHUNK = 4096
#: The indexer waits until appends pause this long, or until ``MAX_LAG`` records wait. Indexing
#: while 32 threads append doubled the CPU time of each append (the indexer and the appenders
#: hand the GIL back and forth on every row), so the whole was faster when it indexed after: with
#: 32 threads, about 10,000-12,000 appends/s indexing alongside, 15,500/s counting the catch-up
#: after. Queries never wait for it: they index what is missing themselves.
IDLE_SECONDS = 0.1
MAX_LAG = 20_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records_index (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor_id TEXT,
    actor_key TEXT,
    target_type TEXT,
    target_id TEXT,
    repository TEXT,
    digest TEXT
);
CREATE INDEX IF NOT EXISTS records_time ON records_index (time);
CREATE INDEX IF NOT EXISTS records_action ON records_index (action);
CREATE INDEX IF NOT EXISTS records_outcome ON records_index (outcome);
CREATE INDEX IF NOT EXISTS records_actor ON records_index (actor_id);
CREATE INDEX IF NOT EXISTS records_target_id ON records_index (target_id);
CREATE INDEX IF NOT EXISTS records_repository ON records_index (repository);
CREATE INDEX IF NOT EXISTS records_digest ON records_index (digest);
CREATE INDEX IF NOT EXISTS records_actor_key ON records_index (actor_key)
    WHERE actor_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS purged_ranges (first_seq INTEGER PRIMARY KEY,
                                          end_seq INTEGER NOT NULL);
"""

#: Text index tokenizers, best first: trigram (SQLite 3.34+) finds any substring of three or more
#: characters; unicode61, where trigram is missing, finds words and word prefixes.
_TEXT_TOKENIZERS = ("trigram", "unicode61")
_INSERT_ROW = "INSERT INTO records_index VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_INSERT_TEXT = "INSERT INTO records_text (rowid, message, details) VALUES (?, ?, ?)"
_ERASE_ACTION = "audit.erase"


def index_path(ledger: Path) -> Path:
    """The index file of the ledger database at ``ledger``: ``ledger.db`` → ``ledger.index.db``."""
    return ledger.with_name(ledger.stem + INDEX_SUFFIX)


class SQLiteIndex:
    """The query index of one SQLite ledger, kept in step with it by a background thread.

    ``ledger_reader`` opens a read connection to the ledger database (the indexer's own, used
    under its lock); ``reader`` gives the calling thread's own, for a query's quick look at how
    far the ledger is (a connection shared across threads can share an older snapshot).
    """

    def __init__(
        self,
        path: Path,
        ledger_reader: Callable[[], sqlite3.Connection],
        reader: Callable[[], sqlite3.Connection],
        connect: Callable[[Path], sqlite3.Connection],
    ) -> None:
        self.path = path
        self._lock = threading.Lock()  # one indexing transaction at a time in this process
        self._ledger = ledger_reader()
        self._reader = reader
        self._conn = connect(path)
        self._conn.execute("PRAGMA synchronous = NORMAL")  # derived: a lost commit is redone
        self._indexed = 0  # records below this seq are indexed (as far as this process knows)
        self._purged = 0  # retention ranges whose index rows are gone (likewise)
        self._wake = threading.Event()
        self._lag = 0  # records appended since the indexer last ran (a hint: not locked)
        self._stopping = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        try:
            self._create()
        except sqlite3.Error as error:
            raise StoreUnavailable(f"{path}: cannot open the query index: {error}") from error
        self.trigram = _text_tokenizer(self._conn) == "trigram"

    # -- keeping up

    def notify(self, count: int) -> None:
        """``count`` records were appended: index them once appends pause (or too many wait)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._closed:
                    self._thread = threading.Thread(
                        target=self._run, daemon=True, name="sealtrail-indexer"
                    )
                    self._thread.start()
        self._lag += count
        self._wake.set()

    def sync(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Index every record the ledger holds now (and drop archived ones): after this, a query
        sees every append that returned before it was called. ``progress(done, total)`` hears
        of each chunk, in records still to index when it started."""
        size, ranges = (
            self._reader()
            .execute("SELECT (SELECT size FROM tree), (SELECT COUNT(*) FROM retention_ranges)")
            .fetchone()
        )
        if size <= self._indexed and ranges <= self._purged:
            return
        with self._lock:
            try:
                first = _indexed_upto(self._conn)
                while self._step(size):
                    if progress is not None:
                        progress(self._indexed - first, size - first)
            except sqlite3.Error as error:
                raise StoreUnavailable(f"{self.path}: indexing failed: {error}") from error
        if progress is not None:
            progress(size - first, size - first)

    def pending(self) -> int:
        """Records the ledger holds that the index does not yet."""
        (size,) = self._reader().execute("SELECT size FROM tree").fetchone()
        with self._lock:
            return max(0, int(size) - _indexed_upto(self._conn))

    def reclaim(self, full: bool) -> None:
        """Give the pages of purged rows back to the file system (``SQLiteStore.reclaim``)."""
        with self._lock:
            try:
                if full:
                    self._conn.execute("VACUUM")
                else:
                    self._conn.executescript("PRAGMA incremental_vacuum;")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as error:
                raise StoreUnavailable(f"{self.path}: reclaim failed: {error}") from error

    def scrub(self) -> bool:
        """Copy the write-ahead log into the file and truncate it, so no page image of an
        overwritten row is left (``SQLiteStore.scrub``); False when a reader kept it."""
        with self._lock:
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            self._conn.close()
            self._ledger.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            while (
                not self._stopping.is_set()
                and self._lag < MAX_LAG
                and self._wake.wait(IDLE_SECONDS)  # appends go on
            ):
                self._wake.clear()
            if self._stopping.is_set():
                return
            self._lag = 0
            try:
                self.sync()
            except StoreUnavailable as error:  # queries will sync and report it themselves
                log.warning("query index: %s", error)

    # -- one transaction of the index

    def _create(self) -> None:
        conn = self._conn
        with _transaction(conn):
            execute_each(conn, _SCHEMA)
            if not conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'records_text'"
            ).fetchone():
                create_text_table(conn)
            self._check_owner()

    def _check_owner(self) -> None:
        """Empty the index when it is not this ledger's (anymore): another ledger's, or ahead of
        the ledger (restored from an older copy). Called inside the index's transaction."""
        (ledger_id,) = self._ledger.execute(
            "SELECT value FROM meta WHERE key = 'ledger_id'"
        ).fetchone()
        (size,) = self._ledger.execute("SELECT size FROM tree").fetchone()
        if _get(self._conn, "ledger_id") == ledger_id and _indexed_upto(self._conn) <= size:
            return
        for table in ("records_index", "records_text", "purged_ranges"):
            self._conn.execute(f"DELETE FROM {table}")
        _put(self._conn, "ledger_id", ledger_id)
        _put(self._conn, "indexed", "0")

    def _step(self, size: int) -> bool:
        """Index up to ``CHUNK`` records below ``size`` in one transaction; True if more wait."""
        conn = self._conn
        with _transaction(conn):
            start = _indexed_upto(conn)  # another process may have gone further
            end = min(size, start + CHUNK)
            if start < end:
                self._index(start, end)
                _put(conn, "indexed", str(end))
            self._purge()
        self._indexed = max(start, end)
        return end < size

    def _index(self, start: int, end: int) -> None:
        rows = self._ledger.execute(
            "SELECT seq, leaf FROM records WHERE seq >= ? AND seq < ? ORDER BY seq", (start, end)
        ).fetchall()
        columns: list[tuple[Any, ...]] = []
        texts: list[tuple[int, str, str]] = []
        sealed: dict[int, str] = {}
        erased = False
        for seq, leaf in rows:
            try:
                event = orjson.loads(leaf)
                fields = indexed_fields(event)
            except (orjson.JSONDecodeError, TypeError, KeyError, AttributeError):
                continue  # a damaged record: verify names it
            if (key := envelope_key_id(fields.actor_id)) is not None:
                sealed[len(columns)] = key
            erased = erased or fields.action == _ERASE_ACTION
            columns.append((
                seq, fields.time, fields.action, fields.category, fields.outcome,
                fields.actor_id, None, fields.target_type, fields.target_id,
                fields.repository, fields.digest,
            ))  # fmt: skip
            text = record_text(event)
            if text[0] or text[1]:
                texts.append((seq, *text))
        if sealed:
            subjects = self._subjects(set(sealed.values()))
            for position, key in sealed.items():
                row = columns[position]
                actor = subjects.get(key, ERASED_ACTOR)
                columns[position] = (*row[:5], actor, key if key in subjects else None, *row[7:])
        self._conn.executemany(_INSERT_ROW, columns)
        self._conn.executemany(_INSERT_TEXT, texts)
        if erased:
            self._relabel_erased()

    def _subjects(self, keys: Iterable[str]) -> dict[str, str]:
        """Each existing key's subject (pseudonym), by key id."""
        found: dict[str, str] = {}
        wanted = list(keys)
        for at in range(0, len(wanted), 500):
            part = wanted[at : at + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT key_id, subject FROM subject_keys WHERE key_id IN ({marks})"
            found.update(self._ledger.execute(sql, part).fetchall())
        return found

    def _relabel_erased(self) -> None:
        """Rows of subjects whose key was destroyed (``erase``) no longer name their pseudonym."""
        keys = [key for (key,) in self._conn.execute(
            "SELECT DISTINCT actor_key FROM records_index WHERE actor_key IS NOT NULL"
        )]  # fmt: skip
        alive = self._subjects(keys)
        gone = [(key,) for key in keys if key not in alive]
        self._conn.executemany(
            f"UPDATE records_index SET actor_id = '{ERASED_ACTOR}', actor_key = NULL"
            " WHERE actor_key = ?",
            gone,
        )

    def _purge(self) -> None:
        """Drop the index rows of records that retention archived since the last purge."""
        ranges = self._ledger.execute(
            "SELECT first_seq, end_seq FROM retention_ranges ORDER BY first_seq"
        ).fetchall()
        if len(ranges) <= self._purged:
            return
        done = {first for (first,) in self._conn.execute("SELECT first_seq FROM purged_ranges")}
        fresh = [(first, end) for first, end in ranges if first not in done]
        for sql in (
            "DELETE FROM records_index WHERE seq >= ? AND seq < ?",
            "DELETE FROM records_text WHERE rowid >= ? AND rowid < ?",
            "INSERT OR REPLACE INTO purged_ranges (first_seq, end_seq) VALUES (?, ?)",
        ):
            self._conn.executemany(sql, fresh)
        self._purged = len(ranges)


def execute_each(conn: sqlite3.Connection, script: str) -> None:
    """Run ``script``'s statements one by one inside the open transaction (``executescript``
    would commit it first). Also the ledger file's schema steps use it."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _get(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM index_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _indexed_upto(conn: sqlite3.Connection) -> int:
    """The stored progress: records below this seq are indexed."""
    return int(_get(conn, "indexed") or 0)


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction of the index file: committed, or rolled back if anything raises
    (unless a failed COMMIT has ended it already)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _put(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO index_meta (key, value) VALUES (?, ?)", (key, value))


def create_text_table(conn: sqlite3.Connection) -> None:
    for tokenizer in _TEXT_TOKENIZERS:
        try:
            conn.execute(
                "CREATE VIRTUAL TABLE records_text USING"
                f" fts5(message, details, tokenize = '{tokenizer}')"
            )
            return
        except sqlite3.OperationalError:
            continue
    raise StoreUnavailable(f"SQLite {sqlite3.sqlite_version} has no FTS5 full-text search")


def _text_tokenizer(conn: sqlite3.Connection) -> str:
    """The tokenizer the text index was made with: ``trigram`` or ``unicode61``."""
    sql = "SELECT sql FROM sqlite_master WHERE name = 'records_text'"
    (create,) = conn.execute(sql).fetchone()
    return "trigram" if "'trigram'" in create else "unicode61"


# ---------------------------------------------------------------------------------------------
# Free-text clauses, for a reader connection with the index attached as ``idx``

#: A term scanned for instead of looked up: the index cannot find it (``_indexable``).
_SCAN_TEXT = (
    "seq IN (SELECT rowid FROM idx.records_text"
    " WHERE instr(lower(message), lower(?)) OR instr(lower(details), lower(?)))"
)


def text_match(terms: Sequence[str], *, trigram: bool) -> tuple[list[str], list[object]]:
    """Clauses requiring every term in a record's message or details, as a substring.

    The indexed terms go into one bound FTS5 query, each a quoted phrase (a ``"`` doubled), so
    ``OR``, ``NEAR``, ``*``, ``(`` and ``:`` are plain text; unicode61 makes the last word of
    each a prefix. The others (shorter than a trigram, or no word for unicode61) are scanned for,
    case-insensitive in ASCII like ``LIKE``, without pattern characters to escape.
    """
    indexed = [term for term in terms if _indexable(term, trigram=trigram)]
    clauses: list[str] = []
    params: list[object] = []
    if indexed:
        star = "" if trigram else " *"
        phrases = ['"' + term.replace('"', '""') + '"' + star for term in indexed]
        clauses.append("seq IN (SELECT rowid FROM idx.records_text WHERE records_text MATCH ?)")
        params.append(" AND ".join(phrases))
    for term in terms:
        if not _indexable(term, trigram=trigram):
            clauses.append(_SCAN_TEXT)
            params.extend((term, term))
    return clauses, params


def _indexable(term: str, *, trigram: bool) -> bool:
    if trigram:
        return len(term) >= 3
    return any(char.isalnum() for char in term)
