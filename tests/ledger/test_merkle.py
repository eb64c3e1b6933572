"""Tests for sealtrail.ledger.merkle: known answers, every small tree, properties of large ones."""

from __future__ import annotations

import ast
import hashlib
import inspect
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealtrail.errors import SealtrailError, ValidationError, VerificationError
from sealtrail.ledger import merkle
from sealtrail.ledger.merkle import (
    EMPTY_TREE_HASH,
    HASH_SIZE,
    CompactRange,
    check_record,
    check_tree,
    consistency_proof_from_leaf_hashes,
    inclusion_proof_from_leaf_hashes,
    node_hash,
    node_hashes,
    prove_record,
    prove_tree,
    record_hash,
    root_from_leaf_hashes,
    split_stored_hash_index,
    stored_hash_count,
    stored_hash_index,
    tree_hash,
)

# Known answers -----------------------------------------------------------------------------------
# The Certificate Transparency test tree: leaf inputs, subtree hashes and roots from
# github.com/transparency-dev/merkle testonly/constants.go (LeafInputs, NodeHashes, RootHashes),
# proofs from proof/verify_test.go there (inclusionProofs, consistencyProofs; their leaf numbers
# are 1-based, the indexes here 0-based). The same vectors are in google/certificate-transparency.

CT_LEAF_INPUTS = [
    bytes.fromhex(x)
    for x in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]

CT_NODE_HASHES = [  # [level][n]: the hash of the level-L subtree number n of the 8-leaf tree
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

CT_ROOTS = {
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

CT_INCLUSION_PROOFS = [  # (index, tree size, audit path)
    (0, 1, []),
    (0, 8, [CT_NODE_HASHES[0][1], CT_NODE_HASHES[1][1], CT_NODE_HASHES[2][1]]),
    (5, 8, [CT_NODE_HASHES[0][4], CT_NODE_HASHES[1][3], CT_NODE_HASHES[2][0]]),
    (2, 3, [CT_NODE_HASHES[1][0]]),
    (1, 5, [CT_NODE_HASHES[0][0], CT_NODE_HASHES[1][1], CT_NODE_HASHES[0][4]]),
]

CT_CONSISTENCY_PROOFS = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, [CT_NODE_HASHES[0][1], CT_NODE_HASHES[1][1], CT_NODE_HASHES[2][1]]),
    (6, 8, [CT_NODE_HASHES[1][2], CT_NODE_HASHES[1][3], CT_NODE_HASHES[2][0]]),
    (2, 5, [CT_NODE_HASHES[1][1], CT_NODE_HASHES[0][4]]),
    (6, 7, [CT_NODE_HASHES[1][2], CT_NODE_HASHES[0][6], CT_NODE_HASHES[2][0]]),
]

CT_COMPACT_RANGES = {  # size: (level, n) of the right-edge subtrees, from CompactTrees()
    1: [(0, 0)],
    3: [(1, 0), (0, 2)],
    5: [(2, 0), (0, 4)],
    6: [(2, 0), (1, 2)],
    7: [(2, 0), (1, 2), (0, 6)],
    8: [(3, 0)],
}

CT_LEAVES = [record_hash(data) for data in CT_LEAF_INPUTS]


def h(hex_hash: str) -> bytes:
    return bytes.fromhex(hex_hash)


# Helpers -----------------------------------------------------------------------------------------


def leaves(count: int) -> list[bytes]:
    return [record_hash(b"record %d" % i) for i in range(count)]


