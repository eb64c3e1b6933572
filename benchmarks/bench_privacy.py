"""Claim: the privacy policy costs little on append (target ≥ 0.85x of appends without it).

Ours: ``Ledger.append_many`` of 1,000 events at a time with a ``[privacy]`` policy that truncates
``actor.ip``, pseudonymises ``actor.id`` with the keyed hash and redacts one detail field. Peer:
the same ledger code and events without a policy. Also measured (a figure, not the claim): the
policy plus erasable fields, each event's actor id, IP and user agent sealed with AES-256-GCM
under its actor's key (200 actors, so keys are made, cached and checked in each transaction).
Best of three interleaved runs each, so a busy machine slows all three alike.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from common import ORIGIN, Result, arguments, pull_event, report, scratch
from sealtrail.ledger.log import Ledger
from sealtrail.privacy.policy import PrivacyPolicy

BATCH = 1_000
ROUNDS = 3
ACTORS = 200
KEY = bytes(range(32))
POLICY = PrivacyPolicy(
    KEY, ip={"actor.ip": "truncate"}, pseudonymise_actor=True, redact=("details.token",)
)
ERASABLE = PrivacyPolicy(KEY, ip={"actor.ip": "truncate"}, erasable=True)


def event(i: int) -> dict[str, Any]:
    pulled = pull_event(i)
    pulled["actor"] = {**pulled["actor"], "id": f"person{i % ACTORS}@example.com", "type": "user"}
    pulled["details"] = {"token": "s3cret", "attempt": 1}
    return pulled


def appends_per_second(
    directory: Path, batches: list[list[dict[str, Any]]], **options: Any
) -> float:
    with Ledger.create(directory, origin=ORIGIN, **options) as ledger:
        started = time.perf_counter()
        for batch in batches:
            ledger.append_many(batch)
        elapsed = time.perf_counter() - started
    return sum(len(batch) for batch in batches) / elapsed


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    count = 10_000 if args.quick else 100_000
    batches = [[event(i) for i in range(start, start + BATCH)] for start in range(0, count, BATCH)]
    best: dict[str, float] = {}
    with scratch("privacy") as tmp:
        for round in range(ROUNDS):  # interleaved, best of each: a busy machine hits all alike
            for name, policy in (("plain", None), ("private", POLICY), ("sealed", ERASABLE)):
                rate = appends_per_second(tmp / f"{name}-{round}", batches, privacy=policy)
                best[name] = max(best.get(name, 0.0), rate)
    peer, ours, sealed = best["plain"], best["private"], best["sealed"]
    result = Result(
        claim=f"append with a privacy policy: {count:,} events in durable batches of {BATCH:,}",
        unit="events/s",
        ours=ours,
        ours_label="Ledger.append_many, IP truncated, actor pseudonymised, one field redacted",
        peer=peer,
        peer_label="Ledger.append_many, same events, no privacy policy",
        ratio=ours / peer,
        target="≥ 0.85x",
        met=ours / peer >= 0.85,
        notes=(
            f"with erasable fields too (AES-256-GCM, {ACTORS} actors): {sealed:,.0f} events/s, "
            f"{sealed / peer:.2f}x of no policy",
        ),
        figures={"erasable": sealed, "erasable_ratio": sealed / peer},
    )
    report(result)


if __name__ == "__main__":
    main()
