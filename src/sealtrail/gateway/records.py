"""The events the gateway records for what passes through it: pure builders.

    image.pull     a manifest GET or HEAD, by tag or digest: digest as served
                   (``Docker-Content-Digest``), bytes, status; outcome success, not_found,
                   denied (the upstream refused the credentials) or failure
    image.push     a manifest PUT (the tag events come from the tag index, in the same commit)
    image.delete   a manifest DELETE, by tag or digest
    image.mount    a cross-repository blob mount
    blob.pull      a blob GET (only when ``blob_events`` is on): digest, bytes

The actor is who the upstream authenticated (the basic user, the token's subject) or
``anonymous``, with the client's address and user agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sealtrail.events import format_time
from sealtrail.gateway.routes import is_digest

__all__ = ["Call", "image_event", "outcome_of"]

SOURCE = {"service": "sealtrail-gateway"}


def outcome_of(status: int) -> str:
    """The event outcome of an upstream status code."""
    if status < 400:
        return "success"
    if status == 404:
        return "not_found"
    if status in (401, 403):
        return "denied"
    return "failure"


@dataclass(frozen=True, slots=True)
class Call:
    """One request through the gateway: where it went, who made it, and its correlation id."""

    registry: str
    repository: str
    reference: str  # a tag, a digest or ""
    actor: dict[str, Any]
    method: str
    request_id: str

    def target(self, digest: str | None) -> dict[str, Any]:
        target: dict[str, Any] = {
            "type": "image",
            "id": f"{self.registry}/{self.repository}",
            "registry": self.registry,
            "repository": self.repository,
        }
        if self.reference and not is_digest(self.reference):
            target["tag"] = self.reference
            target["id"] += f":{self.reference}"
        if digest:
            target["digest"] = digest
            target["full_digest"] = f"{self.registry}/{self.repository}@{digest}"
            if "tag" not in target:
                target["id"] += f"@{digest}"
        return target


_VERBS = {
    "image.pull": "pulled",
    "image.push": "pushed",
    "image.delete": "deleted",
    "image.mount": "mounted a blob into",
    "blob.pull": "pulled a blob of",
}


def image_event(
    action: str,
    call: Call,
    *,
    time: Any,
    outcome: str,
    digest: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``image.*`` (or ``blob.pull``) event of ``call``; ``time`` is a datetime."""
    target = call.target(digest)
    verb = _VERBS[action]
    message = f"{call.actor['id']} {verb} {target['id']}"
    if outcome != "success":
        message = f"{action} of {target['id']} by {call.actor['id']}: {outcome}"
    event: dict[str, Any] = {
        "time": format_time(time),
        "action": action,
        "outcome": outcome,
        "actor": call.actor,
        "target": target,
        "source": SOURCE,
        "request_id": call.request_id,
        "message": message,
        "details": {"method": call.method, **(details or {})},
    }
    if outcome == "failure":
        event["severity"] = "warning"
    return event
