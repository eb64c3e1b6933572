"""Offline verification of an export: no server, no ledger, only the files and a verifier key.

``verify_export`` reads the bundle's header, opens its signed checkpoint with the verifier key,
then streams the export: every line must be the rendering of the sealed record it carries (so a
changed display field is caught), and every record must be proved, by its inclusion proof (a
*records* export: also strictly in seq order, none dropped) or, for a *range* export, by
recomputing the checkpoint's root from all the range's records and the range proof (so none is
missing, added, changed or reordered). A daily-layout directory is read as one export whose files
merge by seq, each record in the file of its day. It raises ``VerificationError`` naming the
first failing log index where there is one.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import orjson

from sealtrail.errors import ValidationError, VerificationError
from sealtrail.ledger.merkle import check_record, record_hash
from sealtrail.ledger.note import Checkpoint, Verifier, open_checkpoint
from sealtrail.sinks.bundle import BundleHeader, RangeProof, RecordProof, root_from_range
from sealtrail.sinks.export import BUNDLE_SUFFIX, DAILY_BUNDLE
from sealtrail.sinks.formats import ExportFormat, export_format

__all__ = ["ExportReport", "bundle_path", "verify_bundle", "verify_export"]


@dataclass(frozen=True)
class ExportReport:
    """A verified export: what it holds and the checkpoint it was proved against."""

    format: str
    kind: str
    count: int
    size: int
    start: int
    end: int
    origin: str


def bundle_path(export: Path) -> Path:
    """Where the bundle of ``export`` is: ``FILE.bundle``, or ``DIR/export.bundle``."""
    return export / DAILY_BUNDLE if export.is_dir() else Path(str(export) + BUNDLE_SUFFIX)


def verify_export(
    export: Path, verifiers: Sequence[Verifier], bundle: Path | None = None
) -> ExportReport:
    """Check ``export`` against its bundle; raise ``VerificationError`` at the first fault."""
    proofs = _lines(bundle or bundle_path(export))
    header = BundleHeader.from_json(_json(next(proofs, None), "bundle header"))
    chosen = export_format(header.format)
    checkpoint, count = verify_bundle(header, proofs, _records(export, chosen), verifiers)
    return ExportReport(
        chosen.name, header.kind, count, header.size, header.start, header.end, checkpoint.origin
    )


def verify_bundle(
    header: BundleHeader,
    proofs: Iterator[str],
    records: Iterator[tuple[int, bytes]],
    verifiers: Sequence[Verifier],
) -> tuple[Checkpoint, int]:
    """Check ``records`` (``(seq, leaf)`` in seq order) against a bundle: its parsed ``header``
    and the lines after it (``proofs``, up to and including the trailer). The opened checkpoint
    and the number of records proved; ``VerificationError`` at the first fault. Archive
    segments (``sealtrail.retention``) carry the same bundles."""
    checkpoint = open_checkpoint(header.checkpoint, verifiers)
    if checkpoint.size != header.size:
        raise VerificationError("bundle size differs from its checkpoint's", reason="malformed")
    if header.kind == "range":
        count = _verify_range(records, proofs, header, checkpoint)
    else:
        count = _verify_records(records, proofs, header, checkpoint)
    trailer = _json(next(proofs, None), "bundle trailer")
    if trailer.get("count") != count or next(proofs, None) is not None:
        raise VerificationError(
            f"the bundle proves {trailer.get('count')} records, the export has {count}",
            reason="record_missing",
        )
    return checkpoint, count


def _verify_range(
    records: Iterator[tuple[int, bytes]],
    proofs: Iterator[str],
    header: BundleHeader,
    checkpoint: Checkpoint,
) -> int:
    proof = RangeProof.from_json(_json(next(proofs, None), "range proof"))
    if (proof.start, proof.end, proof.size) != (header.start, header.end, header.size):
        raise VerificationError("the range proof is not for the bundle's range", reason="malformed")
    hashes = _HashArray()
    for seq, leaf in records:
        expected = proof.start + len(hashes)
        if seq != expected:
            reason = "record_missing" if seq > expected else "order_changed"
            raise VerificationError(f"record {expected} expected, found {seq}", reason=reason,
                                    index=expected)  # fmt: skip
        hashes.append(record_hash(leaf))
    if root_from_range(proof, hashes) != checkpoint.root_hash:
        raise VerificationError(
            "the records do not rebuild the signed root: one was changed, added or removed",
            reason="record_changed",
        )
    return len(hashes)


def _verify_records(
    records: Iterator[tuple[int, bytes]],
    proofs: Iterator[str],
    header: BundleHeader,
    checkpoint: Checkpoint,
) -> int:
    count, previous = 0, -1
    for seq, leaf in records:
        if seq <= previous:
            raise VerificationError(f"record {seq} after {previous}", reason="order_changed",
                                    index=seq)  # fmt: skip
        proof = RecordProof.from_json(_json(next(proofs, None), f"proof of record {seq}"))
        if proof.seq != seq:
            raise VerificationError(
                f"the bundle proves record {proof.seq} next, the export has {seq}",
                reason="record_missing" if proof.seq < seq else "order_changed",
                index=min(proof.seq, seq),
            )
        if not header.start <= seq < header.end:
            raise VerificationError(f"record {seq} is outside the export", index=seq)
        try:
            check_record(proof.proof, checkpoint.size, checkpoint.root_hash, seq, record_hash(leaf))
        except VerificationError:
            raise VerificationError(
                f"record {seq} is not the sealed record", reason="record_changed", index=seq
            ) from None
        count, previous = count + 1, seq
    return count


def _records(export: Path, chosen: ExportFormat) -> Iterator[tuple[int, bytes]]:
    """``(seq, leaf)`` of each record of the export, each line checked against its leaf."""
    if export.is_dir():
        return heapq.merge(*(_day_file(path) for path in sorted(export.glob("*.jsonl"))))
    return _file(export, chosen)


def _file(path: Path, chosen: ExportFormat) -> Iterator[tuple[int, bytes]]:
    lines = _lines(path)
    if chosen.header is not None and next(lines, None) != chosen.header:
        raise VerificationError(f"{path.name}: the header is not the {chosen.name} header",
                                reason="malformed")  # fmt: skip
    for line in lines:
        yield _record(line, chosen)


def _day_file(path: Path) -> Iterator[tuple[int, bytes]]:
    chosen = export_format("jsonl")
    for line in _lines(path):
        seq, leaf = _record(line, chosen)
        if orjson.loads(leaf)["time"][:10] != path.stem:
            raise VerificationError(f"record {seq} is not of day {path.stem}", index=seq,
                                    reason="order_changed")  # fmt: skip
        yield seq, leaf


def _record(line: str, chosen: ExportFormat) -> tuple[int, bytes]:
    try:
        leaf = chosen.leaf_of(line)
        record = orjson.loads(leaf)
        seq = record["seq"]
        same = chosen.same(line, chosen.render(leaf))
    except (ValidationError, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise VerificationError(f"a line does not carry a sealed record ({error})",
                                reason="record_changed") from None  # fmt: skip
    if type(seq) is not int:
        raise VerificationError("a record has no integer seq", reason="record_changed")
    if not same:
        raise VerificationError(f"record {seq}: the {chosen.name} fields differ from the record",
                                reason="record_changed", index=seq)  # fmt: skip
    return seq, leaf


def _lines(path: Path) -> Iterator[str]:
    with path.open("rb") as file:
        for number, raw in enumerate(file, 1):
            if raw.strip():
                try:
                    yield raw.rstrip(b"\n").decode()
                except UnicodeDecodeError:
                    raise VerificationError(f"{path.name} line {number}: not UTF-8",
                                            reason="malformed") from None  # fmt: skip


def _json(line: str | None, what: str) -> dict[str, Any]:
    if line is None:
        raise VerificationError(f"bundle: the {what} is missing", reason="record_missing")
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise VerificationError(f"bundle: the {what} is not JSON", reason="malformed") from None
    if not isinstance(value, dict):
        raise VerificationError(f"bundle: the {what} is not an object", reason="malformed")
    return value


class _HashArray(Sequence[bytes]):
    """Leaf hashes packed in one bytearray (32 bytes each), for ranges of millions of records."""

    def __init__(self) -> None:
        self._data = bytearray()

    def append(self, value: bytes) -> None:
        self._data += value

    def __len__(self) -> int:
        return len(self._data) // 32

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self))
            data = self._data
            return [bytes(data[i * 32 : i * 32 + 32]) for i in range(start, stop)]
        if not 0 <= index < len(self):
            raise IndexError(index)
        return bytes(self._data[index * 32 : index * 32 + 32])
