"""Importing existing logs into the trail, once.

A format is a parser from text lines to ``ImportedEvent`` (an event and a key that names its
source line stably) or ``SkippedLine`` (why a line is not an event). ``import_events`` appends
them in batches with ``Ledger.append_once_each``, so importing the same file twice adds nothing.
Formats are named in ``FORMATS`` as ``module:function`` and loaded when asked for, so a format's
dependencies cost nothing to commands that do not use it.
"""

from __future__ import annotations

import hashlib
import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

import orjson

from sealtrail.errors import ValidationError
from sealtrail.events import validate_event

if TYPE_CHECKING:
    from sealtrail.ledger.log import Ledger

__all__ = [
    "FORMATS",
    "ImportSummary",
    "ImportedEvent",
    "Parser",
    "SkippedLine",
    "import_events",
    "parse_event_lines",
    "parser",
]


@dataclass(frozen=True)
class ImportedEvent:
    """One event read from line ``line``; ``key`` is the same every time that line is read."""

    line: int
    key: str
    event: Mapping[str, Any]


@dataclass(frozen=True)
class SkippedLine:
    """Line ``line`` holds no event, for ``reason`` (short, the same for lines alike)."""

    line: int
    reason: str


Parser = Callable[[Iterable[str]], Iterator[ImportedEvent | SkippedLine]]

FORMATS: dict[str, str] = {
    "jsonl": "sealtrail.importers:parse_event_lines",
    "github-audit-log": "sealtrail.vcs.auditlog:parse",
}

BATCH = 1000  # events per transaction


def parser(name: str) -> Parser:
    """The parser of format ``name``; an unknown name is an error that lists the known ones."""
    if name not in FORMATS:
        raise ValidationError(
            f"unknown import format {name!r}; known: {', '.join(sorted(FORMATS))}"
        )
    module, _, function = FORMATS[name].partition(":")
    found: Parser = getattr(importlib.import_module(module), function)
    return found


@dataclass
class ImportSummary:
    """What an import did: events added, events already in the trail, lines skipped and why."""

    lines: int = 0
    imported: int = 0
    duplicates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "skipped": dict(sorted(self.skipped.items())),
        }


def import_events(
    ledger: Ledger,
    items: Iterable[ImportedEvent | SkippedLine],
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Append every imported event not appended before; an event the ledger would reject is
    skipped with the reason, never the whole import. ``progress(lines)`` follows along."""
    summary = ImportSummary()
    stream = iter(items)
    while chunk := list(islice(stream, BATCH)):
        batch = []
        for item in chunk:
            if isinstance(item, SkippedLine):
                summary.skipped[item.reason] += 1
            elif (problem := _problem(item.event, ledger)) is not None:
                summary.skipped[f"invalid event: {problem}"] += 1
            else:
                batch.append((item.key, [item.event]))
        answers = ledger.append_once_each(batch) if batch else []
        summary.imported += sum(answer is not None for answer in answers)
        summary.duplicates += sum(answer is None for answer in answers)
        summary.lines = chunk[-1].line
        if progress is not None:
            progress(summary.lines)
    return summary


def _problem(event: Mapping[str, Any], ledger: Ledger) -> str | None:
    try:
        validate_event(event, ledger.limits)
    except ValidationError as error:
        return str(error)
    return None


def parse_event_lines(lines: Iterable[str]) -> Iterator[ImportedEvent | SkippedLine]:
    """sealtrail's own event JSON, one per line (what ``sealtrail append`` reads); an event's
    key is the hash of its line without surrounding blanks."""
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            yield SkippedLine(number, "blank line")
            continue
        try:
            event = orjson.loads(text)
        except orjson.JSONDecodeError:
            yield SkippedLine(number, "not JSON")
            continue
        if not isinstance(event, dict):
            yield SkippedLine(number, "not a JSON object")
            continue
        digest = hashlib.sha256(text.encode()).hexdigest()
        yield ImportedEvent(number, f"import:jsonl:{digest}", event)
