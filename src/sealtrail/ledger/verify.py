"""Full verification of a stored log, trusting nothing it can recompute.

1. Every stored checkpoint must carry a valid signature of a known verifier key, for this origin.
2. The log must not be shorter than its latest signed checkpoint.
3. Every record is read in order; its position must follow the last one (else: missing), its leaf
   hash is recomputed from its bytes and the tree is rebuilt from those hashes alone. The stored
   hash is only used to say which record is at fault: a recomputed hash that differs from it means
   the record changed, or, when the record names another position, that records were reordered.
4. At each checkpoint's size, the rebuilt root must equal the signed root. The latest checkpoint is
   the reference: an older checkpoint that disagrees while the latest agrees is inconsistent.
5. The stored tiles must give the same root as the rebuilt tree (proofs are served from them).
6. The stored interior nodes of full tiles (also served in proofs) must equal the nodes the
   rebuild computed; comparing them costs no hashing.

Retention (``sealtrail.retention``) removes the bodies of expired records after archiving them;
``retention_ranges`` says which. A removed record's leaf hash is read from the stored level-0
tile instead of recomputed: it enters the rebuilt tree like any other, so a changed tile hash
still makes the rebuilt root differ from the signed checkpoints. A gap no range covers is a
missing record. Each archive segment must be announced by a sealed ``audit.retention`` event
naming its file, digest and count, so removing bodies and writing the ranges is not enough to
hide a deletion; ``sealtrail verify-archive`` checks the segment itself.

The first fault raises ``VerificationError`` with ``.index`` and ``.reason``.
"""

from __future__ import annotations

import bisect
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass

import orjson

from sealtrail.errors import SealtrailError, VerificationError
from sealtrail.ledger.merkle import HASH_SIZE, CompactRange, tree_hash
from sealtrail.ledger.note import Checkpoint, Verifier, open_checkpoint
from sealtrail.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, Tile, TileHashReader
from sealtrail.store.base import Store, as_bytes

__all__ = ["ProgressCallback", "VerifyReport", "check_announced", "removed_ranges", "verify_log"]

ProgressCallback = Callable[[int, int], None]
_CHUNK = 10_000


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    size: int
    root: bytes
    checkpoints: int
    latest_checkpoint: int | None
    seconds: float
    removed: int = 0  # records whose bodies retention archived; their hashes come from tiles

    @property
    def entries_per_second(self) -> float:
        return self.size / self.seconds if self.seconds > 0 else float("inf")


