"""Claim: batch append keeps up with pymerkle's bulk insert (target ≥ 0.5x, aim > 1x).

Ours: ``Ledger.append_many`` of 1,000 events at a time (validation, RFC 8785 encoding, hashing,
tiles, one durable commit), then one signed checkpoint per batch; the time runs until the query
index (built after the commits) holds every record too. Peer: pymerkle's
``SqliteTree.append_entries`` of the same 1,000 leaf bytes at a time (hashing, one commit).
"""

from __future__ import annotations

import time

from pymerkle import SqliteTree

from common import (
    ORIGIN,
    PEER,
    Result,
    arguments,
    durability,
    events,
    index_caught_up,
    report,
    scratch,
)
from sealtrail.ledger.log import Ledger

BATCH = 1_000


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    count = 10_000 if args.quick else 100_000
    batches = [events(start, BATCH) for start in range(0, count, BATCH)]
    with scratch("append-batch") as tmp:
        with Ledger.create(tmp / "ledger", origin=ORIGIN) as ledger:
            started = time.perf_counter()
            for batch in batches:
                ledger.append_many(batch)
                ledger.checkpoint()
            indexing = index_caught_up(ledger)
            ours = time.perf_counter() - started
            leaves = [record.leaf for record in ledger.store.read_records(0, count)]
            root = ledger.root(count)
        with SqliteTree(str(tmp / "pymerkle.db")) as tree:
            started = time.perf_counter()
            for start in range(0, count, BATCH):
                tree.append_entries(leaves[start : start + BATCH])
            peer = time.perf_counter() - started
            assert tree.get_root() == root, "the two trees must hold the same leaves"
            pragmas = durability(tree)
    result = Result(
        claim=f"batch append: {count:,} image.pull events in durable batches of {BATCH:,}",
        unit="events/s",
        ours=count / ours,
        ours_label="sealtrail Ledger.append_many + checkpoint per batch",
        peer=count / peer,
        peer_label=f"{PEER} SqliteTree.append_entries, same leaf bytes",
        ratio=peer / ours,
        target="≥ 0.5x (aim > 1x)",
        met=peer / ours >= 0.5,
        notes=(
            "both roots are equal: the same leaves, hashed as RFC 9162",
            "ours validates, encodes, indexes and checkpoints; the peer hashes and stores bytes",
            f"ours includes {indexing * 1e3:.0f} ms after the last append until the query index"
            " held every record",
            pragmas,
        ),
    )
    report(result)


if __name__ == "__main__":
    main()
