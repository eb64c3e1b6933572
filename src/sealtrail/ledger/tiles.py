"""C2SP tlog-tiles: how the tree's hashes are stored and served.

The hashes of the tree are kept in tiles of height 8 (https://c2sp.org/tlog-tiles): tile ``(L, N)``
holds the hashes of level ``8 * L`` with indexes ``256 * N`` up to ``256 * N + 255``, 32 bytes each,
left to right. Only the rightmost tile of a level may be partial; a partial tile of width W is
always a prefix of the full tile it grows into, so one stored row per tile serves every width.

Everything here is pure: ``Tile`` names a tile and its path, ``tile_for_index`` and
``hash_from_tile`` map the flat stored-hash numbering of ``merkle`` onto tiles (so ``merkle``'s
proof functions run over tiles unchanged), ``edge_tiles`` names the partial tiles on the right edge,
and ``append_leaves`` computes which tiles an append writes.

A full tile's interior nodes (the 255 hashes between its 256 hashes and its root) are derived
data, not part of C2SP: ``grow_tiles`` returns them for every tile an append fills, so a store can
keep them next to the tile and a proof reads the hashes it needs instead of recomputing the 255.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

from sealtrail.errors import ValidationError
from sealtrail.ledger.merkle import (
    HASH_SIZE,
    node_hashes,
    split_stored_hash_index,
)

__all__ = [
    "ENTRY_BUNDLE_MAX_ENTRY",
    "NODES_BYTES",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Tile",
    "TileHashReader",
    "TileNodeCache",
    "TileReader",
    "TileWrites",
    "TilesWithNodesReader",
    "append_leaves",
    "decode_entry_bundle",
    "edge_tiles",
    "encode_entry_bundle",
    "grow_tiles",
    "hash_from_tile",
    "split_nodes",
    "tile_for_index",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
FULL_TILE_BYTES = TILE_WIDTH * HASH_SIZE
NODES_BYTES = (TILE_WIDTH - 1) * HASH_SIZE  # a full tile's interior nodes and root: 128 + ... + 1
ENTRY_BUNDLE_MAX_ENTRY = 0xFFFF  # an entry's length is a big-endian uint16 in a bundle
MAX_LEVEL = 63 // TILE_HEIGHT  # 2**64 leaves need no more levels

_PATH = re.compile(r"tile/(entries|[0-9])/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([0-9]{1,3}))?")
_ALLOWED_LEVELS = {str(level) for level in range(MAX_LEVEL + 1)}


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile: ``level`` L, index ``n`` within the level, and ``width`` (1..256) hashes.

    ``level == -1`` names the entry bundle ``tile/entries/N`` holding the same leaves as the level-0
    tile ``n``.
    """

    level: int
    n: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not -1 <= self.level <= MAX_LEVEL or self.n < 0 or not 1 <= self.width <= TILE_WIDTH:
            raise ValidationError(
                f"invalid tile: level {self.level}, index {self.n}, width {self.width}"
            )

    def path(self) -> str:
        """The C2SP path, e.g. ``tile/0/x001/x234/067.p/8``; the inverse of ``from_path``."""
        level = "entries" if self.level == -1 else str(self.level)
        digits = f"{self.n:d}"
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        index = "/".join([*("x" + g for g in groups[:-1]), groups[-1]])
        partial = "" if self.width == TILE_WIDTH else f".p/{self.width}"
        return f"tile/{level}/{index}{partial}"

    @classmethod
    def from_path(cls, path: str) -> Tile:
        """Parse a C2SP tile path; non-canonical forms (``.p/256``, padded widths) are refused."""
        match = _PATH.fullmatch(path)
        if match is None:
            raise ValidationError(f"malformed tile path: {path!r}")
        level_text, index_text, width_text = match.groups()
        if level_text != "entries" and level_text not in _ALLOWED_LEVELS:
            raise ValidationError(f"malformed tile path: level {level_text} out of range")
        groups = index_text.replace("x", "").split("/")
        if len(groups) > 1 and groups[0] == "000":
            raise ValidationError(f"malformed tile path: index {index_text!r} is not canonical")
        width = TILE_WIDTH
        if width_text is not None:
            width = int(width_text)
            if width_text != str(width) or not 1 <= width < TILE_WIDTH:
                raise ValidationError(f"malformed tile path: partial width {width_text!r}")
        level = -1 if level_text == "entries" else int(level_text)
        return cls(level, int("".join(groups)), width)


