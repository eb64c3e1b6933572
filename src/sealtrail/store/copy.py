"""Move a log between engines (``sealtrail db copy``), verifying as it goes.

The sealed leaves are copied byte for byte in seq order (never re-sealed), with the columns
queries filter on recomputed from each leaf, the hash tiles rebuilt from the recomputed leaf
hashes, and the signed checkpoints copied once the copy reaches their size and its root equals
theirs (each signature checked with the log's verifier keys). The origin and API keys come along.
A copy into a destination that already holds records continues after them if they are a prefix of
the source (an interrupted copy resumes), and is refused otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import closing

import orjson

from sealtrail.errors import Conflict, VerificationError
from sealtrail.events import indexed_fields
from sealtrail.ledger.merkle import CompactRange, record_hash
from sealtrail.ledger.note import Checkpoint, Verifier, open_checkpoint
from sealtrail.ledger.tiles import edge_tiles, grow_tiles
from sealtrail.store.base import Sequenced, Store, WriteView

__all__ = ["CopyProgress", "copy_log"]

#: Called with (records copied so far, records in the source).
CopyProgress = Callable[[int, int], None]

_CHUNK = 5_000


def copy_log(
    source: Store,
    destination: Store,
    verifiers: Sequence[Verifier],
    progress: CopyProgress | None = None,
) -> int:
    """Copy every record, checkpoint, the origin and the API keys; the records now there."""
    origin = source.get_meta("origin")
    if origin is None:
        raise Conflict("the source store has no origin: it is not a sealtrail ledger")
    if source.read("SELECT 1 FROM retention_ranges LIMIT 1"):
        raise Conflict("the source log has records archived by retention; copying it is not "
                       "supported (their bodies are only in the archive)")  # fmt: skip
    if destination.get_meta("origin") not in (None, origin):
        raise Conflict("the destination holds another log (its origin differs)")
    destination.set_meta("origin", origin)
    checkpoints = [open_checkpoint(c.note, verifiers, origin=origin) for c in source.checkpoints()]
    stored = {c.size: c for c in source.checkpoints()}
    size = source.size()
    tree = _verified_prefix(source, destination)
    pending = [c for c in checkpoints if c.size > tree.size]
    with closing(source.iter_rows(tree.size, size, _CHUNK)) as chunks:
        for chunk in chunks:
            leaves = [leaf for _, leaf in chunk]
            _append(destination, tree.size, leaves)
            for leaf in leaves:
                tree.append(record_hash(leaf))
                while pending and pending[0].size == tree.size:
                    _check_root(tree, pending.pop(0))
            if progress is not None:
                progress(tree.size, size)
    for checkpoint in checkpoints:
        destination.add_checkpoint(stored[checkpoint.size])
    existing = {key.key_id for key in destination.list_keys()}
    for key in source.list_keys():
        if key.key_id not in existing:
            destination.add_key(key)
    return destination.size()


def _verified_prefix(source: Store, destination: Store) -> CompactRange:
    """The tree of the records already in the destination, which must be the source's first."""
    tree = CompactRange()
    have = destination.size()
    if have > source.size():
        raise Conflict(f"the destination holds {have} records, more than the source")
    with (
        closing(source.iter_rows(0, have, _CHUNK)) as source_rows,
        closing(destination.iter_rows(0, have, _CHUNK)) as destination_rows,
    ):
        for theirs, ours in zip(source_rows, destination_rows, strict=True):
            if theirs != ours:
                raise Conflict("the destination holds records that differ from the source's")
            tree.extend(record_hash(leaf) for _, leaf in ours)
    return tree


def _append(destination: Store, first: int, leaves: list[bytes]) -> None:
    hashes = [record_hash(leaf) for leaf in leaves]
    fields = [] if destination.indexes_leaves else [indexed_fields(orjson.loads(x)) for x in leaves]

    def build(size: int, view: WriteView) -> Sequenced:
        if size != first:
            raise Conflict(f"the destination grew during the copy (size {size}, not {first})")
        edges = edge_tiles(size)
        datas = view.read_tiles(edges)
        edge = {t.level: d[: t.width * 32] for t, d in zip(edges, datas, strict=True)}
        writes = grow_tiles(size, edge, hashes)
        return Sequenced(size, leaves, fields, writes.tiles, writes.nodes)

    destination.append(build)


def _check_root(tree: CompactRange, checkpoint: Checkpoint) -> None:
    if tree.root() != checkpoint.root_hash:
        raise VerificationError(
            f"records up to {checkpoint.size} do not match the signed checkpoint of that size",
            reason="record_changed",
            index=checkpoint.size,
        )
