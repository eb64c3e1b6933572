"""Appends that commit together with a module's own table changes, and idempotency keys."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
import pytest

from sealtrail.errors import ValidationError
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import WriteView
from tests.ledger.conftest import pull_event


def _with_side_table(ledger: Ledger) -> None:
    def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
        view.execute("CREATE TABLE IF NOT EXISTS side (name TEXT PRIMARY KEY, seq INTEGER)")
        return []

    ledger.append_in_transaction(work)


def _side_rows(ledger: Ledger) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []

    def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
        seen.extend(view.execute("SELECT name, seq FROM side ORDER BY name"))
        return []

    ledger.append_in_transaction(work)
    return seen


def test_a_table_change_and_its_event_commit_together(ledger: Ledger) -> None:
    ledger.append(pull_event(0))
    _with_side_table(ledger)

    def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
        view.executemany("INSERT INTO side VALUES (?, ?)", [("v1", size)])
        return [pull_event(1)]

    receipts = ledger.append_in_transaction(work)
    assert [r.seq for r in receipts] == [1]
    assert _side_rows(ledger) == [("v1", 1)]
    assert orjson.loads(ledger.entry(1))["target"]["tag"] == "v1"
    ledger.verify()


def test_an_invalid_event_rolls_back_the_table_change(ledger: Ledger) -> None:
    _with_side_table(ledger)

    def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
        view.execute("INSERT INTO side VALUES (?, ?)", ("lost", size))
        return [{**pull_event(1), "action": "Not An Action"}]

    with pytest.raises(ValidationError, match="action"):
        ledger.append_in_transaction(work)
    assert _side_rows(ledger) == []
    assert ledger.size() == 0


def test_a_failing_change_keeps_no_event(ledger: Ledger) -> None:
    def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
        view.execute("INSERT INTO no_such_table VALUES (1)")
        return [pull_event(1)]

    with pytest.raises(Exception, match="no_such_table"):
        ledger.append_in_transaction(work)
    assert ledger.size() == 0
    ledger.append(pull_event(2))
    ledger.verify()


def test_an_idempotency_key_records_a_batch_once(ledger: Ledger) -> None:
    first = ledger.append_once("delivery-1", [pull_event(1), pull_event(2)])
    assert first is not None
    assert [r.seq for r in first] == [0, 1]
    assert ledger.append_once("delivery-1", [pull_event(1), pull_event(2)]) is None
    assert ledger.size() == 2
    assert ledger.append_once("delivery-2", [pull_event(3)]) is not None
    assert ledger.size() == 3
    ledger.verify()


def test_racing_redeliveries_are_recorded_once(ledger: Ledger) -> None:
    results: list[object] = []

    def deliver() -> None:
        results.append(ledger.append_once("same-delivery", [pull_event(7)]))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert ledger.size() == 1


def test_idempotency_keys_are_bounded(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="idempotency key"):
        ledger.append_once("", [pull_event(1)])
    with pytest.raises(ValidationError, match="idempotency key"):
        ledger.append_once("k" * 257, [pull_event(1)])


def test_many_keyed_batches_are_each_recorded_once(ledger: Ledger) -> None:
    ledger.append_once("seen-before", [pull_event(0)])
    answers = ledger.append_once_each(
        [
            ("seen-before", [pull_event(0)]),
            ("new-a", [pull_event(1), pull_event(2)]),
            ("new-a", [pull_event(1), pull_event(2)]),
            ("new-b", [pull_event(3)]),
        ]
    )
    assert answers[0] is None
    assert answers[2] is None
    assert [r.seq for r in answers[1] or []] == [1, 2]
    assert [r.seq for r in answers[3] or []] == [3]
    assert ledger.size() == 4
    assert ledger.append_once_each([("new-b", [pull_event(3)])]) == [None]
    ledger.verify()
