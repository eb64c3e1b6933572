"""Registry notifications (https://distribution.github.io/distribution/about/notifications/).

A registry posts an envelope ``{"events": [...]}`` (media type
``application/vnd.docker.distribution.events.v1+json`` from 2.x registries, ``…v2+json`` from
3.x) for each push, pull, mount and delete it serves. ``RegistryNotification.from_json`` reads one
event; ``to_event`` makes it ``image.pull``, ``image.push``, ``image.mount`` or ``image.delete``
with the digest, the tag (present only when the request named one), repository, registry host,
the request's address and user agent, and the actor the registry authenticated.

``record_notifications`` stores them: each under its event id with ``Ledger.append_once``, so a
redelivered event is recorded once; a manifest push with a tag also goes to the tag index
(``TagIndex.record_push``, where the immutability policies are applied) before it is recorded,
an order that stays right when a delivery is repeated after a crash (a repeated push of the same
digest changes nothing). A tag deletion goes to the tag index (``record_delete``) after its event
is first recorded, so a redelivery never records a refused deletion twice; a crash between the
two leaves the tag in the index for ``tags sync`` to find. Blob events are dropped unless kept by
configuration.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from sealtrail.errors import Denied, NotFound, ValidationError
from sealtrail.events import format_time
from sealtrail.images.reference import ImageReference
from sealtrail.ledger.log import Ledger
from sealtrail.policies.tagindex import TagIndex

__all__ = [
    "ENVELOPE_TYPES",
    "NotificationSummary",
    "RegistryNotification",
    "read_envelope",
    "record_notifications",
]

ENVELOPE_TYPES = (
    "application/vnd.docker.distribution.events.v1+json",
    "application/vnd.docker.distribution.events.v2+json",
    "application/json",
)
_ACTIONS = {"pull": "image.pull", "push": "image.push", "mount": "image.mount"}
_ACTIONS["delete"] = "image.delete"
EVENTS_MAX = 1000  # per envelope
ID_MAX = 200


@dataclass(frozen=True)
class RegistryNotification:
    """One event of a registry's envelope."""

    id: str
    action: str  # pull, push, mount, delete
    kind: str  # manifest or blob
    reference: ImageReference
    time: str
    media_type: str | None = None
    size: int | None = None
    actor: str | None = None
    request: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None

    @classmethod
    def from_json(cls, value: Any) -> RegistryNotification:
        event = _object(value, "event")
        ident, action = _string(event, "id"), _string(event, "action")
        if action not in _ACTIONS or len(ident) > ID_MAX:
            raise ValidationError(f"event {ident[:40]!r}: unknown action {action!r} or long id")
        target, request = _object(event.get("target"), "target"), _request(event.get("request"))
        host = request.get("host") or _url_host(target.get("url"))
        if not host:
            raise ValidationError(f"event {ident!r}: no registry host (request.host, target.url)")
        reference = ImageReference.of(
            host, _string(target, "repository"), _optional(target, "tag"), _digest(target)
        )
        size = target.get("size", target.get("length"))
        return cls(
            ident,
            action,
            _kind(target),
            reference,
            _time(event.get("timestamp")),
            _optional(target, "mediaType"),
            size if isinstance(size, int) and not isinstance(size, bool) else None,
            _optional(_object(event.get("actor") or {}, "actor"), "name"),
            request,
            _optional(_object(event.get("source") or {}, "source"), "addr"),
        )

    def to_event(self) -> dict[str, Any]:
        reference = self.reference
        target: dict[str, Any] = {
            "type": "image" if self.kind == "manifest" else "blob",
            "id": reference.name,
            "registry": reference.registry,
            "repository": reference.repository,
        }
        if reference.tag:
            target["tag"] = reference.tag
        if reference.digest:
            target["digest"] = reference.digest
            target["full_digest"] = reference.full_digest
        event: dict[str, Any] = {
            "time": self.time,
            "action": _ACTIONS[self.action],
            "outcome": "success",
            "actor": self._actor(),
            "target": target,
            "source": {"service": "registry", **({"host": self.source} if self.source else {})},
            "message": f"{self.actor or 'anonymous'} {self.action} {self.kind} "
            f"{reference.familiar()} on {reference.registry}",
            "details": self._details(),
        }
        if self.request.get("id"):
            event["request_id"] = self.request["id"]
        return event

    def _actor(self) -> dict[str, str]:
        actor = {"id": self.actor or "anonymous", "type": "user" if self.actor else "anonymous"}
        address = _ip(self.request.get("addr"))
        if address:
            actor["ip"] = address
        if self.request.get("useragent"):
            actor["user_agent"] = self.request["useragent"]
        return actor

    def _details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"registry_event_id": self.id, "kind": self.kind}
        if self.media_type:
            details["media_type"] = self.media_type
        if self.size is not None:
            details["size"] = self.size
        if self.request.get("method"):
            details["method"] = self.request["method"]
        if self.request.get("addr"):
            details["request_addr"] = self.request["addr"]
        return details