def stored_hashes(leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Every complete subtree hash of the tree, placed at its stored_hash_index."""
    stored: dict[int, bytes] = {}
    level, nodes = 0, list(leaf_hashes)
    while nodes:
        for n, value in enumerate(nodes):
            stored[stored_hash_index(level, n)] = value
        nodes = [node_hash(a, b) for a, b in zip(nodes[::2], nodes[1::2], strict=False)]
        level += 1
    assert sorted(stored) == list(range(len(stored)))
    return [stored[i] for i in range(len(stored))]


class Reader:
    """A HashReader over a stored-hash list that records its calls."""

    def __init__(
        self, leaf_hashes: Sequence[bytes] = (), stored: list[bytes] | None = None
    ) -> None:
        self.stored = stored_hashes(leaf_hashes) if stored is None else stored
        self.calls: list[list[int]] = []

    def fresh(self) -> Reader:
        """The same stored hashes, with no calls recorded."""
        return Reader(stored=self.stored)

    def read_hashes(self, indexes: Sequence[int]) -> Sequence[bytes]:
        self.calls.append(list(indexes))
        return [self.stored[i] for i in indexes]


class NoReader:
    """A HashReader that must not be called."""

    def read_hashes(self, indexes: Sequence[int]) -> Sequence[bytes]:
        raise AssertionError(f"read_hashes({indexes}) was called")


def flip_bit(proof: Sequence[bytes], element: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[element])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:element], bytes(changed), *proof[element + 1 :]]


def assert_rejected(check: Callable[..., None], *args: object) -> SealtrailError:
    with pytest.raises((VerificationError, ValidationError)) as caught:
        check(*args)
    return caught.value


SMALL = leaves(300)
SMALL_READER = Reader(SMALL)
OTHER_HASH = hashlib.sha256(b"not in any tree").digest()


@cache
def small_root(size: int) -> bytes:
    return root_from_leaf_hashes(SMALL[:size])


# Known answers -----------------------------------------------------------------------------------


def test_empty_tree_hash_is_sha256_of_the_empty_string() -> None:
    assert h(CT_ROOTS[0]) == EMPTY_TREE_HASH
    assert root_from_leaf_hashes([]) == EMPTY_TREE_HASH
    assert CompactRange().root() == EMPTY_TREE_HASH
    assert tree_hash(0, NoReader()) == EMPTY_TREE_HASH


def test_record_and_node_hashes_are_domain_separated() -> None:
    assert record_hash(b"") == hashlib.sha256(b"\x00").digest() == h(CT_NODE_HASHES[0][0])
    assert node_hash(CT_LEAVES[0], CT_LEAVES[1]) == h(CT_NODE_HASHES[1][0])
    assert (
        node_hash(CT_LEAVES[0], CT_LEAVES[1])
        == hashlib.sha256(b"\x01" + CT_LEAVES[0] + CT_LEAVES[1]).digest()
    )


@given(st.lists(st.binary(min_size=HASH_SIZE, max_size=HASH_SIZE), max_size=40))
def test_node_hashes_of_a_row_are_the_node_hashes_of_its_pairs(row: list[bytes]) -> None:
    parents = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
    assert node_hashes(b"".join(row)) == b"".join(parents)


def test_node_hashes_rejects_a_row_of_partial_hashes() -> None:
    with pytest.raises(ValidationError, match="not whole hashes"):
        node_hashes(bytes(HASH_SIZE + 1))


def test_ct_leaf_hashes_match_the_known_subtree_hashes() -> None:
    assert [leaf.hex() for leaf in CT_LEAVES] == CT_NODE_HASHES[0]
    stored = stored_hashes(CT_LEAVES)
    for level, row in enumerate(CT_NODE_HASHES):
        for n, expected in enumerate(row):
            assert stored[stored_hash_index(level, n)].hex() == expected


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_ct_tree_match_known_answers(size: int) -> None:
    compact = CompactRange()
    compact.extend(CT_LEAVES[:size])
    assert root_from_leaf_hashes(CT_LEAVES[:size]).hex() == CT_ROOTS[size]
    assert tree_hash(size, Reader(CT_LEAVES)).hex() == CT_ROOTS[size]
    assert compact.root().hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION_PROOFS)
def test_inclusion_proofs_of_the_ct_tree_match_known_answers(
    index: int, size: int, path: list[str]
) -> None:
    expected = [h(x) for x in path]
    assert prove_record(size, index, Reader(CT_LEAVES)) == expected
    assert inclusion_proof_from_leaf_hashes(CT_LEAVES[:size], index) == expected
    check_record(expected, size, h(CT_ROOTS[size]), index, CT_LEAVES[index])


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY_PROOFS)
def test_consistency_proofs_of_the_ct_tree_match_known_answers(
    old: int, new: int, path: list[str]
) -> None:
    expected = [h(x) for x in path]
    assert prove_tree(new, old, Reader(CT_LEAVES)) == expected
    assert consistency_proof_from_leaf_hashes(CT_LEAVES[:new], old) == expected
    check_tree(expected, new, h(CT_ROOTS[new]), old, h(CT_ROOTS[old]))


@pytest.mark.parametrize(("size", "subtrees"), CT_COMPACT_RANGES.items())
def test_compact_range_holds_the_known_right_edge(
    size: int, subtrees: list[tuple[int, int]]
) -> None:
    compact = CompactRange()
    compact.extend(CT_LEAVES[:size])
    assert compact.size == size
    assert compact.hashes == tuple(h(CT_NODE_HASHES[level][n]) for level, n in subtrees)


def test_stored_hash_index_follows_the_tlog_order() -> None:
    # Record 0; record 1 and the level-1 subtree it completes; record 2; record 3 completing
    # (1, 1) and (2, 0); record 4; ... (hand-checked against tlog's StoredHashIndex comments).
    order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4), (0, 5), (1, 2)]
    assert [stored_hash_index(level, n) for level, n in order] == list(range(len(order)))
    assert [split_stored_hash_index(i) for i in range(len(order))] == order


# Stored hash indexes -----------------------------------------------------------------------------


def tlog_stored_hash_index(level: int, n: int) -> int:
    """tlog's StoredHashIndex, loop for loop."""
    for _ in range(level):
        n = 2 * n + 1
    index = 0
    while n > 0:
        index += n
        n >>= 1
    return index + level


def tlog_stored_hash_count(n: int) -> int:
    """tlog's StoredHashCount, loop for loop."""
    if n == 0:
        return 0
    count = tlog_stored_hash_index(0, n - 1) + 1
    i = n - 1
    while i & 1:
        count += 1
        i >>= 1
    return count


def test_stored_hash_index_equals_tlog_definition() -> None:
    for level in range(24):
        for n in [*range(200), 2**31 - 1, 2**40 + 12345, 2**62]:
            assert stored_hash_index(level, n) == tlog_stored_hash_index(level, n)


def test_split_stored_hash_index_inverts_stored_hash_index() -> None:
    for level in range(40):
        for n in [*range(100), 2**20 + 7, 2**33 - 1, 10**12]:
            assert split_stored_hash_index(stored_hash_index(level, n)) == (level, n)
    for index in range(20_000):
        assert stored_hash_index(*split_stored_hash_index(index)) == index


def test_stored_hash_count_equals_tlog_definition() -> None:
    for n in [*range(2000), 2**32, 2**32 + 1, 10**15]:
        assert stored_hash_count(n) == tlog_stored_hash_count(n)
    for size in range(1, 300):
        assert len(stored_hashes(SMALL[:size])) == stored_hash_count(size)


def test_stored_hash_functions_reject_negative_numbers() -> None:
    for call in (
        lambda: stored_hash_index(-1, 0),
        lambda: stored_hash_index(0, -1),
        lambda: split_stored_hash_index(-1),
        lambda: stored_hash_count(-1),
    ):
        with pytest.raises(ValidationError, match="negative"):
            call()


# Every small tree --------------------------------------------------------------------------------


def test_tree_hash_equals_reference_for_every_size_to_130() -> None:
    for size in range(131):
        reader = SMALL_READER.fresh()
        assert tree_hash(size, reader) == small_root(size)
        assert len(reader.calls) == (1 if size else 0)
        assert sum(map(len, reader.calls)) == size.bit_count() <= 1 + size.bit_length()


def test_compact_range_root_equals_reference_for_every_size_to_300() -> None:
    compact = CompactRange()
    for size in range(301):
        assert compact.size == size
        assert compact.root() == small_root(size)
        assert len(compact.hashes) == size.bit_count()
        if size < 300:
            compact.append(SMALL[size])


def test_compact_range_extend_equals_append_for_every_split() -> None:
    for first in range(41):
        for second in range(41):
            one_by_one = CompactRange()
            for leaf in SMALL[: first + second]:
                one_by_one.append(leaf)
            batched = CompactRange()
            batched.extend(SMALL[:first])
            batched.extend(iter(SMALL[first : first + second]))
            assert batched.size == one_by_one.size
            assert batched.hashes == one_by_one.hashes


def test_inclusion_proofs_equal_reference_and_verify_for_every_index_to_64() -> None:
    for size in range(1, 65):
        root = small_root(size)
        for index in range(size):
            reader = SMALL_READER.fresh()
            proof = prove_record(size, index, reader)
            assert proof == inclusion_proof_from_leaf_hashes(SMALL[:size], index)
            assert len(reader.calls) <= 1
            assert sum(map(len, reader.calls)) <= 2 * size.bit_length()
            assert len(proof) <= (size - 1).bit_length()
            check_record(proof, size, root, index, SMALL[index])


def test_consistency_proofs_equal_reference_and_verify_for_every_pair_to_64() -> None:
    for new in range(1, 65):
        for old in range(1, new + 1):
            reader = SMALL_READER.fresh()
            proof = prove_tree(new, old, reader)
            assert proof == consistency_proof_from_leaf_hashes(SMALL[:new], old)
            assert len(reader.calls) <= 1
            assert sum(map(len, reader.calls)) <= 2 * new.bit_length()
            assert len(proof) <= (new - 1).bit_length() + 1
            check_tree(proof, new, small_root(new), old, small_root(old))


# Wrong proofs never pass -------------------------------------------------------------------------


def test_inclusion_check_rejects_every_corruption_for_every_index_to_64() -> None:
    for size in range(1, 65):
        root = small_root(size)
        for index in range(size):
            proof = prove_record(size, index, SMALL_READER)
            leaf = SMALL[index]
            for element in range(len(proof)):
                for bit in (0, 3, 255):
                    error = assert_rejected(
                        check_record, flip_bit(proof, element, bit), size, root, index, leaf
                    )
                    assert isinstance(error, VerificationError)
                    assert (error.reason, error.index) == ("proof_invalid", index)
            for wrong_proof in (proof[:-1], [*proof, root], [root, *proof], [*proof, b""]):
                if wrong_proof != proof:
                    assert_rejected(check_record, wrong_proof, size, root, index, leaf)
            for wrong_index in {index - 1, index + 1, index ^ 1, index ^ 2, size} - {index}:
                assert_rejected(check_record, proof, size, root, wrong_index, leaf)
            for wrong_size in {size - 1, size + 1, 2 * size, size // 2} - {size}:
                true_root = small_root(wrong_size) if wrong_size <= 300 else OTHER_HASH
                assert_rejected(check_record, proof, wrong_size, true_root, index, leaf)
            for wrong_root in (OTHER_HASH, EMPTY_TREE_HASH, small_root(size + 1)):
                assert_rejected(check_record, proof, size, wrong_root, index, leaf)
            assert_rejected(check_record, proof, size, root, index, OTHER_HASH)


def test_consistency_check_rejects_every_corruption_for_every_pair_to_64() -> None:
    for new in range(1, 65):
        for old in range(1, new + 1):
            proof = prove_tree(new, old, SMALL_READER)
            new_root, old_root = small_root(new), small_root(old)
            for element in range(len(proof)):
                for bit in (0, 4, 255):
                    wrong_proof = flip_bit(proof, element, bit)
                    error = assert_rejected(check_tree, wrong_proof, new, new_root, old, old_root)
                    assert isinstance(error, VerificationError)
                    assert error.reason == "proof_invalid"
            for wrong_proof in ([], proof[:-1], [*proof, new_root], [old_root, *proof]):
                if wrong_proof != proof:
                    assert_rejected(check_tree, wrong_proof, new, new_root, old, old_root)
            for wrong_old in {old - 1, old + 1, old ^ 2} - {old}:
                wrong_root = small_root(wrong_old) if wrong_old <= 300 else OTHER_HASH
                assert_rejected(check_tree, proof, new, new_root, wrong_old, wrong_root)
            for wrong_new in {new - 1, new + 1, 2 * new, new // 2} - {new}:
                assert_rejected(check_tree, proof, wrong_new, small_root(wrong_new), old, old_root)
            for wrong in (OTHER_HASH, EMPTY_TREE_HASH):
                assert_rejected(check_tree, proof, new, wrong, old, old_root)
                assert_rejected(check_tree, proof, new, new_root, old, wrong)
            if old != new:
                assert_rejected(check_tree, proof, new, old_root, old, new_root)


def test_proofs_reject_indexes_and_sizes_out_of_range() -> None:
    root = small_root(5)
    bad_records = [(5, 5), (5, 6), (5, -1), (0, 0), (-1, 0)]  # (tree size, index)
    for size, index in bad_records:
        with pytest.raises(ValidationError, match=r"out of range|negative"):
            prove_record(size, index, NoReader())
        with pytest.raises(ValidationError, match=r"out of range|negative"):
            check_record([], size, root, index, SMALL[0])
    bad_trees = [(5, 0), (5, 6), (5, -1), (0, 0), (-1, -1)]  # (new size, old size)
    for new, old in bad_trees:
        with pytest.raises(ValidationError, match=r"not in 1\.\.|negative"):
            prove_tree(new, old, NoReader())
        with pytest.raises(ValidationError, match=r"not in 1\.\.|negative"):
            check_tree([], new, root, old, root)
    with pytest.raises(ValidationError, match="negative"):
        tree_hash(-1, NoReader())
    with pytest.raises(ValidationError, match="out of range"):
        inclusion_proof_from_leaf_hashes(SMALL[:5], 5)
    with pytest.raises(ValidationError, match="not in"):
        consistency_proof_from_leaf_hashes(SMALL[:5], 0)


def test_hashes_of_the_wrong_length_are_rejected() -> None:
    proof = prove_record(8, 3, SMALL_READER)
    root = small_root(8)
    short = root[:31]
    with pytest.raises(ValidationError, match="tree hash is 31 bytes"):
        check_record(proof, 8, short, 3, SMALL[3])
    with pytest.raises(ValidationError, match="record hash is 33 bytes"):
        check_record(proof, 8, root, 3, SMALL[3] + b"\x00")
    with pytest.raises(VerificationError, match="hash 1 is 31 bytes") as caught:
        check_record([proof[0], short, proof[2]], 8, root, 3, SMALL[3])
    assert caught.value.reason == "malformed"
    with pytest.raises(ValidationError, match="old tree hash is 0 bytes"):
        check_tree([], 8, root, 8, b"")
    with pytest.raises(VerificationError, match="hash 0 is 0 bytes"):
        check_tree([b""], 8, root, 4, small_root(4))
    with pytest.raises(ValidationError, match="left hash"):
        node_hash(short, root)
    with pytest.raises(ValidationError, match="leaf hash 2 is 31 bytes"):
        root_from_leaf_hashes([root, root, short])


def test_a_proof_of_the_wrong_length_names_the_expected_length() -> None:
    proof = prove_record(8, 3, SMALL_READER)
    with pytest.raises(VerificationError, match="has 2 hashes, want 3"):
        check_record(proof[:2], 8, small_root(8), 3, SMALL[3])
    with pytest.raises(VerificationError, match="has 1 hashes, want 0"):
        check_tree([small_root(8)], 8, small_root(8), 8, small_root(8))


def test_equal_sizes_with_different_roots_are_inconsistent() -> None:
    with pytest.raises(VerificationError, match="two different tree hashes"):
        check_tree([], 8, small_root(8), 8, OTHER_HASH)


def test_no_hashes_are_read_when_none_are_needed() -> None:
    assert prove_record(1, 0, NoReader()) == []
    assert prove_tree(1, 1, NoReader()) == []
    assert prove_tree(37, 37, NoReader()) == []


def test_a_reader_returning_the_wrong_hashes_is_a_runtime_error() -> None:
    class ShortReader:
        def read_hashes(self, indexes: Sequence[int]) -> Sequence[bytes]:
            return [EMPTY_TREE_HASH] * (len(indexes) - 1)

    class TruncatingReader:
        def read_hashes(self, indexes: Sequence[int]) -> Sequence[bytes]:
            return [EMPTY_TREE_HASH[:16]] * len(indexes)

    with pytest.raises(RuntimeError, match="returned 1 hashes for 2 asked"):
        tree_hash(3, ShortReader())
    with pytest.raises(RuntimeError, match="16 bytes"):
        prove_record(8, 3, TruncatingReader())


# Compact range -----------------------------------------------------------------------------------


def test_compact_range_extend_streams_a_generator_across_batches() -> None:
    many = [record_hash(i.to_bytes(4, "big")) for i in range(2**16 + 5)]
    streamed, listed = CompactRange(), CompactRange()
    streamed.extend(leaf for leaf in many)
    listed.extend(many)
    assert streamed.size == listed.size == len(many)
    assert streamed.hashes == listed.hashes
    assert streamed.root() == root_from_leaf_hashes(many)


def test_compact_range_resumes_from_a_right_edge() -> None:
    for size in range(60):
        edge = CompactRange()
        edge.extend(SMALL[:size])
        resumed = CompactRange(size, edge.hashes)
        resumed.extend(SMALL[size:100])
        assert resumed.root() == small_root(100)
    assert repr(CompactRange()) == "CompactRange(size=0)"


def test_compact_range_rejects_bad_leaves_and_edges() -> None:
    compact = CompactRange()
    with pytest.raises(ValidationError, match="leaf hash is 31 bytes"):
        compact.append(SMALL[0][:31])
    with pytest.raises(ValidationError, match="leaf hash 1 is 0 bytes"):
        compact.extend([SMALL[0], b""])
    with pytest.raises(ValidationError, match="not one hash"):
        compact.extend(SMALL[0])  # type: ignore[arg-type]
    assert compact.size == 0
    with pytest.raises(ValidationError, match="has 2 right-edge hashes, not 1"):
        CompactRange(3, [SMALL[0]])
    with pytest.raises(ValidationError, match="negative"):
        CompactRange(-1)


# Properties of large trees -----------------------------------------------------------------------

LARGE_SIZE = 5000


@cache
def large() -> tuple[list[bytes], Reader]:
    leaf_hashes = leaves(LARGE_SIZE)
    return leaf_hashes, Reader(leaf_hashes)


@cache
def large_root(size: int) -> bytes:
    return root_from_leaf_hashes(large()[0][:size])


@st.composite
def record_in_tree(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, LARGE_SIZE))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(1, LARGE_SIZE))
    return new, draw(st.integers(1, new))


@settings(max_examples=60, deadline=None)
@given(record_in_tree(), st.data())
def test_inclusion_proofs_in_large_trees_verify_and_resist_bit_flips(
    record: tuple[int, int], data: st.DataObject
) -> None:
    size, index = record
    leaf_hashes, reader = large()
    proof = prove_record(size, index, reader)
    assert proof == inclusion_proof_from_leaf_hashes(leaf_hashes[:size], index)
    check_record(proof, size, large_root(size), index, leaf_hashes[index])
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1))
        with pytest.raises(VerificationError):
            check_record(
                flip_bit(proof, element, bit), size, large_root(size), index, leaf_hashes[index]
            )


