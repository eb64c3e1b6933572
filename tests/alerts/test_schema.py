"""A ledger made before alerts gets the alert tables when it is upgraded, on both engines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.store import postgres, sqlite
from sealtrail.store.base import WriteView

TABLES = ("alert_windows", "alert_rules", "alert_cursor")


def _uses_alert_tables(ledger: Ledger) -> None:
    def work(view: WriteView, size: int) -> list[dict[str, object]]:
        view.execute("INSERT INTO alert_cursor VALUES (?, ?, ?)", ("alerts", size - 1, "now"))
        view.execute("INSERT INTO alert_windows VALUES (?, ?, ?)", ("r", "alice", "[]"))
        return []

    ledger.append_in_transaction(work)
    assert ledger.store.read("SELECT evaluated FROM alert_cursor") == [(-1,)]


def test_sqlite_step_6_adds_the_alert_tables(tmp_path: Path) -> None:
    Ledger.create(tmp_path / "d", origin="schema.test/log").close()
    with sqlite3.connect(tmp_path / "d" / DATABASE) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    with Ledger.open(tmp_path / "d") as ledger:
        assert ledger.store.get_meta("schema_version") == str(sqlite.SCHEMA_VERSION)
        _uses_alert_tables(ledger)


def test_postgres_step_3_adds_the_alert_tables(tmp_path: Path, postgres_url: str) -> None:
    Ledger.create(tmp_path / "keys", origin="schema.test/log", database_url=postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    postgres.PostgresStore(postgres_url, upgrade=True).close()
    with Ledger.open(tmp_path / "keys", database_url=postgres_url) as ledger:
        assert ledger.store.get_meta("schema_version") == str(postgres.SCHEMA_VERSION)
        _uses_alert_tables(ledger)


def test_a_new_postgres_ledger_has_the_alert_tables(tmp_path: Path, postgres_url: str) -> None:
    with Ledger.create(tmp_path / "k", origin="s.test/log", database_url=postgres_url) as ledger:
        _uses_alert_tables(ledger)
