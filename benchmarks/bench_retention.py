"""Claim: retention over a log of 1,000,000 events keeps ``verify`` green on the log and on every
archive segment, archiving at a useful rate, and gives the space back.

The log (``--quick``: 100,000 events) spans about 700 days, one event a minute, with the actions
interleaved as in real traffic: 60% ``http.request`` (kept 90 days), 20% ``auth.login`` (a year),
20% ``image.pull`` (seven years), from 50 actors, one of them under a legal hold. At the clock's
time about two thirds of the records have expired, scattered between ones that have not, so
every segment carries an inclusion proof per record (the costly case).

Peer: the same expiry as one bare ``DELETE`` and the same incremental vacuum on a copy of the
database — what removing old rows costs with no archive, no proof and no seal kept. Ours:
``apply_retention``: read, prove, compress and fsync every segment, remove the bodies, vacuum,
announce. Then ``verify`` on the log and ``verify_archive`` on each segment must pass.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ORIGIN, Result, arguments, pull_event, report, scratch
from sealtrail.clock import FixedClock
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.retention import RetentionSettings, apply_retention, verify_archive

START = datetime(2024, 6, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
RULES = {"http.request": "90d", "auth.*": "1y", "image.*": "7y"}
HOLD = {"case-17": "actor:user7"}
BATCH = 10_000


def event(i: int) -> dict[str, Any]:
    """Event ``i``: one a minute from ``START``, actions interleaved 6:2:2."""
    time_ = (START + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    kind = i % 10
    if kind >= 8:
        return pull_event(i) | {"time": time_, "actor": {"id": f"user{i % 50}", "type": "user"}}
    return {
        "time": time_,
        "action": "http.request" if kind < 6 else "auth.login",
        "outcome": "success",
        "actor": {"id": f"user{i % 50}", "type": "user", "ip": "192.0.2.80"},
        "source": {"service": "gateway", "host": "node-3"},
        "request_id": f"req-{i}",
        "message": f"GET /v2/team/app/manifests/v{i} 200",
        "details": {"method": "GET", "status": 200, "bytes": 1234 + i % 977},
    }


def build(directory: Path, count: int) -> None:
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        for start in range(0, count, BATCH):
            ledger.append_many([event(i) for i in range(start, min(count, start + BATCH))])
        ledger.checkpoint()


def peer(database: Path) -> tuple[float, int, int]:
    """The bare DELETE and vacuum: seconds, rows removed, bytes after. The fields come from the
    leaves: the ledger file holds no query columns (they are in the index file)."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    removed = conn.execute(
        "DELETE FROM records WHERE"
        " ((leaf ->> '$.action' = 'http.request' AND leaf ->> '$.time' < ?)"
        " OR (leaf ->> '$.action' = 'auth.login' AND leaf ->> '$.time' < ?))"
        " AND leaf ->> '$.actor.id' != 'user7'",
        (_cutoff(90), _cutoff(365)),
    ).rowcount
    conn.execute("COMMIT")
    conn.executescript("PRAGMA incremental_vacuum;")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, removed, _bytes(database)


def _cutoff(days: int) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _bytes(database: Path) -> int:
    paths = (database, database.with_name(database.name + "-wal"))
    return sum(path.stat().st_size for path in paths if path.exists())


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    count = 100_000 if args.quick else 1_000_000
    with scratch("retention") as tmp:
        directory = tmp / "ledger"
        started = time.perf_counter()
        build(directory, count)
        built = time.perf_counter() - started
        shutil.copy(directory / DATABASE, tmp / "peer.db")
        peer_seconds, peer_removed, peer_after = peer(tmp / "peer.db")
        settings = RetentionSettings.from_section({"rules": RULES, "holds": HOLD}, directory)
        with Ledger.open(directory, clock=FixedClock(NOW)) as ledger:
            run = apply_retention(ledger, settings)
            verified = ledger.verify()
            started = time.perf_counter()
            archived = sum(
                verify_archive(settings.archive / s.name, ledger.keyring.verifiers).count
                for s in run.segments
            )
            archive_seconds = time.perf_counter() - started
        assert run.archived == peer_removed == archived == verified.removed, (
            run.archived, peer_removed, archived, verified.removed,
        )  # fmt: skip
        archive_bytes = sum(segment.bytes for segment in run.segments)
    ours, theirs = run.archived / run.seconds, peer_removed / peer_seconds
    report(
        Result(
            claim=f"retention over {count:,} events ({run.archived:,} archived), verify green",
            unit="events/s",
            ours=ours,
            ours_label="apply_retention: zstd segments with proofs, bodies removed, vacuum",
            peer=theirs,
            peer_label="bare DELETE + incremental vacuum on a copy (no archive, no proof)",
            ratio=ours / theirs,
            target="verify passes on the log and on every segment",
            met=verified.removed == run.archived == archived,
            notes=(
                f"log built in {built:.1f}s ({count / built:,.0f} events/s)",
                f"bytes on disk before {run.bytes_before:,}, after {run.bytes_after:,} "
                f"(freed {run.bytes_freed:,}); peer after {peer_after:,}",
                f"{len(run.segments)} segments, {archive_bytes:,} bytes "
                f"({archive_bytes / max(run.archived, 1):.0f} bytes per record, proofs included)",
                f"held by the legal hold: {run.held:,}; expired: {run.expired:,}",
                f"verify: {verified.size:,} records, {verified.removed:,} from tiles, "
                f"{verified.seconds:.1f}s; verify_archive: {archived:,} records, "
                f"{archive_seconds:.1f}s",
            ),
            figures={
                "bytes_before": run.bytes_before,
                "bytes_after": run.bytes_after,
                "archive_bytes": archive_bytes,
                "verify_seconds": verified.seconds,
                "retention_seconds": run.seconds,
            },
        )
    )


if __name__ == "__main__":
    main()
