"""Sealed personal fields on both engines: readable while the key exists, erased after, and the
log verifies throughout; no plaintext of a person is ever stored, and the key leaves no trace."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson
import pytest

from sealtrail.errors import NotFound, ValidationError
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.note import Verifier
from sealtrail.privacy.erasure import erase_subject
from sealtrail.privacy.policy import REDACTED, PrivacyPolicy
from sealtrail.privacy.sealing import ERASED
from sealtrail.sinks.export import plan_export, write_export
from sealtrail.sinks.verify import bundle_path, verify_export
from sealtrail.store.base import Query
from tests.conftest import missing_component
from tests.fixtures_postgres import PrivatePostgres
from tests.privacy.conftest import ALICE, BOB, KEY, ORIGIN, POLICY, login, plaintexts, stored_bytes

OPERATOR = {"id": "dpo", "type": "user"}


def shown(ledger: Ledger, seq: int) -> dict[str, object]:
    return dict(orjson.loads(ledger.open_leaves([ledger.entry(seq)])[0]))


def test_personal_fields_are_sealed_in_the_leaf_and_read_back_in_the_clear(
    ledger: Ledger, tmp_path: Path
) -> None:
    ledger.append_many([login(ALICE, 0), login(BOB, 1)])
    assert not any(text in ledger.entry(0) for text in plaintexts(ALICE))
    event = shown(ledger, 0)
    assert event["actor"] == {
        "id": ALICE["id"], "type": "user", "ip": ALICE["ip"], "user_agent": ALICE["user_agent"]
    }  # fmt: skip
    assert event["details"] == {
        "email": ALICE["email"],
        "password": REDACTED,
        "client": "192.0.2.0",
    }
    stored = stored_bytes(ledger, tmp_path / "ledger")
    assert not [text for text in plaintexts(ALICE) + plaintexts(BOB) if text in stored]


def test_queries_and_counts_by_actor_id_work_through_the_pseudonym(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE, 0), login(BOB, 1), login(ALICE, 2)])
    assert [r.seq for r in ledger.query(Query(actor_id=ALICE["id"]))] == [2, 0]
    pseudonym = POLICY.pseudonym(ALICE["id"])
    assert [r.seq for r in ledger.query(Query(actor_id=pseudonym))] == [2, 0]
    assert [r.seq for r in ledger.query(Query(excluded_actor_ids=(ALICE["id"],)))] == [1]
    assert ledger.count_by("actor_id", Query()) == {pseudonym: 2, POLICY.pseudonym(BOB["id"]): 1}


def test_free_text_search_cannot_find_a_sealed_field(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE, 0)])
    assert ledger.query(Query(text=("alice.private",))) == []
    assert [r.seq for r in ledger.query(Query(text=("login number",)))] == [0]


def test_erase_destroys_one_subject_and_verify_still_passes(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE, 0), login(BOB, 1), login(ALICE, 2)])
    ledger.checkpoint()
    before = [ledger.entry(seq) for seq in range(3)]
    done = erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)
    assert (done.records, done.seq) == (2, 3)
    assert [ledger.entry(seq) for seq in range(3)] == before  # the sealed records are untouched
    ledger.checkpoint()
    ledger.verify()
    erased = shown(ledger, 0)
    assert erased["actor"] == {"id": ERASED, "type": "user", "ip": ERASED, "user_agent": ERASED}
    assert erased["details"] == {"email": ERASED, "password": REDACTED, "client": "192.0.2.0"}
    assert shown(ledger, 1)["actor"]["id"] == BOB["id"]  # type: ignore[index]
    assert ledger.query(Query(actor_id=ALICE["id"])) == []
    assert [r.seq for r in ledger.query(Query(actor_id="erased"))] == [2, 0]


def test_the_erasure_event_names_the_destroyed_key_not_the_person(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE, 0)])
    done = erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)
    event = shown(ledger, done.seq)
    assert event["action"] == "audit.erase"
    assert event["target"] == {"type": "subject_key", "id": done.key_id}
    assert event["actor"]["id"] == "dpo"  # type: ignore[index]
    raw = ledger.entry(done.seq)
    assert ALICE["id"].encode() not in raw
    assert POLICY.pseudonym(ALICE["id"]).encode() not in raw
    assert done.key_id.encode() in ledger.entry(0)  # the erased records say which key sealed them


def test_after_erase_the_key_is_nowhere_in_the_database(ledger: Ledger, tmp_path: Path) -> None:
    ledger.append_many([login(ALICE, 0), login(BOB, 1)])
    alice_key, bob_key = (subject_key(ledger, person) for person in (ALICE, BOB))
    assert holds(stored_bytes(ledger, tmp_path / "ledger"), alice_key)
    erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)
    stored = stored_bytes(ledger, tmp_path / "ledger")
    assert not holds(stored, alice_key)
    assert holds(stored, bob_key)
    assert POLICY.pseudonym(ALICE["id"]).encode() not in stored
    assert not [text for text in plaintexts(ALICE) if text in stored]


def test_after_erase_no_sqlite_file_holds_the_key_even_in_the_wal(tmp_path: Path) -> None:
    directory = tmp_path / "ledger"
    with Ledger.create(directory, origin=ORIGIN, privacy=POLICY) as led:
        led.append_many([login(ALICE, 0), login(BOB, 1)])
        alice_key = subject_key(led, ALICE)
        assert alice_key in stored_bytes(led, directory)
        assert erase_subject(led, ALICE["id"], OPERATOR).scrubbed
        assert (directory / "ledger.db-wal").stat().st_size == 0
        stored = stored_bytes(led, directory)
    assert alice_key not in stored
    assert not [text for text in plaintexts(ALICE) if text in stored]


def test_after_erase_no_postgresql_data_file_holds_the_key(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """On a server of its own: a transaction of another session, older than the erasure, would
    rightly keep VACUUM from dropping the dead row (``scrub`` then says so)."""
    directory = tmp_path / "ledger"
    url = private_postgres.url
    with Ledger.create(directory, origin=ORIGIN, database_url=url, privacy=POLICY) as led:
        led.append_many([login(ALICE, 0), login(BOB, 1)])
        alice_key = subject_key(led, ALICE)
        files = postgres_files(led)
        assert any(alice_key in data for _, data in files)
        assert erase_subject(led, ALICE["id"], OPERATOR).scrubbed
        files = postgres_files(led)
    assert not any(alice_key in data for _, data in files)
    assert not any(text in data for text in plaintexts(ALICE) for _, data in files)


def postgres_files(ledger: Ledger) -> list[tuple[str, bytes]]:
    """Every file of the ledger's database after a checkpoint (its WAL aside: see the docs)."""
    ((directory, database),) = ledger.store.read(
        "SELECT current_setting('data_directory'),"
        " (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    ledger.store._writer.execute("CHECKPOINT")  # type: ignore[attr-defined]
    base = Path(directory) / "base" / str(database)
    if not os.access(base, os.R_OK):
        missing_component(f"{base}: the PostgreSQL data files are not readable here")
    return [(path.name, path.read_bytes()) for path in base.iterdir() if path.is_file()]


def subject_key(ledger: Ledger, person: dict[str, str]) -> bytes:
    sql = "SELECT key FROM subject_keys WHERE subject = ?"
    return bytes(ledger.store.read(sql, (POLICY.pseudonym(person["id"]),))[0][0])


def holds(stored: bytes, key: bytes) -> bool:
    """Whether the stored bytes hold the key, raw (SQLite) or as a dump writes it (hex)."""
    return key in stored or key.hex().encode() in stored


def test_an_erased_subject_cannot_be_erased_twice(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE, 0)])
    erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)
    with pytest.raises(NotFound, match="erased already"):
        erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)


