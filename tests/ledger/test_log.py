"""The Ledger over a real SQLite file: appends, group commit, checkpoints, proofs."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from pathlib import Path

import orjson
import pytest

from sealtrail.errors import Conflict, NotFound, ValidationError, VerificationError
from sealtrail.events import canonical_json
from sealtrail.ledger import merkle
from sealtrail.ledger.log import Ledger, Receipt, _GroupCommit, _Pending, _wake
from sealtrail.ledger.note import Checkpoint, open_checkpoint
from sealtrail.ledger.proofs import ConsistencyProof, InclusionProof
from tests.ledger.conftest import ORIGIN, pull_event


def test_append_seals_the_record_with_seq_id_and_received_at(ledger: Ledger) -> None:
    receipt = ledger.append(pull_event(1))
    record = orjson.loads(ledger.entry(receipt.seq))
    assert receipt.seq == 0
    assert record["seq"] == 0
    assert record["received_at"] == "2026-11-20T12:00:00.000000Z"
    assert record["id"][14] == "7"  # UUIDv7
    assert ledger.entry(0) == canonical_json(record)
    assert receipt.leaf_hash == merkle.record_hash(ledger.entry(0))


def test_appended_events_survive_reopening(
    ledger: Ledger, data_dir: Path, database_url: str | None
) -> None:
    receipts = ledger.append_many([pull_event(i) for i in range(300)])
    assert [r.seq for r in receipts] == list(range(300))
    with Ledger.open(data_dir, database_url=database_url) as again:
        assert again.size() == 300
        assert orjson.loads(again.entry(299))["target"]["tag"] == "v299"
        again.verify()


def test_an_invalid_event_rejects_the_whole_batch(ledger: Ledger) -> None:
    bad = pull_event(2)
    del bad["target"]["repository"]
    with pytest.raises(ValidationError, match=r"event 1: .*target\.repository"):
        ledger.append_many([pull_event(1), bad, pull_event(3)])
    assert ledger.size() == 0


def test_create_refuses_an_existing_ledger(
    ledger: Ledger, data_dir: Path, database_url: str | None, tmp_path: Path
) -> None:
    with pytest.raises(Conflict):
        Ledger.create(data_dir, database_url=database_url)
    if database_url is not None:  # a second data directory cannot re-create the same database
        with pytest.raises(ValidationError, match="a ledger exists already"):
            Ledger.create(tmp_path / "other", database_url=database_url)


def test_open_without_a_ledger_says_so(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="sealtrail init"):
        Ledger.open(tmp_path / "nothing")


def test_signing_key_is_owner_only(ledger: Ledger, data_dir: Path) -> None:
    assert (data_dir / "signing.key").stat().st_mode & 0o777 == 0o600


def test_concurrent_threads_are_group_committed_without_gaps(ledger: Ledger) -> None:
    def worker(t: int) -> list[int]:
        return [ledger.append(pull_event(t * 1000 + i)).seq for i in range(40)]

    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda t=t: results.append(worker(t))) for t in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(32 * 40))
    ledger.checkpoint()
    assert ledger.verify().size == 32 * 40


def test_threads_with_invalid_or_empty_batches_leave_the_group_commit_flowing(
    ledger: Ledger,
) -> None:
    """A thread whose batch is invalid or empty leaves the group it was counted in; the others'
    appends still commit, and each thread gets its own outcome."""
    outcomes: dict[int, object] = {}

    def worker(t: int) -> None:
        for i in range(20):
            if t % 3 == 0:
                with pytest.raises(ValidationError, match="event 0"):
                    ledger.append({"action": "bad"})
            elif t % 3 == 1:
                assert ledger.append_many([]) == []
            else:
                ledger.append(pull_event(t * 1000 + i))
        outcomes[t] = "done"

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == list(range(12))
    assert ledger.size() == 4 * 20
    ledger.checkpoint()
    assert ledger.verify().size == 4 * 20


def _append_in_child(directory: str, offset: int, database_url: str | None) -> None:
    with Ledger.open(Path(directory), database_url=database_url) as ledger:
        for i in range(60):
            ledger.append_many([pull_event(offset + i), pull_event(offset + i + 1)])
            if i % 20 == 0:
                ledger.checkpoint()


def test_several_processes_append_to_one_log_without_forking(
    ledger: Ledger, data_dir: Path, database_url: str | None
) -> None:
    ctx = multiprocessing.get_context("spawn")
    children = [
        ctx.Process(target=_append_in_child, args=(str(data_dir), n * 1000, database_url))
        for n in range(3)
    ]
    for child in children:
        child.start()
    for i in range(50):
        ledger.append(pull_event(10_000 + i))
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    assert ledger.size() == 3 * 120 + 50
    ledger.checkpoint()
    assert ledger.verify().size == 3 * 120 + 50


def test_checkpoint_is_signed_once_per_size_and_verifies(ledger: Ledger) -> None:
    ledger.append_many([pull_event(i) for i in range(5)])
    first = ledger.checkpoint()
    assert ledger.checkpoint() == first
    checkpoint = open_checkpoint(first.note, ledger.keyring.verifiers, origin=ORIGIN)
    assert checkpoint == Checkpoint(ORIGIN, 5, ledger.root(5))
    assert first.note.startswith(f"{ORIGIN}\n5\n")


def test_inclusion_proofs_check_against_the_signed_checkpoint(ledger: Ledger) -> None:
    ledger.append_many([pull_event(i) for i in range(1000)])
    signed = open_checkpoint(ledger.checkpoint().note, ledger.keyring.verifiers)
    for index in (0, 1, 255, 256, 511, 999):
        proof = InclusionProof.from_json(
            orjson.loads(orjson.dumps(ledger.prove_inclusion(index).to_json()))
        )
        assert (proof.size, proof.root) == (signed.size, signed.root_hash)
        proof.check()
        assert orjson.loads(proof.entry)["seq"] == index


def test_consistency_proofs_link_old_checkpoints_to_new(ledger: Ledger) -> None:
    sizes = []
    for batch in (1, 7, 250, 300, 1000):
        ledger.append_many([pull_event(i) for i in range(batch)])
        sizes.append(ledger.checkpoint().size)
    for old in sizes:
        proof = ConsistencyProof.from_json(ledger.prove_consistency(old).to_json())
        assert proof.old_root == ledger.root(old)
        proof.check()


def test_proofs_for_sizes_outside_the_log_are_refused(ledger: Ledger) -> None:
    ledger.append_many([pull_event(i) for i in range(3)])
    with pytest.raises(ValidationError, match="outside"):
        ledger.prove_inclusion(3, 3)
    with pytest.raises(ValidationError, match="outside the log"):
        ledger.prove_inclusion(0, 4)
    with pytest.raises(ValidationError, match="old size"):
        ledger.prove_consistency(0)


def test_a_tampered_proof_fails(ledger: Ledger) -> None:
    ledger.append_many([pull_event(i) for i in range(20)])
    proof = ledger.prove_inclusion(5)
    forged = InclusionProof(
        proof.index, proof.size, proof.root, proof.entry.replace(b"v5", b"v6"), proof.proof
    )
    with pytest.raises(VerificationError):
        forged.check()


def test_checkpointer_signs_within_the_interval(data_dir: Path) -> None:
    with Ledger.create(data_dir, origin=ORIGIN, checkpoint_interval=0.05) as ledger:
        ledger.start_checkpointer()
        ledger.append(pull_event(1))
        for _ in range(200):
            latest = ledger.store.latest_checkpoint()
            if latest is not None and latest.size == 1:
                break
            threading.Event().wait(0.01)
        assert latest is not None
        assert latest.size == 1


def test_key_rotation_keeps_old_checkpoints_verifiable(
    ledger: Ledger, data_dir: Path, database_url: str | None
) -> None:
    ledger.append(pull_event(1))
    ledger.checkpoint()
    ledger.keyring.rotate(data_dir)
    with Ledger.open(data_dir, database_url=database_url) as rotated:
        rotated.append(pull_event(2))
        rotated.checkpoint()
        assert len(rotated.keyring.verifiers) == 2
        assert rotated.verify().checkpoints == 2


def test_a_second_writer_between_appends_never_leaves_a_stale_edge(
    ledger: Ledger, data_dir: Path, database_url: str | None
) -> None:
    """Another process completing a tile between two of ours must not make our remembered right
    edge stale: the upper-level tile it extended is re-read, never taken from our last append."""
    ledger.append_many([pull_event(i) for i in range(300)])  # our edge: level 1 holds 1 hash
    with Ledger.open(data_dir, database_url=database_url) as other:
        other.append_many([pull_event(i) for i in range(300, 556)])  # level 1 now holds 2
    ledger.append(pull_event(556))  # re-reads the edge: the size moved
    ledger.append_many([pull_event(i) for i in range(557, 857)])  # fills a level-0 tile: its
    ledger.checkpoint()  # root goes into the level-1 tile remembered from the append before
    assert ledger.verify().size == 857


def _group(size: int) -> list[_Pending]:
    group = [_Pending([]) for _ in range(size)]
    for pending, after in itertools.pairwise(group):
        pending.next = after
    return group


def test_a_group_wakes_in_a_chain_that_passes_abandoned_waiters_by() -> None:
    first, gone, last = _group(3)
    gone.abandoned = True
    _wake(first)
    assert not first.done.locked()
    assert gone.done.locked()
    assert last.done.locked()
    _GroupCommit._pass_on(first, woken=True)
    assert gone.done.locked()
    assert not last.done.locked()


def test_a_waiter_interrupted_before_its_turn_is_marked_and_after_it_passes_on() -> None:
    early, after_early = _group(2)
    _GroupCommit._pass_on(early, woken=False)  # its lock still held: the turn never came
    assert early.abandoned
    assert after_early.done.locked()
    late, after_late = _group(2)
    _wake(late)  # its turn came just as it stopped waiting
    _GroupCommit._pass_on(late, woken=False)
    assert not late.abandoned
    assert not after_late.done.locked()


def test_a_failed_commit_reaches_every_thread_of_its_group() -> None:
    gathered = threading.Barrier(8)

    def fail(events: object) -> list[Receipt]:
        raise OSError("disk full")

    committer = _GroupCommit(fail)
    errors: list[BaseException] = []

    def worker() -> None:
        gathered.wait()
        try:
            committer.submit(lambda: [object()])  # type: ignore[list-item]
        except OSError as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    committer.close()
    assert [str(error) for error in errors] == ["disk full"] * 8
