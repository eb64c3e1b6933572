"""A ledger made before erasable fields gets the subject keys table on upgrade, on both engines
(SQLite step 5, PostgreSQL step 2)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.privacy.erasure import erase_subject
from sealtrail.store import postgres, sqlite
from sealtrail.store.postgres import PostgresStore
from tests.privacy.conftest import ALICE, ORIGIN, POLICY, login


def _seals_and_erases(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE)])
    assert erase_subject(ledger, ALICE["id"], {"id": "dpo", "type": "user"}, wait=0).records == 1
    ledger.checkpoint()
    ledger.verify()


def test_sqlite_step_5_adds_the_subject_keys(tmp_path: Path) -> None:
    Ledger.create(tmp_path / "d", origin=ORIGIN).close()
    with sqlite3.connect(tmp_path / "d" / DATABASE) as conn:
        conn.execute("DROP TABLE subject_keys")
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    with Ledger.open(tmp_path / "d", privacy=POLICY) as ledger:
        assert ledger.store.get_meta("schema_version") == str(sqlite.SCHEMA_VERSION)
        _seals_and_erases(ledger)


def test_postgres_step_2_adds_the_subject_keys(tmp_path: Path, postgres_url: str) -> None:
    Ledger.create(tmp_path / "keys", origin=ORIGIN, database_url=postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE subject_keys")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store = PostgresStore(postgres_url, upgrade=True)
    assert store.schema_version() == postgres.SCHEMA_VERSION
    store.close()
    with Ledger.open(tmp_path / "keys", database_url=postgres_url, privacy=POLICY) as ledger:
        _seals_and_erases(ledger)