def test_events_after_an_erasure_get_a_new_key_and_stay_readable(ledger: Ledger) -> None:
    ledger.append_many([login(ALICE, 0)])
    erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)
    (receipt,) = ledger.append_many([login(ALICE, 5)])
    assert shown(ledger, receipt.seq)["actor"]["id"] == ALICE["id"]  # type: ignore[index]
    assert shown(ledger, 0)["actor"]["id"] == ERASED  # type: ignore[index]
    assert [r.seq for r in ledger.query(Query(actor_id=ALICE["id"]))] == [receipt.seq]


def test_a_key_erased_by_another_process_is_not_used_again(
    ledger: Ledger, engine: str | None, tmp_path: Path
) -> None:
    ledger.append_many([login(ALICE, 0)])  # this ledger now has Alice's key cached
    with Ledger.open(tmp_path / "ledger", database_url=engine, privacy=POLICY) as other:
        erase_subject(other, ALICE["id"], OPERATOR, wait=0)
    (receipt,) = ledger.append_many([login(ALICE, 1)])
    assert shown(ledger, receipt.seq)["actor"]["id"] == ALICE["id"]  # type: ignore[index]


def test_export_after_erase_has_no_plaintext_and_verifies(ledger: Ledger, tmp_path: Path) -> None:
    ledger.append_many([login(ALICE, i) for i in range(5)] + [login(BOB, 9)])
    erase_subject(ledger, ALICE["id"], OPERATOR, wait=0)
    for fmt in ("jsonl", "csv", "ecs"):
        path = tmp_path / f"all.{fmt}"
        plan = plan_export(ledger, fmt)
        with path.open("w") as out, bundle_path(path).open("w") as bundle:
            assert write_export(ledger, plan, out, bundle) == 7
        verify_export(path, [Verifier.from_text(ledger.keyring.signer.verifier().to_text())])
        exported = path.read_bytes()
        assert not [text for text in plaintexts(ALICE) if text in exported]


