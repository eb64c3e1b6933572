"""Retention never loses a record: killed between archiving and removing, or stopped between
removing and announcing, a second run finishes the work and verify passes."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from sealtrail.errors import VerificationError
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.note import Verifier
from sealtrail.retention import Segment, apply_retention, verify_archive
from tests.retention.conftest import event, settings

ROOT = Path(__file__).resolve().parents[2]


def test_killed_after_archiving_before_removing_then_run_again(
    ledger: Ledger, directory: Path, database_url: str | None, verifiers: list[Verifier]
) -> None:
    ledger.append_many([event("http.request", 100 + i % 2 * 400) for i in range(30)])
    ledger.checkpoint()
    name = _kill_after_first_segment(directory, database_url)
    assert (directory / "archive" / name).exists()
    assert ledger.store.read("SELECT COUNT(*) FROM records")[0][0] == 30
    assert ledger.verify().removed == 0
    report = apply_retention(ledger, settings(directory))
    assert [segment.name for segment in report.segments] == [name]
    assert ledger.verify().removed == 30
    assert verify_archive(directory / "archive" / name, verifiers).count == 30
    assert not list((directory / "archive").glob("*.tmp"))


def test_stopped_after_removing_before_announcing_then_run_again(
    ledger: Ledger, directory: Path, verifiers: list[Verifier]
) -> None:
    ledger.append_many([event("http.request", 100 + i) for i in range(12)])
    ledger.append_many([event("http.request", 1), event("http.request", 200)])
    chosen = dataclasses.replace(settings(directory), range_min=5, segment_records=6)

    def stop_at_the_second(segment: Segment) -> None:
        if segment.start > 0:
            raise KeyboardInterrupt  # as if the process died here

    with pytest.raises(KeyboardInterrupt):
        apply_retention(ledger, chosen, on_archived=stop_at_the_second)
    with pytest.raises(VerificationError) as failure:
        ledger.verify()
    assert (failure.value.reason, failure.value.index) == ("removal_unannounced", 0)
    report = apply_retention(ledger, chosen)
    assert ledger.verify().removed == 13
    details = orjson.loads(ledger.entry(report.event_seq))["details"]  # type: ignore[arg-type]
    assert details["interrupted_run_segments"] == 1
    assert sum(s["count"] for s in details["segments"]) == 13
    for segment in details["segments"]:
        assert verify_archive(directory / "archive" / segment["file"], verifiers)


def _kill_after_first_segment(directory: Path, database_url: str | None) -> str:
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/retention/apply_child.py"), str(directory),
         database_url or ""],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert child.stdout is not None
    name = child.stdout.readline().decode().strip()
    child.send_signal(signal.SIGKILL)
    child.stdout.close()
    child.wait()
    assert name, "the child died before it archived anything"
    return name
