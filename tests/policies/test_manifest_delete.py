"""Deleting a manifest deletes the tags pointing at it, unless one of them is immutable."""

from __future__ import annotations

import pytest

from sealtrail.errors import Denied
from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex
from tests.policies.conftest import ADMIN, PUSHER, REGISTRY, digest, events


def _delete_event() -> dict[str, object]:
    return {
        "time": "2026-03-06T10:00:00.000000Z",
        "action": "image.delete",
        "outcome": "success",
        "actor": PUSHER,
        "target": {"type": "image", "id": "m", "registry": REGISTRY, "repository": "org/app"},
    }


def test_a_manifest_delete_removes_its_tags_with_the_extra_event(
    ledger: Ledger, index: TagIndex
) -> None:
    for tag in ("latest", "dev"):
        index.record_push(REGISTRY, "org/app", tag, digest(1), PUSHER)
    index.record_push(REGISTRY, "org/app", "other", digest(2), PUSHER)
    assert [s.key.tag for s in index.tags_at(REGISTRY, "org/app", digest(1))] == ["dev", "latest"]
    removed = index.record_manifest_delete(
        REGISTRY, "org/app", digest(1), PUSHER, also=[_delete_event()]
    )
    assert [state.key.tag for state in removed] == ["dev", "latest"]
    assert index.tags_at(REGISTRY, "org/app", digest(1)) == []
    assert [s.key.tag for s in index.tags("org/app")] == ["other"]
    deletes = events(ledger, "tag.delete", "image.delete")
    assert [e["action"] for e in deletes] == ["tag.delete", "tag.delete", "image.delete"]
    assert deletes[0]["details"]["with_manifest"] is True


def test_a_manifest_with_an_immutable_tag_is_not_deleted(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    policy = policies.create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    for tag in ("latest", "v1"):
        index.record_push(REGISTRY, "org/app", tag, digest(1), PUSHER)
    with pytest.raises(Denied, match=f"manifest {digest(1)} is tagged: tag org/app:v1"):
        index.record_manifest_delete(REGISTRY, "org/app", digest(1), PUSHER, also=[_delete_event()])
    assert len(index.tags_at(REGISTRY, "org/app", digest(1))) == 2
    [refused] = events(ledger, "tag.delete")
    assert refused["outcome"] == "denied"
    assert refused["details"]["policy"]["uuid"] == policy.uuid
    assert events(ledger, "image.delete") == []


def test_refuse_records_a_refusal_and_changes_nothing_when_allowed(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    policies.create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    for tag in ("latest", "v1"):
        index.record_push(REGISTRY, "org/app", tag, digest(1), PUSHER)
    size = ledger.size()
    index.refuse(REGISTRY, "org/app", PUSHER, tag="latest", digest=digest(2))
    index.refuse(REGISTRY, "org/app", PUSHER, tag="latest")
    index.refuse(REGISTRY, "org/app", PUSHER, tag="v1", digest=digest(1))  # same digest
    index.refuse(REGISTRY, "org/app", PUSHER, digest=digest(2))
    assert ledger.size() == size
    assert index.tag("org/app", "latest").digest == digest(1)
    with pytest.raises(Denied, match="cannot be moved"):
        index.refuse(REGISTRY, "org/app", PUSHER, tag="v1", digest=digest(2))
    with pytest.raises(Denied, match="cannot be deleted"):
        index.refuse(REGISTRY, "org/app", PUSHER, tag="v1")
    with pytest.raises(Denied, match=f"manifest {digest(1)} is tagged"):
        index.refuse(REGISTRY, "org/app", PUSHER, digest=digest(1))
    outcomes = [(e["action"], e["outcome"]) for e in events(ledger, "tag.move", "tag.delete")]
    assert outcomes == [("tag.move", "denied"), ("tag.delete", "denied"), ("tag.delete", "denied")]
    assert index.tag("org/app", "v1").digest == digest(1)
