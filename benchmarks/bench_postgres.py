"""Claims: PostgreSQL batch append against SQLite's and against a bare COPY (the ceiling); query
latency of the console's common filters at 10,000,000 records.

Append: the same 100,000 image.pull events in durable batches of 1,000 through
``Ledger.append_many`` on each engine, and a bare ``COPY`` of the same sealed rows (leaf bytes and
filter columns, one transaction per 1,000) into an unindexed table: what PostgreSQL itself costs.

Queries: a ``records`` table of the PostgreSQL schema filled with N synthetic rows by SQL
(``generate_series``; 500 actors, 300 repositories, 40 actions, a year of times), indexed and
analysed as the engine makes it; then each console filter through ``PostgresStore.query`` (the
newest 100), 50 times each, reporting p50 and p99. These rows are not a sealed tree (only the
query path is measured); the append half measures sealing.

Needs PostgreSQL (``SEALTRAIL_BENCH_POSTGRES``, default postgresql://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from common import ORIGIN, Result, arguments, events, report, scratch
from sealtrail.events import indexed_fields
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from sealtrail.store.postgres import PostgresStore

SERVER = os.environ.get("SEALTRAIL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "sealtrail_bench"
BATCH = 1_000


@contextmanager
def schema() -> Iterator[str]:
    """A URL whose search path is a new schema of the benchmark database, dropped afterwards."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(f"CREATE DATABASE {DATABASE}")
    name = f"b_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{SERVER}/{DATABASE}?options=-csearch_path%3D{name},public"
    finally:
        with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def append_rate(count: int, database_url: str | None) -> tuple[float, list[bytes]]:
    """Events per second through the ledger on one engine; the sealed leaves."""
    batches = [events(start, BATCH) for start in range(0, count, BATCH)]
    with (
        scratch("pg-append") as tmp,
        Ledger.create(tmp / "l", origin=ORIGIN, database_url=database_url) as ledger,
    ):
        started = time.perf_counter()
        for batch in batches:
            ledger.append_many(batch)
        elapsed = time.perf_counter() - started
        leaves = [r.leaf for chunk in ledger.store.iter_records(0, count) for r in chunk]
    return count / elapsed, leaves


def copy_rate(url: str, leaves: list[bytes]) -> float:
    """Rows per second of a bare COPY of the same rows, 1,000 per transaction."""
    import orjson

    rows = []
    for seq, leaf in enumerate(leaves):
        f = indexed_fields(orjson.loads(leaf))
        rows.append((seq, leaf, f.time, f.action, f.category, f.outcome, f.actor_id,
                     f.target_type, f.target_id, f.repository, f.digest))  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE bare (seq BIGINT, leaf BYTEA, time TEXT, action TEXT, category TEXT,"
            " outcome TEXT, actor_id TEXT, target_type TEXT, target_id TEXT, repository TEXT,"
            " digest TEXT)"
        )
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with (
                conn.transaction(),
                conn.cursor() as cursor,
                cursor.copy("COPY bare FROM STDIN") as copy,
            ):
                for row in rows[start : start + BATCH]:
                    copy.write_row(row)
        return len(rows) / (time.perf_counter() - started)


FILL = """
INSERT INTO records (seq, leaf, time, action, category, outcome, actor_id, target_type,
                     target_id, repository, digest, search)
SELECT s,
       convert_to('{"seq":' || s || ',"action":"' || a.action || '"}', 'UTF8'),
       to_char(timestamp '2026-01-01' + (s * interval '3 seconds'),
               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       a.action, split_part(a.action, '.', 1),
       (ARRAY['success','success','success','failure','not_found'])[1 + mod(s, 5)],
       'actor-' || mod(s, 500), 'image',
       'registry.example.com/team/app-' || mod(s, 300) || ':v' || s,
       'team/app-' || mod(s, 300), 'sha256:' || md5(s::text) || md5((s + 1)::text),
       'pulled team/app-' || mod(s, 300) || ':v' || s
FROM generate_series(%s, %s) AS s,
     LATERAL (SELECT (ARRAY[{actions}])[1 + mod(s::bigint * 7919, 40)] AS action) AS a
"""


