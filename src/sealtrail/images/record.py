"""One pull attempt, as an ``image.pull`` event and as the seed's download line.

``PullRecord`` holds what happened; ``to_event`` is what the ledger seals and ``to_line`` what the
log keeps. The event's target carries the registry endpoint, the repository as people write it,
tag, digest and full digest, and ``id``: the canonical name (``docker.io/library/alpine``), so a
search by either finds it. ``details`` holds the engine, the duration in milliseconds, whether the
image came from the local cache (``cache: hit``) or the registry (``miss``), the platform, the
bytes downloaded and, for a failure, the error's type, kind and message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sealtrail.images.downloadline import NOT_FOUND_NOTE, DownloadLine
from sealtrail.images.reference import ImageReference, ReferenceError

__all__ = ["OUTCOME_STATUS", "PullRecord", "line_event"]

#: Event outcome → the status of the download line.
OUTCOME_STATUS = {"success": "SUCCESS", "failure": "FAILURE", "not_found": "NOT_FOUND"}
_SEVERITY = {"success": "info", "failure": "error", "not_found": "warning"}
DETAILS_MAX = 2000  # characters of an error message kept


@dataclass(frozen=True)
class PullRecord:
    """What one pull attempt did."""

    reference: ImageReference
    started: datetime
    duration: float  # seconds
    outcome: str  # success, failure or not_found
    digest: str | None = None
    cache: str = "miss"  # hit: served locally without asking the registry
    engine: str = "oci"
    platform: str | None = None
    downloaded: int | None = None  # bytes fetched from the registry
    error_type: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    source: Mapping[str, str] = field(default_factory=dict)
    actor: Mapping[str, Any] | None = None

    @property
    def full_digest(self) -> str | None:
        return f"{self.reference.repository}@{self.digest}" if self.digest else None

    def to_event(self) -> dict[str, Any]:
        reference = self.reference
        target = {
            "type": "image",
            "id": reference.name,
            "registry": reference.registry,
            "repository": reference.repository,
            "tag": reference.tag,
            "digest": self.digest,
            "full_digest": self.full_digest,
        }
        event: dict[str, Any] = {
            "time": _rfc3339(self.started),
            "action": "image.pull",
            "outcome": self.outcome,
            "severity": _SEVERITY[self.outcome],
            "target": {key: value for key, value in target.items() if value is not None},
            "message": self._message(),
            "details": self._details(),
        }
        if self.source:
            event["source"] = dict(self.source)
        event["actor"] = dict(self.actor) if self.actor else _service_actor(self.source)
        return event

    def to_line(self) -> DownloadLine:
        failed = self.outcome == "failure"
        return DownloadLine(
            timestamp=self.started,
            registry=self.reference.registry,
            repository=self.reference.repository,
            tag=self.reference.tag,
            digest=self.digest,
            full_digest=self.full_digest,
            duration=self.duration,
            status=OUTCOME_STATUS[self.outcome],
            error=self.error_type if failed else None,
            details=_short(self.error_message) if failed else None,
            note=NOT_FOUND_NOTE if self.outcome == "not_found" else None,
            cache="hit" if self.cache == "hit" else None,
        )

    def _message(self) -> str:
        image = self.reference.familiar()
        if self.outcome == "success":
            where = "the local cache" if self.cache == "hit" else self.reference.registry
            return f"pulled {image} ({self.digest}) from {where}"
        if self.outcome == "not_found":
            return f"{image} not found on {self.reference.registry}"
        return f"pulling {image} from {self.reference.registry} failed: {self.error_kind}"

    def _details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "engine": self.engine,
            "duration_ms": round(self.duration * 1000),
            "cache": self.cache,
            "reference": self.reference.to_text(),
        }
        if self.platform:
            details["platform"] = self.platform
        if self.downloaded is not None:
            details["downloaded_bytes"] = self.downloaded
        if self.error_type:
            details["error"] = {
                "type": self.error_type,
                "kind": self.error_kind,
                "message": _short(self.error_message),
            }
        return details


def line_event(line: DownloadLine, source: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``image.pull`` event a download line read from an existing log stands for."""
    outcome = {status: outcome for outcome, status in OUTCOME_STATUS.items()}[line.status]
    reference = _line_reference(line)
    record = PullRecord(
        reference=reference,
        started=line.timestamp,
        duration=line.duration or 0.0,
        outcome=outcome,
        digest=line.digest if line.digest and ":" in line.digest else None,
        cache="hit" if line.cache == "hit" else "miss",
        engine="imported",
        error_type=line.error,
        error_kind=line.error and "imported",
        error_message=line.details,
        source=dict(source or {}),
    )
    event = record.to_event()
    if line.duration is None:
        del event["details"]["duration_ms"]
    if line.digest and record.digest is None:
        event["details"]["digest_text"] = line.digest  # as the line had it, not a digest
    return event


def _line_reference(line: DownloadLine) -> ImageReference:
    try:
        parsed = ImageReference.parse(f"{line.registry}/{line.repository}", default_tag=None)
        return dataclasses.replace(parsed, tag=line.tag)
    except ReferenceError:
        # keep what the line says, even when it is not a name a registry would take
        return ImageReference(line.registry, line.repository, line.tag, None)


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= DETAILS_MAX else text[: DETAILS_MAX - 1] + "…"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _service_actor(source: Mapping[str, str]) -> dict[str, str]:
    return {"id": source.get("service") or "sealtrail", "type": "service"}
