"""A ledger made before the tag index gets its tables when it is upgraded, on both engines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.policies import TagIndex
from sealtrail.store.postgres import PostgresStore
from sealtrail.store.sqlite import SCHEMA_VERSION
from tests.policies.conftest import PUSHER, REGISTRY, digest

TABLES = (
    "immutability_policy_versions",
    "policy_runs",
    "immutability_policies",
    "tags",
    "repositories",
)


def _pushes(ledger: Ledger) -> None:
    state = TagIndex(ledger).record_push(REGISTRY, "org/app", "v1", digest(1), PUSHER)
    assert state.digest == digest(1)


def test_sqlite_step_4_adds_the_tag_index(tmp_path: Path) -> None:
    Ledger.create(tmp_path / "d", origin="schema.test/log").close()
    with sqlite3.connect(tmp_path / "d" / DATABASE) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with Ledger.open(tmp_path / "d") as ledger:
        assert ledger.store.get_meta("schema_version") == str(SCHEMA_VERSION)
        _pushes(ledger)


def test_postgres_step_1_adds_the_tag_index(tmp_path: Path, postgres_url: str) -> None:
    Ledger.create(tmp_path / "keys", origin="schema.test/log", database_url=postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    PostgresStore(postgres_url, upgrade=True).close()
    with Ledger.open(tmp_path / "keys", database_url=postgres_url) as ledger:
        _pushes(ledger)
