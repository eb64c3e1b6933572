"""The events that record every change to tags and immutability policies: pure builders.

    policy.create / policy.update / policy.delete   details.before, details.after (whole policy)
    tag.create                                      details.immutable (+ policy when one decided)
    tag.move / tag.delete                           outcome success, or denied with the reason
    tag.immutability_change                         immutable, previous_immutable, trigger
                                                    (policy | manual), policy {uuid, pattern,
                                                    tag_pattern_matches, scope, scope_name, version}
    policy.apply                                    the summary of one retroactive application

Policy deletion and weakening never lift immutability: the tags a policy made immutable stay so
(``ON_EXISTING_TAGS``), and the ``policy.update``/``policy.delete`` events say so in
``details.existing_immutable_tags`` with the count of tags concerned. Only a manual toggle, on
the record, makes a tag mutable again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sealtrail.policies.model import ImmutabilityPolicy

__all__ = [
    "ON_EXISTING_TAGS",
    "SYSTEM",
    "TagKey",
    "TagState",
    "apply_summary",
    "denied",
    "immutability_change",
    "policy_event",
    "reason_text",
    "tag_event",
]

#: Who acts when a policy changes a tag.
SYSTEM = {"id": "system", "type": "system"}
_SOURCE = {"service": "sealtrail"}
#: What policy deletion and weakening do to the tags a policy already made immutable.
ON_EXISTING_TAGS = "kept_immutable"


@dataclass(frozen=True, slots=True)
class TagKey:
    """One tag of one repository of one registry."""

    registry: str
    repository: str
    tag: str

    def target(self, digest: str | None) -> dict[str, Any]:
        target: dict[str, Any] = {
            "type": "tag",
            "id": f"{self.registry}/{self.repository}:{self.tag}",
            "registry": self.registry,
            "repository": self.repository,
            "tag": self.tag,
        }
        if digest is not None:
            target["digest"] = digest
        return target

    def text(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True, slots=True)
class TagState:
    """A tag as the index holds it, with why it is (im)mutable."""

    key: TagKey
    digest: str
    immutable: bool
    immutable_by: str | None  # policy | manual | None (never changed)
    policy_uuid: str | None
    policy_version: int | None
    reason_seq: int | None
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "registry": self.key.registry,
            "repository": self.key.repository,
            "tag": self.key.tag,
            "digest": self.digest,
            "immutable": self.immutable,
            "immutable_by": self.immutable_by,
            "policy_uuid": self.policy_uuid,
            "policy_version": self.policy_version,
            "reason_seq": self.reason_seq,
            "updated_at": self.updated_at,
        }


def _event(
    time: str, action: str, actor: dict[str, Any], target: dict[str, Any], message: str
) -> dict[str, Any]:
    return {
        "time": time,
        "action": action,
        "outcome": "success",
        "actor": actor,
        "target": target,
        "source": _SOURCE,
        "message": message,
    }


def _policy_target(policy: ImmutabilityPolicy) -> dict[str, Any]:
    target: dict[str, Any] = {
        "type": "immutability_policy",
        "id": policy.uuid,
        "namespace": policy.namespace,
    }
    if policy.repository is not None:
        target["repository"] = policy.repository
    return target


def policy_event(
    action: str,
    time: str,
    actor: dict[str, Any],
    before: ImmutabilityPolicy | None,
    after: ImmutabilityPolicy | None,
    kept_immutable: int,
) -> dict[str, Any]:
    """``policy.create|update|delete`` with the whole policy before and after; ``kept_immutable``
    counts the tags earlier versions made immutable, which stay immutable."""
    policy = after or before
    assert policy is not None
    verb = action.partition(".")[2]
    event = _event(
        time,
        action,
        actor,
        _policy_target(policy),
        f"{verb}d immutability policy {policy.uuid} ({policy.scope} {policy.scope_name}, "
        f"pattern {policy.tag_pattern!r})",
    )
    event["details"] = {
        "before": None if before is None else before.to_json(),
        "after": None if after is None else after.to_json(),
    }
    if before is not None:
        event["details"]["existing_immutable_tags"] = ON_EXISTING_TAGS
        event["details"]["kept_immutable_count"] = kept_immutable
        event["message"] += (
            f"; the {kept_immutable} tag(s) it made immutable stay immutable"
            " (lift with a manual change)"
        )
    return event


def tag_event(
    action: str,
    time: str,
    actor: dict[str, Any],
    key: TagKey,
    digest: str | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    """``tag.create``, ``tag.move`` or ``tag.delete``, done."""
    verb = {"tag.create": "created", "tag.move": "moved", "tag.delete": "deleted"}[action]
    event = _event(time, action, actor, key.target(digest), f"{verb} tag {key.text()}")
    event["details"] = details
    return event


def immutability_change(
    time: str,
    actor: dict[str, Any],
    key: TagKey,
    digest: str,
    *,
    immutable: bool,
    previous: bool,
    policy: ImmutabilityPolicy | None,
    cause_seq: int | None = None,
) -> dict[str, Any]:
    """``tag.immutability_change``: trigger ``policy`` (actor system) when ``policy`` is given,
    else ``manual``. ``cause_seq`` is the seq of the policy event it follows from."""
    state = "immutable" if immutable else "mutable"
    why = f"by policy {policy.uuid} v{policy.version}" if policy else f"manually by {actor['id']}"
    event = _event(
        time,
        "tag.immutability_change",
        SYSTEM if policy else actor,
        key.target(digest),
        f"tag {key.text()} made {state} {why}",
    )
    details: dict[str, Any] = {
        "immutable": immutable,
        "previous_immutable": previous,
        "trigger": "policy" if policy else "manual",
    }
    if policy is not None:
        details["policy"] = policy.reference()
    if cause_seq is not None:
        details["policy_event_seq"] = cause_seq
    event["details"] = details
    return event


def denied(
    action: str,
    time: str,
    actor: dict[str, Any],
    state: TagState,
    policy: ImmutabilityPolicy | None,
    requested_digest: str | None,
) -> dict[str, Any]:
    """A refused ``tag.move`` or ``tag.delete`` of an immutable tag, naming what made it so."""
    verb = "move" if action == "tag.move" else "delete"
    event = _event(
        time,
        action,
        actor,
        state.key.target(state.digest),
        f"refused to {verb} immutable tag {state.key.text()}: {reason_text(state, policy)}",
    )
    event["outcome"] = "denied"
    details: dict[str, Any] = {
        "immutable": True,
        "trigger": state.immutable_by or "policy",
        "reason_seq": state.reason_seq,
    }
    if policy is not None:
        details["policy"] = policy.reference()
    if requested_digest is not None:
        details["requested_digest"] = requested_digest
    event["details"] = details
    return event


def apply_summary(
    time: str,
    policy: ImmutabilityPolicy,
    *,
    policy_seq: int,
    affected: int,
    sample: list[str],
    duration_ms: float,
    batches: int,
    resumes: int,
    stopped: str | None,
) -> dict[str, Any]:
    """``policy.apply``: one retroactive application, once, at its end. ``stopped`` says why it
    ended before covering every tag (the policy was updated or deleted meanwhile)."""
    event = _event(
        time,
        "policy.apply",
        SYSTEM,
        _policy_target(policy),
        f"policy {policy.uuid} v{policy.version} made {affected} existing tag(s) immutable",
    )
    event["details"] = {
        "policy": policy.reference(),
        "policy_event_seq": policy_seq,
        "tags_affected_count": affected,
        "sample_tags": sample,
        "duration_ms": round(duration_ms, 3),
        "batches": batches,
        "resumes": resumes,
        "completed": stopped is None,
    }
    if stopped is not None:
        event["details"]["stopped"] = stopped
    return event


def reason_text(state: TagState, policy: ImmutabilityPolicy | None, by: str | None = None) -> str:
    """Why a tag is (im)mutable, in one clause citing the event seq (``by``: who changed it
    manually, when known)."""
    at = f"at seq {state.reason_seq}" if state.reason_seq is not None else ""
    if state.immutable_by == "policy" and policy is not None:
        return (
            f"made immutable by {policy.scope} policy {policy.uuid} version "
            f"{state.policy_version} on {policy.scope_name} (pattern {policy.tag_pattern!r}, "
            f"tag_pattern_matches={str(policy.tag_pattern_matches).lower()}) {at}"
        ).strip()
    if state.immutable_by == "manual":
        who = f" by {by}" if by else ""
        return f"set {'immutable' if state.immutable else 'mutable'} manually{who} {at}".strip()
    return "no policy or manual change has made it immutable"
