"""Claim: alert evaluation costs well under 20 µs per event and barely slows appends.

A stream where nearly every event concerns some rule (a worst case): image pulls and package
downloads by 50 actors (downloads per actor, the registry allow-list), failed logins from 200
addresses (per actor and per address), policy changes (business hours in Europe/Berlin),
immutability changes and a few requests no rule reads; every built-in rule on.

- evaluation: ``AlertEngine.observe`` over decoded records (the rules themselves), and the
  follower's whole step per record (read from the store, decode what some rule concerns,
  evaluate, store the changed windows and append the alerts in one transaction).
- overhead: appending the stream in durable batches of 1,000 with the alert follower evaluating
  in its thread meanwhile, against the same appends without alerts (the peer figure); how long the
  follower took after the last append to have evaluated everything is reported beside it.

The stream raises an alert every ~20 events, far more than a real log: every step then writes.
"""

from __future__ import annotations

import logging
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ORIGIN, Result, arguments, pull_event, report, scratch
from sealtrail.alerts import AlertEngine, AlertFollower, parse_alerts
from sealtrail.events import format_time, validate_event
from sealtrail.ledger.log import Ledger
from sealtrail.sinks.forwarding import Followers
from sealtrail.store.base import Query

BATCH = 1_000
ROUNDS = 3
#: Half the stream is pulls; the other half, in turn:
OTHERS = (*("auth.login_failed",) * 3, *("package.download",) * 2, "policy.update",
          "tag.immutability_change", *("http.request",) * 3)  # fmt: skip
T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
SECTION = {"registries": ["registry.example.com"], "timezone": "Europe/Berlin",
           "start": "beginning"}  # fmt: skip


def mixed_event(i: int) -> dict[str, Any]:
    """Event ``i`` of the stream, 10 ms after the one before."""
    event = pull_event(i)
    event["time"] = format_time(T0 + timedelta(milliseconds=10 * i))
    event["actor"]["id"] = f"user{i % 50}"
    kind = i % 20
    if kind >= 10:
        del event["target"]
        event["action"] = OTHERS[kind - 10]
    if event["action"] == "auth.login_failed":
        event["outcome"] = "failure"
        event["actor"]["ip"] = f"198.51.100.{i % 200}"
    if event["action"] == "tag.immutability_change":
        event["target"] = {"type": "tag", "id": f"team/app:v{i}", "repository": "team/app",
                           "tag": f"v{i}"}  # fmt: skip
    return event


def evaluation(records: list[dict[str, Any]]) -> float:
    """µs per event of ``AlertEngine.observe`` over decoded records."""
    engine = AlertEngine(parse_alerts(SECTION).rules)
    started = time.perf_counter()
    for seq, record in enumerate(records):
        engine.observe(seq, record)
    return (time.perf_counter() - started) / len(records) * 1e6


def follower_step(directory: Path, count: int) -> tuple[float, float, int]:
    """Wall and CPU µs per event of the follower's steps over a log already written (the wall
    time includes the fsync of each step that stores), and the alerts raised."""
    with Ledger.open(directory) as ledger:
        follower = AlertFollower(parse_alerts(SECTION), ledger)
        started, cpu = time.perf_counter(), time.process_time()
        while follower.position < count - 1:
            follower.step()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        follower.close()
        raised = len(ledger.query(Query(actions=("alert.raised",), limit=100_000)))
    return elapsed / count * 1e6, cpu / count * 1e6, raised


def appends(
    directory: Path, batches: list[list[dict[str, Any]]], alerts: bool
) -> tuple[float, float]:
    """Seconds to append every batch durably (with ``alerts``, the follower running meanwhile),
    and then seconds until the follower has evaluated everything (0 without alerts)."""
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        follower = AlertFollower(parse_alerts(SECTION), ledger) if alerts else None
        followers = Followers([follower] if follower else [])
        followers.start()
        started = time.perf_counter()
        for batch in batches:
            ledger.append_many(batch)
        appended = time.perf_counter()
        while follower is not None and follower.position < ledger.size() - 1:
            time.sleep(0.001)
        caught_up = time.perf_counter()
        followers.stop()
    return appended - started, caught_up - appended


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    logging.getLogger("sealtrail.alerts").setLevel(logging.ERROR)  # one line per alert otherwise
    count = 20_000 if args.quick else 100_000
    stream = [mixed_event(i) for i in range(count)]
    records = [validate_event(event) for event in stream]
    observe_us = min(evaluation(records) for _ in range(3))
    batches = [stream[start : start + BATCH] for start in range(0, count, BATCH)]
    with scratch("alerts") as tmp:
        runs = [(appends(tmp / f"off{n}", batches, False), appends(tmp / f"on{n}", batches, True))
                for n in range(ROUNDS)]  # fmt: skip
        off = statistics.median(without[0] for without, _ in runs)
        on = statistics.median(with_alerts[0] for _, with_alerts in runs)
        behind = statistics.median(with_alerts[1] for _, with_alerts in runs)
        step_us, step_cpu_us, raised = follower_step(tmp / "off0", count)
    slowdown = on / off
    result = Result(
        claim=f"alerts: {count:,} events, every built-in rule on, appended in batches of {BATCH:,}",
        unit="events/s",
        ours=count / on,
        ours_label="append, alert follower evaluating meanwhile",
        peer=count / off,
        peer_label="the same appends without alerts",
        ratio=off / on,
        ratio_means="throughput with alerts / without; 1 means no overhead",
        target="evaluation < 20 µs/event; with alerts ≥ 0.8x the throughput without",
        met=step_cpu_us < 20 and off / on >= 0.8,
        notes=(
            f"AlertEngine.observe: {observe_us:.2f} µs/event over decoded records",
            f"follower step (read, decode, evaluate, store state, append alerts): "
            f"{step_us:.2f} µs/event wall, {step_cpu_us:.2f} µs/event CPU; {raised:,} alerts",
            f"append times are the median of {ROUNDS} alternating runs of each; after the last "
            f"append the follower was done {behind:.2f} s later (poll_interval 0.5 s)",
            f"overhead per appended event: {(on - off) / count * 1e6:.2f} µs "
            f"({slowdown:.2f}x the time without alerts)",
        ),
        figures={
            "catch_up_s": behind,
            "observe_us": observe_us,
            "step_us": step_us,
            "step_cpu_us": step_cpu_us,
            "alerts_raised": raised,
        },
    )
    report(result)


if __name__ == "__main__":
    main()
