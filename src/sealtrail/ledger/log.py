"""The Ledger: append (group commit), read, prove, checkpoint and verify one Merkle log.

    directory/
      ledger.db        the SQLite store (records, hash tiles, checkpoints, metadata)
      ledger.index.db  its query index, built from the records after each commit
      signing.key      the Ed25519 signer, mode 0600
      verifier.keys    every verifier key the ledger has had, current last

An append returns only after its batch is committed and fsynced. Appends from many threads are
coalesced: callers validate their events in their own thread and queue them; one committer
thread commits everything queued in one transaction, once every appender in flight has queued
(or after at most 2 ms), and wakes the callers it served (``_GroupCommit``). Appends from other
processes are serialised by the store's write transaction.
"""

from __future__ import annotations

import dataclasses
import itertools
import queue
import socket
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealtrail.clock import Clock, SystemClock
from sealtrail.errors import Conflict, NotFound, ValidationError
from sealtrail.events import (
    DEFAULT_LIMITS,
    IndexedFields,
    Limits,
    PreparedEvent,
    format_time,
    indexed_fields,
    prepare_event,
    uuid7,
    validate_event,
)
from sealtrail.ids import uuid7_many
from sealtrail.ledger.keyring import Keyring
from sealtrail.ledger.merkle import (
    EMPTY_TREE_HASH,
    prove_record,
    prove_tree,
    record_hash,
    tree_hash,
)
from sealtrail.ledger.note import Checkpoint, open_checkpoint, sign_checkpoint
from sealtrail.ledger.proofs import ConsistencyProof, InclusionProof
from sealtrail.ledger.tiles import TileHashReader, TileNodeCache, TileWrites, edge_tiles, grow_tiles
from sealtrail.ledger.verify import ProgressCallback, VerifyReport, verify_log
from sealtrail.privacy.policy import PSEUDONYM_PREFIX, PrivacyPolicy
from sealtrail.privacy.sealing import ERASED_ACTOR, Sealer, StaleSubjectKey, open_leaves
from sealtrail.store.base import Query, Sequenced, Store, StoredCheckpoint, StoredRecord, WriteView
from sealtrail.store.sqlite import SQLiteStore

__all__ = ["DATABASE", "MAX_IDEMPOTENCY_KEY", "Ledger", "Receipt", "Transaction"]

DATABASE = "ledger.db"
MAX_IDEMPOTENCY_KEY = 256

#: An event ready to be sequenced, and its query columns unless the store indexes leaves itself.
Prepared = tuple[PreparedEvent, IndexedFields | None]

