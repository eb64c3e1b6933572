"""RFC 9162 Merkle tree math: hashing, stored-hash indexes, inclusion and consistency proofs.

Pure functions, no I/O, in the manner of Go's ``golang.org/x/mod/sumdb/tlog``. Each proof is
computed in three steps: a pure function lists the stored hashes it needs, one
:meth:`HashReader.read_hashes` call fetches them, a pure function finishes the proof. Storage never
leaks into the math, and every ``prove_*`` has a ``check_*`` that verifies its output.

The tree is the one of RFC 9162 section 2.1 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1):
SHA-256, leaves ``H(0x00 || data)``, interior nodes ``H(0x01 || left || right)``, the left subtree
of a tree of size n holding the largest power of two smaller than n leaves. Record indexes are
0-based. The hash of the level-L subtree number n (covering records ``[n * 2**L, (n + 1) * 2**L)``)
is stored at :func:`stored_hash_index` ``(L, n)``, the dense order of tlog (Crosby and Wallach,
section 3.3), which the tile layout of ``sealtrail.ledger.tiles`` relies on.

Bad input (a negative size, an index out of range, a hash that is not 32 bytes) raises
:class:`~sealtrail.errors.ValidationError`. A proof that does not check out raises
:class:`~sealtrail.errors.VerificationError`: reason ``malformed`` when a proof hash is not 32
bytes, ``proof_invalid`` otherwise. A broken invariant of this module raises AssertionError, and a
:class:`HashReader` that breaks its contract raises RuntimeError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, TypeAlias

from sealtrail.errors import ValidationError, VerificationError

__all__ = [
    "EMPTY_TREE_HASH",
    "HASH_SIZE",
    "CompactRange",
    "Hash",
    "HashReader",
    "NodeObserver",
    "SubtreeReader",
    "check_record",
    "check_tree",
    "consistency_proof_from_leaf_hashes",
    "inclusion_proof_from_leaf_hashes",
    "node_hash",
    "node_hashes",
    "prove_record",
    "prove_tree",
    "record_hash",
    "root_from_leaf_hashes",
    "split_stored_hash_index",
    "stored_hash_count",
    "stored_hash_index",
    "tree_hash",
]

Hash: TypeAlias = bytes
"""A SHA-256 hash of a record, a subtree or a whole tree: always :data:`HASH_SIZE` bytes."""

NodeObserver: TypeAlias = Callable[[int, int, list[bytes]], None]
"""``observe(level, index, nodes)``: interior nodes as :meth:`CompactRange.extend` computes them."""

HASH_SIZE = 32
_PAIR_SIZE = 2 * HASH_SIZE

_sha256 = hashlib.sha256

EMPTY_TREE_HASH: Hash = _sha256(b"").digest()
"""The root of the tree of size 0: SHA-256 of the empty string (RFC 9162 section 2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# Hashing -----------------------------------------------------------------------------------------


def record_hash(data: bytes) -> Hash:
    """Return the leaf hash of a record, ``SHA-256(0x00 || data)``.

    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
    """
    hasher = _sha256(_LEAF_PREFIX)
    hasher.update(data)  # no copy of a large record
    return hasher.digest()


def node_hash(left: Hash, right: Hash) -> Hash:
    """Return the hash of an interior node, ``SHA-256(0x01 || left || right)``.

    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
    """
    _require_hash(left, "left hash")
    _require_hash(right, "right hash")
    return _hash_children(left, right)


def _hash_children(left: Hash, right: Hash) -> Hash:
    """:func:`node_hash` without the length checks, for hashes this module already checked."""
    return _sha256(_NODE_PREFIX + left + right).digest()


_NODE_HASHER = _sha256(_NODE_PREFIX)


def node_hashes(row: bytes) -> bytes:
    """Return the parents of a row of hashes: ``node_hash`` of each pair, concatenated.

    ``row`` is ``2k`` hashes of one tree level, left to right, as one byte string (a tile's
    contents, say); the answer is the ``k`` hashes of the level above. A trailing odd hash has no
    parent here. The fast way to hash whole tiles: one copy of a hasher primed with 0x01 per node.
    """
    if len(row) % HASH_SIZE:
        raise ValidationError(f"a row of hashes of {len(row)} bytes: not whole hashes")
    view = memoryview(row)
    copy = _NODE_HASHER.copy
    parents = []
    for start in range(0, len(row) // _PAIR_SIZE * _PAIR_SIZE, _PAIR_SIZE):
        hasher = copy()
        hasher.update(view[start : start + _PAIR_SIZE])
        parents.append(hasher.digest())
    return b"".join(parents)


def _fold_right(hashes: Sequence[Hash]) -> Hash:
    """Hash complete subtrees given left to right (largest first) into the root over all of them."""
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = _hash_children(left, root)
    return root


# Stored hash indexes -----------------------------------------------------------------------------


def stored_hash_index(level: int, n: int) -> int:
    """Return where the hash of the level-``level`` subtree number ``n`` is stored.

    The hashes are stored in the order they become known while records are appended: record m's
    leaf hash, then the hashes of the subtrees that record m completes, lowest level first. So
    the subtree is stored with its last record ``m = (n + 1) * 2**level - 1``, after the
    ``m + m//2 + m//4 + ... = 2m - popcount(m)`` hashes stored before record m, plus ``level``.
    Equal to tlog's ``StoredHashIndex``.
    """
    _require_non_negative(level, "level")
    _require_non_negative(n, "subtree number")
    return _stored_hash_index(level, n)


def _stored_hash_index(level: int, n: int) -> int:
    """:func:`stored_hash_index` without the checks, for the proofs' own index math."""
    last = ((n + 1) << level) - 1
    return 2 * last - last.bit_count() + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """Return ``(level, n)`` such that ``stored_hash_index(level, n) == index``.

    The inverse of :func:`stored_hash_index`. Since ``stored_hash_index(0, m) <= 2m``, the record
    that stored the hash is among the ``log2(index)`` records after ``index // 2``; record m
    stores ``1 + trailing_zeros(m + 1)`` hashes, levels 0 up.
    """
    _require_non_negative(index, "stored hash index")
    record = index // 2
    first = stored_hash_index(0, record)
    while (following := first + 1 + _trailing_zeros(record + 1)) <= index:
        record, first = record + 1, following
    level = index - first
    return level, record >> level


def stored_hash_count(n: int) -> int:
    """Return how many hashes are stored for a tree of ``n`` records.

    That is where record n's leaf hash will go: every earlier record's hashes, and the hashes of
    the subtrees they completed, come before it. Equal to tlog's ``StoredHashCount``.
    """
    _require_non_negative(n, "tree size")
    return stored_hash_index(0, n)


def _trailing_zeros(x: int) -> int:
    """Return the number of trailing zero bits of ``x > 0``."""
    return (x & -x).bit_length() - 1


# Reading stored hashes ---------------------------------------------------------------------------


class HashReader(Protocol):
    """Storage of the hashes of a tree's complete subtrees, addressed by stored-hash index."""

    def read_hashes(self, indexes: Sequence[int]) -> Sequence[Hash]:
        """Return the stored hashes at ``indexes``, in the same order and as many.

        Raise :class:`~sealtrail.errors.NotFound` or :class:`~sealtrail.errors.StoreUnavailable`
        for hashes that cannot be read.
        """
        ...


class SubtreeReader(HashReader, Protocol):
    """A ``HashReader`` that can also be asked by ``(level, n)``: the hash of the level-``level``
    subtree number ``n``, without the stored-hash index arithmetic in between (proofs use this
    form when the reader has it)."""

    def read_subtrees(self, subtrees: Sequence[tuple[int, int]]) -> Sequence[Hash]: ...


def _read(reader: HashReader, subtrees: list[tuple[int, int]]) -> Iterator[Hash]:
    """Read the hashes of ``subtrees`` (``(level, n)`` pairs) in one call and check the reader
    kept its contract. A reader with ``read_subtrees`` (``SubtreeReader``) gets the pairs as
    they are; any other gets their stored-hash indexes."""
    if not subtrees:
        return iter(())
    by_subtree = getattr(reader, "read_subtrees", None)
    if by_subtree is not None:
        hashes = by_subtree(subtrees)
    else:
        hashes = reader.read_hashes([_stored_hash_index(level, n) for level, n in subtrees])
    if len(hashes) != len(subtrees):
        raise RuntimeError(f"the reader returned {len(hashes)} hashes for {len(subtrees)} asked")
    if sum(map(len, hashes)) != HASH_SIZE * len(hashes):  # then find which, in Python
        for (level, n), value in zip(subtrees, hashes, strict=True):
            if len(value) != HASH_SIZE:
                raise RuntimeError(f"the reader gave {len(value)} bytes for subtree {level}/{n}")
    return iter(hashes)


def _require_consumed(hashes: Iterator[Hash], what: str) -> None:
    if next(hashes, None) is not None:
        raise AssertionError(f"bad index math in {what}: hashes left over")


# Tree hash ---------------------------------------------------------------------------------------


def tree_hash(n: int, reader: HashReader) -> Hash:
    """Return the root hash of the tree of the first ``n`` records.

    Reads the hashes of the complete subtrees making up ``[0, n)``: at most ``1 + log2 n`` hashes,
    in one ``read_hashes`` call (none for ``n == 0``, whose root is :data:`EMPTY_TREE_HASH`).
    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1
    """
    _require_non_negative(n, "tree size")
    if n == 0:
        return EMPTY_TREE_HASH
    subtrees: list[tuple[int, int]] = []
    _subtrees(0, n, subtrees)
    hashes = _read(reader, subtrees)
    root = _subtree_hash(0, n, hashes)
    _require_consumed(hashes, "tree_hash")
    return root


def _largest_power_below(n: int) -> int:
    """Return the largest power of two smaller than ``n >= 2``: the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtrees(lo: int, hi: int, need: list[tuple[int, int]]) -> None:
    """Append ``(level, n)`` of the complete subtrees that make up records ``[lo, hi)``.

    Takes the largest complete subtree starting at ``lo``, then the largest after it, and so on:
    ``popcount(hi - lo)`` subtrees, largest first. ``lo`` must be aligned to the first one.
    """
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo & ((1 << level) - 1):
            raise AssertionError(f"bad index math: [{lo}, {hi}) is not aligned")
        need.append((level, lo >> level))
        lo += 1 << level


def _subtree_hash(lo: int, hi: int, hashes: Iterator[Hash]) -> Hash:
    """Return the hash of records ``[lo, hi)`` from the hashes of what :func:`_subtrees` listed."""
    parts = [next(hashes) for _ in range((hi - lo).bit_count())]
    return _fold_right(parts)


# Inclusion proofs --------------------------------------------------------------------------------


def prove_record(t: int, n: int, reader: HashReader) -> list[Hash]:
    """Return the proof that the tree of size ``t`` contains record ``n``.

    The proof is the RFC 9162 audit path ``PATH(n, D[0:t])``, the sibling nearest the leaf first:
    at most ``ceil(log2 t)`` hashes, computed from at most ``2 log2 t`` stored hashes read in one
    ``read_hashes`` call. https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1
    """
    _require_record_index(t, n)
    subtrees, counts = _record_proof_subtrees(t, n)
    hashes = list(_read(reader, subtrees))
    proof = []
    at = 0
    for count in counts:
        proof.append(hashes[at] if count == 1 else _fold_right(hashes[at : at + count]))
        at += count
    return proof


def _record_proof_subtrees(t: int, n: int) -> tuple[list[tuple[int, int]], list[int]]:
    """Return the complete subtrees ``(level, index)`` whose hashes make record n's audit path in
    the tree of size t, nearest the leaf first, and how many of them make each sibling.

    Below the level where the paths from leaf n and leaf t - 1 meet, each sibling is a complete
    subtree; at that level the sibling is the rest of the tree, ``[lo, t)``, made of
    ``popcount(t - lo)`` complete subtrees; above it only levels where n has a set bit have a
    sibling, the complete subtree on the left (RFC 9162's recursive ``PATH``, walked bottom-up).
    """
    inner = (n ^ (t - 1)).bit_length()
    subtrees = [(level, (n >> level) ^ 1) for level in range(inner - 1)]
    counts = [1] * len(subtrees)
    if inner:
        level = inner - 1
        before = len(subtrees)
        _subtrees(((n >> level) | 1) << level, t, subtrees)
        counts.append(len(subtrees) - before)
    for level in range(inner, n.bit_length()):
        if n >> level & 1:
            subtrees.append((level, (n >> level) ^ 1))
            counts.append(1)
    return subtrees, counts


def check_record(proof: Sequence[Hash], t: int, th: Hash, n: int, h: Hash) -> None:
    """Verify that ``proof`` shows record ``n``, with leaf hash ``h``, in the tree ``(t, th)``.

    Returns None, or raises VerificationError (``index=n``). The proof binds the record to the
    root ``th`` only: that ``th`` is the root of size ``t`` is for a signed checkpoint to say.
    Costs ``len(proof)`` hashes. https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
    """
    _require_record_index(t, n)
    _require_hash(th, "tree hash")
    _require_hash(h, "record hash")
    what = f"inclusion proof of record {n} in tree size {t}"
    _require_proof(proof, _record_proof_size(t, n), what, index=n)
    if _root_from_record_proof(proof, t, n, h) != th:
        raise VerificationError(f"{what} does not lead to the tree hash", index=n)


def _record_proof_size(t: int, n: int) -> int:
    """Return the length of the audit path of record n in the tree of size t.

    Below the level where the paths from leaf n and leaf t - 1 meet, every node on n's path has a
    sibling; above it the path runs along the right edge, where only right children have one.
    """
    inner = (n ^ (t - 1)).bit_length()
    return inner + (n >> inner).bit_count()


def _root_from_record_proof(proof: Sequence[Hash], t: int, n: int, h: Hash) -> Hash:
    """Run the RFC 9162 section 2.1.3.2 algorithm over a proof of the right length."""
    fn, sn, root = n, t - 1, h
    for sibling in proof:
        if fn & 1 or fn == sn:
            root = _hash_children(sibling, root)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            root = _hash_children(root, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise AssertionError(f"bad proof size math for record {n} in tree size {t}")
    return root


# Consistency proofs ------------------------------------------------------------------------------


def prove_tree(t: int, n: int, reader: HashReader) -> list[Hash]:
    """Return the proof that the tree of size ``t`` extends the tree of size ``n``.

    The proof is the RFC 9162 consistency proof ``PROOF(n, D[0:t])`` for ``0 < n <= t``; it is
    empty for ``n == t``. At most ``ceil(log2 t) + 1`` hashes, computed from at most
    ``2 log2 t`` stored hashes read in one ``read_hashes`` call.
    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1
    """
    _require_tree_sizes(t, n)
    subtrees: list[tuple[int, int]] = []
    _tree_proof_subtrees(0, t, n, subtrees)
    hashes = _read(reader, subtrees)
    proof = _tree_proof(0, t, n, hashes)
    _require_consumed(hashes, "prove_tree")
    return proof


def _tree_proof_subtrees(lo: int, hi: int, n: int, need: list[tuple[int, int]]) -> None:
    """Append the subtrees needed for ``SUBPROOF(n - lo, D[lo:hi], lo == 0)``."""
    if n == hi:
        if lo != 0:
            _subtrees(lo, hi, need)
        return
    mid = lo + _largest_power_below(hi - lo)
    if n <= mid:
        _tree_proof_subtrees(lo, mid, n, need)
        _subtrees(mid, hi, need)
    else:
        _subtrees(lo, mid, need)
        _tree_proof_subtrees(mid, hi, n, need)


def _tree_proof(lo: int, hi: int, n: int, hashes: Iterator[Hash]) -> list[Hash]:
    """Return ``SUBPROOF(n - lo, D[lo:hi], lo == 0)``: the old tree's right edge, then siblings."""
    if n == hi:
        return [] if lo == 0 else [_subtree_hash(lo, hi, hashes)]
    mid = lo + _largest_power_below(hi - lo)
    if n <= mid:
        proof = _tree_proof(lo, mid, n, hashes)
        proof.append(_subtree_hash(mid, hi, hashes))
    else:
        sibling = _subtree_hash(lo, mid, hashes)
        proof = _tree_proof(mid, hi, n, hashes)
        proof.append(sibling)
    return proof


def check_tree(proof: Sequence[Hash], t: int, th: Hash, n: int, h: Hash) -> None:
    """Verify that ``proof`` shows the tree ``(t, th)`` extends the tree ``(n, h)``, ``0 < n <= t``.

    Returns None, or raises VerificationError. For ``n == t`` the proof must be empty and the
    hashes equal. Costs at most ``2 len(proof)`` hashes.
    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2
    """
    _require_tree_sizes(t, n)
    _require_hash(th, "new tree hash")
    _require_hash(h, "old tree hash")
    what = f"consistency proof from tree size {n} to {t}"
    _require_proof(proof, _tree_proof_size(t, n), what)
    if n == t:
        if h != th:
            raise VerificationError(f"tree size {t} has two different tree hashes")
        return
    old, new = _roots_from_tree_proof(proof, t, n, h)
    if old != h:
        raise VerificationError(f"{what} does not lead to the old tree hash")
    if new != th:
        raise VerificationError(f"{what} does not lead to the new tree hash")


def _tree_proof_size(t: int, n: int) -> int:
    """Return the length of the consistency proof from tree size n to t.

    It is the audit path of leaf n - 1 in the tree of size t, cut below the largest complete
    subtree the old tree ends with (``trailing_zeros(n)`` levels), topped with that subtree's hash
    unless it is the whole old tree (n a power of two).
    """
    if n == t:
        return 0
    shift = _trailing_zeros(n)
    seed = 0 if n == 1 << shift else 1
    return seed + _record_proof_size(t, n - 1) - shift


def _roots_from_tree_proof(proof: Sequence[Hash], t: int, n: int, h: Hash) -> tuple[Hash, Hash]:
    """Run the RFC 9162 section 2.1.4.2 algorithm: return the old and the new root it implies."""
    path = [h, *proof] if n & (n - 1) == 0 else list(proof)
    fn, sn = n - 1, t - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old = new = path[0]
    for sibling in path[1:]:
        if fn & 1 or fn == sn:
            old, new = _hash_children(sibling, old), _hash_children(sibling, new)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = _hash_children(new, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise AssertionError(f"bad proof size math for tree sizes {n} and {t}")
    return old, new


# Reference definitions over lists of leaf hashes -------------------------------------------------


def root_from_leaf_hashes(hashes: Sequence[Hash]) -> Hash:
    """Return ``MTH(D_n)`` for the leaf hashes, by the recursive definition of RFC 9162.

    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1 — the plain reference: it hashes
    ``n - 1`` nodes and copies ``n log2 n`` list items; :class:`CompactRange` is the fast way.
    """
    _require_hashes(hashes, "leaf hash")
    return _mth(hashes)


def inclusion_proof_from_leaf_hashes(hashes: Sequence[Hash], n: int) -> list[Hash]:
    """Return the audit path ``PATH(n, D_len)`` of leaf ``n``, by the definition of RFC 9162.

    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.1
    """
    _require_hashes(hashes, "leaf hash")
    _require_record_index(len(hashes), n)
    return _path(n, hashes)


def consistency_proof_from_leaf_hashes(hashes: Sequence[Hash], old_size: int) -> list[Hash]:
    """Return the consistency proof ``PROOF(old_size, D_len)``, by the definition of RFC 9162.

    ``0 < old_size <= len(hashes)``; the proof for ``old_size == len(hashes)`` is empty.
    https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.1
    """
    _require_hashes(hashes, "leaf hash")
    _require_tree_sizes(len(hashes), old_size)
    return _subproof(old_size, hashes, whole=True)


def _mth(d: Sequence[Hash]) -> Hash:
    if len(d) == 0:
        return EMPTY_TREE_HASH
    if len(d) == 1:
        return d[0]
    k = _largest_power_below(len(d))
    return _hash_children(_mth(d[:k]), _mth(d[k:]))


def _path(m: int, d: Sequence[Hash]) -> list[Hash]:
    if len(d) == 1:
        return []
    k = _largest_power_below(len(d))
    if m < k:
        return [*_path(m, d[:k]), _mth(d[k:])]
    return [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: Sequence[Hash], *, whole: bool) -> list[Hash]:
    if m == len(d):
        return [] if whole else [_mth(d)]
    k = _largest_power_below(len(d))
    if m <= k:
        return [*_subproof(m, d[:k], whole=whole), _mth(d[k:])]
    return [*_subproof(m - k, d[k:], whole=False), _mth(d[:k])]


# Compact range -----------------------------------------------------------------------------------

_BATCH_SIZE = 1 << 16


class CompactRange:
    """The right edge of a growing tree: the hashes of the complete subtrees of ``[0, size)``.

    Enough to append leaves and compute the root without the rest of the tree (a "frontier").
    There is one subtree per set bit of ``size``, largest first, so at most ``log2 size + 1``
    hashes. :meth:`append` hashes ``trailing_ones(size)`` nodes; :meth:`extend` hashes the same
    nodes level by level, which is how a verifier rebuilds a large tree quickly.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[Hash] = ()) -> None:
        """Start empty, or resume at the right edge ``hashes`` of a tree of ``size`` leaves."""
        _require_non_negative(size, "tree size")
        _require_hashes(hashes, "subtree hash")
        if len(hashes) != size.bit_count():
            raise ValidationError(
                f"a tree of size {size} has {size.bit_count()} right-edge hashes, not {len(hashes)}"
            )
        self._size = size
        self._hashes = list(hashes)

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size})"

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def hashes(self) -> tuple[Hash, ...]:
        """The hashes of the complete subtrees covering ``[0, size)``, left to right."""
        return tuple(self._hashes)

    def root(self) -> Hash:
        """Return the root hash of the tree of ``size`` leaves (:data:`EMPTY_TREE_HASH` for 0)."""
        return _fold_right(self._hashes) if self._hashes else EMPTY_TREE_HASH

    def append(self, leaf_hash: Hash) -> None:
        """Append one leaf hash; every complete subtree it finishes is merged into one."""
        _require_hash(leaf_hash, "leaf hash")
        node, size = leaf_hash, self._size
        while size & 1:
            node = _hash_children(self._hashes.pop(), node)
            size >>= 1
        self._hashes.append(node)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[Hash], observe: NodeObserver | None = None) -> None:
        """Append the leaf hashes in order, as :meth:`append` would, in batches of 65,536.

        ``observe(level, index, nodes)``, if given, sees every interior node the append computes:
        ``nodes`` are the level-``level`` subtree hashes number ``index`` on. Over a sequence of
        calls it sees each node of the tree once, in order within a level.
        """
        if isinstance(leaf_hashes, bytes | bytearray | memoryview):
            raise ValidationError("extend takes an iterable of leaf hashes, not one hash")
        for batch in _batches(leaf_hashes, _BATCH_SIZE):
            _require_hashes(batch, "leaf hash")
            self._extend(batch, observe)

    def _extend(self, carry: list[Hash], observe: NodeObserver | None) -> None:
        """Add leaves like binary addition: pair the nodes of each level into the next level.

        At each level the right-edge hash of that level (if ``size`` has the bit) goes first, an
        odd node out stays as the new right-edge hash of that level, the rest hash in pairs.
        """
        size, added = self._size, len(carry)
        low: list[Hash] = []
        level = 0
        while carry:
            first = size >> level  # the index of carry's first node within its level
            if size >> level & 1:
                carry = [self._hashes.pop(), *carry]
                first -= 1
            if len(carry) & 1:
                low.append(carry.pop())
            pairs = iter(carry)  # zip(pairs, pairs) takes two items at a time, without copies
            carry = [
                _sha256(_NODE_PREFIX + left + right).digest()
                for left, right in zip(pairs, pairs, strict=True)
            ]
            level += 1
            if observe is not None and carry:
                observe(level, first >> 1, carry)
        self._hashes.extend(reversed(low))
        self._size = size + added


def _batches(items: Iterable[Hash], size: int) -> Iterator[list[Hash]]:
    """Yield the items as lists of ``size`` (the last one shorter), without holding them all."""
    if isinstance(items, Sequence):
        for start in range(0, len(items), size):
            yield list(items[start : start + size])
        return
    batch: list[Hash] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# Input checks ------------------------------------------------------------------------------------


def _require_non_negative(value: int, what: str) -> None:
    if value < 0:
        raise ValidationError(f"{what} {value} is negative")


def _require_record_index(t: int, n: int) -> None:
    _require_non_negative(t, "tree size")
    if not 0 <= n < t:
        raise ValidationError(f"record index {n} is out of range for tree size {t}")


def _require_tree_sizes(t: int, n: int) -> None:
    _require_non_negative(t, "tree size")
    if not 0 < n <= t:
        raise ValidationError(f"old tree size {n} is not in 1..{t} (the new tree size)")


def _require_hash(value: Hash, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValidationError(f"{what} is {len(value)} bytes, want {HASH_SIZE}")


def _require_hashes(values: Sequence[Hash], what: str) -> None:
    if values and set(map(len, values)) != {HASH_SIZE}:
        bad = next(i for i, value in enumerate(values) if len(value) != HASH_SIZE)
        raise ValidationError(f"{what} {bad} is {len(values[bad])} bytes, want {HASH_SIZE}")


def _require_proof(proof: Sequence[Hash], want: int, what: str, index: int | None = None) -> None:
    for i, value in enumerate(proof):
        if len(value) != HASH_SIZE:
            raise VerificationError(
                f"{what}: hash {i} is {len(value)} bytes, want {HASH_SIZE}",
                reason="malformed",
                index=index,
            )
    if len(proof) != want:
        raise VerificationError(f"{what} has {len(proof)} hashes, want {want}", index=index)