def query_latencies(url: str, size: int) -> dict[str, tuple[float, float]]:
    """p50 and p99 in milliseconds of each console filter over ``size`` synthetic rows."""
    actions = ",".join(
        f"'{c}.{v}'" for c in ("image", "tag", "auth", "vcs", "policy") for v in "abcdefgh"
    )
    store = PostgresStore(url, create=True)
    with psycopg.connect(url, autocommit=True) as conn:
        step = 1_000_000
        for start in range(0, size, step):
            conn.execute(FILL.replace("{actions}", actions), [start, min(size, start + step) - 1])
        conn.execute("UPDATE tree SET size = %s", [size])
        conn.execute("ANALYZE records")
    filters = {
        "newest (no filter)": Query(),
        "actor": Query(actor_id="actor-123"),
        "action": Query(actions=("image.c",)),
        "category": Query(category="auth"),
        "repository": Query(repository="team/app-42"),
        "outcome failure": Query(outcome="failure"),
        "digest": Query(digest="sha256:" + "0" * 64),
        "last hour": Query(since="2026-06-01T00:00:00Z", until="2026-06-01T01:00:00Z"),
        "free text": Query(text=("app-42:v1",)),
        "actor + failure + repository": Query(
            actor_id="actor-7", outcome="failure", repository="team/app-7"
        ),
    }
    latencies = {}
    try:
        for name, query in filters.items():
            store.query(query)  # warm
            times = []
            for _ in range(50):
                started = time.perf_counter()
                store.query(query)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            latencies[name] = (statistics.median(times), times[int(len(times) * 0.99) - 1])
    finally:
        store.close()
    return latencies


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--rows", type=int, help="rows for the query half (default 10,000,000)")
    args = parser.parse_args()
    count = 10_000 if args.quick else 100_000
    rows = args.rows or (200_000 if args.quick else 10_000_000)
    with schema() as url:
        pg, leaves = append_rate(count, url)
    sqlite, _ = append_rate(count, None)
    with schema() as url:
        ceiling = copy_rate(url, leaves)
    report(
        Result(
            claim=f"PostgreSQL batch append: {count:,} events in durable batches of {BATCH:,}",
            unit="events/s",
            ours=pg,
            ours_label="sealtrail Ledger.append_many on PostgreSQL",
            peer=sqlite,
            peer_label="sealtrail Ledger.append_many on SQLite, same events",
            ratio=pg / sqlite,
            target="report (against SQLite, and the COPY ceiling)",
            met=None,
            ratio_means="PostgreSQL/SQLite speed",
            notes=(
                f"ceiling: bare COPY of the same sealed rows, 1,000 per transaction, no index: "
                f"{ceiling:,.0f} rows/s; ours is {pg / ceiling:.2f}x of it",
            ),
            figures={"copy_ceiling": ceiling},
        )
    )
    with schema() as url:
        latencies = query_latencies(url, rows)
    worst = max(p99 for _, p99 in latencies.values())
    report(
        Result(
            claim=f"query latency at {rows:,} records, the console's common filters (newest 100)",
            unit="ms (worst p99)",
            ours=worst,
            ours_label="PostgresStore.query, 50 runs per filter",
            peer=None,
            peer_label="none (absolute latencies)",
            ratio=None,
            target="report",
            met=None,
            notes=tuple(
                f"{name}: p50 {p50:.2f} ms, p99 {p99:.2f} ms"
                for name, (p50, p99) in latencies.items()
            ),
            figures={f"{name} p99 ms": p99 for name, (_, p99) in latencies.items()},
        )
    )


if __name__ == "__main__":
    main()
