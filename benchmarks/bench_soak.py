"""Soak: three ``sealtrail serve`` processes on one PostgreSQL log under mixed appends and queries.

Bounded and loopback only: for ``--seconds`` (default 120), 12 appending client threads (one event
per POST, or a batch of 20 every tenth request) and 4 querying threads (the console's filters, the
newest 50) spread over the three servers. Reports sustained events per second, p50/p99 latency of
appends and queries, and each server's resident memory sampled every 10 seconds. Afterwards the
log is verified (one log, one tree) and the count of stored client events is checked against what
the clients were told.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench_postgres import schema
from common import (
    ORIGIN,
    SEALTRAIL,
    SERVER_ENVIRONMENT,
    Result,
    arguments,
    free_port,
    pull_event,
    report,
    scratch,
    served,
)
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query

SERVERS = 3
APPENDERS = 12
QUERIERS = 4
BATCH = 20
FILTERS: list[dict[str, str]] = [
    {"actor": "soak-3"},
    {"action": "image.pull"},
    {"category": "image"},
    {"outcome": "failure"},
    {"repository": "team/app"},
    {},
]


class Load:
    """What the client threads measured."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.appends: list[float] = []
        self.queries: list[float] = []
        self.events = 0
        self.errors: Counter[str] = Counter()

    def add(self, kind: list[float], seconds: float, events: int = 0) -> None:
        with self.lock:
            kind.append(seconds * 1000)
            self.events += events


def appender(urls: list[str], key: str, n: int, stop: threading.Event, load: Load) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        i = 0
        while not stop.is_set():
            url = urls[(n + i) % len(urls)]
            count = BATCH if i % 10 == 9 else 1
            events = [pull_event(n * 1_000_000 + i * BATCH + k) for k in range(count)]
            for event in events:
                event["actor"]["id"] = f"soak-{n}"
            body = {"events": events} if count > 1 else events[0]
            path = "/v1/events:batch" if count > 1 else "/v1/events"
            started = time.perf_counter()
            response = client.post(f"{url}{path}", json=body)
            if response.status_code == 201:
                load.add(load.appends, time.perf_counter() - started, count)
            else:
                load.errors[f"append {response.status_code} {response.text[:80]}"] += 1
            i += 1


def querier(urls: list[str], key: str, n: int, stop: threading.Event, load: Load) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        i = 0
        while not stop.is_set():
            params: dict[str, str | int] = {**FILTERS[i % len(FILTERS)], "limit": 50}
            started = time.perf_counter()
            response = client.get(f"{urls[(n + i) % len(urls)]}/v1/events", params=params)
            if response.status_code == 200:
                load.add(load.queries, time.perf_counter() - started)
            else:
                load.errors[f"query {response.status_code} {response.text[:80]}"] += 1
            i += 1


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else 0.0


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def soak(url: str, tmp: Path, seconds: float) -> tuple[Load, float, list[list[float]]]:
    """Run the servers and the clients for ``seconds``; what was measured."""
    with ExitStack() as stack:
        env = {**SERVER_ENVIRONMENT, "SEALTRAIL_DATABASE_URL": url}
        first = tmp / "host-0"
        subprocess.run(
            [SEALTRAIL, "init", "--dir", str(first), "--origin", ORIGIN],
            check=True,
            capture_output=True,
            env=os.environ | env,
        )
        servers = []
        for n in range(SERVERS):
            directory = tmp / f"host-{n}"
            if n:
                shutil.copytree(first, directory)
            port = free_port()
            argv = [SEALTRAIL, "serve", "--dir", str(directory), "--port", str(port)]
            servers.append(stack.enter_context(served(argv, port, directory / "log", env)))
        admin_key = re.search(
            r"admin key \(shown only now\): (sealtrail_\S+)", (first / "log").read_text()
        )
        assert admin_key is not None, "the first server printed no admin key"
        admin = {"Authorization": f"Bearer {admin_key.group(1)}"}
        urls = [s.url for s in servers]
        keys = {}
        for role in ("writer", "auditor"):
            made = httpx.post(f"{urls[0]}/v1/keys", json={"role": role}, headers=admin)
            keys[role] = made.raise_for_status().json()["key"]
        load, stop = Load(), threading.Event()
        threads = [
            threading.Thread(target=appender, args=(urls, keys["writer"], n, stop, load))
            for n in range(APPENDERS)
        ] + [
            threading.Thread(target=querier, args=(urls, keys["auditor"], n, stop, load))
            for n in range(QUERIERS)
        ]
        memory: list[list[float]] = [[rss_mb(s.pid) for s in servers]]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        while (elapsed := time.perf_counter() - started) < seconds:
            time.sleep(min(10.0, seconds - elapsed))
            memory.append([rss_mb(s.pid) for s in servers])
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        for n in range(SERVERS):  # the first server-side error, if any, for the report
            log = (tmp / f"host-{n}" / "log").read_text()
            if "Traceback" in log:
                print(log[log.index("Traceback") :][:3000], file=sys.stderr)
                break
    return load, elapsed, memory


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--seconds", type=float, help="length of the soak (default 120)")
    args = parser.parse_args()
    seconds = args.seconds or (15.0 if args.quick else 120.0)
    with schema() as url, scratch("soak") as tmp:
        first = tmp / "host-0"
        load, elapsed, memory = soak(url, tmp, seconds)
        with Ledger.open(first, database_url=url) as ledger:  # the servers have stopped
            ledger.checkpoint()
            verified = ledger.verify()
            stored = len(ledger.query(Query(category="image", limit=10_000_000)))
    rate = load.events / elapsed
    report(
        Result(
            claim=f"soak: {SERVERS} servers on one PostgreSQL log, {APPENDERS} appending and "
            f"{QUERIERS} querying clients for {seconds:.0f} s",
            unit="events/s",
            ours=rate,
            ours_label="sustained acknowledged events per second",
            peer=None,
            peer_label="none (a soak)",
            ratio=None,
            target="report",
            met=None,
            notes=(
                f"appends: {len(load.appends):,} requests, p50 "
                f"{statistics.median(load.appends):.1f} ms, p99 {p(load.appends, 0.99):.1f} ms",
                f"queries: {len(load.queries):,}, p50 {statistics.median(load.queries):.1f} ms, "
                f"p99 {p(load.queries, 0.99):.1f} ms",
                "server RSS MB every 10 s: "
                + " | ".join("/".join(f"{m:.0f}" for m in sample) for sample in memory),
                f"errors: {dict(load.errors) or 'none'}",
                f"stored image events {stored:,} = acknowledged {load.events:,}: "
                f"{stored == load.events}; verify: {verified.size:,} records ok",
            ),
            figures={
                "append_p50_ms": statistics.median(load.appends),
                "append_p99_ms": p(load.appends, 0.99),
                "query_p99_ms": p(load.queries, 0.99),
            },
        )
    )


if __name__ == "__main__":
    main()