#: The work of ``Ledger.append_in_transaction``: given the write view and the tree size, change
#: what it must through the view and return the events that record it.
Transaction = Callable[[WriteView, int], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Receipt:
    """An acknowledged append: the record's position and leaf hash. Durable when returned."""

    seq: int
    leaf_hash: bytes


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(slots=True)
class _Pending:
    events: Sequence[Prepared]
    done: threading.Lock = field(default_factory=_held_lock)  # released when its turn to wake
    receipts: list[Receipt] | None = None
    error: BaseException | None = None
    next: _Pending | None = None  # the appender of its group to wake after this one
    abandoned: bool = False  # its appender stopped waiting before its turn: pass it by


class _GroupCommit:
    """Group commit: one committer thread takes every append queued so far into one transaction.

    Appenders queue a request and wait on its own lock, so a commit wakes exactly the threads it
    served; while the committer waits for the disk, the next group gathers in the queue. Before
    it starts a group, the committer waits (at most ``gather`` seconds) until every appender in
    flight has queued its events: threads that a commit woke together, and that come back at
    once, commit together again instead of splitting into two half groups that each pay for an
    fsync. An appender that does not come back leaves the count when its call returns.

    A commit wakes its group in a chain: the committer wakes the first appender, and each woken
    appender wakes the next. Woken all at once, 32 threads fought over the GIL, at about 15 us
    of CPU per append. An appender interrupted while it waits is marked abandoned, and the chain
    passes it by, so the others still wake.
    """

    def __init__(
        self,
        commit: Callable[[list[Prepared]], list[Receipt]],
        gather: float = 0.002,
    ):
        self._commit = commit
        self._gather = gather
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._counts = threading.Condition()
        self._in_flight = 0  # appenders between entering submit and leaving it
        self._queued = 0  # of them, those whose events wait in the queue

    def submit(self, prepare: Callable[[], Sequence[Prepared]]) -> list[Receipt]:
        """Commit the events ``prepare()`` returns in the next group and wait for it; the
        committer counts this appender in from the start of ``prepare``."""
        with self._counts:
            self._in_flight += 1
        mine: _Pending | None = None
        woken = False
        try:
            events = prepare()
            if not events:
                return []
            self._ensure_thread()
            mine = _Pending(events)
            with self._counts:
                self._queue.put(mine)
                self._queued += 1
                if self._queued == self._in_flight:
                    self._counts.notify()
            woken = mine.done.acquire()
        finally:
            with self._counts:
                if mine is not None:
                    self._pass_on(mine, woken)
                self._in_flight -= 1
                if self._queued == self._in_flight:
                    self._counts.notify()
        if mine.error is not None:
            raise mine.error
        assert mine.receipts is not None
        return mine.receipts

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, daemon=True, name="sealtrail-committer"
                    )
                    self._thread.start()

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            with self._counts:
                self._counts.wait_for(lambda: self._queued >= self._in_flight, self._gather)
            group = [first]
            stop = False
            while not self._queue.empty():
                pending = self._queue.get_nowait()
                if pending is None:
                    stop = True
                    break
                group.append(pending)
            with self._counts:
                self._queued -= len(group)
            self._lead(group)
            if stop:
                return

    def _lead(self, group: list[_Pending]) -> None:
        try:
            receipts = self._commit([event for pending in group for event in pending.events])
            start = 0
            for pending in group:
                pending.receipts = receipts[start : start + len(pending.events)]
                start += len(pending.events)
        except BaseException as error:  # every waiter hears of the failure, none hangs
            for pending in group:
                pending.error = error
        for pending, after in itertools.pairwise(group):
            pending.next = after
        with self._counts:
            _wake(group[0])

    @staticmethod
    def _pass_on(mine: _Pending, woken: bool) -> None:
        """Wake the appender after ``mine`` in its group, or, when ``mine`` stops waiting before
        its turn, mark it for the chain to pass by. Called holding ``_counts``."""
        if woken or mine.done.acquire(blocking=False):
            _wake(mine.next)
        else:
            mine.abandoned = True


def _wake(pending: _Pending | None) -> None:
    """Wake the first appender still waiting from ``pending`` on, down its group's chain; the
    caller holds the lock that orders wakes and abandonments (``_GroupCommit._counts``)."""
    while pending is not None and pending.abandoned:
        pending = pending.next
    if pending is not None:
        pending.done.release()


