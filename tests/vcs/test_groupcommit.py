"""Concurrent deliveries share transactions and are still each recorded exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from sealtrail.errors import ValidationError
from sealtrail.ledger.log import Ledger, Receipt
from sealtrail.vcs.groupcommit import KeyedGroupCommit
from tests.ledger.conftest import pull_event


def run_together(work: list[Any]) -> list[Any]:
    """Run each callable on its own thread, started together; their results in order."""
    results: list[Any] = [None] * len(work)
    start = threading.Barrier(len(work))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work[i]()
        except Exception as error:  # the test looks at it
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_each_key_is_recorded_once_however_many_threads_bring_it(ledger: Ledger) -> None:
    commits = KeyedGroupCommit(ledger)
    work = [
        (lambda k=k: commits.append_once(f"delivery-{k % 10}", [pull_event(k % 10)] * 3))
        for k in range(40)
    ]
    results = run_together(work)
    recorded = [r for r in results if r is not None]
    assert len(recorded) == 10
    assert all(isinstance(r, list) and len(r) == 3 for r in recorded)
    seqs = sorted(receipt.seq for receipts in recorded for receipt in receipts)
    assert seqs == list(range(30))
    assert ledger.size() == 30
    ledger.verify()


def test_a_bad_delivery_is_refused_alone(ledger: Ledger) -> None:
    commits = KeyedGroupCommit(ledger)
    bad = {**pull_event(1), "action": "Not An Action"}
    work = [(lambda i=i: commits.append_once(f"good-{i}", [pull_event(i)])) for i in range(8)] + [
        lambda: commits.append_once("bad", [pull_event(0), bad])
    ]
    results = run_together(work)
    assert isinstance(results[-1], ValidationError)
    assert str(results[-1]).startswith("event 1: action")
    assert all(isinstance(r, list) and isinstance(r[0], Receipt) for r in results[:-1])
    assert ledger.size() == 8
    assert ledger.append_once("bad", [pull_event(0)]) is not None  # its key stayed free


def test_a_key_seen_before_answers_none(ledger: Ledger) -> None:
    commits = KeyedGroupCommit(ledger)
    assert ledger.append_once("earlier", [pull_event(1)]) is not None
    assert commits.append_once("earlier", [pull_event(1)]) is None
    with pytest.raises(ValidationError, match="idempotency key"):
        commits.append_once("", [pull_event(1)])
