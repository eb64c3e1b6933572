"""A ledger made before retention gets its tables when it is upgraded, on both engines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from sealtrail.clock import FixedClock
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.retention import apply_retention
from sealtrail.store import postgres, sqlite
from sealtrail.store.postgres import PostgresStore
from tests.retention.conftest import event, settings

DROP = ("DROP TABLE retention_ranges", "DROP TABLE retention_segments")


def _retains(directory: Path, clock: FixedClock, url: str | None = None) -> None:
    with Ledger.open(directory, database_url=url, clock=clock) as ledger:
        ledger.append_many([event("http.request", 100), event("http.request", 1)])
        assert apply_retention(ledger, settings(directory)).archived == 1
        assert ledger.verify().removed == 1


def test_sqlite_step_7_adds_the_retention_tables(tmp_path: Path, clock: FixedClock) -> None:
    Ledger.create(tmp_path / "d", origin="schema.test/log").close()
    with sqlite3.connect(tmp_path / "d" / DATABASE) as conn:
        for statement in DROP:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    _retains(tmp_path / "d", clock)
    with Ledger.open(tmp_path / "d") as ledger:
        assert ledger.store.get_meta("schema_version") == str(sqlite.SCHEMA_VERSION)
        assert isinstance(ledger.store, sqlite.SQLiteStore)
        ledger.store.sync_index()
        assert ledger.store.read("SELECT COUNT(*) FROM idx.records_text")[0][0] == 2  # one removed


def test_postgres_step_4_adds_the_retention_tables(
    tmp_path: Path, postgres_url: str, clock: FixedClock
) -> None:
    Ledger.create(tmp_path / "keys", origin="schema.test/log", database_url=postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for statement in DROP:
            conn.execute(statement)
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    upgraded = PostgresStore(postgres_url, upgrade=True)
    assert upgraded.schema_version() == postgres.SCHEMA_VERSION
    upgraded.close()
    _retains(tmp_path / "keys", clock, postgres_url)
