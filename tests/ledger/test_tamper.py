"""Someone with disk access edits the database file; `verify` catches it and names the index."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from sealtrail.errors import VerificationError
from sealtrail.ledger import merkle
from sealtrail.ledger.keyring import SIGNING_KEY
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.ledger.note import Checkpoint, Signer, sign_checkpoint
from tests.ledger.conftest import ORIGIN, pull_event

SIZE = 700  # three level-0 tiles, the last one partial


@pytest.fixture
def database_url() -> None:
    """These tamper with the SQLite file directly: SQLite only (PostgreSQL's are in tests/store)."""
    return None


@pytest.fixture
def sealed(ledger: Ledger, data_dir: Path) -> Path:
    """A ledger with checkpoints at 100, 400 and 700 records, closed, as found on disk."""
    for count in (100, 300, 300):
        start = ledger.size()
        ledger.append_many([pull_event(start + i) for i in range(count)])
        ledger.checkpoint()
    ledger.verify()
    return data_dir


@contextmanager
def database(directory: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(directory / DATABASE, isolation_level=None)) as conn:
        yield conn


def leaf(conn: sqlite3.Connection, seq: int) -> bytes:
    return bytes(conn.execute("SELECT leaf FROM records WHERE seq = ?", (seq,)).fetchone()[0])


def verify_fails(directory: Path) -> VerificationError:
    with Ledger.open(directory) as ledger, pytest.raises(VerificationError) as caught:
        ledger.verify()
    return caught.value


def test_untouched_log_verifies(sealed: Path) -> None:
    with Ledger.open(sealed) as ledger:
        report = ledger.verify()
    assert (report.size, report.checkpoints, report.latest_checkpoint) == (SIZE, 3, SIZE)


@pytest.mark.parametrize("seq", [0, 255, 256, 450, SIZE - 1])
def test_one_changed_byte_is_named(sealed: Path, seq: int) -> None:
    with database(sealed) as conn:
        changed = bytearray(leaf(conn, seq))
        changed[changed.index(b"dicom-processor")] ^= 0x01
        conn.execute("UPDATE records SET leaf = ? WHERE seq = ?", (bytes(changed), seq))
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("record_changed", seq)


def test_a_deleted_record_is_named(sealed: Path) -> None:
    with database(sealed) as conn:
        conn.execute("DELETE FROM records WHERE seq = 333")
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("record_missing", 333)


def test_two_swapped_records_are_named(sealed: Path) -> None:
    with database(sealed) as conn:
        a, b = leaf(conn, 120), leaf(conn, 121)
        conn.execute("UPDATE records SET leaf = ? WHERE seq = 120", (b,))
        conn.execute("UPDATE records SET leaf = ? WHERE seq = 121", (a,))
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("order_changed", 120)


def test_a_truncated_tail_is_named(sealed: Path) -> None:
    with database(sealed) as conn:
        conn.execute("DELETE FROM records WHERE seq >= 650")
        conn.execute("UPDATE tree SET size = 650")
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("log_truncated", 650)


def test_a_truncated_tail_with_its_checkpoint_removed_is_named(sealed: Path) -> None:
    with database(sealed) as conn:
        conn.execute("DELETE FROM records WHERE seq >= 650")
        conn.execute("DELETE FROM checkpoints WHERE size = 700")
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("record_missing", 650)


def test_a_replaced_signing_key_is_caught(sealed: Path) -> None:
    (sealed / SIGNING_KEY).write_text(Signer.generate(ORIGIN).to_text() + "\n")
    with Ledger.open(sealed) as ledger:
        ledger.append(pull_event(9999))
        ledger.checkpoint()
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("signature_invalid", SIZE + 1)


def test_an_edited_checkpoint_is_caught(sealed: Path) -> None:
    with database(sealed) as conn:
        note = conn.execute("SELECT note FROM checkpoints WHERE size = 400").fetchone()[0]
        conn.execute(
            "UPDATE checkpoints SET note = ? WHERE size = 400",
            (note.replace("\n400\n", "\n401\n"),),
        )
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("signature_invalid", 400)


def test_a_record_rewritten_with_its_hashes_is_caught_by_the_checkpoint(sealed: Path) -> None:
    """The attacker recomputes the tiles too: only the signed roots still tell."""
    with Ledger.open(sealed) as ledger:
        leaves = [r.leaf for r in ledger.store.read_records(0, SIZE)]
    leaves[450] = leaves[450].replace(b"node-3", b"node-4")
    hashes = [merkle.record_hash(x) for x in leaves]
    from sealtrail.ledger.tiles import append_leaves

    with database(sealed) as conn:
        conn.execute("UPDATE records SET leaf = ? WHERE seq = 450", (leaves[450],))
        for (level, n), data in append_leaves(0, {}, hashes).items():
            conn.execute("UPDATE tiles SET data = ? WHERE level = ? AND n = ?", (data, level, n))
    error = verify_fails(sealed)
    assert error.reason == "record_changed"
    assert error.index == 400  # the records after the last checkpoint that still agrees


def test_a_forked_older_checkpoint_is_inconsistent(sealed: Path) -> None:
    """A validly signed checkpoint for size 100 whose root is not the log's: a split view."""
    with Ledger.open(sealed) as ledger:
        forked = Checkpoint(ORIGIN, 100, merkle.record_hash(b"another history"))
        note = sign_checkpoint(forked, ledger.keyring.signer)
    with database(sealed) as conn:
        conn.execute("UPDATE checkpoints SET note = ? WHERE size = 100", (note,))
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("checkpoints_inconsistent", 100)


def test_an_appended_row_outside_the_tree_does_not_pass_as_sealed(sealed: Path) -> None:
    with database(sealed) as conn:
        conn.execute("UPDATE tree SET size = ?", (SIZE + 1,))
        row = conn.execute("SELECT * FROM records WHERE seq = 0").fetchone()
        conn.execute("INSERT INTO records VALUES (?, ?)", (SIZE, *row[1:]))
    error = verify_fails(sealed)
    assert error.index == SIZE


def test_a_record_turned_into_text_by_an_sql_edit_is_named(sealed: Path) -> None:
    with database(sealed) as conn:
        conn.execute("UPDATE records SET leaf = replace(leaf, 'node-3', 'node-9') WHERE seq = 17")
        assert conn.execute("SELECT typeof(leaf) FROM records WHERE seq = 17").fetchone() == (
            "text",
        )
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("record_changed", 17)


def test_a_changed_interior_node_of_a_full_tile_is_named(sealed: Path) -> None:
    """Proofs are served from the stored nodes of full tiles: verify checks them too."""
    with database(sealed) as conn:
        (nodes,) = conn.execute("SELECT nodes FROM tiles WHERE level = 0 AND n = 1").fetchone()
        changed = bytearray(nodes)
        changed[100] ^= 0x01
        conn.execute("UPDATE tiles SET nodes = ? WHERE level = 0 AND n = 1", (bytes(changed),))
    error = verify_fails(sealed)
    assert (error.reason, error.index) == ("tiles_changed", 256)
    assert "tile/0/001" in str(error)


def test_missing_tile_nodes_are_not_a_fault(sealed: Path) -> None:
    """A ledger whose tiles filled before the store kept nodes: proofs hash the tiles instead."""
    with database(sealed) as conn:
        conn.execute("UPDATE tiles SET nodes = NULL")
    with Ledger.open(sealed) as ledger:
        ledger.verify()
        for index in (0, 255, 256, 511, SIZE - 1):
            ledger.prove_inclusion(index, SIZE).check()
