"""Claims: audited retroactive application costs at most 5x the bare batch UPDATE; a tag push with
1,000 policies in scope stays fast.

1. Retroactive application to 100,000 tags (``--quick``: 10,000). Peer: the seed's current
   behaviour — fetch candidate tags 1,000 at a time, filter them by the pattern (RE2, full match),
   ``UPDATE tags SET immutable = 1 WHERE id IN (...)``, one durable commit per batch, no audit —
   on a copy of the same database. Ours: ``ImmutabilityPolicies.create`` + ``apply``: the same
   batches, plus one sealed ``tag.immutability_change`` per tag, the run record and the
   ``policy.apply`` summary in the same transactions.
2. ``TagIndex.record_push`` of new tags with 1,000 live policies in scope (500 of the namespace,
   500 of the repository; none matches, so every one is evaluated), against the same pushes into
   a repository with no policy: per tag.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson

from common import ORIGIN, Result, arguments, report, scratch
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex
from sealtrail.policies.model import compile_pattern
from sealtrail.store.base import WriteView

BATCH = 1_000
PATTERN = "v.*"
ADMIN = {"id": "bench-admin", "type": "user"}


def _fill(ledger: Ledger, count: int) -> None:
    """``count`` tags in 10 repositories of namespace ``org``, 90% matching ``v.*``."""

    def work(view: WriteView, size: int) -> list[Any]:
        view.executemany(
            "INSERT INTO repositories (id, registry, name, namespace) VALUES (?, ?, ?, 'org')",
            [(r, "registry.example.com", f"org/app{r}") for r in range(10)],
        )
        view.executemany(
            "INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (?, ?, ?, ?)",
            [
                (i % 10, f"v{i}" if i % 10 else f"dev{i}", f"sha256:{i:064x}", "2026-01-01")
                for i in range(count)
            ],
        )
        return []

    ledger.append_in_transaction(work)


def _peer(database: Path) -> tuple[float, int]:
    """The seed's batch UPDATE without audit; seconds and tags marked."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    pattern, cursor, marked = compile_pattern(PATTERN), 0, 0
    started = time.perf_counter()
    while True:
        rows = conn.execute(
            "SELECT t.id, t.name, t.immutable FROM tags t CROSS JOIN repositories r"
            " ON r.id = t.repository_id WHERE t.id > ? AND r.namespace = ? ORDER BY t.id"
            " LIMIT ?",
            (cursor, "org", BATCH),
        ).fetchall()
        if not rows:
            break
        ids = [i for i, name, immutable in rows if not immutable and pattern.fullmatch(name)]
        if ids:
            conn.execute("BEGIN")
            marks = ",".join("?" * len(ids))
            sql = f"UPDATE tags SET immutable = 1 WHERE id IN ({marks}) AND immutable = 0"
            marked += conn.execute(sql, ids).rowcount
            conn.execute("COMMIT")
        cursor = rows[-1][0]
    seconds = time.perf_counter() - started
    conn.close()
    return seconds, marked


def _append_only(directory: Path, records: list[dict[str, Any]]) -> float:
    """Seconds to append these events (without the ledger's own fields) in batches of 1,000."""
    events = [
        {k: v for k, v in r.items() if k not in ("seq", "id", "received_at")} for r in records
    ]
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        started = time.perf_counter()
        for start in range(0, len(events), BATCH):
            ledger.append_many(events[start : start + BATCH])
        return time.perf_counter() - started


def retroactive(count: int) -> None:
    with scratch("policies-apply") as tmp:
        with Ledger.create(tmp / "ledger", origin=ORIGIN) as ledger:
            _fill(ledger, count)
        shutil.copytree(tmp / "ledger", tmp / "peer")
        peer, marked = _peer(tmp / "peer" / DATABASE)
        with Ledger.open(tmp / "ledger") as ledger:
            book = ImmutabilityPolicies(ledger, batch=BATCH)
            started = time.perf_counter()
            applied = book.apply(book.create(namespace="org", tag_pattern=PATTERN, actor=ADMIN))
            ours = time.perf_counter() - started
            assert applied is not None
            assert applied.tags_affected_count == marked, "both must mark the same tags"
            assert ledger.size() == marked + 2  # one event per tag, the policy, the summary
            same = [orjson.loads(r.leaf) for r in ledger.store.read_records(1, marked + 1)]
        floor = _append_only(tmp / "floor", same)
    report(
        Result(
            claim=f"retroactive application to {count:,} tags ({marked:,} made immutable)",
            unit="tags/s",
            ours=count / ours,
            ours_label="sealtrail create + apply, one sealed event per tag, batches of 1,000",
            peer=count / peer,
            peer_label="bare batch UPDATE, no audit (the seed's behaviour), batches of 1,000",
            ratio=ours / peer,
            ratio_means="ours/peer time; <=5 is the aim",
            target="≤ 5x slower",
            met=ours / peer <= 5,
            notes=(
                "both: SQLite WAL, synchronous=FULL, one commit per batch, RE2 full match",
                f"ours {ours:.2f} s, peer {peer:.2f} s",
                f"the ledger's floor: Ledger.append_many of the same {marked:,} events alone, "
                f"batches of 1,000, takes {floor:.2f} s ({floor / peer:.1f}x the peer)",
            ),
        )
    )


def _policies(ledger: Ledger, count: int) -> None:
    book = ImmutabilityPolicies(ledger)
    for i in range(count):
        scope: dict[str, Any] = {"namespace": "org"} if i % 2 else {"repository": "org/app"}
        book.create(**scope, tag_pattern=f"release-{i}-[0-9]+", actor=ADMIN)


def _push_seconds(index: TagIndex, repository: str, pushes: int) -> float:
    started = time.perf_counter()
    for i in range(pushes):
        index.record_push("registry.example.com", repository, f"v{i}", f"sha256:{i:064x}", ADMIN)
    return (time.perf_counter() - started) / pushes


def push(policies: int, pushes: int) -> None:
    with scratch("policies-push") as tmp, Ledger.create(tmp / "l", origin=ORIGIN) as ledger:
        _policies(ledger, policies)
        index = TagIndex(ledger)
        _push_seconds(index, "org/warm", 20)  # compile the patterns once
        bare = _push_seconds(index, "other/app", pushes)
        ours = _push_seconds(index, "org/app", pushes)
        assert not index.tag("org/app", "v1").immutable
    report(
        Result(
            claim=f"tag push with {policies:,} policies in scope (none matching), per tag",
            unit="µs/push",
            ours=ours * 1e6,
            ours_label=f"record_push, {policies:,} policies evaluated",
            peer=bare * 1e6,
            peer_label="record_push of the same tags, no policy in scope",
            ratio=ours / bare,
            ratio_means="ours/peer time: the cost of evaluating the policies",
            target="per-tag figure (no set target)",
            met=None,
            notes=(f"evaluation adds {(ours - bare) * 1e6:,.0f} µs per push",),
        )
    )


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    retroactive(10_000 if args.quick else 100_000)
    push(1_000, 100 if args.quick else 500)


if __name__ == "__main__":
    main()
