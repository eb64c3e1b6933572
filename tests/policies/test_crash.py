"""SIGKILL part-way through a retroactive application, then resume: one change event per tag, a
tag change never without its event, one correct summary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex
from tests.policies.conftest import ADMIN, REGISTRY, digest, events

ROOT = Path(__file__).resolve().parents[2]
TAGS = 3_000


def _kill_part_way(directory: Path, batches_before_kill: int) -> list[str]:
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/policies/apply_child.py"), str(directory), "50"],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    lines = [child.stdout.readline().decode() for _ in range(batches_before_kill)]
    assert all(lines), "the child died before it applied anything"
    child.send_signal(signal.SIGKILL)
    child.stdout.close()
    child.wait()
    return lines


def _setup(directory: Path) -> str:
    with Ledger.create(directory, origin="crash.test/log") as ledger:
        index = TagIndex(ledger)
        for i in range(TAGS):
            name = f"v{i}" if i % 3 else f"dev{i}"
            index.record_push(REGISTRY, f"org/app{i % 7}", name, digest(i), ADMIN)
        return (
            ImmutabilityPolicies(ledger)
            .create(namespace="org", tag_pattern="v.*", actor=ADMIN)
            .uuid
        )


@pytest.mark.parametrize("kills", [(3, 11), (1, 25)])
def test_a_killed_application_resumes_to_one_event_per_tag(
    tmp_path: Path, kills: tuple[int, int]
) -> None:
    directory = tmp_path / "data"
    uuid = _setup(directory)
    for batches in kills:
        _kill_part_way(directory, batches)
    with Ledger.open(directory) as ledger:
        partial = events(ledger, "tag.immutability_change")
        assert 0 < len(partial) < 2_000, "the kills must land part-way"
        assert events(ledger, "policy.apply") == []
        book = ImmutabilityPolicies(ledger, batch=50)
        (applied,) = book.resume()
        assert book.pending() == 0
        assert book.resume() == []
        changes = events(ledger, "tag.immutability_change")
        expected = {f"v{i}" for i in range(TAGS) if i % 3}
        counts = Counter(change["target"]["tag"] for change in changes)
        assert set(counts) == expected
        assert set(counts.values()) == {1}
        (summary,) = events(ledger, "policy.apply")
        assert summary["details"]["tags_affected_count"] == len(expected)
        assert summary["details"]["resumes"] == len(kills)
        assert summary["details"]["completed"] is True
        assert (applied.policy_uuid, applied.summary_seq) == (uuid, summary["seq"])
        for change in changes:  # every changed row cites its own event, and only those changed
            tag = change["target"]["tag"]
            state = TagIndex(ledger).tag(change["target"]["repository"], tag)
            assert state.immutable
            assert state.reason_seq == change["seq"]
        immutable = ledger.store.read("SELECT COUNT(*) FROM tags WHERE immutable = 1")[0][0]
        assert immutable == len(expected)
        ledger.verify()


def test_two_processes_resuming_the_same_run_record_each_tag_once(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    _setup(directory)
    children = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "tests/policies/apply_child.py"), str(directory), "40"],
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(2)
    ]
    assert [child.wait(120) for child in children] == [0, 0]
    with Ledger.open(directory) as ledger:
        counts = Counter(e["target"]["tag"] for e in events(ledger, "tag.immutability_change"))
        assert len(counts) == 2_000
        assert set(counts.values()) == {1}
        (summary,) = events(ledger, "policy.apply")
        assert summary["details"]["tags_affected_count"] == 2_000
        ledger.verify()