class Ledger:
    """One verifiable log over a store, signed by one keyring."""

    def __init__(
        self,
        store: Store,
        keyring: Keyring,
        *,
        clock: Clock | None = None,
        limits: Limits = DEFAULT_LIMITS,
        checkpoint_interval: float = 1.0,
        privacy: PrivacyPolicy | None = None,
    ) -> None:
        origin = store.get_meta("origin")
        if origin is None:
            raise NotFound("the store has no origin: it was never initialised")
        self.origin = origin
        self.store = store
        self.keyring = keyring
        self.clock: Clock = clock or SystemClock()
        self.limits = limits
        self.checkpoint_interval = checkpoint_interval
        self.privacy = privacy
        self.sealer = (
            Sealer(privacy, store, lambda: format_time(self.clock.now()))
            if privacy is not None and privacy.erasable
            else None
        )
        self._committer = _GroupCommit(self._commit)
        self._columns = not store.indexes_leaves  # the store wants each event's query columns
        self._edge: tuple[int, dict[int, bytes]] = (-1, {})
        self._tiles = TileNodeCache()
        self._last_reader = (-1, TileHashReader(store, self._tiles, size=0))
        self._roots: dict[int, bytes] = {}  # root hash by tree size; sizes never change roots
        self._known_size = 0  # a size the log has reached (it only grows)
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        origin: str | None = None,
        database_url: str | None = None,
        **options: Any,
    ) -> Ledger:
        """A new ledger and signing key in ``directory``; refuses to touch an existing one. The
        records go to ``directory/ledger.db`` (SQLite), or to PostgreSQL at ``database_url``."""
        directory.mkdir(parents=True, exist_ok=True)
        if database_url is None and (directory / DATABASE).exists():
            raise Conflict(f"{directory}: a ledger exists already")
        if (directory / "signing.key").exists():
            raise Conflict(f"{directory}: a signing key exists already")
        origin = origin or default_origin()
        store = _store(directory, database_url, create=True)
        try:
            store.set_meta("origin", origin)
            keyring = Keyring.create(directory, origin)
        except BaseException:
            store.close()
            raise
        return cls(store, keyring, **options)

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        signing_key: str | None = None,
        database_url: str | None = None,
        **options: Any,
    ) -> Ledger:
        """The ledger whose keys are in ``directory`` and whose records are in its SQLite file
        or, given ``database_url``, in PostgreSQL."""
        if database_url is None and not (directory / DATABASE).exists():
            raise NotFound(f"{directory}: no ledger here (run `sealtrail init`)")
        if not (directory / "signing.key").exists() and signing_key is None:
            raise NotFound(
                f"{directory}: no ledger keys here (run `sealtrail init`, or copy the signing "
                "and verifier keys of the ledger)"
            )
        keyring = Keyring.load(directory, signing_key)
        return cls(_store(directory, database_url), keyring, **options)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._committer.close()
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
        self.store.close()

    # appending

    def append(self, event: Mapping[str, Any]) -> Receipt:
        """Validate, seal and durably store one event."""
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[Mapping[str, Any]]) -> list[Receipt]:
        """Validate every event first (one invalid rejects them all), then store them together.
        Sealed again, once, if an actor's key was erased by another process meanwhile."""
        events = events if isinstance(events, Sequence) else list(events)
        try:
            return self._committer.submit(lambda: self.prepare(events))
        except StaleSubjectKey:
            return self._committer.submit(lambda: self.prepare(events))

    def append_prepared(self, prepared: Sequence[Prepared]) -> list[Receipt]:
        """Store events that ``prepare`` validated, together, durably."""
        return self._committer.submit(lambda: prepared)

    def prepare(
        self, events: Iterable[Mapping[str, Any]], view: WriteView | None = None
    ) -> list[Prepared]:
        """Validated, pre-encoded events ready to be sequenced, the privacy policy applied;
        errors name the event's position. ``view``: the write transaction it runs in, if any."""
        events = events if isinstance(events, Sequence) else list(events)
        received_at = format_time(self.clock.now())
        ids = uuid7_many(len(events))
        prepared = []
        for position, (raw, event_id) in enumerate(zip(events, ids, strict=True)):
            try:
                event = validate_event(raw, self.limits, check_size=self.privacy is not None)
                fields: IndexedFields | None = None
                if self.privacy is not None:
                    event, fields = self._private(event, event_id, view)
                elif self._columns:
                    fields = indexed_fields(event)
                sealed = prepare_event(
                    event,
                    id=event_id,
                    received_at=received_at,
                    trusted=True,
                    text=self._columns,
                    limits=None if self.privacy is not None else self.limits,
                )
            except ValidationError as error:
                raise ValidationError(f"event {position}: {error}") from None
            prepared.append((sealed, fields if self._columns else None))
        return prepared

    def _private(
        self, event: dict[str, Any], event_id: str, view: WriteView | None
    ) -> tuple[dict[str, Any], IndexedFields]:
        """The event as the privacy policy has it sealed, and its index with the actor mapped."""
        assert self.privacy is not None
        actor_id = event["actor"]["id"]
        event = self.privacy.apply(event)
        if self.sealer is None:
            return event, indexed_fields(event)  # a pseudonymised actor.id is the actor index
        subject = self.privacy.pseudonym(actor_id)
        fields = indexed_fields({**event, "actor": {**event["actor"], "id": subject}})
        return self.sealer.seal(event, event_id, subject, view), fields

    def append_in_transaction(self, work: Transaction) -> list[Receipt]:
        """Run ``work(view, size)`` inside one write transaction and append the events it returns
        in that same transaction, so a change to a module's own tables (made through ``view``)
        and the events that record it commit together or not at all; if ``work`` raises or an
        event is invalid, nothing is kept. ``size`` is the tree size the events will follow.
        Slower than ``append_many`` (no group commit, validated under the write lock): for
        changes that must not be recorded apart from their effect."""

        def build(size: int, view: WriteView) -> list[Prepared]:
            return self.prepare(work(view, size), view)

        return self._commit(build)

    def append_once(self, key: str, events: Iterable[Mapping[str, Any]]) -> list[Receipt] | None:
        """Append ``events`` unless a batch with the same idempotency ``key`` (a webhook's delivery
        id, a client's request key) was appended before: then nothing is added and the answer is
        None. The key is kept with the batch in its transaction, so a redelivery racing the first
        delivery is still recorded once."""
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            raise ValidationError(f"idempotency key: 1 to {MAX_IDEMPOTENCY_KEY} characters")
        batch = list(events)
        seen = False

        def work(view: WriteView, size: int) -> list[Mapping[str, Any]]:
            nonlocal seen
            seen = bool(view.execute("SELECT 1 FROM idempotency WHERE key = ?", (key,)))
            if seen:
                return []
            view.execute("INSERT INTO idempotency VALUES (?, ?, ?)", (key, size, len(batch)))
            return batch

        receipts = self.append_in_transaction(work)
        return None if seen else receipts

    def append_once_each(
        self, batches: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]
    ) -> list[list[Receipt] | None]:
        """``append_once`` for many keyed batches in one transaction (an import, a stream of
        webhook deliveries): each answer is that batch's receipts, or None when its key was
        seen before (in an earlier transaction or earlier in ``batches``)."""
        for key, _ in batches:
            if not key or len(key) > MAX_IDEMPOTENCY_KEY:
                raise ValidationError(f"idempotency key: 1 to {MAX_IDEMPOTENCY_KEY} characters")
        fresh: list[int] = []

        def work(view: WriteView, size: int) -> list[Mapping[str, Any]]:
            seen = _seen_keys(view, [key for key, _ in batches])
            fresh.clear()
            events: list[Mapping[str, Any]] = []
            for position, (key, batch) in enumerate(batches):
                if key in seen:
                    continue
                seen.add(key)
                fresh.append(position)
                view.execute(
                    "INSERT INTO idempotency VALUES (?, ?, ?)",
                    (key, size + len(events), len(batch)),
                )
                events.extend(batch)
            return events

        receipts = iter(self.append_in_transaction(work))
        answers: list[list[Receipt] | None] = [None] * len(batches)
        for position in fresh:
            answers[position] = [next(receipts) for _ in batches[position][1]]
        return answers

    def _commit(
        self,
        events: list[Prepared] | Callable[[int, WriteView], list[Prepared]],
    ) -> list[Receipt]:
        hashes: list[bytes] = []
        edge: dict[int, bytes] = {}

        def build(size: int, view: WriteView) -> Sequenced:
            batch = events(size, view) if callable(events) else events
            if self.sealer is not None:
                self.sealer.check(view, (prepared.event for prepared, _ in batch))
            leaves = [prepared.leaf(size + i) for i, (prepared, _) in enumerate(batch)]
            hashes[:] = [record_hash(leaf) for leaf in leaves]
            edge.clear()
            if leaves:
                edge.update(self._edge_at(size, view))
            tiles = grow_tiles(size, edge, hashes) if leaves else TileWrites({}, {})
            columns = [fields for _, fields in batch if fields is not None]
            texts = [prepared.text for prepared, _ in batch] if columns else []
            return Sequenced(size, leaves, columns, tiles.tiles, tiles.nodes, texts)

        batch = self.store.append(build)
        self._known_size = max(self._known_size, batch.new_size)
        if batch.leaves:
            self._remember_edge(batch, edge)
        return [Receipt(batch.first_seq + i, h) for i, h in enumerate(hashes)]

    def _edge_at(self, size: int, view: WriteView) -> dict[int, bytes]:
        cached_size, edge = self._edge
        if cached_size == size:
            return edge
        tiles = edge_tiles(size)
        datas = view.read_tiles(tiles)
        return {t.level: data[: t.width * 32] for t, data in zip(tiles, datas, strict=True)}

    def _remember_edge(self, batch: Sequenced, before: Mapping[int, bytes]) -> None:
        """Keep the right edge after ``batch`` for this process's next append: the tiles the
        batch wrote, else the edge it was built on (read in its transaction, so current even when
        other processes appended since this one last did)."""
        edge = {}
        for tile in edge_tiles(batch.new_size):
            data = batch.tiles.get((tile.level, tile.n), before.get(tile.level))
            if data is None or len(data) != tile.width * 32:
                self._edge = (-1, {})
                return
            edge[tile.level] = data
        self._edge = (batch.new_size, edge)

    # reading

    def size(self) -> int:
        size = self.store.size()
        self._known_size = max(self._known_size, size)
        return size

    def entry(self, seq: int) -> bytes:
        records = self.store.read_records(seq, seq + 1)
        if not records:
            size = self.size()
            if 0 <= seq < size:
                raise NotFound(f"record {seq} was archived by retention: its body is not here")
            raise NotFound(f"no record at index {seq} (size {size})")
        return records[0].leaf

    def query(self, query: Query) -> list[StoredRecord]:
        """The records matching ``query``, its actor filters mapped by ``actor_index``."""
        return self.store.query(self._mapped(query))

    def count_by(self, column: str, query: Query) -> dict[str, int]:
        """Counts of the records matching ``query`` by ``column`` (actors as indexed)."""
        return self.store.count_by(column, self._mapped(query))

    def actor_index(self, actor_id: str) -> str:
        """The actor column's value for ``actor_id``: its pseudonym when the privacy policy maps
        actors (a pseudonym already, or ``erased``, is kept), else the id itself."""
        if (
            self.privacy is None
            or actor_id.startswith(PSEUDONYM_PREFIX)
            or actor_id == ERASED_ACTOR
        ):
            return actor_id
        return self.privacy.actor_index(actor_id)

    def open_leaves(self, leaves: Sequence[bytes]) -> list[bytes]:
        """The records for display: sealed personal fields decrypted while their subject's key
        exists, ``[erased]`` after (``sealtrail.privacy.sealing``); not for proofs or exports."""
        return open_leaves(self.store, leaves)

    def _mapped(self, query: Query) -> Query:
        if self.privacy is None or not self.privacy.maps_actors:
            return query
        actor = None if query.actor_id is None else self.actor_index(query.actor_id)
        excluded = tuple(self.actor_index(a) for a in query.excluded_actor_ids)
        return dataclasses.replace(query, actor_id=actor, excluded_actor_ids=excluded)

    def root(self, size: int) -> bytes:
        """The root hash of the tree of ``size`` leaves (any size up to the current one)."""
        root = self._roots.get(size)
        if root is None:
            self._check_size(size)
            if size == 0:
                return EMPTY_TREE_HASH
            root = tree_hash(size, self._reader(size))
            if len(self._roots) > 4096:
                self._roots.clear()
            self._roots[size] = root
        return root

    def _reader(self, size: int) -> TileHashReader:
        """A hash reader for the tree of ``size``, kept while proofs ask for the same size."""
        cached_size, reader = self._last_reader
        if cached_size != size:
            reader = TileHashReader(self.store, self._tiles, size=size)
            self._last_reader = (size, reader)
        return reader

    # checkpoints

    def checkpoint(self) -> StoredCheckpoint:
        """The latest signed checkpoint, signing a new one first if it does not cover the log."""
        latest = self.store.latest_checkpoint()
        size = self.size()
        if latest is not None and latest.size >= size:
            return latest
        body = Checkpoint(self.origin, size, self.root(size))
        stored = StoredCheckpoint(
            size, sign_checkpoint(body, self.keyring.signer), format_time(self.clock.now())
        )
        self.store.add_checkpoint(stored)
        return stored

    def start_checkpointer(self) -> None:
        """Sign a checkpoint at most every ``checkpoint_interval`` seconds while the log grows."""
        if self._checkpointer is None:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, daemon=True, name="sealtrail-checkpointer"
            )
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        while not self._stop.wait(self.checkpoint_interval):
            self.checkpoint()

    def open_checkpoint(self, stored: StoredCheckpoint) -> Checkpoint:
        return open_checkpoint(stored.note, self.keyring.verifiers, origin=self.origin)

    # proofs

    def prove_inclusion(self, index: int, size: int | None = None) -> InclusionProof:
        """Record ``index`` is in the tree of ``size`` (default: the latest checkpoint's size)."""
        size = self.checkpoint().size if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise ValidationError(f"index {index} is outside a tree of size {size}")
        proof = prove_record(size, index, self._reader(size))
        return InclusionProof(index, size, self.root(size), self.entry(index), tuple(proof))

    def prove_consistency(self, old_size: int, size: int | None = None) -> ConsistencyProof:
        """The tree of ``old_size`` is a prefix of the tree of ``size`` (default: latest one)."""
        size = self.checkpoint().size if size is None else size
        self._check_size(size)
        if not 0 < old_size <= size:
            raise ValidationError(f"old size {old_size} must be between 1 and {size}")
        proof = prove_tree(size, old_size, self._reader(size))
        return ConsistencyProof(old_size, size, self.root(old_size), self.root(size), tuple(proof))

    def _check_size(self, size: int) -> None:
        if 0 <= size <= self._known_size:  # sizes only grow: no need to ask the store again
            return
        current = self.size()
        if not 0 <= size <= current:
            raise ValidationError(f"size {size} is outside the log (current size {current})")

    # verification

    def verify(self, progress: ProgressCallback | None = None) -> VerifyReport:
        """Recompute everything from the records; raise ``VerificationError`` at the first fault."""
        return verify_log(self.store, self.keyring.verifiers, self.origin, progress)


def _store(directory: Path, database_url: str | None, *, create: bool = False) -> Store:
    if database_url is None:
        return SQLiteStore(directory / DATABASE, create=create)
    if not database_url.startswith(("postgresql://", "postgres://")):
        raise ValidationError("database URL: only postgresql:// URLs are supported")
    from sealtrail.store.postgres import PostgresStore  # psycopg only when PostgreSQL is used

    return PostgresStore(database_url, create=create)


def default_origin() -> str:
    """A log origin unique enough for one machine: ``HOST/sealtrail/RANDOM``."""
    return f"{socket.gethostname() or 'localhost'}/sealtrail/{uuid7()[-8:]}"


def _seen_keys(view: WriteView, keys: Sequence[str], chunk: int = 500) -> set[str]:
    """Which of ``keys`` the idempotency table already holds."""
    seen: set[str] = set()
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        marks = ", ".join("?" * len(part))
        rows = view.execute(f"SELECT key FROM idempotency WHERE key IN ({marks})", part)
        seen.update(str(row[0]) for row in rows)
    return seen
