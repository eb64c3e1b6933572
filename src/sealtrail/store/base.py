"""The store interface: what the ledger needs from a database engine.

A store keeps four things: the sealed records (leaf bytes plus the columns queries filter on), the
hash tiles, the signed checkpoints and a little metadata. It knows nothing of Merkle trees: the
ledger computes every hash and tile and hands the store plain rows to write, inside one write
transaction that starts by reading the tree size (``append``). Two engines implement it: SQLite
(``sqlite.py``) and PostgreSQL (a later engine).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from sealtrail.events import IndexedFields
from sealtrail.ledger.tiles import TileReader, TilesWithNodesReader

__all__ = [
    "ApiKeyRow",
    "Query",
    "Sequenced",
    "Store",
    "StoredCheckpoint",
    "StoredRecord",
    "WriteView",
    "as_bytes",
]


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One sealed record: its position and its leaf bytes (the canonical JSON)."""

    seq: int
    leaf: bytes


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint as stored: the tree size it covers and the whole signed note."""

    size: int
    note: str
    signed_at: str


@dataclass(frozen=True)
class Sequenced:
    """What one write transaction adds: records from ``first_seq`` on, the tiles that change,
    and the interior nodes of the tiles it filled (``sealtrail.ledger.tiles.grow_tiles``).

    ``texts``, when given, holds each record's message and flattened details for the text index,
    as ``sealtrail.store.filters.searchable`` takes them from its leaf (None where not known):
    the ledger knows most from the events it encoded, which spares the store parsing the leaf.
    """

    first_seq: int
    leaves: Sequence[bytes]
    fields: Sequence[IndexedFields]  # one per leaf, or none for a store that ``indexes_leaves``
    tiles: dict[tuple[int, int], bytes]
    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)
    texts: Sequence[tuple[str, str] | None] = ()

    @property
    def new_size(self) -> int:
        return self.first_seq + len(self.leaves)


@dataclass(frozen=True)
class Query:
    """Filters over the indexed columns; every given filter must match. Newest first by default.

    ``actions`` is any of; an ``excluded_*`` field drops records whose column holds one of its
    values (records without a repository or actor stay). ``text`` is free text over each record's
    message and details, every term required, each matched as a case-insensitive substring (a
    phrase keeps its spaces); a term holding NUL or a lone surrogate is a ``ValidationError``.
    """

    actions: tuple[str, ...] = ()
    category: str | None = None
    outcome: str | None = None
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    repository: str | None = None
    digest: str | None = None
    since: str | None = None  # canonical event time, inclusive
    until: str | None = None  # canonical event time, exclusive
    before_seq: int | None = None  # cursor: only records with a smaller seq
    after_seq: int | None = None  # cursor: only records with a larger seq
    oldest_first: bool = False
    limit: int = 100
    excluded_outcomes: tuple[str, ...] = ()
    excluded_actions: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()
    excluded_actor_ids: tuple[str, ...] = ()
    excluded_repositories: tuple[str, ...] = ()
    text: tuple[str, ...] = ()  # free text over message and details


class ApiKeyRow(NamedTuple):
    """An API key as stored: never the secret, only its SHA-256."""

    key_id: str
    secret_hash: str
    name: str
    role: str
    actor_id: str | None
    created_at: str
    created_by: str | None
    revoked_at: str | None


class WriteView(TileReader, Protocol):
    """What the ledger sees inside a write transaction: the tiles as that transaction sees them,
    and SQL on the same transaction, so that a module keeping its own tables (the tag index, the
    idempotency keys) changes them together with the events that record the change: both commit,
    or neither. SQL uses ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run one statement in the write transaction; the rows it returns."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> None:
        """Run one statement once per row in the write transaction."""
        ...


class Store(TilesWithNodesReader, Protocol):
    """One interface, one engine per database."""

    #: True when the engine builds its query index from the stored leaves itself: appends may
    #: then leave ``Sequenced.fields`` and ``texts`` empty.
    indexes_leaves: bool

    def append(self, build: Callable[[int, WriteView], Sequenced]) -> Sequenced:
        """Sequence one batch: in a single write transaction read the tree size, call
        ``build(size, view)``, write what it returns and commit durably (fsynced) before returning.
        Two appenders, in one process or several, never see the same size."""
        ...

    def size(self) -> int: ...

    def read_records(self, start: int, end: int) -> list[StoredRecord]:
        """The stored records with ``start <= seq < end``, in seq order; gaps are not filled."""
        ...

    def iter_records(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Generator[list[StoredRecord], None, None]:
        """Like ``read_records`` in chunks, from one consistent snapshot. The scan holds a
        connection (on PostgreSQL, an open transaction) until it ends: a caller that may stop
        early closes it (``contextlib.closing``)."""
        ...

    def iter_rows(
        self, start: int, end: int, chunk: int = 10_000
    ) -> Generator[list[tuple[int, bytes]], None, None]:
        """``iter_records`` as plain ``(seq, leaf)`` tuples: the cheap form for full scans."""
        ...

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> None:
        """Keep a signed checkpoint; one already stored for the same size is kept as it is."""
        ...

    def latest_checkpoint(self) -> StoredCheckpoint | None: ...

    def checkpoints(self) -> list[StoredCheckpoint]:
        """Every stored checkpoint, smallest size first."""
        ...

    def query(self, query: Query) -> list[StoredRecord]:
        """Up to ``query.limit`` records matching every filter of ``query``, by seq (newest first
        unless ``oldest_first``). Every engine implements every ``Query`` field, the ``excluded_*``
        fields and the free ``text`` terms included (searched in the message and the details as
        text, substrings matching, case-insensitively); hostile text is never a syntax error."""
        ...

    def count_by(self, column: str, query: Query) -> dict[str, int]:
        """Counts of matching records grouped by an indexed column (``action``, ``outcome``...)."""
        ...

    def read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only SQL statement (``?`` placeholders) outside any write
        transaction: how modules read their own tables."""
        ...

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def writable(self) -> bool:
        """Whether the store accepts writes right now (readiness)."""
        ...

    def disk_bytes(self) -> int:
        """Bytes the ledger's data takes on disk (SQLite: the files; PostgreSQL: the tables)."""
        ...

    def reclaim(self, full: bool = False) -> None:
        """Give the space of removed records back (vacuum); ``full`` rewrites everything."""
        ...

    def add_key(self, key: ApiKeyRow) -> None: ...

    def key_by_hash(self, secret_hash: str) -> ApiKeyRow | None: ...

    def list_keys(self) -> list[ApiKeyRow]: ...

    def revoke_key(self, key_id: str, at: str) -> bool:
        """Mark a key revoked; False when there is no such unrevoked key."""
        ...

    def scrub(self, tables: Sequence[str], wait: float = 30.0) -> bool:
        """Leave no trace of rows already deleted from ``tables`` in the database files (the
        erasure of subject keys), waiting up to about ``wait`` seconds for readers that could
        still see them; False when that could not be finished now."""
        ...

    def close(self) -> None: ...


def as_bytes(value: object) -> bytes:
    """Stored bytes as bytes, whatever type an edit of the database gave them (TEXT, a
    number...)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogateescape")
