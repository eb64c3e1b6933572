"""The range proof: every range of every tree size to 40 proves, and wrong inputs fail."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from sealtrail.errors import ValidationError, VerificationError
from sealtrail.ledger.merkle import record_hash, root_from_leaf_hashes, stored_hash_index
from sealtrail.sinks.bundle import (
    BundleHeader,
    RangeProof,
    RecordProof,
    prove_range,
    range_nodes,
    root_from_range,
)


class ListReader:
    """Stored hashes computed from the leaf hashes, by stored hash index."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.hashes: dict[int, bytes] = {}
        for level in range(8):
            width = 1 << level
            for n in range(len(leaves) // width):
                part = leaves[n * width : (n + 1) * width]
                self.hashes[stored_hash_index(level, n)] = root_from_leaf_hashes(part)

    def read_hashes(self, indexes: Sequence[int]) -> Sequence[bytes]:
        return [self.hashes[i] for i in indexes]


def leaves(n: int) -> list[bytes]:
    return [record_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def test_every_range_of_every_small_tree_rebuilds_its_root() -> None:
    for size in range(1, 41):
        hashes = leaves(size)
        reader, root = ListReader(hashes), root_from_leaf_hashes(hashes)
        for start in range(size):
            for end in range(start + 1, size + 1):
                proof = prove_range(size, start, end, reader)
                assert root_from_range(proof, hashes[start:end]) == root
                assert len(proof.left) + len(proof.right) <= 2 * size.bit_length()


def test_whole_tree_needs_no_hashes() -> None:
    assert range_nodes(37, 0, 37) == []


def test_changed_missing_or_swapped_leaf_changes_the_root() -> None:
    hashes = leaves(29)
    proof = prove_range(29, 5, 20, ListReader(hashes))
    root = root_from_leaf_hashes(hashes)
    inside = hashes[5:20]
    swapped = [inside[1], inside[0], *inside[2:]]
    changed = [record_hash(b"x"), *inside[1:]]
    assert root_from_range(proof, swapped) != root
    assert root_from_range(proof, changed) != root
    with pytest.raises(VerificationError) as missing:
        root_from_range(proof, inside[1:])
    assert missing.value.reason == "record_missing"


def test_proof_with_a_hash_too_few_is_refused() -> None:
    hashes = leaves(29)
    proof = prove_range(29, 5, 20, ListReader(hashes))
    short = RangeProof(proof.start, proof.end, proof.size, proof.left[1:], proof.right)
    with pytest.raises(VerificationError):
        root_from_range(short, hashes[5:20])


def test_lines_round_trip() -> None:
    proof = prove_range(29, 5, 20, ListReader(leaves(29)))
    assert RangeProof.from_json(proof.to_json()) == proof
    record = RecordProof(7, tuple(leaves(3)))
    assert RecordProof.from_json(record.to_json()) == record
    header = BundleHeader("csv", "records", "note\n", 29, 0, 29)
    assert BundleHeader.from_json(header.to_json()) == header


@pytest.mark.parametrize(
    "bad",
    [
        {"range": {"start": 5, "end": 5, "size": 9, "left": [], "right": []}},
        {"range": {"start": 0, "end": 3, "size": 9, "left": ["AAAA"], "right": []}},
        {"range": {"start": -1, "end": 3, "size": 9, "left": [], "right": []}},
        {"range": []},
    ],
)
def test_malformed_range_lines_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RangeProof.from_json(bad)


def test_header_of_another_version_is_refused() -> None:
    with pytest.raises(ValidationError, match="header"):
        BundleHeader.from_json({"bundle": "other/2"})
