"""Claim: alert evaluation costs well under 20 µs per event and barely slows appends.

Two streams in which nearly every event concerns some rule, every built-in rule on: image pulls
and package downloads by 50 actors (downloads per actor, the registry allow-list), failed logins
from 200 addresses (per actor and per address), immutability changes, policy changes (business
hours in Europe/Berlin) and a few requests no rule reads.

- typical: one event a second, policy changes rare; a few dozen alerts per 100,000 events.
- storm: one event every 10 ms; an alert every ~20 events (every step then writes its alerts).

Measured:
- evaluation: ``AlertEngine.observe`` over decoded records (the rules themselves), and the
  follower's whole step per record (read from the store, decode what some rule concerns,
  evaluate, store the state and append the alerts in one transaction), wall and CPU.
- overhead: appending the typical stream in durable batches of 1,000 with the alert follower
  evaluating in its thread meanwhile, against the same appends without alerts (the peer figure);
  how long the follower took after the last append to have evaluated everything is reported too.
"""

from __future__ import annotations

import logging
import statistics
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Run:
    """One run of appends: seconds appending, seconds until evaluated after, CPU seconds."""

    append: float
    catch_up: float
    cpu: float


def mixed_event(i: int, storm: bool = False) -> dict[str, Any]:
    """Event ``i`` of a stream: 1 s after the one before (a storm: 10 ms)."""
    event = pull_event(i)
    event["time"] = format_time(T0 + timedelta(milliseconds=(10 if storm else 1000) * i))
    event["actor"]["id"] = f"user{i % 50}"
    kind = i % 20
    if kind >= 10:
        del event["target"]
        event["action"] = OTHERS[kind - 10]
        if kind == 15 and not storm and i % 1000 != 15:
            event["action"] = "http.request"
    if event["action"] == "auth.login_failed":
        event["outcome"] = "failure"
        event["actor"]["ip"] = f"198.51.100.{i % 200}"
    if event["action"] == "tag.immutability_change":
        event["target"] = {"type": "tag", "id": f"team/app:v{i}", "repository": "team/app",
                           "tag": f"v{i}"}  # fmt: skip
    return event


def written(directory: Path, stream: list[dict[str, Any]]) -> Path:
    """A ledger holding ``stream``, no alerts evaluated."""
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        for start in range(0, len(stream), BATCH):
            ledger.append_many(stream[start : start + BATCH])
    return directory


def evaluation(records: list[dict[str, Any]]) -> float:
    """CPU µs per event of ``AlertEngine.observe`` over decoded records (CPU, not wall time:
    these machines are shared)."""
    engine = AlertEngine(parse_alerts(SECTION).rules)
    started = time.process_time()
    for seq, record in enumerate(records):
        engine.observe(seq, record)
    return (time.process_time() - started) / len(records) * 1e6


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


def appends(directory: Path, batches: list[list[dict[str, Any]]], alerts: bool) -> Run:
    """Append every batch durably (with ``alerts``, the follower evaluating meanwhile), then
    wait until the follower has evaluated everything."""
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        follower = AlertFollower(parse_alerts(SECTION), ledger) if alerts else None
        followers = Followers([follower] if follower else [])
        followers.start()
        started, cpu = time.perf_counter(), time.process_time()
        for batch in batches:
            ledger.append_many(batch)
        appended = time.perf_counter()
        while follower is not None and follower.position < ledger.size() - 1:
            time.sleep(0.001)
        done, cpu = time.perf_counter(), time.process_time() - cpu
        followers.stop()
    return Run(appended - started, done - appended, cpu)


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    logging.getLogger("sealtrail.alerts").setLevel(logging.ERROR)  # one line per alert otherwise
    count = 20_000 if args.quick else 100_000
    typical = [mixed_event(i) for i in range(count)]
    storm = [mixed_event(i, storm=True) for i in range(count // 5)]
    observe_us = min(evaluation([validate_event(e) for e in typical]) for _ in range(3))
    storm_observe_us = min(evaluation([validate_event(e) for e in storm]) for _ in range(3))
    batches = [typical[start : start + BATCH] for start in range(0, count, BATCH)]
    with scratch("alerts") as tmp:
        runs = [(appends(tmp / f"off{n}", batches, False), appends(tmp / f"on{n}", batches, True))
                for n in range(ROUNDS)]  # fmt: skip
        step_us, step_cpu_us, raised = follower_step(tmp / "off0", count)
        storm_us, storm_cpu_us, storm_raised = follower_step(written(tmp / "storm", storm),
                                                             len(storm))  # fmt: skip
    off = statistics.median(without.append for without, _ in runs)
    on = statistics.median(with_alerts.append for _, with_alerts in runs)
    behind = statistics.median(with_alerts.catch_up for _, with_alerts in runs)
    cpu_off = statistics.median(without.cpu for without, _ in runs) / count * 1e6
    cpu_on = statistics.median(with_alerts.cpu for _, with_alerts in runs) / count * 1e6
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
        met=max(observe_us, step_cpu_us) < 20 and off / on >= 0.8,
        notes=(
            f"AlertEngine.observe: {observe_us:.2f} µs/event typical, {storm_observe_us:.2f} "
            "storm, over decoded records (CPU)",
            f"follower step (read, decode, evaluate, store state, append alerts), typical: "
            f"{step_us:.2f} µs/event wall, {step_cpu_us:.2f} CPU, {raised:,} alerts",
            f"follower step, storm of {len(storm):,}: {storm_us:.2f} µs/event wall, "
            f"{storm_cpu_us:.2f} CPU, {storm_raised:,} alerts (each one a sealed event)",
            f"append times: median of {ROUNDS} alternating runs of each; after the last append "
            f"the follower was done {behind:.2f} s later (poll_interval 0.5 s)",
            f"process CPU per appended event (appends, follower, until evaluated): "
            f"{cpu_on:.1f} µs with alerts, {cpu_off:.1f} µs without (+{cpu_on - cpu_off:.1f} µs)",
        ),
        figures={
            "observe_us": observe_us,
            "step_us": step_us,
            "step_cpu_us": step_cpu_us,
            "alerts_raised": raised,
            "storm_observe_us": storm_observe_us,
            "storm_step_cpu_us": storm_cpu_us,
            "storm_alerts_raised": storm_raised,
            "catch_up_s": behind,
            "cpu_us_with": cpu_on,
            "cpu_us_without": cpu_off,
        },
    )
    report(result)


if __name__ == "__main__":
    main()
