"""Claim: bytes on disk per typical image.pull event, against its canonical JSON and pymerkle.

Ours: the SQLite database and its query index file, each with its WAL after ``PRAGMA
wal_checkpoint(TRUNCATE)``, divided by the events, after appending them in batches of 1,000 with
one signed checkpoint per batch and letting the index catch up. The record holds the event plus
``id``, ``received_at`` and ``seq``; the store adds the hash tiles and the checkpoints, the index
file the query columns, their indexes and the text index. Peer: pymerkle's database file (entry
and leaf hash per row) holding the same leaf bytes, also appended 1,000 at a time.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pymerkle import SqliteTree

from common import ORIGIN, PEER, Result, arguments, events, index_caught_up, report, scratch
from sealtrail.events import canonical_json
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.store.sqlite_index import index_path

BATCH = 1_000


def size_on_disk(database: Path) -> int:
    """The database file and its WAL, once the WAL is checkpointed into the file and truncated."""
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    wal = database.with_name(database.name + "-wal")
    return database.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    count = 10_000 if args.quick else 100_000
    batches = [events(start, BATCH) for start in range(0, count, BATCH)]
    json_bytes = sum(len(canonical_json(event)) for batch in batches for event in batch) / count
    with scratch("disk") as tmp:
        with Ledger.create(tmp / "ledger", origin=ORIGIN) as ledger:
            for batch in batches:
                ledger.append_many(batch)
                ledger.checkpoint()
            index_caught_up(ledger)
            leaves = [record.leaf for record in ledger.store.read_records(0, count)]
        database = tmp / "ledger" / DATABASE
        index = size_on_disk(index_path(database))
        ours = (size_on_disk(database) + index) / count
        with SqliteTree(str(tmp / "pymerkle.db")) as tree:
            for start in range(0, count, BATCH):
                tree.append_entries(leaves[start : start + BATCH])
        peer = size_on_disk(tmp / "pymerkle.db") / count
    leaf_bytes = sum(map(len, leaves)) / count
    result = Result(
        claim=f"bytes on disk per image.pull event ({count:,} events)",
        unit="bytes/event",
        ours=ours,
        ours_label="sealtrail ledger.db + ledger.index.db, WALs checkpointed (TRUNCATE)",
        peer=peer,
        peer_label=f"{PEER} SqliteTree database, same leaf bytes",
        ratio=peer / ours,
        ratio_means="peer/ours size; >1 means sealtrail is smaller",
        target="report only (no target set)",
        met=None,
        notes=(
            f"canonical JSON of the event: {json_bytes:,.0f} bytes; sealed record (leaf): "
            f"{leaf_bytes:,.0f} bytes; ours is {ours / json_bytes:.2f}x the event's JSON, "
            f"the peer {peer / json_bytes:.2f}x",
            f"of ours, the query index file: {index / count:,.0f} bytes/event",
        ),
    )
    report(result)


if __name__ == "__main__":
    main()
