"""Inclusion and consistency proofs as they travel: JSON with standard base64 hashes.

``from_json``/``to_json`` are inverses; ``check`` verifies the proof on its own terms (that the
entry is in a tree of that size and root). Which root to trust is the caller's business: compare it
with a checkpoint whose signature you verified (``note.open_checkpoint``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sealtrail.errors import ValidationError
from sealtrail.ledger.merkle import HASH_SIZE, check_record, check_tree, record_hash

__all__ = ["ConsistencyProof", "InclusionProof"]


@dataclass(frozen=True)
class InclusionProof:
    """Record ``index`` (its stored ``entry`` bytes) is in the tree of ``size`` with ``root``."""

    index: int
    size: int
    root: bytes
    entry: bytes
    proof: tuple[bytes, ...]

    @property
    def leaf_hash(self) -> bytes:
        return record_hash(self.entry)

    def check(self) -> None:
        """Raise ``VerificationError`` unless the proof holds."""
        check_record(self.proof, self.size, self.root, self.index, self.leaf_hash)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "size": self.size,
            "root": _b64(self.root),
            "entry": base64.b64encode(self.entry).decode(),
            "leaf_hash": _b64(self.leaf_hash),
            "proof": [_b64(h) for h in self.proof],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InclusionProof:
        proof = cls(
            index=_int(data, "index"),
            size=_int(data, "size"),
            root=_hash(data, "root"),
            entry=_bytes(data, "entry"),
            proof=_hashes(data, "proof"),
        )
        if "leaf_hash" in data and _hash(data, "leaf_hash") != proof.leaf_hash:
            raise ValidationError("leaf_hash: does not match the hash of entry")
        return proof


@dataclass(frozen=True)
class ConsistencyProof:
    """The tree of ``old_size`` and ``old_root`` is a prefix of the tree of ``size``, ``root``."""

    old_size: int
    size: int
    old_root: bytes
    root: bytes
    proof: tuple[bytes, ...]

    def check(self) -> None:
        """Raise ``VerificationError`` unless the proof holds."""
        check_tree(self.proof, self.size, self.root, self.old_size, self.old_root)

    def to_json(self) -> dict[str, Any]:
        return {
            "old_size": self.old_size,
            "size": self.size,
            "old_root": _b64(self.old_root),
            "root": _b64(self.root),
            "proof": [_b64(h) for h in self.proof],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConsistencyProof:
        return cls(
            old_size=_int(data, "old_size"),
            size=_int(data, "size"),
            old_root=_hash(data, "old_root"),
            root=_hash(data, "root"),
            proof=_hashes(data, "proof"),
        )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if type(value) is not int or value < 0:
        raise ValidationError(f"{key}: must be a non-negative integer")
    return value


def _bytes(data: Mapping[str, Any], key: str) -> bytes:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValidationError(f"{key}: must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as error:
        raise ValidationError(f"{key}: invalid base64 ({error})") from None


def _hash(data: Mapping[str, Any], key: str) -> bytes:
    value = _bytes(data, key)
    if len(value) != HASH_SIZE:
        raise ValidationError(f"{key}: a hash is {HASH_SIZE} bytes, got {len(value)}")
    return value


def _hashes(data: Mapping[str, Any], key: str) -> tuple[bytes, ...]:
    values = data.get(key)
    if not isinstance(values, list):
        raise ValidationError(f"{key}: must be a list of base64 hashes")
    return tuple(_hash({key: v}, key) for v in values)
