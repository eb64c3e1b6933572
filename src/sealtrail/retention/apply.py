"""Applying retention: archive expired records into segments, then remove their bodies.

One run (``apply_retention``):

1. Sign a checkpoint covering the log; only records below its size are considered.
2. Per action, the most specific rule gives a cutoff; the records older than it are read in seq
   order (one indexed query per action, merged), less those a legal hold matches.
3. The expired records are cut into segments: a run of at least ``range_min`` consecutive seqs
   becomes a *range* segment, shorter runs are gathered into a *records* segment; none holds more
   than ``segment_records``. Each segment is written and fsynced (``segment.write_segment``),
   then, in one write transaction, its records are deleted (the count must be exactly the
   segment's, else another run got there first and nothing is changed) and the segment and its
   seq ranges are recorded. The hash tiles are never touched.
4. The freed space is reclaimed (``vacuum``), and one ``audit.retention`` event announces every
   segment not yet announced (with its digest, count and seq span), the counts, the seq ranges
   and the bytes before and after; it is appended in the transaction that marks them announced.

A crash before a segment's transaction leaves its records in the log and an unreferenced file
(overwritten or left over, never relied on); a crash after it leaves a removed, archived, not yet
announced segment, which ``verify`` reports and the next run announces. Running again is always
safe.
"""

from __future__ import annotations

import dataclasses
import fcntl
import heapq
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from sealtrail.errors import Conflict
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.merkle import (
    HASH_SIZE,
    HashReader,
    node_hash,
    prove_record,
    record_hash,
    stored_hash_index,
)
from sealtrail.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, TileHashReader, TileNodeCache
from sealtrail.retention.rules import RetentionSettings
from sealtrail.retention.segment import HINT_BYTES, SegmentHeader, write_segment
from sealtrail.sinks.bundle import BundleHeader, RecordProof, prove_range
from sealtrail.store.base import Query, StoredCheckpoint, WriteView

__all__ = ["RetentionReport", "Segment", "apply_retention"]

MAX_SEGMENTS = 100  # per run, so the announcing event stays small; the next run goes on
MAX_EVENT_RANGES = 64
CHUNK = 10_000
ACTOR = {"id": "retention", "type": "system"}

Progress = Callable[[int, int], None]
Record = tuple[int, bytes]


@dataclass(frozen=True)
class Segment:
    """An archive segment as recorded: file name, digest, span, count and size."""

    name: str
    sha256: str
    start: int
    end: int
    count: int
    bytes: int
    ranges: tuple[tuple[int, int], ...] = ()

    def announced(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.sha256,
            "start": self.start,
            "end": self.end,
            "count": self.count,
            "bytes": self.bytes,
        }


@dataclass
class RetentionReport:
    """What one run found and did."""

    dry_run: bool
    checkpoint_size: int = 0
    expired: int = 0  # records past their rule's age, held ones included
    held: int = 0  # of those, kept by a legal hold
    archived: int = 0  # removed into segments by this run
    segments: list[Segment] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)
    by_action: dict[str, int] = field(default_factory=dict)
    bytes_before: int = 0
    bytes_after: int = 0
    more: bool = False  # stopped at MAX_SEGMENTS: run again for the rest
    event_seq: int | None = None
    seconds: float = 0.0

    @property
    def bytes_freed(self) -> int:
        return self.bytes_before - self.bytes_after

    def to_json(self) -> dict[str, Any]:
        found = dataclasses.asdict(self)
        found["segments"] = [segment.announced() for segment in self.segments]
        found["ranges"] = [list(pair) for pair in self.ranges]
        found["bytes_freed"] = self.bytes_freed
        return found


def apply_retention(
    ledger: Ledger,
    settings: RetentionSettings,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    on_archived: Callable[[Segment], None] | None = None,
) -> RetentionReport:
    """One retention run (see the module docstring); ``on_archived`` is called after a segment
    is written and before its records are removed. One run at a time per archive directory:
    another one running there is a ``Conflict``."""
    if dry_run:
        return _run(ledger, settings, True, progress, on_archived)
    with _exclusive(settings.archive):
        return _run(ledger, settings, False, progress, on_archived)


