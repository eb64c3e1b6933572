"""Exports: any slice of the trail, in any format, with a bundle that proves it offline.

``plan_export`` pins an export to the latest signed checkpoint (records with ``seq`` below its
size, so the proof and the records always agree, however the log grows meanwhile). An export
with no filters but a seq range is a *range* export, proved complete by one range proof; any other
filter makes a *records* export, each record proved by its own inclusion proof. Records stream in
seq order from the store in chunks, so an export of any size runs in bounded memory.

The daily layout (``write_daily``) writes one JSON Lines file per UTC day of the events' time,
``DIR/YYYY-MM-DD.jsonl``, and one bundle for the whole export, ``DIR/export.bundle``.

Every export is itself recorded: an ``audit.export`` event saying who exported what.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from sealtrail.errors import Conflict, ValidationError
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.merkle import prove_record
from sealtrail.ledger.tiles import TileHashReader, TileNodeCache
from sealtrail.sinks.bundle import BundleHeader, RecordProof, prove_range
from sealtrail.sinks.formats import ExportFormat, export_format
from sealtrail.store.base import Query

__all__ = [
    "BUNDLE_SUFFIX",
    "DAILY_BUNDLE",
    "ExportPlan",
    "bundle_lines",
    "export_event",
    "export_leaves",
    "export_lines",
    "plan_export",
    "write_daily",
    "write_export",
]

BUNDLE_SUFFIX = ".bundle"
DAILY_BUNDLE = "export.bundle"
CHUNK = 5_000
_UNFILTERED = Query()


@dataclass(frozen=True)
class ExportPlan:
    """What one export holds: records ``[start, end)`` matching ``filters``, proved at ``size``."""

    format: ExportFormat
    filters: Query
    checkpoint: str
    size: int
    start: int
    end: int
    archived: bool = False  # some records of [start, end) were archived by retention

    @property
    def kind(self) -> str:
        """A range export proves [start, end) complete; with filters, or records archived by
        retention in the range, each exported record is proved on its own."""
        return "range" if self.filters == _UNFILTERED and not self.archived else "records"

    def header(self) -> BundleHeader:
        return BundleHeader(
            self.format.name, self.kind, self.checkpoint, self.size, self.start, self.end
        )

    def described(self) -> dict[str, Any]:
        """The plan for an ``audit.export`` event: format, kind, range and the filters given."""
        defaults = dataclasses.asdict(_UNFILTERED)
        filters = {k: v for k, v in dataclasses.asdict(self.filters).items() if v != defaults[k]}
        return {
            "format": self.format.name,
            "kind": self.kind,
            "size": self.size,
            "start": self.start,
            "end": self.end,
            "filters": filters,
        } | ({"archived_in_range": True} if self.archived else {})


def plan_export(
    ledger: Ledger,
    format: str,
    filters: Query = _UNFILTERED,
    start: int | None = None,
    end: int | None = None,
) -> ExportPlan:
    """The export of the records ``[start, end)`` matching ``filters`` in ``format``.

    Signs a checkpoint covering the log if the latest does not; ``end`` defaults to its size.
    Limits, cursors and order in ``filters`` are ignored (an export is every match, oldest first).
    """
    chosen = export_format(format)
    stored = ledger.checkpoint()
    begin = 0 if start is None else start
    stop = stored.size if end is None else end
    if not 0 <= begin < stop <= stored.size:
        raise ValidationError(
            f"seq range [{begin}, {stop}) is empty or outside the signed log [0, {stored.size})"
        )
    plain = dataclasses.replace(
        filters, before_seq=None, after_seq=None, oldest_first=False, limit=_UNFILTERED.limit
    )
    archived = ledger.store.read(
        "SELECT 1 FROM retention_ranges WHERE first_seq < ? AND end_seq > ? LIMIT 1", (stop, begin)
    )
    return ExportPlan(chosen, plain, stored.note, stored.size, begin, stop, bool(archived))


def export_leaves(ledger: Ledger, plan: ExportPlan) -> Iterator[tuple[int, bytes]]:
    """``(seq, leaf)`` of every exported record, in seq order, read in chunks."""
    if plan.kind == "range":
        for rows in ledger.store.iter_rows(plan.start, plan.end, CHUNK):
            yield from rows
        return
    after = plan.start - 1
    while True:
        page = dataclasses.replace(
            plan.filters, after_seq=after, before_seq=plan.end, oldest_first=True, limit=CHUNK
        )
        records = ledger.query(page)
        for record in records:
            yield record.seq, record.leaf
        if len(records) < CHUNK:
            return
        after = records[-1].seq


def export_lines(plan: ExportPlan, leaves: Iterable[tuple[int, bytes]]) -> Iterator[str]:
    """The export's text, line by line (each with its ``\\n``): the header, then the records."""
    if plan.format.header is not None:
        yield plan.format.header + "\n"
    render = plan.format.render
    for _, leaf in leaves:
        yield render(leaf) + "\n"


