"""Claim: durable one-event appends from 32 threads outpace pymerkle's append loop (target ≥ 10x).

Ours: 32 threads, each calling ``Ledger.append`` (one event, acknowledged only once committed and
fsynced) in a loop, with the checkpointer signing every second as a server runs it; the time runs
until the query index (built after the commits) holds every record too. Peer: pymerkle's
``SqliteTree.append_entry`` in a loop on one thread (its lock serialises callers), one commit per
entry, on the same leaf bytes.
"""

from __future__ import annotations

import threading
import time

from pymerkle import SqliteTree

from common import (
    ORIGIN,
    PEER,
    Result,
    arguments,
    durability,
    index_caught_up,
    pull_event,
    report,
    scratch,
)
from sealtrail.ledger.log import Ledger

THREADS = 32


def append_from_threads(ledger: Ledger, per_thread: int) -> float:
    """Seconds for ``THREADS`` threads to append ``per_thread`` events each, one at a time. The
    events are made before the clock starts, as the peer's leaves are."""
    start = threading.Barrier(THREADS + 1)

    def work(thread: int) -> None:
        mine = [pull_event(thread * per_thread + i) for i in range(per_thread)]
        start.wait()
        for event in mine:
            ledger.append(event)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    per_thread = 20 if args.quick else 100
    count = THREADS * per_thread
    with scratch("append-threads") as tmp:
        with Ledger.create(tmp / "ledger", origin=ORIGIN) as ledger:
            ledger.start_checkpointer()
            appending = append_from_threads(ledger, per_thread)
            indexing = index_caught_up(ledger)
            ours = appending + indexing
            leaves = [record.leaf for record in ledger.store.read_records(0, count)]
            root = ledger.root(count)
        with SqliteTree(str(tmp / "pymerkle.db")) as tree:
            started = time.perf_counter()
            for leaf in leaves:
                tree.append_entry(leaf)
            peer = time.perf_counter() - started
            assert tree.get_root() == root, "the two trees must hold the same leaves"
            pragmas = durability(tree)
    result = Result(
        claim=f"durable appends: {count:,} single-event appends from {THREADS} threads",
        unit="appends/s",
        ours=count / ours,
        ours_label=f"sealtrail Ledger.append from {THREADS} threads (group commit)",
        peer=count / peer,
        peer_label=f"{PEER} SqliteTree.append_entry loop, same leaf bytes",
        ratio=peer / ours,
        target="≥ 10x",
        met=peer / ours >= 10,
        notes=(
            "both roots are equal: the same leaves, hashed as RFC 9162",
            f"ours includes {indexing * 1e3:.0f} ms after the last append until the query index"
            " held every record",
            pragmas,
        ),
    )
    report(result)


if __name__ == "__main__":
    main()