@dataclass
class NotificationSummary:
    """What one delivery did."""

    recorded: int = 0
    duplicates: int = 0
    dropped: int = 0  # blob events, by configuration
    skipped: list[str] = field(default_factory=list)  # events that could not be read, and why
    denied: list[str] = field(default_factory=list)  # pushes that moved an immutable tag

    def to_json(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "duplicates": self.duplicates,
            "dropped": self.dropped,
            "skipped": self.skipped,
            "denied": self.denied,
        }


def read_envelope(body: bytes) -> list[RegistryNotification | str]:
    """The events of an envelope; an event that cannot be read is a reason in its place."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"the notification is not JSON: {error}") from None
    events = envelope.get("events") if isinstance(envelope, dict) else None
    if not isinstance(events, list):
        raise ValidationError('the notification is not an envelope: {"events": [...]}')
    if len(events) > EVENTS_MAX:
        raise ValidationError(f"more than {EVENTS_MAX} events in one notification")
    found: list[RegistryNotification | str] = []
    for number, event in enumerate(events):
        try:
            found.append(RegistryNotification.from_json(event))
        except ValidationError as error:
            found.append(f"event {number}: {error}")
    return found


def record_notifications(
    ledger: Ledger, items: Iterable[RegistryNotification | str], *, keep_blobs: bool = False
) -> NotificationSummary:
    """Store each notification once (see the module docstring)."""
    summary = NotificationSummary()
    for item in items:
        if isinstance(item, str):
            summary.skipped.append(item)
        elif item.kind == "blob" and not keep_blobs:
            summary.dropped += 1
        else:
            _record(ledger, item, summary)
    return summary


def _record(ledger: Ledger, item: RegistryNotification, summary: NotificationSummary) -> None:
    event = item.to_event()
    reference = item.reference
    if item.kind == "manifest" and item.action == "push" and reference.tag and reference.digest:
        try:
            TagIndex(ledger).record_push(
                reference.registry, reference.path, reference.tag, reference.digest, event["actor"]
            )
        except Denied:
            summary.denied.append(f"{reference.path}:{reference.tag}")
    key = f"registry-notification:{reference.registry}:{item.id}"
    if ledger.append_once(key, [event]) is None:
        summary.duplicates += 1
        return
    summary.recorded += 1
    if item.action == "delete" and reference.tag and not reference.digest:
        try:  # a tag deletion: after the event, so a redelivery cannot record a refusal twice
            TagIndex(ledger).record_delete(
                reference.registry, reference.path, reference.tag, event["actor"]
            )
        except Denied:
            summary.denied.append(f"{reference.path}:{reference.tag}")
        except NotFound:
            pass  # a tag the index never saw


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationError(f"{what}: must be an object")
    return value


def _string(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{name}: required string")
    return value


def _optional(obj: Mapping[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return value if isinstance(value, str) and value else None


def _digest(target: Mapping[str, Any]) -> str | None:
    digest = _optional(target, "digest")
    return digest.lower() if digest else None


def _kind(target: Mapping[str, Any]) -> str:
    """``manifest`` or ``blob``, by the URL, else the media type; a target with neither (a
    deletion, as 2.x registries send it) is taken for a manifest, so it is never dropped."""
    url = _optional(target, "url") or ""
    if "/blobs/" in url:
        return "blob"
    if "/manifests/" in url:
        return "manifest"
    media = (_optional(target, "mediaType") or "").lower()
    if not media:
        return "manifest"
    return "manifest" if "manifest" in media or "index" in media else "blob"


def _request(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    names = ("id", "addr", "host", "method", "useragent")
    return {name: value[name][:1024] for name in names if isinstance(value.get(name), str)}


def _url_host(url: Any) -> str | None:
    if not isinstance(url, str) or "://" not in url:
        return None
    return url.split("://", 1)[1].split("/", 1)[0] or None


def _ip(address: str | None) -> str | None:
    """The IP of ``host:port`` / ``[v6]:port`` / a bare address, when it is one."""
    if not address:
        return None
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
    host = host.strip("[]") if "]" not in host else host[1 : host.index("]")]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _time(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("timestamp: required string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = _nanoseconds(value)
    return format_time(moment)


def _nanoseconds(value: str) -> datetime:
    """Go's RFC 3339 with nanoseconds, which Python before 3.12 does not read."""
    head, dot, rest = value.partition(".")
    if not dot:
        raise ValidationError(f"timestamp: not RFC 3339: {value[:40]!r}")
    digits = "".join(ch for ch in rest if ch.isdigit())
    zone = rest[len(digits) :]
    try:
        return datetime.fromisoformat(f"{head}.{digits[:6]:0<6}{zone.replace('Z', '+00:00')}")
    except ValueError:
        raise ValidationError(f"timestamp: not RFC 3339: {value[:40]!r}") from None