def test_a_ledger_opened_without_the_policy_still_reads_and_verifies(
    ledger: Ledger, engine: str | None, tmp_path: Path
) -> None:
    ledger.append_many([login(ALICE, 0)])
    ledger.checkpoint()
    with Ledger.open(tmp_path / "ledger", database_url=engine) as plain:
        assert shown(plain, 0)["actor"]["ip"] == ALICE["ip"]  # type: ignore[index]
        plain.verify()
        with pytest.raises(ValidationError, match="erasable = true"):
            erase_subject(plain, ALICE["id"], OPERATOR, wait=0)


def test_pseudonymised_actors_without_sealing_still_answer_actor_queries(
    engine: str | None, tmp_path: Path
) -> None:
    policy = PrivacyPolicy(KEY, ip={"actor.ip": "truncate"}, pseudonymise_actor=True)
    with Ledger.create(tmp_path / "p", origin=ORIGIN, database_url=engine, privacy=policy) as led:
        led.append_many([login(ALICE, 0), login(BOB, 1)])
        record = orjson.loads(led.entry(0))
        assert record["actor"]["id"] == policy.pseudonym(ALICE["id"])
        assert record["actor"]["ip"] == "203.0.113.0"
        assert record["details"]["email"] == ALICE["email"]  # not sealed: nothing configured
        assert [r.seq for r in led.query(Query(actor_id=ALICE["id"]))] == [0]


def test_a_producers_text_that_looks_like_an_envelope_is_shown_as_sent(ledger: Ledger) -> None:
    looks_sealed = ["sealed:not-a-key:payload", "sealed:" + "A" * 22 + ":short"]
    ledger.append_many([{**login(BOB), "details": {"note": text}} for text in looks_sealed])
    assert [shown(ledger, seq)["details"] for seq in (0, 1)] == [{"note": t} for t in looks_sealed]


def test_a_forked_child_never_repeats_its_parents_nonces() -> None:
    from sealtrail.privacy.sealing import _nonces

    _nonces.next()  # the parent has a pool
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        os.write(writer, b"".join(_nonces.next() for _ in range(64)))
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    theirs = os.read(reader, 12 * 64)
    os.close(reader)
    ours = b"".join(_nonces.next() for _ in range(64))
    assert {theirs[i : i + 12] for i in range(0, len(theirs), 12)}.isdisjoint(
        {ours[i : i + 12] for i in range(0, len(ours), 12)}
    )


def test_a_listed_message_is_sealed_and_free_text_cannot_find_it(
    engine: str | None, tmp_path: Path
) -> None:
    policy = PrivacyPolicy(KEY, erasable=True, erasable_fields=("message",))
    with Ledger.create(tmp_path / "m", origin=ORIGIN, database_url=engine, privacy=policy) as led:
        led.append_many([{**login(ALICE), "message": "Alice logged in from her kitchen"}])
        assert b"kitchen" not in led.entry(0)
        assert led.query(Query(text=("kitchen",))) == []
        assert shown(led, 0)["message"] == "Alice logged in from her kitchen"
        erase_subject(led, ALICE["id"], OPERATOR, wait=0)
        assert shown(led, 0)["message"] == ERASED


def test_two_writers_meeting_a_new_actor_at_once_share_one_key(
    ledger: Ledger, engine: str | None, tmp_path: Path
) -> None:
    with Ledger.open(tmp_path / "ledger", database_url=engine, privacy=POLICY) as other:
        start = threading.Barrier(2)

        def append(writer: Ledger, n: int) -> None:
            start.wait()
            writer.append_many([login(ALICE, n)])

        threads = [
            threading.Thread(target=append, args=(w, n)) for n, w in enumerate([ledger, other])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [shown(ledger, seq)["actor"]["id"] for seq in (0, 1)] == [ALICE["id"]] * 2  # type: ignore[index]
    assert len(ledger.store.read("SELECT key_id FROM subject_keys")) == 1
