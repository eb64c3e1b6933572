"""The log over HTTP, checked as an outside verifier would: the signed checkpoint, hash tiles and
entry bundles against what the ledger stores, and proofs against the checkpoint's root."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from sealtrail.errors import VerificationError
from sealtrail.ledger.merkle import record_hash, root_from_leaf_hashes
from sealtrail.ledger.note import Checkpoint, Signer, Verifier, open_checkpoint
from sealtrail.ledger.proofs import ConsistencyProof, InclusionProof
from sealtrail.ledger.tiles import Tile, decode_entry_bundle
from tests.conftest import RunningServer
from tests.ledger.conftest import pull_event

ORIGIN = "test.example/log"  # what tests/conftest.py's start_server gives `sealtrail init`


@dataclass
class Log:
    server: RunningServer
    auditor: httpx.Client
    verifiers: list[Verifier]
    earlier: Checkpoint  # signed before the last appends

    def checkpoint(self) -> Checkpoint:
        response = self.auditor.get("/checkpoint")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return open_checkpoint(response.text, self.verifiers, origin=ORIGIN)

    def stored_tile(self, level: int, n: int) -> bytes:
        with self.server.store() as store:
            return bytes(store.read_tiles([Tile(level, n)])[0])

    def stored_leaves(self, start: int, end: int) -> list[bytes]:
        with self.server.store() as store:
            return [record.leaf for record in store.read_records(start, end)]


@pytest.fixture(scope="module")
def log(api: RunningServer) -> Iterator[Log]:
    """A log past its first full tile, and a checkpoint from before its last appends."""
    verifiers = [
        Verifier.from_text(k) for k in (api.directory / "verifier.keys").read_text().split()
    ]
    with api.client(api.key("writer")) as writer, api.client(api.key("auditor")) as auditor:
        batch = {"events": [pull_event(i, actor="tiles") for i in range(300)]}
        assert writer.post("/v1/events:batch", json=batch).status_code == 201
        earlier = open_checkpoint(auditor.get("/checkpoint").text, verifiers, origin=ORIGIN)
        assert writer.post("/v1/events:batch", json={"events": [pull_event(1)]}).status_code == 201
        yield Log(api, auditor, verifiers, earlier)


def test_the_checkpoint_is_signed_by_the_verifier_key_and_covers_the_log(log: Log) -> None:
    checkpoint = log.checkpoint()
    assert checkpoint.origin == ORIGIN
    assert checkpoint.size > log.earlier.size >= 300
    stranger = Signer.generate(ORIGIN).verifier()  # the same name, another key
    with pytest.raises(VerificationError):
        open_checkpoint(log.auditor.get("/checkpoint").text, [stranger], origin=ORIGIN)


def test_hash_tiles_are_the_stored_tiles_cut_to_the_requested_width(log: Log) -> None:
    size = log.checkpoint().size
    full = log.auditor.get("/tile/0/000")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.content == log.stored_tile(0, 0)[: 256 * 32]
    assert len(full.content) == 256 * 32
    for width in (1, 5, 255):
        assert log.auditor.get(f"/tile/0/000.p/{width}").content == full.content[: width * 32]
    edge = min(size - 256, 255)
    partial = log.auditor.get(f"/tile/0/001.p/{edge}").content
    assert partial == log.stored_tile(0, 1)[: edge * 32]
    level1 = log.auditor.get("/tile/1/000.p/1").content
    assert level1 == log.stored_tile(1, 0)[:32]
    leaf_hashes = [full.content[i : i + 32] for i in range(0, len(full.content), 32)]
    assert level1 == root_from_leaf_hashes(leaf_hashes)  # level 1 hashes 256 leaves


def test_entry_bundles_decode_to_the_stored_leaves(log: Log) -> None:
    size = log.checkpoint().size
    bundle = log.auditor.get("/tile/entries/000")
    assert bundle.headers["content-type"] == "application/octet-stream"
    leaves = decode_entry_bundle(bundle.content)
    assert leaves == log.stored_leaves(0, 256)
    tile = log.auditor.get("/tile/0/000").content
    assert b"".join(record_hash(leaf) for leaf in leaves) == tile
    edge = min(size - 256, 255)
    partial = decode_entry_bundle(log.auditor.get(f"/tile/entries/001.p/{edge}").content)
    assert partial == log.stored_leaves(256, 256 + edge)


def test_tiles_rebuild_the_checkpoint_root(log: Log) -> None:
    """An outside verifier needs nothing but /checkpoint and /tile/entries."""
    checkpoint = log.checkpoint()
    leaves: list[bytes] = []
    for n in range(0, (checkpoint.size + 255) // 256):
        width = min(256, checkpoint.size - 256 * n)
        path = f"/tile/entries/{n:03d}" + ("" if width == 256 else f".p/{width}")
        leaves += decode_entry_bundle(log.auditor.get(path).content)
    assert len(leaves) == checkpoint.size
    assert root_from_leaf_hashes([record_hash(leaf) for leaf in leaves]) == checkpoint.root_hash


def test_tiles_are_cacheable_forever_but_only_privately_when_the_log_is_not_public(
    log: Log,
) -> None:
    cache = log.auditor.get("/tile/0/000.p/3").headers["cache-control"]
    assert "immutable" in cache
    assert cache.startswith("private")


def test_inclusion_proofs_check_against_the_signed_root(log: Log) -> None:
    checkpoint = log.checkpoint()
    for index in (0, 1, 255, 256, checkpoint.size // 2, checkpoint.size - 1):
        params = {"index": index, "size": checkpoint.size}
        body = log.auditor.get("/v1/proofs/inclusion", params=params).json()
        proof = InclusionProof.from_json(body)
        proof.check()
        assert proof.root == checkpoint.root_hash
        assert proof.entry == log.stored_leaves(index, index + 1)[0]


def test_an_inclusion_proof_by_default_is_against_the_latest_checkpoint(log: Log) -> None:
    body = log.auditor.get("/v1/proofs/inclusion", params={"index": 7}).json()
    proof = InclusionProof.from_json(body)
    proof.check()
    latest = log.checkpoint()
    assert proof.size <= latest.size
    if proof.size == latest.size:
        assert proof.root == latest.root_hash


def test_an_event_read_with_proof_checks_against_its_own_checkpoint(log: Log) -> None:
    body = log.auditor.get("/v1/events/300", params={"proof": "true"}).json()
    checkpoint = open_checkpoint(body["checkpoint"], log.verifiers, origin=ORIGIN)
    proof = InclusionProof.from_json(body["proof"])
    proof.check()
    assert (proof.size, proof.root) == (checkpoint.size, checkpoint.root_hash)


def test_consistency_proofs_link_an_earlier_checkpoint_to_the_latest(log: Log) -> None:
    latest = log.checkpoint()
    params = {"old_size": log.earlier.size, "size": latest.size}
    proof = ConsistencyProof.from_json(
        log.auditor.get("/v1/proofs/consistency", params=params).json()
    )
    proof.check()
    assert proof.old_root == log.earlier.root_hash
    assert proof.root == latest.root_hash
    for old_size in (1, 2, 256, 257, latest.size):
        params = {"old_size": old_size, "size": latest.size}
        body = log.auditor.get("/v1/proofs/consistency", params=params).json()
        ConsistencyProof.from_json(body).check()


def test_a_proof_with_a_changed_hash_fails_its_check(log: Log) -> None:
    size = log.checkpoint().size
    body = log.auditor.get("/v1/proofs/inclusion", params={"index": 3, "size": size}).json()
    body["proof"][0] = body["proof"][1]
    with pytest.raises(VerificationError):
        InclusionProof.from_json(body).check()
