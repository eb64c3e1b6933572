"""Archive segments: the records retention removed, with the proof that they are the sealed ones.

A segment is one zstd-compressed JSON Lines file (``zstd -dc FILE`` shows it)::

    {"segment": "sealtrail-archive/1", "origin": O, "count": K, "ranges": [[S, E], ...],
     "created_at": T, "hints": "<base64>"}                        the segment header
    {"bundle": "sealtrail-export/1", "format": "jsonl", ...}       a verification bundle
    {"range": {...}}  or  {"seq": I, "proof": [...]} per record      (``sinks.bundle``) whose
    {"count": K}                                                     header holds the checkpoint
    <record>                                                       K sealed records, seq order

``ranges`` are the ``[start, end)`` runs of the records' seqs. One run is proved by one range
proof (a *range* bundle: nothing missing, added or reordered); scattered records each by an
inclusion proof (a *records* bundle). Both are proved against the signed checkpoint in the bundle
header and checked by ``sinks.verify.verify_bundle``, the code that checks exports. ``hints``
(range segments only) holds the first 8 bytes of each record's leaf hash: not a proof, only a way
to name the record that changed when the range proof fails.

zstd (RFC 8878) rather than the standard library's gzip or xz: about ten times faster than xz at a
similar ratio, and faster than gzip at a better one, so archiving keeps up with large logs; the
``zstd`` command reads the files in any year. A segment is written to ``NAME.tmp``, fsynced,
renamed, and its directory fsynced, before any record of it is removed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

import orjson
import zstandard

from sealtrail.errors import ValidationError, VerificationError
from sealtrail.ledger.merkle import record_hash
from sealtrail.ledger.note import Verifier
from sealtrail.sinks.bundle import BundleHeader
from sealtrail.sinks.verify import verify_bundle

__all__ = [
    "HINT_BYTES",
    "SEGMENT_VERSION",
    "ArchiveReport",
    "SegmentHeader",
    "verify_archive",
    "write_segment",
]

SEGMENT_VERSION = "sealtrail-archive/1"
HINT_BYTES = 8
ZSTD_LEVEL = 3
MAX_HEADER_LINE = 64 << 20  # a header names at most a few hundred thousand records


@dataclass(frozen=True)
class SegmentHeader:
    """The first line of a segment: whose records, how many, which seqs."""

    origin: str
    count: int
    ranges: tuple[tuple[int, int], ...]
    created_at: str
    hints: bytes = b""

    def __post_init__(self) -> None:
        total, previous = 0, -1
        for start, end in self.ranges:
            if not previous < start < end:
                raise ValidationError("segment: ranges must be ascending, disjoint, non-empty")
            total, previous = total + end - start, end
        if total != self.count or self.count == 0:
            raise ValidationError(f"segment: ranges hold {total} records, the header {self.count}")
        if self.hints and len(self.hints) != self.count * HINT_BYTES:
            raise ValidationError("segment: hints must be 8 bytes per record")

    @property
    def seqs(self) -> Iterator[int]:
        for start, end in self.ranges:
            yield from range(start, end)

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": SEGMENT_VERSION,
            "origin": self.origin,
            "count": self.count,
            "ranges": [list(pair) for pair in self.ranges],
            "created_at": self.created_at,
            "hints": base64.b64encode(self.hints).decode(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SegmentHeader:
        if data.get("segment") != SEGMENT_VERSION:
            raise ValidationError(f"segment: the first line is not a {SEGMENT_VERSION} header")
        ranges = data.get("ranges")
        pairs = ranges if isinstance(ranges, list) else [None]
        if not all(isinstance(p, list) and [type(v) for v in p] == [int, int] for p in pairs):
            raise ValidationError("segment: ranges must be a list of [start, end] pairs")
        try:
            hints = base64.b64decode(str(data.get("hints", "")), validate=True)
        except binascii.Error:
            raise ValidationError("segment: hints must be base64") from None
        count, origin, created = data.get("count"), data.get("origin"), data.get("created_at")
        if type(count) is not int or not isinstance(origin, str) or not isinstance(created, str):
            raise ValidationError("segment: origin, count and created_at are required")
        return cls(origin, count, tuple((p[0], p[1]) for p in pairs if p), created, hints)


def write_segment(
    path: Path, header: SegmentHeader, bundle: Iterable[Mapping[str, Any]], leaves: Sequence[bytes]
) -> tuple[str, int]:
    """Write a segment durably at ``path`` (via ``path.tmp``, fsynced, renamed, directory
    fsynced); its SHA-256 (hex) and size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    digest = hashlib.sha256()
    with temporary.open("wb") as file:
        sink: Any = _Hashing(file, digest)
        with zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(sink, closefd=False) as z:
            z.write(orjson.dumps(header.to_json()) + b"\n")
            for line in bundle:
                z.write(orjson.dumps(line) + b"\n")
            for leaf in leaves:
                z.write(leaf + b"\n")
        file.flush()
        os.fsync(file.fileno())
        size = file.tell()
    os.replace(temporary, path)
    _fsync_directory(path.parent)
    return digest.hexdigest(), size


