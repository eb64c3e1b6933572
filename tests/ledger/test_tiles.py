"""Tiles: C2SP paths, the stored-hash to tile mapping, and appends in any batch split."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealtrail.errors import ValidationError
from sealtrail.ledger import merkle
from sealtrail.ledger.tiles import (
    NODES_BYTES,
    TILE_WIDTH,
    Tile,
    TileHashReader,
    TileNodeCache,
    append_leaves,
    decode_entry_bundle,
    edge_tiles,
    encode_entry_bundle,
    grow_tiles,
    split_nodes,
    tile_for_index,
)


def leaf_hashes(n: int) -> list[bytes]:
    return [merkle.record_hash(str(i).encode()) for i in range(n)]


class DictTiles:
    """A tile store in a dict, written only through append_leaves."""

    def __init__(self) -> None:
        self.tiles: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def append(self, hashes: Sequence[bytes]) -> None:
        edge = {t.level: self.tiles[(t.level, t.n)] for t in edge_tiles(self.size)}
        self.tiles.update(append_leaves(self.size, edge, hashes))
        self.size += len(hashes)

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]:
        return [self.tiles[(t.level, t.n)] for t in tiles]


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(1, 5, 7), "tile/1/005.p/7"),
        (Tile(-1, 1000, 255), "tile/entries/x001/000.p/255"),
        (Tile(2, 999), "tile/2/999"),
    ],
)
def test_tile_path_round_trips(tile: Tile, path: str) -> None:
    assert tile.path() == path
    assert Tile.from_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/9/000",
        "tile/0/001/",
        "tiles/0/000",
        "tile/0/x01/000",
        "tile/0/000.p/",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(ValidationError, match="tile"):
        Tile.from_path(path)


@given(st.integers(min_value=0, max_value=10**12))
def test_tile_path_round_trip_property(n: int) -> None:
    tile = Tile(n % 6, n, n % 256 + 1)
    assert Tile.from_path(tile.path()) == tile


def test_tile_for_index_covers_the_hash() -> None:
    for index in range(merkle.stored_hash_count(70_000)):
        level, n = merkle.split_stored_hash_index(index)
        tile = tile_for_index(index)
        assert tile.level == level // 8
        first = n << (level % 8)
        assert tile.n == first // TILE_WIDTH
        assert tile.width == first % TILE_WIDTH + (1 << (level % 8))


@pytest.mark.parametrize("size", [1, 2, 255, 256, 257, 511, 512, 65535, 65536, 65537, 70_000])
def test_tiles_give_the_tree_hash_and_proofs(size: int) -> None:
    hashes = leaf_hashes(size)
    store = DictTiles()
    store.append(hashes)
    reader = TileHashReader(store)
    root = merkle.root_from_leaf_hashes(hashes)
    assert merkle.tree_hash(size, reader) == root
    for index in {0, size // 2, size - 1}:
        proof = merkle.prove_record(size, index, reader)
        merkle.check_record(proof, size, root, index, hashes[index])
    old = max(1, size // 3)
    proof = merkle.prove_tree(size, old, reader)
    merkle.check_tree(proof, size, root, old, merkle.root_from_leaf_hashes(hashes[:old]))


def test_appends_in_any_split_write_the_same_tiles() -> None:
    hashes = leaf_hashes(3 * 65536 // 2 + 300)
    whole = DictTiles()
    whole.append(hashes)
    rng = random.Random(7)
    for _ in range(3):
        split = DictTiles()
        at = 0
        while at < len(hashes):
            step = rng.choice([1, 2, 3, 255, 256, 257, 1000, 5000])
            split.append(hashes[at : at + step])
            at += step
        assert split.tiles == whole.tiles


def test_full_tiles_are_8192_bytes_and_edge_is_partial() -> None:
    store = DictTiles()
    store.append(leaf_hashes(256 * 3 + 5))
    assert [len(store.tiles[(0, n)]) for n in range(4)] == [8192, 8192, 8192, 5 * 32]
    assert store.tiles[(1, 0)] == b"".join(
        merkle.root_from_leaf_hashes(leaf_hashes(256 * 3)[i * 256 : (i + 1) * 256])
        for i in range(3)
    )
    assert edge_tiles(256 * 3 + 5) == [Tile(0, 3, 5), Tile(1, 0, 3)]


def test_hash_tiles_match_an_independent_layout() -> None:
    """A level-1 tile entry is the root of 256 leaves: SHA-256 built by hand, no merkle module."""
    hashes = leaf_hashes(256)

    def mth(items: list[bytes]) -> bytes:
        if len(items) == 1:
            return items[0]
        half = len(items) // 2
        return hashlib.sha256(b"\x01" + mth(items[:half]) + mth(items[half:])).digest()

    store = DictTiles()
    store.append(hashes)
    assert store.tiles[(1, 0)] == mth(hashes)


def test_entry_bundles_round_trip_and_refuse_truncation() -> None:
    entries = [b"", b"a", b"x" * 65535]
    data = encode_entry_bundle(entries)
    assert decode_entry_bundle(data) == entries
    with pytest.raises(ValidationError, match="truncated"):
        decode_entry_bundle(data[:-1])
    with pytest.raises(ValidationError, match="65535"):
        encode_entry_bundle([b"x" * 65536])


def test_full_tile_cache_gives_the_same_hashes_as_the_tiles() -> None:
    size = 3 * 65536 // 2 + 77
    store = DictTiles()
    store.append(leaf_hashes(size))
    plain, cached = TileHashReader(store), TileHashReader(store, TileNodeCache(limit=16))
    indexes = list(range(merkle.stored_hash_count(size)))
    random.Random(3).shuffle(indexes)
    for start in range(0, len(indexes), 5000):
        batch = indexes[start : start + 5000]
        assert cached.read_hashes(batch) == plain.read_hashes(batch)
    assert merkle.tree_hash(size, cached) == merkle.tree_hash(size, plain)


class DictTilesWithNodes(DictTiles):
    """``DictTiles`` keeping the interior nodes of full tiles, as the stores do."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.full_reads = 0

    def append(self, hashes: Sequence[bytes]) -> None:
        edge = {t.level: self.tiles[(t.level, t.n)] for t in edge_tiles(self.size)}
        writes = grow_tiles(self.size, edge, hashes)
        self.tiles.update(writes.tiles)
        self.nodes.update(writes.nodes)
        self.size += len(hashes)

    def read_full_tiles(self, tiles: Sequence[Tile]) -> Sequence[tuple[bytes, bytes | None]]:
        self.full_reads += len(tiles)
        return [(self.tiles[(t.level, t.n)], self.nodes.get((t.level, t.n))) for t in tiles]


