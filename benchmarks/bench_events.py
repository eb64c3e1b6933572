"""Claim: sealtrail writes RFC 8785 (JCS) canonical JSON about ten times faster than the
rfc8785 package, and validates a typical event in a few microseconds.

On one typical ``image.pull`` event this times the peer, ``rfc8785.dumps``, against our
``canonical_json`` (on a plain dict, which it must examine, and on a validated event, which it
need not), ``validate_event`` (with a UTC time, and with an offset to convert), and
``prepare_event`` + ``PreparedEvent.leaf`` (the ledger's sealing step, against ``rfc8785.dumps``
of the whole record). It prints microseconds per event, the peer's time, the speed-up, and the
command that produced the figures.

    .venv/bin/python benchmarks/bench_events.py
"""

from __future__ import annotations

import json
import platform
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import rfc8785

try:
    import sealtrail  # noqa: F401
except ModuleNotFoundError:  # run from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sealtrail.events import (
    canonical_json,
    prepare_event,
    uuid7,
    validate_event,
)

DIGEST = "sha256:" + "3f4a9c" * 10 + "e1d2"
RAW: dict[str, Any] = {
    "time": "2025-01-20T14:32:18.123456Z",
    "action": "image.pull",
    "outcome": "success",
    "actor": {"id": "svc-mercure", "type": "service", "ip": "10.0.4.17", "user_agent": "docker/24"},
    "target": {
        "type": "image",
        "id": f"registry-1.docker.io/micsi/mercure-module@{DIGEST}",
        "registry": "registry-1.docker.io",
        "repository": "micsi/mercure-module",
        "tag": "v1.2.3",
        "digest": DIGEST,
        "full_digest": f"micsi/mercure-module@{DIGEST}",
    },
    "source": {"service": "mercure-processor", "host": "worker-1", "version": "0.3.1"},
    "request_id": "req-7f3a2c",
    "message": "Pulled micsi/mercure-module:v1.2.3 from registry-1.docker.io",
    "details": {"duration_ms": 3200, "cached": False, "platform": "linux/amd64"},
}
OFFSET = {**RAW, "time": "2025-01-20T16:32:18.123456+02:00"}  # needs converting to UTC
RECEIVED_AT = "2025-01-20T14:32:18.200000Z"


def calibrate(fn: Callable[[], object], seconds: float) -> int:
    """How many calls of ``fn`` take at least ``seconds``."""
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - start >= seconds:
            return number
        number *= 2


def best_us(fns: dict[str, Callable[[], object]], rounds: int = 15) -> dict[str, float]:
    """Microseconds per call, the best of interleaved rounds (fair under a noisy machine)."""
    numbers = {name: calibrate(fn, 0.05) for name, fn in fns.items()}
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            elapsed = (time.perf_counter() - start) / numbers[name] * 1e6
            best[name] = min(best[name], elapsed)
    return best


def main() -> None:
    event = validate_event(RAW)
    plain = json.loads(json.dumps(event))  # the same event as a plain dict, as a store reads it
    event_id = uuid7()
    record = prepare_event(event, id=event_id, received_at=RECEIVED_AT).record(123_456)

    def seal() -> bytes:
        return prepare_event(event, id=event_id, received_at=RECEIVED_AT).leaf(123_456)

    assert seal() == rfc8785.dumps(record) == canonical_json(record)
    assert canonical_json(event) == canonical_json(plain) == rfc8785.dumps(plain)
    rows = [  # (what, peer, ours)
        ("canonical_json(event dict)", "event", lambda: canonical_json(plain)),
        ("canonical_json(validated event)", "event", lambda: canonical_json(event)),
        ("validate_event(raw)", "event", lambda: validate_event(RAW)),
        ("validate_event(raw), time +02:00", "event", lambda: validate_event(OFFSET)),
        ("prepare_event + leaf(seq)", "record", seal),
        ("canonical_json(record dict)", "record", lambda: canonical_json(record)),
    ]
    peers = {
        "event": lambda: rfc8785.dumps(plain),
        "record": lambda: rfc8785.dumps(record),
    }
    times = best_us({**{f"peer:{k}": fn for k, fn in peers.items()}, **{r[0]: r[2] for r in rows}})
    print(f"typical image.pull event: {len(canonical_json(event))} canonical bytes")
    print(f"{'operation':34} {'µs/event':>9} {'rfc8785 µs':>11} {'speed-up':>9}")
    for name in peers:
        print(f"{'rfc8785.dumps(' + name + ')  [peer]':34} {times['peer:' + name]:9.2f}")
    for name, peer, _ in rows:
        ours, theirs = times[name], times[f"peer:{peer}"]
        print(f"{name:34} {ours:9.2f} {theirs:11.2f} {theirs / ours:8.1f}x")
    print(f"python {platform.python_version()} ({platform.machine()}), orjson {orjson.__version__}")
    command = shlex.join([sys.executable, *sys.argv])
    print("command:", command)
    ours_us, peer_us = times["canonical_json(validated event)"], times["peer:event"]
    result = {
        "claim": "canonical encoding of a validated image.pull event",
        "unit": "µs/event",
        "peer": peer_us,
        "ours": ours_us,
        "ratio": peer_us / ours_us,
        "target": "report only",
        "met": None,
        "command": command,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
