"""Pushes, refused moves and deletes, manual toggles, deletion and weakening of policies."""

from __future__ import annotations

import pytest

from sealtrail.errors import Denied, NotFound, ValidationError
from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex, TagRef
from tests.policies.conftest import ADMIN, PUSHER, REGISTRY, digest, events, push_tags


def _push_event(tag: str) -> dict[str, object]:
    return {
        "time": "2026-03-06T10:00:00.000000Z",
        "action": "image.push",
        "outcome": "success",
        "actor": PUSHER,
        "target": {"type": "image", "id": tag, "registry": REGISTRY, "repository": "org/app"},
    }


def test_a_push_and_its_extra_events_are_recorded_together(ledger: Ledger, index: TagIndex) -> None:
    state = index.record_push(
        REGISTRY, "org/app", "v1", digest(1), PUSHER, also=[_push_event("v1")]
    )
    assert (state.digest, state.immutable) == (digest(1), False)
    assert [e["action"] for e in events(ledger, "tag.create", "image.push")] == [
        "tag.create",
        "image.push",
    ]
    moved = index.record_push(REGISTRY, "org/app", "v1", digest(2), PUSHER)
    assert moved.digest == digest(2)
    (move,) = events(ledger, "tag.move")
    assert move["details"] == {"immutable": False, "previous_digest": digest(1)}
    size = ledger.size()
    index.record_push(REGISTRY, "org/app", "v1", digest(2), PUSHER)  # same digest: no change
    assert ledger.size() == size