def bundle_lines(ledger: Ledger, plan: ExportPlan, seqs: Iterable[int]) -> Iterator[str]:
    """The bundle, line by line: header, the range proof or one proof per seq, the count."""
    yield _line(plan.header().to_json())
    count = 0
    if plan.kind == "range":
        reader = TileHashReader(ledger.store, TileNodeCache())
        yield _line(prove_range(plan.size, plan.start, plan.end, reader).to_json())
        count = plan.end - plan.start
    else:
        reader = TileHashReader(ledger.store, TileNodeCache(limit=4096))
        for seq in seqs:
            proof = tuple(prove_record(plan.size, seq, reader))
            yield _line(RecordProof(seq, proof).to_json())
            count += 1
    yield _line({"count": count})


def _line(value: Mapping[str, Any]) -> str:
    return orjson.dumps(value).decode() + "\n"


def write_export(
    ledger: Ledger, plan: ExportPlan, out: IO[str], bundle: IO[str] | None = None
) -> int:
    """Write the export to ``out`` and its bundle to ``bundle``, both as the records stream (a
    records export's proofs are written one by one beside them); the number of records."""
    written = 0

    def exported() -> Iterator[int]:
        nonlocal written
        for seq, leaf in export_leaves(ledger, plan):
            out.write(plan.format.render(leaf) + "\n")
            written += 1
            yield seq

    if plan.format.header is not None:
        out.write(plan.format.header + "\n")
    _drive(ledger, plan, exported(), bundle)
    return written


def _drive(ledger: Ledger, plan: ExportPlan, seqs: Iterator[int], bundle: IO[str] | None) -> None:
    """Run the export ``seqs`` drives, writing the bundle as it goes when there is one."""
    if bundle is not None and plan.kind == "records":
        bundle.writelines(bundle_lines(ledger, plan, seqs))
        return
    for _ in seqs:
        pass
    if bundle is not None:
        bundle.writelines(bundle_lines(ledger, plan, ()))


def write_daily(ledger: Ledger, plan: ExportPlan, directory: Path, bundle: bool = True) -> int:
    """The export as ``directory/YYYY-MM-DD.jsonl`` by event day, and ``export.bundle``."""
    if plan.format.name != "jsonl":
        raise ValidationError("the daily layout is JSON Lines: use --format jsonl")
    if directory.exists() and any(directory.iterdir()):
        raise Conflict(f"{directory}: not empty; a daily export goes into a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    files = _DayFiles(directory)
    written = 0

    def exported() -> Iterator[int]:
        nonlocal written
        for seq, leaf in export_leaves(ledger, plan):
            files.write(orjson.loads(leaf)["time"][:10], leaf)
            written += 1
            yield seq

    with files, (directory / DAILY_BUNDLE).open("w") if bundle else _nothing() as proof:
        _drive(ledger, plan, exported(), proof)
    return written


class _DayFiles:
    """One open day file at a time; records come in seq order, so a day may be reopened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.day = ""
        self.sink: IO[bytes] | None = None

    def write(self, day: str, leaf: bytes) -> None:
        if day != self.day or self.sink is None:
            self.close()
            self.day, self.sink = day, (self.directory / f"{day}.jsonl").open("ab")
        self.sink.write(leaf + b"\n")

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None

    def __enter__(self) -> _DayFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def export_event(
    ledger: Ledger, plan: ExportPlan, actor: Mapping[str, str], count: int, where: str
) -> dict[str, Any]:
    """The ``audit.export`` event recording an export: who, what, how many, to where."""
    details = {**plan.described(), "destination": where}
    if count >= 0:
        details["count"] = count
    return {
        "time": format_time(ledger.clock.now()),
        "action": "audit.export",
        "outcome": "success",
        "actor": dict(actor),
        "target": {"type": "ledger", "id": ledger.origin},
        "source": {"service": "sealtrail"},
        "message": f"exported {plan.kind} [{plan.start}, {plan.end}) as {plan.format.name}",
        "details": details,
    }
