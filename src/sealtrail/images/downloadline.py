"""The ``CONTAINER IMAGE DOWNLOAD:`` log line, field for field as operators grep it.

    CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18.123456 | registry=registry-1.docker.io
    | repository=micsi/mercure-module | tag=v1.2.3 | digest=sha256:… | full_digest=micsi/…@sha256:…
    | duration=3.2s | status=SUCCESS

(one line). A failure has ``digest=N/A``, no ``full_digest``, then ``status=FAILURE | error=TYPE |
details=TEXT``; a missing image ``status=NOT_FOUND | note=local_or_unpublished_image``. A tag not
given is ``tag=N/A``. The timestamp is UTC, without a zone, as in the seed. One field is added to
the seed's forms: a pull served from the local cache without asking the registry ends in
``| cache=hit``, so fresh downloads and cache use are told apart.

Values are percent-encoded where they hold ``%``, ``|``, ``=`` or a control character (``%7C``,
``%3D``, ``%0A`` …; spaces at either end as ``%20``), so no value can split a line or pose as
another field, neither to a reader that splits on ``|`` nor to ``grep status=SUCCESS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sealtrail.errors import ValidationError

__all__ = ["NOT_AVAILABLE", "PREFIX", "STATUSES", "DownloadLine"]

PREFIX = "CONTAINER IMAGE DOWNLOAD: "
NOT_AVAILABLE = "N/A"
STATUSES = ("SUCCESS", "FAILURE", "NOT_FOUND")
NOT_FOUND_NOTE = "local_or_unpublished_image"
LINE_MAX = 64 * 1024
_ESCAPED = re.compile(r"[%|=\x00-\x1f\x7f]")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_DURATION = re.compile(r"([0-9]{1,9}(?:\.[0-9]{1,6})?)s")
_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%f"
_ORDER = (
    "timestamp", "registry", "repository", "tag", "digest", "full_digest",
    "duration", "status", "error", "details", "note", "cache",
)  # fmt: skip
_REQUIRED = ("timestamp", "registry", "repository", "status")


@dataclass(frozen=True)
class DownloadLine:
    """One download attempt as the log line tells it; ``tag``/``digest`` None print as N/A."""

    timestamp: datetime
    registry: str
    repository: str
    tag: str | None
    digest: str | None
    duration: float | None  # seconds; None when a line did not say
    status: str
    full_digest: str | None = None
    error: str | None = None
    details: str | None = None
    note: str | None = None
    cache: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}: {self.status!r}")
        if self.timestamp.tzinfo is None:
            raise ValidationError("the timestamp of a download line must be timezone-aware")

    def to_text(self) -> str:
        """The line, without a trailing newline."""
        fields = [
            ("timestamp", self.timestamp.astimezone(UTC).strftime(_TIMESTAMP)),
            ("registry", self.registry),
            ("repository", self.repository),
            ("tag", self.tag or NOT_AVAILABLE),
            ("digest", self.digest or NOT_AVAILABLE),
            ("full_digest", self.full_digest),
            ("duration", None if self.duration is None else f"{self.duration:.1f}s"),
            ("status", self.status),
            ("error", self.error),
            ("details", self.details),
            ("note", self.note),
            ("cache", self.cache),
        ]
        body = " | ".join(f"{key}={_escape(value)}" for key, value in fields if value is not None)
        return PREFIX + body

    @classmethod
    def from_text(cls, text: str) -> DownloadLine:
        """Read a line from its prefix on (anything before the prefix, such as a syslog header,
        is ignored); the fields must come in the seed's order, unknown ones are refused."""
        if len(text) > LINE_MAX:
            raise ValidationError(f"a download line is longer than {LINE_MAX} characters")
        start = text.find(PREFIX.rstrip())
        if start == -1:
            raise ValidationError(f"not a download line: no {PREFIX.strip()!r}")
        values = _fields(text[start + len(PREFIX.rstrip()) :].strip(" \r\n"))
        return cls(
            timestamp=_timestamp(values["timestamp"]),
            registry=values["registry"],
            repository=values["repository"],
            tag=_available(values.get("tag")),
            digest=_available(values.get("digest")),
            duration=_duration(values.get("duration")),
            status=values["status"],
            full_digest=_available(values.get("full_digest")),
            error=values.get("error"),
            details=values.get("details"),
            note=values.get("note"),
            cache=values.get("cache"),
        )


def _fields(body: str) -> dict[str, str]:
    values: dict[str, str] = {}
    position = -1
    for part in body.split("|"):
        key, equals, value = part.strip(" ").partition("=")
        if not equals or key not in _ORDER:
            raise ValidationError(f"unknown field in download line: {part.strip()[:40]!r}")
        if _ORDER.index(key) <= position:
            raise ValidationError(f"field {key!r} out of order or repeated in download line")
        position = _ORDER.index(key)
        values[key] = _unescape(value.strip(" "))
    missing = [key for key in _REQUIRED if not values.get(key)]
    if missing:
        raise ValidationError(f"download line without {', '.join(missing)}")
    return values


def _escape(value: str) -> str:
    escaped = _ESCAPED.sub(lambda found: f"%{ord(found.group()):02X}", value)
    inner = escaped.strip(" ")  # spaces at either end would be lost to readers that strip
    if inner == escaped:
        return escaped
    start = escaped.index(inner) if inner else len(escaped)
    return "%20" * start + inner + "%20" * (len(escaped) - start - len(inner))


def _unescape(value: str) -> str:
    return _PERCENT.sub(lambda found: chr(int(found.group(1), 16)), value)


def _available(value: str | None) -> str | None:
    return None if value in (None, "", NOT_AVAILABLE, "unavailable") else value


def _timestamp(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"invalid timestamp in download line: {text[:40]!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    found = _DURATION.fullmatch(text)
    if found is None:
        raise ValidationError(f"invalid duration in download line: {text[:40]!r}")
    return float(found.group(1))