def test_re_pushing_the_same_digest_of_an_immutable_tag_is_allowed(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    policies.create(repository="org/team/app", tag_pattern="v1", actor=ADMIN)
    state = index.record_push(REGISTRY, "org/team/app", "v1", digest(1), PUSHER)
    assert state.immutable
    again = index.record_push(
        REGISTRY, "org/team/app", "v1", digest(1), PUSHER, also=[_push_event("v1")]
    )
    assert again == state
    assert len(events(ledger, "image.push")) == 1


def test_a_refused_move_records_the_denial_without_the_extra_events(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    policy = policies.create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    index.record_push(REGISTRY, "org/app", "v1", digest(1), PUSHER)
    with pytest.raises(
        Denied, match=f"cannot be moved: made immutable by namespace policy {policy.uuid}"
    ):
        index.record_push(REGISTRY, "org/app", "v1", digest(2), PUSHER, also=[_push_event("v1")])
    assert events(ledger, "image.push") == []
    (denied,) = events(ledger, "tag.move")
    assert denied["outcome"] == "denied"
    assert denied["details"]["requested_digest"] == digest(2)
    assert denied["target"]["digest"] == digest(1)
    assert index.tag("org/app", "v1").digest == digest(1)


def test_deleting_an_immutable_tag_is_refused_and_recorded(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    policy = policies.create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    push_tags(index, "org/app", ["v1", "dev"])
    with pytest.raises(Denied, match="cannot be deleted"):
        index.record_delete(REGISTRY, "org/app", "v1", PUSHER)
    index.record_delete(REGISTRY, "org/app", "dev", PUSHER)
    refused, done = events(ledger, "tag.delete")
    assert (refused["outcome"], refused["details"]["policy"]["uuid"]) == ("denied", policy.uuid)
    assert (done["outcome"], done["target"]["tag"]) == ("success", "dev")
    with pytest.raises(NotFound):
        index.tag("org/app", "dev")
    with pytest.raises(NotFound):
        index.record_delete(REGISTRY, "org/app", "dev", PUSHER)


def test_manual_toggles_are_recorded_with_the_user(ledger: Ledger, index: TagIndex) -> None:
    push_tags(index, "org/app", ["v1"])
    state = index.set_immutable("org/app", "v1", True, ADMIN)
    assert (state.immutable, state.immutable_by) == (True, "manual")
    index.set_immutable("org/app", "v1", True, ADMIN)  # no change, nothing recorded
    index.set_immutable("org/app", "v1", False, ADMIN)
    on, off = events(ledger, "tag.immutability_change")
    assert on["actor"] == ADMIN
    assert on["details"] == {"immutable": True, "previous_immutable": False, "trigger": "manual"}
    assert off["details"] == {"immutable": False, "previous_immutable": True, "trigger": "manual"}
    line = index.why(TagRef.from_text("org/app:v1"))
    assert (
        line == f"org/app:v1 is mutable: set mutable manually by {ADMIN['id']} at seq {off['seq']}"
    )


def test_deleting_or_weakening_a_policy_keeps_its_tags_immutable(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    push_tags(index, "org/app", ["v1", "v2", "latest"])
    policy = policies.create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    policies.apply(policy)
    weaker = policies.update(policy.uuid, tag_pattern="v1", actor=ADMIN)
    assert weaker.version == 2
    policies.apply(weaker)
    policies.delete(policy.uuid, actor=ADMIN)
    assert index.tag("org/app", "v2").immutable
    assert index.tag("org/app", "v2").policy_version == 1
    update, delete = events(ledger, "policy.update", "policy.delete")
    assert update["details"]["before"] == policy.to_json()
    assert update["details"]["after"] == weaker.to_json()
    for event in (update, delete):
        assert event["details"]["existing_immutable_tags"] == "kept_immutable"
        assert event["details"]["kept_immutable_count"] == 2
    assert delete["details"]["after"] is None
    assert delete["details"]["before"] == weaker.to_json()
    deleted = policies.get(policy.uuid)
    assert deleted.deleted_by == ADMIN["id"]
    assert policies.list(namespace="org") == []
    assert policies.list(namespace="org", deleted=True) == [deleted]
    with pytest.raises(NotFound, match="was deleted"):
        policies.update(policy.uuid, tag_pattern="x", actor=ADMIN)
    pushed = index.record_push(REGISTRY, "org/app", "v3", digest(3), PUSHER)
    assert not pushed.immutable  # a deleted policy is never evaluated again


def test_tag_pattern_matches_false_makes_the_other_tags_immutable(
    index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    push_tags(index, "org/app", ["dev-1", "v1"])
    policy = policies.create(
        repository="org/app", tag_pattern="dev-.*", tag_pattern_matches=False, actor=ADMIN
    )
    applied = policies.apply(policy)
    assert applied is not None
    assert applied.tags_affected_count == 1
    assert index.tag("org/app", "v1").immutable
    assert not index.tag("org/app", "dev-1").immutable


def test_an_update_stops_the_run_of_the_older_version(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    push_tags(index, "org/app", ["v1"])
    policy = policies.create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    newer = policies.update(policy.uuid, tag_pattern_matches=False, actor=ADMIN)
    assert policies.pending() == 2
    first, second = policies.resume()
    assert (first.version, first.completed, first.tags_affected_count) == (1, False, 0)
    assert (second.version, second.completed) == (newer.version, True)
    stopped = events(ledger, "policy.apply")[0]
    assert stopped["details"]["stopped"] == "policy updated to version 2"


@pytest.mark.parametrize(
    ("repository", "tag", "digest_", "field"),
    [
        ("Org/app", "v1", digest(1), "repository"),
        ("org/app", "-v1", digest(1), "tag"),
        ("org/app", "v1", "md5", "digest"),
    ],
)
def test_bad_names_are_rejected_before_anything_is_recorded(
    ledger: Ledger, index: TagIndex, repository: str, tag: str, digest_: str, field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        index.record_push(REGISTRY, repository, tag, digest_, PUSHER)
    assert ledger.size() == 0


def test_a_policy_needs_exactly_one_scope(policies: ImmutabilityPolicies) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        policies.create(tag_pattern="v.*", actor=ADMIN)
    with pytest.raises(ValidationError, match="namespace"):
        policies.create(namespace="org/app", tag_pattern="v.*", actor=ADMIN)
    with pytest.raises(ValidationError, match="tag_pattern"):
        policies.create(namespace="org", tag_pattern="(", actor=ADMIN)


def test_a_repository_in_several_registries_needs_the_registry_named(index: TagIndex) -> None:
    index.record_push(REGISTRY, "org/app", "v1", digest(1), PUSHER)
    index.record_push("mirror.example.com:5000", "org/app", "v1", digest(2), PUSHER)
    with pytest.raises(ValidationError, match="in several registries"):
        index.tag("org/app", "v1")
    assert index.tag("org/app", "v1", "mirror.example.com:5000").digest == digest(2)
    assert [t.key.registry for t in index.tags("org/app")] == [
        "mirror.example.com:5000",
        REGISTRY,
    ]
    with pytest.raises(ValidationError, match="registry"):
        index.tag("org/app", "v1", "not a host")