def test_grow_tiles_keeps_the_nodes_of_every_tile_it_fills() -> None:
    size = TILE_WIDTH * TILE_WIDTH + 300  # 257 full level-0 tiles, one full level-1 tile
    hashes = leaf_hashes(size)
    writes = grow_tiles(0, {}, hashes)
    assert set(writes.nodes) == {(0, n) for n in range(257)} | {(1, 0)}
    assert writes.tiles == append_leaves(0, {}, hashes)
    for (level, n), nodes in writes.nodes.items():
        assert len(nodes) == NODES_BYTES
        rows = split_nodes(writes.tiles[(level, n)], nodes)
        for below, above in itertools.pairwise(rows):
            assert above == merkle.node_hashes(below)
        leaves = TILE_WIDTH ** (level + 1)
        assert rows[-1] == merkle.root_from_leaf_hashes(hashes[n * leaves : (n + 1) * leaves])


def test_tile_nodes_are_the_same_in_any_split() -> None:
    hashes = leaf_hashes(1500)
    whole, pieces = DictTilesWithNodes(), DictTilesWithNodes()
    whole.append(hashes)
    rng = random.Random(8)
    done = 0
    while done < len(hashes):
        step = rng.randrange(1, 300)
        pieces.append(hashes[done : done + step])
        done += step
    assert pieces.nodes == whole.nodes
    assert set(whole.nodes) == {(0, n) for n in range(5)}


def test_split_nodes_refuses_wrong_sizes() -> None:
    with pytest.raises(ValidationError, match="8192 and 8160"):
        split_nodes(b"\0" * 8192, b"\0" * 8128)


def test_stored_nodes_serve_full_tiles_without_hashing(
    count_tile_hashing: Callable[[], list[int]],
) -> None:
    size = 3 * TILE_WIDTH + 77
    store = DictTilesWithNodes()
    store.append(leaf_hashes(size))
    plain = TileHashReader(store)
    indexes = list(range(merkle.stored_hash_count(size)))
    expected = plain.read_hashes(indexes)
    hashed = count_tile_hashing()
    reader = TileHashReader(store, TileNodeCache(), size=size)
    assert reader.read_hashes(indexes) == expected
    assert store.full_reads == 3  # the three full tiles, each read once with its nodes
    assert all(length < 8192 for length in hashed)  # only the partial edge tile was hashed


def test_stored_nodes_are_what_proofs_are_made_of() -> None:
    """A reader trusts the stored nodes (the ledger's verify checks them): a changed node
    comes out as it is stored."""
    store = DictTilesWithNodes()
    store.append(leaf_hashes(2 * TILE_WIDTH))
    changed = bytearray(store.nodes[(0, 1)])
    changed[0] ^= 1
    store.nodes[(0, 1)] = bytes(changed)
    reader = TileHashReader(store, TileNodeCache(), size=2 * TILE_WIDTH)
    first_parent = merkle.stored_hash_index(1, TILE_WIDTH // 2)
    assert reader.read_hashes([first_parent]) == [bytes(changed[:32])]


def test_a_tile_without_stored_nodes_is_hashed_as_before() -> None:
    size = 2 * TILE_WIDTH + 5
    store = DictTilesWithNodes()
    store.append(leaf_hashes(size))
    store.nodes.clear()  # tiles filled before the store kept nodes
    indexes = list(range(merkle.stored_hash_count(size)))
    reader = TileHashReader(store, TileNodeCache(), size=size)
    assert reader.read_hashes(indexes) == TileHashReader(store).read_hashes(indexes)
