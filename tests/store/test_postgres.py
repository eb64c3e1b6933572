"""The PostgreSQL engine: schema versions, moving a log from SQLite, queries that use indexes.

The engine-independent behaviour (appends, proofs, several processes, transactions, idempotency)
runs on both engines through the ``ledger`` fixture of tests/ledger.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sealtrail.errors import StoreUnavailable, VerificationError
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.store.base import Query
from sealtrail.store.postgres import PostgresStore
from tests.conftest import SEALTRAIL
from tests.ledger.conftest import ORIGIN, pull_event


@pytest.fixture
def pg_ledger(tmp_path: Path, postgres_url: str) -> Iterator[Ledger]:
    with Ledger.create(tmp_path / "keys", origin=ORIGIN, database_url=postgres_url) as ledger:
        yield ledger


def _set_version(url: str, version: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", [version])


def test_a_schema_newer_or_older_than_the_code_is_refused(
    pg_ledger: Ledger, postgres_url: str
) -> None:
    _set_version(postgres_url, "99")
    with pytest.raises(StoreUnavailable, match="newer than this sealtrail"):
        PostgresStore(postgres_url)
    _set_version(postgres_url, "0")
    with pytest.raises(StoreUnavailable, match="sealtrail db upgrade"):
        PostgresStore(postgres_url)


def test_db_upgrade_brings_the_schema_to_this_code(pg_ledger: Ledger, postgres_url: str) -> None:
    result = subprocess.run(
        [SEALTRAIL, "db", "upgrade", "--database-url", postgres_url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "schema at version" in result.stdout
    PostgresStore(postgres_url).close()


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/none"
    with pytest.raises(StoreUnavailable, match="PostgreSQL"):
        Ledger.create(tmp_path / "k", database_url=url)


def _sqlite_log(directory: Path, count: int) -> bytes:
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        for start in range(0, count, 500):
            ledger.append_many(pull_event(i) for i in range(start, min(count, start + 500)))
            ledger.checkpoint()
        return ledger.root(count)


def _copy(source: str, destination: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SEALTRAIL, "db", "copy", "--from", source, "--to", destination],
        capture_output=True,
        text=True,
        check=False,
    )


def test_db_copy_moves_a_log_from_sqlite_with_its_checkpoints(
    tmp_path: Path, postgres_url: str
) -> None:
    directory = tmp_path / "data"
    root = _sqlite_log(directory, 1_300)
    result = _copy(f"sqlite:{directory}", postgres_url)
    assert result.returncode == 0, result.stderr
    assert "copied 1300 records" in result.stdout
    with Ledger.open(directory, database_url=postgres_url) as moved:
        report = moved.verify()
        assert (report.size, report.root, report.checkpoints) == (1_300, root, 3)
        moved.append(pull_event(5_000))  # the copy goes on as a log of its own
        moved.checkpoint()
        assert moved.verify().size == 1_301
    again = _copy(f"sqlite:{directory}", postgres_url)  # a prefix of the source: nothing to add
    assert again.returncode == 1
    assert "more than the source" in again.stderr


def test_db_copy_refuses_a_changed_record(tmp_path: Path, postgres_url: str) -> None:
    directory = tmp_path / "data"
    _sqlite_log(directory, 600)
    with sqlite3.connect(directory / DATABASE) as conn:
        conn.execute(
            "UPDATE records SET leaf = replace(leaf, 'team/app', 'evil/app') WHERE seq = 7"
        )
    result = _copy(f"sqlite:{directory}", postgres_url)
    assert result.returncode == 1
    assert "do not match the signed checkpoint" in result.stderr


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (Query(actor_id="actor-7"), "records_actor"),
        (Query(actions=("image.push",)), "records_action"),
        (Query(category="auth"), "records_action"),
        (Query(repository="team/app-3"), "records_repository"),
        (Query(digest=f"sha256:{7:064x}"), "records_digest"),
        (Query(target_id="registry.example.com/team/app:v7"), "records_target_id"),
        (Query(since="2026-11-20T09:00:30Z", until="2026-11-20T09:00:31Z"), "records_time"),
        (Query(text=("needle-in-hay",)), "records_search"),
    ],
)
def test_each_api_filter_uses_an_index(
    pg_ledger: Ledger, postgres_url: str, query: Query, index: str
) -> None:
    events = []
    for i in range(20_000):
        event = pull_event(i, actor=f"actor-{i % 500}")
        event["target"]["repository"] = f"team/app-{i % 300}"
        events.append(event)
    pg_ledger.append_many(events)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE records")
    assert isinstance(pg_ledger.store, PostgresStore)
    plan = pg_ledger.store.explain(query)
    assert index in plan, plan


def test_a_record_changed_in_the_database_is_named_by_verify(
    pg_ledger: Ledger, postgres_url: str
) -> None:
    pg_ledger.append_many(pull_event(i) for i in range(300))
    pg_ledger.checkpoint()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE records SET leaf = convert_to("
            "replace(convert_from(leaf, 'UTF8'), 'team/app', 'evil/app'), 'UTF8')"
            " WHERE seq = 123"
        )
    with pytest.raises(VerificationError) as caught:
        pg_ledger.verify()
    assert (caught.value.index, caught.value.reason) == (123, "record_changed")
    # the scan stopped by the fault ended its transaction: nothing holds a lock on the records
    # (one left open, kept alive by the traceback, once hung the suite's schema teardown)
    with psycopg.connect(postgres_url) as conn:
        conn.execute("SET lock_timeout = '2s'")
        conn.execute("LOCK TABLE records IN ACCESS EXCLUSIVE MODE")
        conn.rollback()