class _Hashing(io.RawIOBase):
    """A writable file that also hashes what goes through it."""

    def __init__(self, file: IO[bytes], digest: Any) -> None:
        self.file, self.digest = file, digest

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.digest.update(data)
        return self.file.write(data)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class ArchiveReport:
    """A verified segment: whose records, which, and the checkpoint that proves them."""

    file: str
    sha256: str
    origin: str
    kind: str
    count: int
    ranges: tuple[tuple[int, int], ...]
    checkpoint_size: int


def verify_archive(path: Path, verifiers: Sequence[Verifier]) -> ArchiveReport:
    """Check a segment offline with the log's verifier key: every record is the sealed one at
    its seq, none missing or added. ``VerificationError`` names the first failing record."""
    lines = _lines(path)
    header = _parse(SegmentHeader.from_json, next(lines, None), "segment header")
    bundle = _parse(BundleHeader.from_json, next(lines, None), "bundle header")
    span = (header.ranges[0][0], header.ranges[-1][1])
    if (bundle.start, bundle.end) != span or (bundle.kind == "range") != (len(header.ranges) == 1):
        raise VerificationError(
            "the bundle does not prove the segment's records", reason="malformed"
        )
    proof_lines = 2 if bundle.kind == "range" else header.count + 1
    proofs = (line.decode() for line in islice(lines, proof_lines))
    records = _records(islice(_lines(path), 2 + proof_lines, None), header)
    checkpoint, _ = verify_bundle(bundle, proofs, records, verifiers)
    if checkpoint.origin != header.origin:
        raise VerificationError(f"the checkpoint is of {checkpoint.origin}, not {header.origin}")
    return ArchiveReport(
        path.name, _sha256(path), header.origin, bundle.kind, header.count, header.ranges,
        checkpoint.size,
    )  # fmt: skip


def _records(lines: Iterator[bytes], header: SegmentHeader) -> Iterator[tuple[int, bytes]]:
    """``(seq, leaf)`` of each record, checked to be at the next seq of the header's ranges and,
    where there are hints, to hash as archived."""
    expected = header.seqs
    for i, leaf in enumerate(lines):
        want = next(expected, None)
        try:
            seq = orjson.loads(leaf)["seq"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            seq = None
        if want is None or seq != want:
            raise VerificationError(
                f"record {want} expected, found {seq}: the records are not the archived ones",
                reason="record_changed" if want is not None else "malformed",
                index=want,
            )
        hint = header.hints[i * HINT_BYTES : (i + 1) * HINT_BYTES]
        if hint and record_hash(leaf)[:HINT_BYTES] != hint:
            raise VerificationError(f"record {seq} changed: its hash is not the archived one",
                                    reason="record_changed", index=seq)  # fmt: skip
        yield seq, leaf


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        reader = zstandard.ZstdDecompressor().stream_reader(file)
        try:
            for line in io.BufferedReader(reader, 1 << 20):
                yield line.rstrip(b"\n")
        except zstandard.ZstdError as error:
            raise VerificationError(f"{path.name}: not a zstd segment ({error})",
                                    reason="malformed") from None  # fmt: skip


def _parse(parse: Any, line: bytes | None, what: str) -> Any:
    if line is None:
        raise VerificationError(f"segment: the {what} is missing", reason="malformed")
    try:
        data = orjson.loads(line)
        if not isinstance(data, dict):
            raise ValidationError("not an object")
        return parse(data)
    except (orjson.JSONDecodeError, ValidationError) as error:
        raise VerificationError(f"segment: bad {what} ({error})", reason="malformed") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
