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

The first fault raises ``VerificationError`` with ``.index`` and ``.reason``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from sealtrail.errors import SealtrailError, VerificationError
from sealtrail.ledger.merkle import HASH_SIZE, CompactRange, tree_hash
from sealtrail.ledger.note import Checkpoint, Verifier, open_checkpoint
from sealtrail.ledger.tiles import TILE_WIDTH, Tile, TileHashReader
from sealtrail.store.base import Store

__all__ = ["ProgressCallback", "VerifyReport", "verify_log"]

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    size: int
    root: bytes
    checkpoints: int
    latest_checkpoint: int | None
    seconds: float

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
    rebuilt = _rebuild(store, size, checkpoints, progress)
    stored_root = tree_hash(size, TileHashReader(store)) if size else rebuilt.root()
    if stored_root != rebuilt.root():
        raise VerificationError(
            "stored hash tiles do not match the records", reason="tiles_changed"
        )
    latest = checkpoints[-1].size if checkpoints else None
    elapsed = time.perf_counter() - started
    return VerifyReport(size, rebuilt.root(), len(checkpoints), latest, elapsed)


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

    def add(self, chunk: list[tuple[int, bytes]]) -> None:
        start = self.tree.size
        _check_positions(chunk, start)
        sha256 = hashlib.sha256
        hashes = [sha256(b"\x00" + leaf).digest() for _, leaf in chunk]
        _compare_with_tiles(self.store, chunk, hashes, start)
        offset = 0
        while self.pending and self.pending[0].size <= start + len(hashes):
            checkpoint = self.pending.pop(0)
            self.tree.extend(hashes[offset : checkpoint.size - start])
            offset = checkpoint.size - start
            self._compare(checkpoint)
        self.tree.extend(hashes[offset:])

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


def _rebuild(
    store: Store, size: int, checkpoints: list[Checkpoint], progress: ProgressCallback | None
) -> CompactRange:
    rebuild = _Rebuild(store, checkpoints)
    for chunk in store.iter_rows(0, size):
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


def _check_positions(chunk: list[tuple[int, bytes]], start: int) -> None:
    if chunk[0][0] == start and chunk[-1][0] == start + len(chunk) - 1:
        return
    for expected, (seq, _) in enumerate(chunk, start):
        if seq != expected:
            raise VerificationError(
                f"record missing at index {expected}", reason="record_missing", index=expected
            )


def _compare_with_tiles(
    store: Store, chunk: list[tuple[int, bytes]], hashes: list[bytes], start: int
) -> None:
    first_tile, last_tile = start // TILE_WIDTH, (start + len(chunk) - 1) // TILE_WIDTH
    tiles = [Tile(0, n) for n in range(first_tile, last_tile + 1)]
    tiles[-1] = Tile(0, last_tile, (start + len(chunk) - 1) % TILE_WIDTH + 1)
    try:
        stored = b"".join(store.read_tiles(tiles))
    except SealtrailError:
        stored = b""
    offset = (start % TILE_WIDTH) * HASH_SIZE
    if stored[offset : offset + len(hashes) * HASH_SIZE] == b"".join(hashes):
        return
    for i, ((_, leaf), leaf_hash) in enumerate(zip(chunk, hashes, strict=True)):
        at = offset + i * HASH_SIZE
        if stored[at : at + HASH_SIZE] != leaf_hash:
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
