"""SIGKILL at random moments while appending: nothing acknowledged is lost, the log verifies,
and the query index (killed mid-run too) still finds every record."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = int(os.environ.get("SEALTRAIL_CRASH_ROUNDS", "30"))


def run_and_kill(
    directory: Path, tag: str, after: float, database_url: str | None = None
) -> list[tuple[int, int, str]]:
    """Start an appending child, SIGKILL it ``after`` seconds after its first ack; its acks."""
    url = [database_url] if database_url else []
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/ledger/crash_child.py"), str(directory), tag, *url],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    first = child.stdout.readline()  # wait until it really appends
    assert first, "the child died before its first append"
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()
    child.stdout.close()
    child.wait()
    acks = []
    for line in (first + rest).decode().splitlines():
        seq, count, marker = line.split()
        acks.append((int(seq), int(count), marker))
    return acks


def test_acknowledged_appends_survive_sigkill(tmp_path: Path, database_url: str | None) -> None:
    directory = tmp_path / "data"
    Ledger.create(directory, origin="crash.test/log", database_url=database_url).close()
    rng = random.Random(int(os.environ.get("SEALTRAIL_CRASH_SEED", "12345")))
    acknowledged: list[tuple[int, int, str]] = []
    for round_ in range(ROUNDS):
        acknowledged += run_and_kill(directory, f"r{round_}", rng.uniform(0.0, 0.4), database_url)
        with Ledger.open(directory, database_url=database_url) as ledger:
            for seq, count, marker in acknowledged:
                for offset in range(count):
                    record = orjson.loads(ledger.entry(seq + offset))
                    assert record["actor"]["id"] == marker
                    assert record["seq"] == seq + offset
            ledger.verify()
            indexed = ledger.count_by("actor_id", Query())
            assert sum(indexed.values()) == ledger.size()
            acked = Counter[str]()
            for _, count, marker in acknowledged:
                acked[marker] += count
            assert all(indexed.get(marker, 0) >= count for marker, count in acked.items())
    assert len(acknowledged) > ROUNDS  # the children did get work done before dying
