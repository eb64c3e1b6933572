"""The interior nodes of full tiles: kept at append, read by proofs, added by a schema step."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import psycopg

from sealtrail.clock import FixedClock
from sealtrail.ledger import merkle
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.ledger.tiles import TILE_WIDTH, Tile, split_nodes
from sealtrail.store import postgres, sqlite
from sealtrail.store.postgres import PostgresStore
from tests.ledger.conftest import ORIGIN, pull_event

SIZE = 3 * TILE_WIDTH + 40  # three full level-0 tiles and a partial one


def _fill(ledger: Ledger, count: int, batch: int = 97) -> None:
    start = ledger.size()
    for first in range(start, start + count, batch):
        ledger.append_many([pull_event(i) for i in range(first, min(first + batch, start + count))])
    ledger.checkpoint()


def test_appends_keep_the_nodes_of_each_tile_they_fill(ledger: Ledger) -> None:
    _fill(ledger, SIZE)
    rows = ledger.store.read(
        "SELECT level, n, nodes FROM tiles WHERE nodes IS NOT NULL ORDER BY level, n"
    )
    assert [(level, n) for level, n, _ in rows] == [(0, 0), (0, 1), (0, 2)]
    leaves = [merkle.record_hash(r.leaf) for r in ledger.store.read_records(0, SIZE)]
    for _, n, nodes in rows:
        (tile,) = ledger.store.read_tiles([Tile(0, n)])
        stored = split_nodes(tile, bytes(nodes))
        expected = merkle.root_from_leaf_hashes(leaves[n * TILE_WIDTH : (n + 1) * TILE_WIDTH])
        assert stored[-1] == expected
        assert stored[1] == merkle.node_hashes(tile)


def test_proofs_read_full_tiles_nodes_instead_of_hashing_them(
    ledger: Ledger, count_tile_hashing: Callable[[], list[int]]
) -> None:
    _fill(ledger, SIZE)
    hashed = count_tile_hashing()
    for index in range(0, SIZE, 7):
        ledger.prove_inclusion(index, SIZE).check()
    for old in range(1, SIZE, 53):
        ledger.prove_consistency(old, SIZE).check()
    assert hashed  # the partial edge tiles are hashed ...
    assert all(length < TILE_WIDTH * 32 for length in hashed)  # ... never a full one


def test_sqlite_step_8_adds_a_nodes_column_to_tiles(tmp_path: Path, clock: FixedClock) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin=ORIGIN, clock=clock) as ledger:
        _fill(ledger, TILE_WIDTH + 10)
    with sqlite3.connect(directory / DATABASE) as conn:
        conn.execute("ALTER TABLE tiles DROP COLUMN nodes")
        conn.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    with Ledger.open(directory, clock=clock) as ledger:
        assert ledger.store.get_meta("schema_version") == str(sqlite.SCHEMA_VERSION)
        assert ledger.store.read("SELECT COUNT(nodes) FROM tiles") == [(0,)]
        ledger.prove_inclusion(3, ledger.size()).check()  # tile 0 has no nodes: hashed
        _fill(ledger, TILE_WIDTH)
        assert ledger.store.read("SELECT level, n FROM tiles WHERE nodes IS NOT NULL") == [(0, 1)]
        ledger.verify()


def test_postgres_step_5_adds_a_nodes_column_to_tiles(tmp_path: Path, postgres_url: str) -> None:
    with Ledger.create(tmp_path / "keys", origin=ORIGIN, database_url=postgres_url) as ledger:
        _fill(ledger, TILE_WIDTH + 10)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE tiles DROP COLUMN nodes")
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    upgraded = PostgresStore(postgres_url, upgrade=True)
    assert upgraded.schema_version() == postgres.SCHEMA_VERSION
    upgraded.close()
    with Ledger.open(tmp_path / "keys", database_url=postgres_url) as ledger:
        ledger.prove_inclusion(3, ledger.size()).check()
        _fill(ledger, TILE_WIDTH)
        assert ledger.store.read("SELECT level, n FROM tiles WHERE nodes IS NOT NULL") == [(0, 1)]
        ledger.verify()