# The index arithmetic is pure and a proof repeats it for the same few indexes: remember it.
_split = lru_cache(maxsize=1 << 16)(split_stored_hash_index)


@lru_cache(maxsize=1 << 16)
def tile_for_index(index: int) -> Tile:
    """The smallest tile that holds stored hash ``index`` (see ``merkle.stored_hash_index``).

    A stored hash of level ``8L + r`` is the root of ``2**r`` consecutive hashes of tile level L.
    """
    return _tile_for_subtree(*_split(index))


def _tile_for_subtree(level: int, n: int) -> Tile:
    """The smallest tile holding the hash of the level-``level`` subtree number ``n``."""
    tile_level, r = divmod(level, TILE_HEIGHT)
    first = n << r  # index at tile level of the first hash it covers
    tile_n, offset = divmod(first, TILE_WIDTH)
    return Tile(tile_level, tile_n, offset + (1 << r))


def hash_from_tile(tile: Tile, data: bytes, index: int) -> bytes:
    """The stored hash ``index`` computed from ``data``, the contents of ``tile`` (or longer).

    Costs up to ``2**r - 1`` node hashes for a hash ``r`` levels above the tile's level.
    """
    return _subtree_from_tile(tile, data, *_split(index))


def _subtree_from_tile(tile: Tile, data: bytes, level: int, n: int) -> bytes:
    tile_level, r = divmod(level, TILE_HEIGHT)
    first = n << r
    if tile_level != tile.level or first >> TILE_HEIGHT != tile.n:
        raise ValidationError(f"subtree {level}/{n} is not in tile {tile.path()}")
    start = (first % TILE_WIDTH) * HASH_SIZE
    end = start + (HASH_SIZE << r)
    if len(data) < end:
        raise ValidationError(f"tile {tile.path()} holds {len(data)} bytes, {end} needed")
    if r == 0:
        return data[start:end]
    return _complete_root(data[start:end])


class TileReader(Protocol):
    """Reads stored tiles: the bytes of tile ``(level, n)`` at least ``width`` hashes wide."""

    def read_tiles(self, tiles: Sequence[Tile]) -> Sequence[bytes]: ...


@runtime_checkable
class TilesWithNodesReader(TileReader, Protocol):
    """A ``TileReader`` that also keeps the interior nodes of full tiles (``grow_tiles``)."""

    def read_full_tiles(self, tiles: Sequence[Tile]) -> Sequence[tuple[bytes, bytes | None]]:
        """Each full tile's bytes, and its stored interior nodes (None when not stored: a tile
        filled before the store kept them)."""
        ...


def split_nodes(data: bytes, nodes: bytes) -> list[bytes]:
    """The node rows of a full tile (``TileNodeCache``) from its bytes and its stored interior
    nodes, the rows above it left to right, lowest first; refused unless the sizes are right."""
    if len(data) != FULL_TILE_BYTES or len(nodes) != NODES_BYTES:
        raise ValidationError(
            f"a full tile and its nodes take {FULL_TILE_BYTES} and {NODES_BYTES} bytes, "
            f"not {len(data)} and {len(nodes)}"
        )
    rows = [data]
    start, width = 0, FULL_TILE_BYTES // 2
    while width >= HASH_SIZE:
        rows.append(nodes[start : start + width])
        start, width = start + width, width // 2
    return rows


def _node_rows(data: bytes) -> list[bytes]:
    """A tile's hashes and every row of parents above them, up to the root for a full tile."""
    rows = [data]
    while len(rows[-1]) >= 2 * HASH_SIZE:
        rows.append(node_hashes(rows[-1]))
    return rows


