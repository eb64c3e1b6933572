"""Claim: exporting 1,000,000 events as JSON Lines with a verification bundle runs near the speed
of a plain ``sqlite3`` dump of the same rows to JSON Lines (the ceiling: no format, no proof).

Ours: ``plan_export`` + ``write_export`` of the whole log (a range export, so the bundle is one
range proof read from the hash tiles). Peer: Python's ``sqlite3`` reading ``SELECT leaf FROM
records ORDER BY seq`` from the same database and writing each row and a newline. Both write to a
file in the same scratch directory. The offline ``verify_export`` of our file is timed as a note.
The benchmark calls the library, so the shared cached ledger gets no ``audit.export`` event.
"""

from __future__ import annotations

import sqlite3
import time

from common import Result, arguments, cached_build, report, scratch
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.sinks.export import plan_export, write_export
from sealtrail.sinks.verify import bundle_path, verify_export

TARGET_RATIO = 0.5  # at least half the speed of the bare dump


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--size", type=int, help="events in the log (default 1,000,000)")
    args = parser.parse_args()
    size = args.size or (100_000 if args.quick else 1_000_000)
    build, _ = cached_build(size)
    with scratch("export") as directory:
        peer_file, ours_file = directory / "dump.jsonl", directory / "export.jsonl"
        started = time.perf_counter()
        connection = sqlite3.connect(build.ledger_dir / DATABASE)
        with peer_file.open("wb") as sink:
            for (leaf,) in connection.execute("SELECT leaf FROM records ORDER BY seq"):
                sink.write(leaf + b"\n")
        connection.close()
        peer = size / (time.perf_counter() - started)
        with Ledger.open(build.ledger_dir) as ledger:
            verifier = ledger.keyring.signer.verifier()
            started = time.perf_counter()
            plan = plan_export(ledger, "jsonl", end=size)
            with ours_file.open("w") as out, bundle_path(ours_file).open("w") as bundle:
                count = write_export(ledger, plan, out, bundle)
            ours = count / (time.perf_counter() - started)
        assert peer_file.read_bytes() == ours_file.read_bytes(), "the two files must be equal"
        started = time.perf_counter()
        verified = verify_export(ours_file, [verifier])
        verify_rate = verified.count / (time.perf_counter() - started)
    report(
        Result(
            claim=f"export of {size:,} events as JSON Lines with a verification bundle",
            unit="events/s",
            ours=ours,
            ours_label="sealtrail plan_export + write_export (range bundle)",
            peer=peer,
            peer_label="sqlite3 SELECT leaf ORDER BY seq to JSON Lines (the ceiling)",
            ratio=ours / peer,
            target=f"≥ {TARGET_RATIO:.1f}x the bare dump",
            met=ours / peer >= TARGET_RATIO,
            notes=(f"offline verify-export of the same file: {verify_rate:,.0f} events/s",),
            figures={"verify_events_per_second": verify_rate},
        )
    )


if __name__ == "__main__":
    main()
