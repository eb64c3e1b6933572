"""``sealtrail import --format image-download-lines``: the seed's download lines, once each.

Lines come as written to a journal or a file (``journalctl -u svc | grep "CONTAINER IMAGE
DOWNLOAD"``, perhaps after a syslog header, whose host and program become the event's source) or
as ``journalctl -o json`` output (``MESSAGE``, ``_HOSTNAME``, ``_SYSTEMD_UNIT``). A line's key is
the hash of its text from the prefix on, so the same line imported again, from either form, adds
nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from sealtrail.errors import ValidationError
from sealtrail.images.downloadline import PREFIX, DownloadLine
from sealtrail.images.record import line_event
from sealtrail.importers import ImportedEvent, SkippedLine

__all__ = ["parse"]

_MARK = PREFIX.rstrip()
#: "Jan 20 14:32:18 host program[42]: " or "2025-01-20T14:32:18+0000 host program[42]: "
_SYSLOG = re.compile(
    r"^\S+(?: +\S+ +\S+)? +(?P<host>[^\s:]+) +(?P<program>[^\s:\[]+)(?:\[\d+\])?: "
)


def parse(lines: Iterable[str]) -> Iterator[ImportedEvent | SkippedLine]:
    """Events from download lines; every other line is skipped with the reason."""
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text:
            yield SkippedLine(number, "blank line")
            continue
        found = _journal_entry(text) if text.startswith("{") else (text, _syslog_source(text))
        if isinstance(found, str):
            yield SkippedLine(number, found)
            continue
        message, source = found
        yield _item(number, message, source)


def _item(number: int, message: str, source: dict[str, str]) -> ImportedEvent | SkippedLine:
    start = message.find(_MARK)
    if start == -1:
        return SkippedLine(number, "not a download line")
    body = message[start:]
    try:
        event = line_event(DownloadLine.from_text(body), source)
    except ValidationError as error:
        return SkippedLine(number, f"malformed download line: {str(error).split(': ')[0]}")
    digest = hashlib.sha256(body.encode()).hexdigest()
    return ImportedEvent(number, f"import:image-download-lines:{digest}", event)


def _journal_entry(text: str) -> tuple[str, dict[str, str]] | str:
    try:
        entry = orjson.loads(text)
    except orjson.JSONDecodeError:
        return "not JSON"
    if not isinstance(entry, dict):
        return "not a journal entry"
    message = _message(entry.get("MESSAGE"))
    if message is None:
        return "journal entry without a MESSAGE"
    service = entry.get("_SYSTEMD_UNIT") or entry.get("SYSLOG_IDENTIFIER")
    return message, _source(entry.get("_HOSTNAME"), service)


def _message(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, int) for item in value):
        return bytes(item & 0xFF for item in value).decode("utf-8", errors="replace")
    return None  # journalctl writes binary messages as arrays of bytes


def _syslog_source(text: str) -> dict[str, str]:
    start = text.find(_MARK)
    header = _SYSLOG.match(text[:start]) if start > 0 else None
    if header is None:
        return {}
    return _source(header["host"], header["program"])


def _source(host: Any, service: Any) -> dict[str, str]:
    found: Mapping[str, Any] = {"service": service, "host": host}
    return {key: value for key, value in found.items() if isinstance(value, str) and value}