class TileNodeCache:
    """Every hash inside recently used tiles, computed once per tile and width.

    A tile's hashes are the bottom row of up to 8 levels of complete subtrees; its nodes are kept
    level by level, so a hash ``r`` levels up costs a slice instead of ``2**r - 1`` hashes. A tile
    of a given width never changes (tiles only grow, as prefixes), so ``(level, n, width)`` is a
    safe key for partial tiles as well as full ones. Thread-safe enough for a cache: the worst race
    computes a tile twice.
    """

    def __init__(self, limit: int = 2048) -> None:
        self._limit = limit
        self._tiles: OrderedDict[tuple[int, int, int], list[bytes]] = OrderedDict()

    def get(self, level: int, n: int, width: int) -> list[bytes] | None:
        key = (level, n, width)
        nodes = self._tiles.get(key)
        if nodes is not None:
            self._tiles.move_to_end(key)
        return nodes

    def nodes(self, level: int, n: int, data: bytes, stored: bytes | None = None) -> list[bytes]:
        """The nodes of tile ``(level, n)`` holding ``data``, from the cache, from ``stored``
        (a full tile's interior nodes as kept by the store), or computed now."""
        width = len(data) // HASH_SIZE
        found = self.get(level, n, width)
        if found is not None:
            return found
        data = data[: width * HASH_SIZE]
        if stored is not None and width == TILE_WIDTH:
            rows = split_nodes(data, stored)
        else:
            rows = _node_rows(data)
        self._tiles[(level, n, width)] = rows
        if len(self._tiles) > self._limit:
            self._tiles.popitem(last=False)
        return rows


class TileHashReader:
    """A ``merkle.HashReader`` over tiles: each batch of hashes costs one batch of tile reads.

    With a ``TileNodeCache``, hashes of full tiles come from the cache without a read, and a
    partial tile is hashed once per width it is seen at. A full tile not cached is read with its
    stored interior nodes when the reader keeps them (``TilesWithNodesReader``), so the hashes
    above it cost a slice instead of up to 255 hashes.
    """

    def __init__(
        self, tiles: TileReader, cache: TileNodeCache | None = None, *, size: int | None = None
    ) -> None:
        self._tiles = tiles
        self._cache = cache
        self._with_nodes = tiles if isinstance(tiles, TilesWithNodesReader) else None
        # Reading for a known tree size, the partial tiles on its right edge have known widths,
        # so they are cached by that width (read once per size) like full tiles.
        self._edge = {} if size is None else {(t.level, t.n): t.width for t in edge_tiles(size)}

    def read_hashes(self, indexes: Sequence[int]) -> Sequence[bytes]:
        return self.read_subtrees([_split(index) for index in indexes])

    def read_subtrees(self, subtrees: Sequence[tuple[int, int]]) -> Sequence[bytes]:
        """The hashes of the ``(level, n)`` subtrees (``merkle.SubtreeReader``)."""
        if self._cache is None:
            needed = [_tile_for_subtree(level, n) for level, n in subtrees]
            datas = self._read(needed)
            pairs = zip(needed, subtrees, strict=True)
            return [_subtree_from_tile(t, datas[(t.level, t.n)], *s) for t, s in pairs]
        cache, edge = self._cache, self._edge
        spots = []  # (tile key, node row, byte offset in the row) of each subtree's hash
        nodes: dict[tuple[int, int], list[bytes]] = {}
        missing = []
        for level, n in subtrees:  # divmod by TILE_HEIGHT and TILE_WIDTH, as shifts and masks
            row = level & 7
            first = n << row
            key = (level >> 3, first >> 8)
            spots.append((key, row, ((first & 255) >> row) * HASH_SIZE))
            if key not in nodes:
                found = cache.get(key[0], key[1], edge.get(key, TILE_WIDTH))
                if found is None:
                    missing.append(Tile(key[0], key[1], (first & 255) + (1 << row)))
                    nodes[key] = []  # read below
                else:
                    nodes[key] = found
        if self._with_nodes is not None and missing:
            full = [t for t in missing if (t.level, t.n) not in edge]
            missing = [t for t in missing if (t.level, t.n) in edge]
            self._read_with_nodes(full, nodes)
        for (level, n), data in self._read(missing).items():
            width = edge.get((level, n), TILE_WIDTH)
            nodes[(level, n)] = cache.nodes(level, n, data[: width * HASH_SIZE])
        hashes = [nodes[key][row][offset : offset + HASH_SIZE] for key, row, offset in spots]
        if sum(map(len, hashes)) != HASH_SIZE * len(hashes):
            level, n = next(s for s, h in zip(subtrees, hashes, strict=True) if len(h) != HASH_SIZE)
            raise ValidationError(f"subtree {level}/{n} is beyond its tile's width")
        return hashes

    def _read_with_nodes(self, tiles: list[Tile], into: dict[tuple[int, int], list[bytes]]) -> None:
        """Read full tiles with their stored nodes into ``into`` (and the cache)."""
        assert self._with_nodes is not None
        assert self._cache is not None
        keys = list(dict.fromkeys((t.level, t.n) for t in tiles))
        if not keys:
            return
        found = self._with_nodes.read_full_tiles([Tile(level, n) for level, n in keys])
        for (level, n), (data, stored) in zip(keys, found, strict=True):
            into[(level, n)] = self._cache.nodes(level, n, data, stored)

    def _read(self, tiles: Sequence[Tile]) -> dict[tuple[int, int], bytes]:
        """One read of the widest version of each tile asked for."""
        widest: dict[tuple[int, int], Tile] = {}
        for tile in tiles:
            key = (tile.level, tile.n)
            if key not in widest or widest[key].width < tile.width:
                widest[key] = tile
        datas = self._tiles.read_tiles(list(widest.values())) if widest else []
        return dict(zip(widest, datas, strict=True))