@settings(max_examples=60, deadline=None)
@given(two_sizes(), st.data())
def test_consistency_proofs_in_large_trees_verify_and_resist_bit_flips(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    new, old = sizes
    leaf_hashes, reader = large()
    proof = prove_tree(new, old, reader)
    assert proof == consistency_proof_from_leaf_hashes(leaf_hashes[:new], old)
    check_tree(proof, new, large_root(new), old, large_root(old))
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 8 * HASH_SIZE - 1))
        with pytest.raises(VerificationError):
            check_tree(flip_bit(proof, element, bit), new, large_root(new), old, large_root(old))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 700), max_size=12))
def test_tree_hash_and_compact_range_agree_on_large_trees(chunks: list[int]) -> None:
    leaf_hashes, reader = large()
    compact = CompactRange()
    for chunk in chunks:
        compact.extend(leaf_hashes[compact.size : compact.size + chunk])
        assert compact.root() == tree_hash(compact.size, reader) == large_root(compact.size)


# The module itself -------------------------------------------------------------------------------


def test_merkle_imports_nothing_but_pure_modules() -> None:
    allowed = {
        "__future__",
        "collections.abc",
        "dataclasses",
        "hashlib",
        "sealtrail.errors",
        "typing",
    }
    tree = ast.parse(inspect.getsource(merkle))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import"
            imported.add(node.module or "")
    assert imported <= allowed


def test_all_names_every_public_definition() -> None:
    public = {
        name
        for name, value in vars(merkle).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == merkle.__name__
    }
    assert public <= set(merkle.__all__)
    assert all(hasattr(merkle, name) for name in merkle.__all__)
    assert len(set(merkle.__all__)) == len(merkle.__all__)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 700), st.lists(st.integers(1, 200), max_size=12))
def test_extend_shows_every_interior_node_once_in_order(size: int, cuts: list[int]) -> None:
    """However the leaves are split between calls, ``observe`` sees each node of the tree once."""
    leaves = [record_hash(str(i).encode()) for i in range(size)]
    seen: dict[int, list[bytes]] = {}

    def observe(level: int, index: int, nodes: list[bytes]) -> None:
        row = seen.setdefault(level, [])
        assert index == len(row)
        row.extend(nodes)

    compact, done = CompactRange(), 0
    for cut in [*cuts, size]:
        compact.extend(leaves[done : done + cut], observe)
        done = min(size, done + cut)
    row, level = b"".join(leaves), 0
    while len(row) >= 64:
        row, level = node_hashes(row), level + 1
        assert b"".join(seen.get(level, [])) == row
    assert compact.root() == root_from_leaf_hashes(leaves)