def verify_log(
    store: Store,
    verifiers: Sequence[Verifier],
    origin: str,
    progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Verify the whole log in ``store``; see the module docstring for what is checked."""
    started = time.perf_counter()
    checkpoints = _open_checkpoints(store, verifiers, origin)
    size = store.size()
    if checkpoints and checkpoints[-1].size > size:
        raise VerificationError(
            f"log truncated: size {size} is below the signed checkpoint of size "
            f"{checkpoints[-1].size}; records from index {size} are gone",
            reason="log_truncated",
            index=size,
        )
    removed = removed_ranges(store)
    rebuilt = _rebuild(store, size, checkpoints, removed, progress)
    check_announced(store, removed)
    stored_root = tree_hash(size, TileHashReader(store)) if size else rebuilt.root()
    if stored_root != rebuilt.root():
        raise VerificationError(
            "stored hash tiles do not match the records", reason="tiles_changed"
        )
    latest = checkpoints[-1].size if checkpoints else None
    elapsed = time.perf_counter() - started
    count = sum(end - start for start, end, _ in removed)
    return VerifyReport(size, rebuilt.root(), len(checkpoints), latest, elapsed, count)


def removed_ranges(store: Store) -> list[tuple[int, int, str]]:
    """The ``[start, end)`` ranges of records whose bodies retention removed, and the archive
    segment of each, in seq order."""
    rows = store.read("SELECT first_seq, end_seq, segment FROM retention_ranges ORDER BY first_seq")
    return [(int(start), int(end), str(segment)) for start, end, segment in rows]


def _open_checkpoints(store: Store, verifiers: Sequence[Verifier], origin: str) -> list[Checkpoint]:
    opened = []
    for stored in store.checkpoints():
        try:
            checkpoint = open_checkpoint(stored.note, verifiers, origin=origin)
        except SealtrailError as error:
            raise VerificationError(
                f"checkpoint for size {stored.size}: {error}",
                reason="signature_invalid",
                index=stored.size,
            ) from None
        if checkpoint.size != stored.size:
            raise VerificationError(
                f"checkpoint stored for size {stored.size} signs size {checkpoint.size}",
                reason="signature_invalid",
                index=stored.size,
            )
        opened.append(checkpoint)
    return opened


class _Rebuild:
    """Rebuilds the tree record by record and compares it with the checkpoints as it passes them."""

    def __init__(self, store: Store, checkpoints: list[Checkpoint]) -> None:
        self.store = store
        self.tree = CompactRange()
        self.pending = [c for c in checkpoints if c.size > 0]
        self.disagreeing: list[Checkpoint] = []  # older checkpoints the rebuilt tree disagrees with
        self.last_agreed = 0
        self.nodes = _NodeCheck()

    def add(self, chunk: Sequence[tuple[int, bytes | None]]) -> None:
        start = self.tree.size
        _check_positions(chunk, start)
        stored = _stored_leaf_hashes(self.store, start, len(chunk))
        sha256 = hashlib.sha256
        hashes = [
            sha256(b"\x00" + leaf).digest() if leaf is not None else _removed(stored, start, i)
            for i, (_, leaf) in enumerate(chunk)
        ]
        _compare_with_tiles(stored, chunk, hashes, start)
        offset = 0
        observe = self.nodes.observe
        while self.pending and self.pending[0].size <= start + len(hashes):
            checkpoint = self.pending.pop(0)
            self.tree.extend(hashes[offset : checkpoint.size - start], observe)
            offset = checkpoint.size - start
            self._compare(checkpoint)
        self.tree.extend(hashes[offset:], observe)
        self.nodes.compare(self.store)

    def _compare(self, checkpoint: Checkpoint) -> None:
        if self.tree.root() == checkpoint.root_hash:
            self.last_agreed = checkpoint.size
        elif self.pending:
            self.disagreeing.append(checkpoint)
        else:
            raise VerificationError(
                f"records in [{self.last_agreed}, {checkpoint.size}) do not match the signed "
                f"checkpoint of size {checkpoint.size} (the stored hashes were rewritten too)",
                reason="record_changed",
                index=self.last_agreed,
            )

    def finish(self) -> CompactRange:
        if self.disagreeing:
            first = self.disagreeing[0]
            raise VerificationError(
                f"the signed checkpoint of size {first.size} is inconsistent with the latest one",
                reason="checkpoints_inconsistent",
                index=first.size,
            )
        return self.tree


class _NodeCheck:
    """Compares the stored interior nodes of full tiles with the nodes the rebuild computes.

    Tree level ``8L + h`` (h = 1..8) holds row h of the tiles of level L. The rebuild's nodes are
    kept per tree level until the top row of their tile arrives, then the tile's rows are joined
    and compared with what the store keeps for it (a tile filled before the store kept nodes has
    none, and nothing to compare).
    """

    def __init__(self) -> None:
        self.rows: dict[int, tuple[int, list[bytes]]] = {}  # tree level: (first index, nodes)
        self.done: list[tuple[int, int, bytes]] = []  # (tile level, n, nodes) to compare

    def observe(self, level: int, index: int, nodes: list[bytes]) -> None:
        first, kept = self.rows.get(level, (index, []))
        if first + len(kept) != index:  # cannot happen: extend computes each node once, in order
            raise RuntimeError(f"nodes of level {level} out of order at {index}")
        kept.extend(nodes)
        self.rows[level] = (first, kept)
        tile_level, row = divmod(level - 1, TILE_HEIGHT)
        if row == TILE_HEIGHT - 1:  # the roots of tiles: those tiles are complete
            for n in range(index, index + len(nodes)):
                self.done.append((tile_level, n, self._take(tile_level, n)))

    def _take(self, tile_level: int, n: int) -> bytes:
        """Tile ``(tile_level, n)``'s rows above its hashes, lowest first, dropped from memory."""
        parts = []
        for height in range(1, TILE_HEIGHT + 1):
            level = tile_level * TILE_HEIGHT + height
            first, kept = self.rows[level]
            width = 1 << (TILE_HEIGHT - height)
            start = (n << (TILE_HEIGHT - height)) - first
            parts.append(b"".join(kept[start : start + width]))
            self.rows[level] = (first + start + width, kept[start + width :])
        return b"".join(parts)

    def compare(self, store: Store) -> None:
        """Check the tiles completed so far against their stored nodes."""
        by_level: dict[int, list[tuple[int, bytes]]] = {}
        for tile_level, n, nodes in self.done:
            by_level.setdefault(tile_level, []).append((n, nodes))
        self.done = []
        for tile_level, tiles in by_level.items():
            sql = (
                "SELECT n, nodes FROM tiles"
                " WHERE level = ? AND n >= ? AND n <= ? AND nodes IS NOT NULL"
            )
            rows = store.read(sql, (tile_level, tiles[0][0], tiles[-1][0]))
            stored = {int(n): as_bytes(data) for n, data in rows}
            for n, nodes in tiles:
                if stored.get(n, nodes) != nodes:
                    first = n << (TILE_HEIGHT * (tile_level + 1))
                    raise VerificationError(
                        f"the stored interior nodes of tile {Tile(tile_level, n).path()} do not "
                        "match the records (proofs are served from them)",
                        reason="tiles_changed",
                        index=first,
                    )


def _rebuild(
    store: Store,
    size: int,
    checkpoints: list[Checkpoint],
    removed: Sequence[tuple[int, int, str]],
    progress: ProgressCallback | None,
) -> CompactRange:
    rebuild = _Rebuild(store, checkpoints)
    with closing(store.iter_rows(0, size)) as rows:  # a fault stops the scan: end it now
        for chunk in _with_removed(rows, removed, size) if removed else rows:
            rebuild.add(chunk)
            if progress is not None:
                progress(rebuild.tree.size, size)
    if rebuild.tree.size != size:
        raise VerificationError(
            f"record missing at index {rebuild.tree.size} (the log has size {size})",
            reason="record_missing",
            index=rebuild.tree.size,
        )
    return rebuild.finish()


def _with_removed(
    rows: Iterator[list[tuple[int, bytes]]], removed: Sequence[tuple[int, int, str]], size: int
) -> Iterator[Sequence[tuple[int, bytes | None]]]:
    """The stored records in seq order with every removed record in its place as ``None``, in
    chunks; a gap that no removed range covers is left for ``_check_positions`` to name."""
    ranges = [(start, end) for start, end, _ in removed]
    position, filled = 0, []
    for chunk in rows:
        contiguous = chunk[-1][0] - chunk[0][0] == len(chunk) - 1
        for run in [chunk] if contiguous else _runs(chunk):
            filled += _removed_between(ranges, position, run[0][0])
            filled += run
            position = run[-1][0] + 1
        if len(filled) >= _CHUNK:
            yield from _chunked(filled)
            filled = []
    filled += _removed_between(ranges, position, size)
    yield from _chunked(filled)


def _runs(chunk: list[tuple[int, bytes]]) -> list[list[tuple[int, bytes]]]:
    """``chunk`` cut where its seqs jump."""
    runs = [[chunk[0]]]
    for row in chunk[1:]:
        if row[0] == runs[-1][-1][0] + 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _removed_between(
    ranges: Sequence[tuple[int, int]], start: int, end: int
) -> list[tuple[int, bytes | None]]:
    """``(seq, None)`` for each seq in ``[start, end)`` a removed range covers, stopping at the
    first one none covers."""
    found: list[tuple[int, bytes | None]] = []
    at = bisect.bisect_right(ranges, (start, 1 << 63)) - 1
    position = start
    while position < end and 0 <= at < len(ranges) and ranges[at][0] <= position:
        stop = min(end, ranges[at][1])
        found.extend((seq, None) for seq in range(position, stop))
        if stop <= position:
            break
        position, at = stop, at + 1
    return found


def _chunked(
    rows: list[tuple[int, bytes | None]],
) -> Iterator[list[tuple[int, bytes | None]]]:
    for i in range(0, len(rows), _CHUNK):
        yield rows[i : i + _CHUNK]


def check_announced(store: Store, removed: Sequence[tuple[int, int, str]]) -> None:
    """Every archive segment holding removed records is announced by a sealed
    ``audit.retention`` event naming it with its digest and its count of records."""
    counts: dict[str, tuple[int, int]] = {}  # segment: (first removed seq, records removed)
    for start, end, segment in removed:
        first, count = counts.get(segment, (start, 0))
        counts[segment] = (min(first, start), count + end - start)
    rows = store.read("SELECT name, sha256, count, announced_seq FROM retention_segments")
    segments = {str(name): (str(sha), int(count), seq) for name, sha, count, seq in rows}
    for name, (first, count) in counts.items():
        sha, archived, seq = segments.get(name, ("", -1, None))
        entry = _announcement(store, seq).get(name, {}) if seq is not None else {}
        if (entry.get("sha256"), entry.get("count"), archived) != (sha, count, count):
            raise VerificationError(
                f"records from {first} were removed into the archive segment {name}, which no "
                "sealed audit.retention event announces with this digest and count (an "
                "interrupted `sealtrail retention apply` is finished by running it again)",
                reason="removal_unannounced",
                index=first,
            )


def _announcement(store: Store, seq: int) -> dict[str, dict[str, object]]:
    """The segments the ``audit.retention`` event at ``seq`` announces, by file name."""
    records = store.read_records(seq, seq + 1)
    try:
        event = orjson.loads(records[0].leaf) if records else {}
        if event.get("action") != "audit.retention":
            return {}
        segments = event["details"]["segments"]
        return {str(s["file"]): s for s in segments if isinstance(s, dict)}
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        return {}


def _check_positions(chunk: Sequence[tuple[int, bytes | None]], start: int) -> None:
    if chunk[0][0] == start and chunk[-1][0] == start + len(chunk) - 1:
        return
    for expected, (seq, _) in enumerate(chunk, start):
        if seq != expected:
            raise VerificationError(
                f"record missing at index {expected}", reason="record_missing", index=expected
            )


def _stored_leaf_hashes(store: Store, start: int, count: int) -> bytes:
    """The level-0 tile bytes covering leaves ``[start, start + count)``, from the tile holding
    ``start`` on (``b""`` when tiles are missing: every record then differs from them)."""
    first_tile, last_tile = start // TILE_WIDTH, (start + count - 1) // TILE_WIDTH
    tiles = [Tile(0, n) for n in range(first_tile, last_tile + 1)]
    tiles[-1] = Tile(0, last_tile, (start + count - 1) % TILE_WIDTH + 1)
    try:
        return b"".join(store.read_tiles(tiles))
    except SealtrailError:
        return b""


def _removed(stored: bytes, start: int, i: int) -> bytes:
    """The stored leaf hash of the removed record ``start + i``: all that is left of it."""
    at = (start % TILE_WIDTH + i) * HASH_SIZE
    found = stored[at : at + HASH_SIZE]
    if len(found) != HASH_SIZE:
        raise VerificationError(
            f"record {start + i} was removed by retention and its hash is missing from the tiles",
            reason="record_missing",
            index=start + i,
        )
    return found


def _compare_with_tiles(
    stored: bytes, chunk: Sequence[tuple[int, bytes | None]], hashes: list[bytes], start: int
) -> None:
    offset = (start % TILE_WIDTH) * HASH_SIZE
    if stored[offset : offset + len(hashes) * HASH_SIZE] == b"".join(hashes):
        return
    for i, ((_, leaf), leaf_hash) in enumerate(zip(chunk, hashes, strict=True)):
        at = offset + i * HASH_SIZE
        if leaf is not None and stored[at : at + HASH_SIZE] != leaf_hash:
            raise _fault(leaf, start + i)


def _fault(leaf: bytes, index: int) -> VerificationError:
    """Say why the record at ``index`` does not hash to what was stored for it."""
    try:
        claimed = orjson.loads(leaf).get("seq")
    except (orjson.JSONDecodeError, AttributeError):
        claimed = index
    if isinstance(claimed, int) and claimed != index:
        return VerificationError(
            f"order changed at index {index}: the record there was sealed at index {claimed}",
            reason="order_changed",
            index=index,
        )
    return VerificationError(
        f"record changed at index {index}: its hash differs from the sealed one",
        reason="record_changed",
        index=index,
    )