def edge_tiles(size: int) -> list[Tile]:
    """The partial tiles on the right edge of a tree of ``size`` leaves, lowest level first.

    A full rightmost tile is not on the edge: its root has moved up a level.
    """
    tiles = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        n, width = divmod(count, TILE_WIDTH)
        if width:
            tiles.append(Tile(level, n, width))
        level += 1
    return tiles


@dataclass(frozen=True, slots=True)
class TileWrites:
    """What an append writes: every tile that changes, and the interior nodes of each tile it
    filled (``NODES_BYTES``: the rows above the tile, lowest first, ending with its root)."""

    tiles: dict[tuple[int, int], bytes]
    nodes: dict[tuple[int, int], bytes]


def append_leaves(
    size: int, edge: Mapping[int, bytes], leaf_hashes: Sequence[bytes]
) -> dict[tuple[int, int], bytes]:
    """The tiles to write when ``leaf_hashes`` are appended to a tree of ``size`` leaves.

    ``edge`` maps each level to the contents of its partial edge tile (``edge_tiles(size)``),
    absent for an empty one. Returns ``{(level, n): data}`` for every tile that changes; a tile
    that fills up hands its root to the level above. Cost: the leaves plus one 255-hash tile root
    per 256 hashes filled.
    """
    return grow_tiles(size, edge, leaf_hashes).tiles


def grow_tiles(size: int, edge: Mapping[int, bytes], leaf_hashes: Sequence[bytes]) -> TileWrites:
    """``append_leaves``, with the interior nodes of the tiles that fill up, at no extra cost
    (computing a full tile's root computes them)."""
    writes: dict[tuple[int, int], bytes] = {}
    filled: dict[tuple[int, int], bytes] = {}
    incoming = list(leaf_hashes)
    level = 0
    while incoming:
        count = size >> (TILE_HEIGHT * level)
        n, width = divmod(count, TILE_WIDTH)
        data = edge.get(level, b"")
        if len(data) != width * HASH_SIZE:
            raise RuntimeError(
                f"edge tile of level {level} has {len(data)} bytes, not {width * 32}"
            )
        buffer = bytearray(data)
        promoted = []
        for leaf_hash in incoming:
            buffer += leaf_hash
            if len(buffer) == FULL_TILE_BYTES:
                writes[(level, n)] = full = bytes(buffer)
                rows = _node_rows(full)
                filled[(level, n)] = b"".join(rows[1:])
                promoted.append(rows[-1])
                n += 1
                buffer.clear()
        if buffer:
            writes[(level, n)] = bytes(buffer)
        incoming = promoted
        level += 1
    return TileWrites(writes, filled)


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes."""
    out = bytearray()
    for entry in entries:
        if len(entry) > ENTRY_BUNDLE_MAX_ENTRY:
            raise ValidationError(
                f"entry of {len(entry)} bytes exceeds the 65535-byte bundle limit"
            )
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """The inverse of ``encode_entry_bundle``; a truncated bundle is refused."""
    entries = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValidationError("malformed entry bundle: truncated length")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise ValidationError("malformed entry bundle: truncated entry")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


def _complete_root(row: bytes) -> bytes:
    """The root over a power-of-two number of hashes: the rows above, halving to one hash."""
    while len(row) > HASH_SIZE:
        row = node_hashes(row)
    return row
