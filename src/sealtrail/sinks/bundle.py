"""The verification bundle of an export, and the range proof it may carry.

A bundle is JSON Lines, written while the export streams and read back the same way, so an export
of any size is proved and checked in bounded memory (``--bundle`` writes it beside the export as
``FILE.bundle``)::

    {"bundle": "sealtrail-export/1", "format": "jsonl", "kind": "range"|"records",
     "checkpoint": "<signed note>", "size": N, "start": S, "end": E}     the header
    {"range": {"start": S, "end": E, "size": N, "left": [..], "right": [..]}}  kind "range"
    {"seq": I, "proof": [..]}                                            kind "records", one each
    {"count": K}                                                         the trailer

Hashes are standard base64. ``size`` is the tree size of the signed checkpoint everything is
proved against.

A *range proof* shows that the records ``[S, E)`` are exactly the leaves ``S..E-1`` of the tree of
size N: nothing missing, added or reordered. Walk the RFC 9162 tree of N leaves from the root,
splitting ``[lo, hi)`` at the largest power of two below ``hi - lo``; a node wholly outside
``[S, E)`` is not split further and its hash is in the proof, a node wholly inside is hashed from
the range's leaves, any other node is split. The proof lists the outside nodes' hashes in the
order the walk meets them, left of the range (``left``) then right of it (``right``): at most
``2 log2 N`` hashes. The verifier walks the same tree, recomputes the root and compares it with
the checkpoint's. For ``S = 0`` and ``E = N`` the proof is empty.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sealtrail.errors import ValidationError, VerificationError
from sealtrail.ledger.merkle import (
    HASH_SIZE,
    CompactRange,
    HashReader,
    node_hash,
    stored_hash_index,
)

__all__ = [
    "BUNDLE_VERSION",
    "BundleHeader",
    "RangeProof",
    "RecordProof",
    "range_nodes",
    "root_from_range",
]

BUNDLE_VERSION = "sealtrail-export/1"
KINDS = ("range", "records")


# --- the math --------------------------------------------------------------------------------


def range_nodes(size: int, start: int, end: int) -> list[tuple[int, int]]:
    """The nodes ``[lo, hi)`` of the tree of ``size`` outside ``[start, end)``, in walk order."""
    _check_range(size, start, end)
    nodes: list[tuple[int, int]] = []
    _walk(0, size, start, end, nodes)
    return nodes


def _walk(lo: int, hi: int, start: int, end: int, nodes: list[tuple[int, int]]) -> None:
    if hi <= start or lo >= end:
        nodes.append((lo, hi))
    elif not (start <= lo and hi <= end):
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        _walk(lo, lo + k, start, end, nodes)
        _walk(lo + k, hi, start, end, nodes)


def _subtrees(lo: int, hi: int) -> list[int]:
    """Stored hash indexes of the complete subtrees making up the node ``[lo, hi)``."""
    indexes = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        while lo & ((1 << level) - 1):  # a right-edge node: take the largest aligned piece
            level -= 1
        indexes.append(stored_hash_index(level, lo >> level))
        lo += 1 << level
    return indexes


def prove_range(size: int, start: int, end: int, reader: HashReader) -> RangeProof:
    """The range proof of ``[start, end)`` in the tree of ``size``: one ``read_hashes`` call."""
    nodes = range_nodes(size, start, end)
    parts = [_subtrees(lo, hi) for lo, hi in nodes]
    wanted = sorted({i for part in parts for i in part})
    found = dict(zip(wanted, reader.read_hashes(wanted), strict=True))
    hashes = [_fold([found[i] for i in part]) for part in parts]
    left = tuple(h for (lo, hi), h in zip(nodes, hashes, strict=True) if hi <= start)
    return RangeProof(start, end, size, left, tuple(hashes[len(left) :]))


def _fold(hashes: Sequence[bytes]) -> bytes:
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def root_from_range(proof: RangeProof, leaf_hashes: Sequence[bytes]) -> bytes:
    """The root of the tree of ``proof.size`` from the range's leaf hashes and the proof.

    Raises ``VerificationError`` when the proof has the wrong number of hashes for the range or
    the leaf hashes are not ``end - start``.
    """
    if len(leaf_hashes) != proof.end - proof.start:
        raise VerificationError(
            f"range [{proof.start}, {proof.end}) has {proof.end - proof.start} records, "
            f"the export {len(leaf_hashes)}",
            reason="record_missing",
        )
    nodes = range_nodes(proof.size, proof.start, proof.end)
    given = [*proof.left, *proof.right]
    if len(given) != len(nodes) or sum(hi <= proof.start for _, hi in nodes) != len(proof.left):
        raise VerificationError(
            f"range proof has {len(proof.left)}+{len(proof.right)} hashes, want {len(nodes)}"
        )
    outside = iter(given)
    return _root(0, proof.size, proof, leaf_hashes, outside)


def _root(
    lo: int, hi: int, proof: RangeProof, leaves: Sequence[bytes], outside: Iterator[bytes]
) -> bytes:
    if hi <= proof.start or lo >= proof.end:
        return next(outside)
    if proof.start <= lo and hi <= proof.end:
        compact = CompactRange()
        compact.extend(leaves[lo - proof.start : hi - proof.start])
        return compact.root()
    k = 1 << ((hi - lo - 1).bit_length() - 1)
    left = _root(lo, lo + k, proof, leaves, outside)
    return node_hash(left, _root(lo + k, hi, proof, leaves, outside))


def _check_range(size: int, start: int, end: int) -> None:
    if not 0 <= start < end <= size:
        raise ValidationError(f"range [{start}, {end}) is not a non-empty part of [0, {size})")


# --- the lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeProof:
    """The records ``[start, end)`` are the leaves there of the tree of ``size``."""

    start: int
    end: int
    size: int
    left: tuple[bytes, ...]
    right: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "range": {
                "start": self.start,
                "end": self.end,
                "size": self.size,
                "left": [_b64(h) for h in self.left],
                "right": [_b64(h) for h in self.right],
            }
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RangeProof:
        body = _object(data, "range")
        proof = cls(
            _int(body, "start"),
            _int(body, "end"),
            _int(body, "size"),
            _hashes(body, "left"),
            _hashes(body, "right"),
        )
        _check_range(proof.size, proof.start, proof.end)
        return proof


@dataclass(frozen=True)
class RecordProof:
    """The inclusion proof (RFC 9162 audit path) of record ``seq``."""

    seq: int
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "proof": [_b64(h) for h in self.proof]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordProof:
        return cls(_int(data, "seq"), _hashes(data, "proof"))


@dataclass(frozen=True)
class BundleHeader:
    """The first line: what was exported, and the signed checkpoint it is proved against."""

    format: str
    kind: str
    checkpoint: str
    size: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError(f"bundle kind: {self.kind!r} is not one of {', '.join(KINDS)}")

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": BUNDLE_VERSION,
            "format": self.format,
            "kind": self.kind,
            "checkpoint": self.checkpoint,
            "size": self.size,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BundleHeader:
        if data.get("bundle") != BUNDLE_VERSION:
            raise ValidationError(f"bundle: the first line is not a {BUNDLE_VERSION} header")
        return cls(
            _str(data, "format"),
            _str(data, "kind"),
            _str(data, "checkpoint"),
            _int(data, "size"),
            _int(data, "start"),
            _int(data, "end"),
        )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise ValidationError(f"bundle: {key} must be an object")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValidationError(f"bundle: {key} must be a string")
    return value


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if type(value) is not int or value < 0:
        raise ValidationError(f"bundle: {key} must be a non-negative integer")
    return value


def _hashes(data: Mapping[str, Any], key: str) -> tuple[bytes, ...]:
    values = data.get(key)
    if not isinstance(values, list):
        raise ValidationError(f"bundle: {key} must be a list of base64 hashes")
    hashes = []
    for value in values:
        try:
            raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except binascii.Error:
            raw = b""
        if len(raw) != HASH_SIZE:
            raise ValidationError(f"bundle: {key} holds something that is not a base64 hash")
        hashes.append(raw)
    return tuple(hashes)
