"""Retention gives the space of removed records back to the file system (SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sealtrail.clock import FixedClock
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.retention import apply_retention
from tests.retention.conftest import event, settings


def _fill(ledger: Ledger) -> None:
    padding = "x" * 2000
    ledger.append_many([event("http.request", 100, message=padding) for _ in range(1500)])
    ledger.append_many([event("http.request", 1) for _ in range(10)])


@pytest.mark.parametrize("made_before_retention", [False, True])
def test_the_database_shrinks_after_retention(
    tmp_path: Path, clock: FixedClock, made_before_retention: bool
) -> None:
    directory = tmp_path / "data"
    Ledger.create(directory, origin="space.test/log").close()
    if made_before_retention:  # a file made without incremental auto-vacuum
        with sqlite3.connect(directory / DATABASE, isolation_level=None) as conn:
            conn.execute("PRAGMA auto_vacuum = NONE")
            conn.execute("VACUUM")
    with Ledger.open(directory, clock=clock) as ledger:
        _fill(ledger)
        report = apply_retention(ledger, settings(directory))
        assert report.archived == 1500
        assert report.bytes_after < report.bytes_before / 2
        (mode,) = ledger.store.read("PRAGMA auto_vacuum")[0]
        assert mode == (0 if made_before_retention else 2)  # an old file: VACUUM each run
        assert ledger.verify().removed == 1500