@contextmanager
def _exclusive(archive: Path) -> Iterator[None]:
    """Hold the archive directory's lock file (``flock``) for the run."""
    archive.mkdir(parents=True, exist_ok=True)
    with (archive / ".retention.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Conflict(f"{archive}: another retention run is in progress") from None
        yield


def _run(
    ledger: Ledger,
    settings: RetentionSettings,
    dry_run: bool,
    progress: Progress | None,
    on_archived: Callable[[Segment], None] | None,
) -> RetentionReport:
    started = time.perf_counter()
    checkpoint = ledger.checkpoint()
    report = RetentionReport(dry_run, checkpoint.size, bytes_before=ledger.store.disk_bytes())
    now = ledger.clock.now()
    groups = _cutoffs(ledger, settings, now, checkpoint.size)
    total = _count(ledger, groups, checkpoint.size, report)
    held = _held(ledger, settings, checkpoint.size)
    kept = _unheld(_expired(ledger, groups, checkpoint.size), held, report)
    writer = _SegmentWriter(ledger, settings, checkpoint, report, on_archived)
    for done, record in enumerate(kept, 1):
        if not writer.add(record, dry_run):
            report.more = True
            break
        if progress is not None and done % 1000 == 0:
            progress(done, total)
    if not report.more:
        writer.finish(dry_run)
    if not dry_run:
        _reclaim(ledger, settings, report)
        report.event_seq = _announce(ledger, settings, report)
    report.seconds = time.perf_counter() - started
    return report


def _cutoffs(
    ledger: Ledger, settings: RetentionSettings, now: datetime, size: int
) -> dict[str, list[str]]:
    """The actions present in the log, grouped by the time before which they expire."""
    groups: dict[str, list[str]] = {}
    actions = ledger.store.count_by("action", Query(before_seq=size, limit=0))
    for action in sorted(actions):
        rule = settings.rule_for(action)
        if rule is not None:
            groups.setdefault(format_time(now - rule.age), []).append(action)
    return groups


def _count(ledger: Ledger, groups: dict[str, list[str]], size: int, report: RetentionReport) -> int:
    for cutoff, actions in groups.items():
        query = Query(actions=tuple(actions), until=cutoff, before_seq=size, limit=0)
        for action, count in ledger.store.count_by("action", query).items():
            report.by_action[action] = count
    report.expired = sum(report.by_action.values())
    return report.expired


def _held(ledger: Ledger, settings: RetentionSettings, size: int) -> set[int]:
    """The seqs every legal hold matches (below ``size``)."""
    held: set[int] = set()
    for hold in settings.holds:
        query = hold.search.apply(Query(before_seq=size))
        held.update(seq for seq, _ in _paged(ledger, query))
    return held


def _unheld(records: Iterator[Record], held: set[int], report: RetentionReport) -> Iterator[Record]:
    for record in records:
        if record[0] in held:
            report.held += 1
        else:
            yield record


def _expired(ledger: Ledger, groups: dict[str, list[str]], size: int) -> Iterator[Record]:
    """Every expired record in seq order: one indexed scan per action, merged."""
    streams = [
        _paged(ledger, Query(actions=(action,), until=cutoff, before_seq=size))
        for cutoff, actions in groups.items()
        for action in actions
    ]
    return heapq.merge(*streams, key=itemgetter(0))


def _paged(ledger: Ledger, query: Query) -> Iterator[Record]:
    after = -1
    while True:
        page = dataclasses.replace(query, after_seq=after, oldest_first=True, limit=CHUNK)
        records = ledger.query(page)
        yield from ((record.seq, record.leaf) for record in records)
        if len(records) < CHUNK:
            return
        after = records[-1].seq


class _SegmentWriter:
    """Cuts the expired records into segments, archives each and removes its records."""

    def __init__(
        self,
        ledger: Ledger,
        settings: RetentionSettings,
        checkpoint: StoredCheckpoint,
        report: RetentionReport,
        on_archived: Callable[[Segment], None] | None,
    ) -> None:
        self.ledger, self.settings, self.checkpoint = ledger, settings, checkpoint
        self.report, self.on_archived = report, on_archived
        self.run: list[Record] = []
        self.scattered: list[Record] = []
        self.reader = TileHashReader(
            ledger.store, TileNodeCache(limit=4096), size=checkpoint.size
        )  # the edge tiles of that size are cached too

    def add(self, record: Record, dry_run: bool) -> bool:
        """Take one expired record; False when this run has made all the segments it may."""
        if self.run and record[0] != self.run[-1][0] + 1:
            self._close_run(dry_run)
        self.run.append(record)
        if len(self.run) >= self.settings.segment_records:
            self._flush(self.scattered, dry_run)
            self._flush(self.run, dry_run)
        return len(self.report.segments) < MAX_SEGMENTS

    def finish(self, dry_run: bool) -> None:
        self._close_run(dry_run)
        self._flush(self.scattered, dry_run)

    def _close_run(self, dry_run: bool) -> None:
        if len(self.run) >= self.settings.range_min:
            self._flush(self.scattered, dry_run)
            self._flush(self.run, dry_run)
        else:
            self.scattered.extend(self.run)
            self.run.clear()
            if len(self.scattered) >= self.settings.segment_records:
                self._flush(self.scattered, dry_run)

    def _flush(self, records: list[Record], dry_run: bool) -> None:
        if not records:
            return
        ranges = _ranges([seq for seq, _ in records])
        self.report.ranges.extend(ranges)
        self.report.archived += len(records)
        if dry_run:
            self.report.segments.append(Segment("", "", ranges[0][0], ranges[-1][1],
                                                len(records), 0, ranges))  # fmt: skip
        else:
            self._archive(records, ranges)
        records.clear()

    def _archive(self, records: list[Record], ranges: tuple[tuple[int, int], ...]) -> None:
        start, end = ranges[0][0], ranges[-1][1]
        name = f"segment-{start:012d}-{end:012d}.jsonl.zst"
        header = SegmentHeader(
            self.ledger.origin,
            len(records),
            ranges,
            format_time(self.ledger.clock.now()),
            b"".join(record_hash(leaf)[:HINT_BYTES] for _, leaf in records)
            if len(ranges) == 1
            else b"",
        )
        bundle = list(self._bundle(records, ranges))
        path = self.settings.archive / name
        sha256, size = write_segment(path, header, bundle, [leaf for _, leaf in records])
        segment = Segment(name, sha256, start, end, len(records), size, ranges)
        if self.on_archived is not None:
            self.on_archived(segment)
        self.ledger.append_in_transaction(lambda view, _: _remove(view, segment, self.checkpoint))
        self.report.segments.append(segment)

    def _bundle(self, records: list[Record], ranges: tuple[tuple[int, int], ...]) -> Iterator[Any]:
        size, start, end = self.checkpoint.size, ranges[0][0], ranges[-1][1]
        kind = "range" if len(ranges) == 1 else "records"
        yield BundleHeader("jsonl", kind, self.checkpoint.note, size, start, end).to_json()
        if kind == "range":
            yield prove_range(size, start, end, self.reader).to_json()
        else:
            for proof in _record_proofs(size, [seq for seq, _ in records], self.reader):
                yield proof.to_json()
        yield {"count": len(records)}


def _record_proofs(size: int, seqs: list[int], reader: HashReader) -> Iterator[RecordProof]:
    """Inclusion proofs of ascending ``seqs`` in the tree of ``size``, tile by tile.

    A complete level-0 tile is a complete subtree of 256 leaves: the path of each of its leaves
    is 8 hashes inside the tile, from its leaf hashes, then the path of the tile's root, the same
    for all of them. So a tile costs one ``prove_record`` and 255 node hashes, not one proof per
    record; records of the partial tile at the right edge get their own proofs.
    """
    for n, grouped in groupby(seqs, key=lambda seq: seq // TILE_WIDTH):
        group = list(grouped)
        if (n + 1) * TILE_WIDTH > size or len(group) < 2:
            yield from (RecordProof(seq, tuple(prove_record(size, seq, reader))) for seq in group)
            continue
        upper = tuple(prove_record(size, group[0], reader))[TILE_HEIGHT:]
        rows = _tile_rows(reader, n)
        for seq in group:
            at = [((seq % TILE_WIDTH) >> r ^ 1) * HASH_SIZE for r in range(TILE_HEIGHT)]
            lower = tuple(rows[r][a : a + HASH_SIZE] for r, a in enumerate(at))
            yield RecordProof(seq, lower + upper)


def _tile_rows(reader: HashReader, n: int) -> list[bytes]:
    """The hashes of levels 0 to 7 of the complete level-0 tile ``n``, one bytes row each."""
    indexes = [stored_hash_index(0, n * TILE_WIDTH + i) for i in range(TILE_WIDTH)]
    rows = [b"".join(reader.read_hashes(indexes))]
    while len(rows) < TILE_HEIGHT:
        below = rows[-1]
        pairs = range(0, len(below), 2 * HASH_SIZE)
        rows.append(b"".join(node_hash(below[i : i + 32], below[i + 32 : i + 64]) for i in pairs))
    return rows


def _ranges(seqs: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """Ascending seqs as ``[start, end)`` runs."""
    ranges: list[tuple[int, int]] = []
    for seq in seqs:
        if ranges and ranges[-1][1] == seq:
            ranges[-1] = (ranges[-1][0], seq + 1)
        else:
            ranges.append((seq, seq + 1))
    return tuple(ranges)


def _remove(view: WriteView, segment: Segment, checkpoint: StoredCheckpoint) -> list[Any]:
    """Delete the segment's records and record the segment, in the caller's transaction."""
    span = "SELECT COUNT(*) FROM records WHERE seq >= ? AND seq < ?"
    (before,) = view.execute(span, (segment.start, segment.end))[0]
    view.executemany("DELETE FROM records WHERE seq >= ? AND seq < ?", segment.ranges)
    (after,) = view.execute(span, (segment.start, segment.end))[0]
    if before - after != segment.count:
        raise Conflict(
            f"records of {segment.name} were removed meanwhile by another retention run; "
            "nothing was changed: run it again"
        )
    view.executemany(
        "INSERT INTO retention_ranges (first_seq, end_seq, segment) VALUES (?, ?, ?)",
        [(start, end, segment.name) for start, end in segment.ranges],
    )
    view.execute(
        "INSERT INTO retention_segments (name, sha256, first_seq, end_seq, count, bytes,"
        " checkpoint_size, archived_at, announced_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
        (segment.name, segment.sha256, segment.start, segment.end, segment.count, segment.bytes,
         checkpoint.size, checkpoint.signed_at),
    )  # fmt: skip
    return []


def _reclaim(ledger: Ledger, settings: RetentionSettings, report: RetentionReport) -> None:
    if report.archived and settings.vacuum != "none":
        ledger.store.reclaim(full=settings.vacuum == "full")
    report.bytes_after = ledger.store.disk_bytes()


def _announce(ledger: Ledger, settings: RetentionSettings, report: RetentionReport) -> int:
    """Append the run's ``audit.retention`` event, announcing every unannounced segment."""
    sealed: list[int] = []

    def work(view: WriteView, size: int) -> list[dict[str, Any]]:
        rows = view.execute(
            "SELECT name, sha256, first_seq, end_seq, count, bytes FROM retention_segments"
            " WHERE announced_seq IS NULL ORDER BY first_seq"
        )
        view.execute(
            "UPDATE retention_segments SET announced_seq = ? WHERE announced_seq IS NULL", (size,)
        )
        sealed.append(size)
        return [_event(ledger, settings, report, [Segment(*row) for row in rows])]

    ledger.append_in_transaction(work)
    return sealed[-1]


def _event(
    ledger: Ledger, settings: RetentionSettings, report: RetentionReport, segments: list[Segment]
) -> dict[str, Any]:
    earlier = [s for s in segments if s.name not in {mine.name for mine in report.segments}]
    details = {
        "checkpoint_size": report.checkpoint_size,
        "expired": report.expired,
        "held": report.held,
        "archived": report.archived,
        "by_action": report.by_action,
        "ranges": [list(pair) for pair in report.ranges[:MAX_EVENT_RANGES]],
        "ranges_total": len(report.ranges),
        "segments": [segment.announced() for segment in segments],
        "interrupted_run_segments": len(earlier),
        "bytes_before": report.bytes_before,
        "bytes_after": report.bytes_after,
        "bytes_freed": report.bytes_freed,
        "holds": [hold.name for hold in settings.holds],
        "more": report.more,
    }
    archived = sum(segment.count for segment in segments)
    return {
        "time": format_time(ledger.clock.now()),
        "action": "audit.retention",
        "outcome": "success",
        "actor": dict(ACTOR),
        "target": {"type": "ledger", "id": ledger.origin},
        "source": {"service": "sealtrail"},
        "message": f"retention archived {archived} records in {len(segments)} segments, "
        f"kept {report.held} under legal hold, freed {report.bytes_freed} bytes",
        "details": orjson.loads(orjson.dumps(details)),
    }
