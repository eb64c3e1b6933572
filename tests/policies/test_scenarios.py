"""The seed's two reproduction scenarios, at 1,000+ tags, checking every expected event."""

from __future__ import annotations

import pytest

from sealtrail.errors import Denied
from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex, TagRef
from tests.policies.conftest import ADMIN, PUSHER, REGISTRY, digest, events, push_tags

TAGS = 1_200


def _policy_ref(policy_json: dict[str, object]) -> dict[str, object]:
    return {
        "uuid": policy_json["uuid"],
        "pattern": policy_json["tag_pattern"],
        "tag_pattern_matches": policy_json["tag_pattern_matches"],
        "scope": policy_json["scope"],
        "scope_name": policy_json["namespace"],
        "version": policy_json["version"],
    }


def test_pushed_tags_that_a_policy_makes_immutable_are_on_the_record(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    policy = policies.create(namespace="org", tag_pattern="^latest$", actor=ADMIN)
    policies.apply(policy)
    repositories = [f"org/repo{i}" for i in range(TAGS)]
    for i, repository in enumerate(repositories):
        index.record_push(REGISTRY, repository, "latest", digest(i), PUSHER)
        index.record_push(REGISTRY, repository, "dev", digest(i), PUSHER)

    created = events(ledger, "tag.create")
    changes = events(ledger, "tag.immutability_change")
    assert len(created) == 2 * TAGS
    assert len(changes) == TAGS
    by_seq = {event["seq"]: event for event in created}
    for change in changes:
        create = by_seq[change["seq"] - 1]  # the tag.create just before, same transaction
        assert create["target"] == change["target"]
        assert create["details"]["immutable"] is True
        assert create["actor"] == PUSHER
        assert change["actor"] == {"id": "system", "type": "system"}
        assert change["target"]["tag"] == "latest"
        assert change["details"] == {
            "immutable": True,
            "previous_immutable": False,
            "trigger": "policy",
            "policy": _policy_ref(policy.to_json()),
        }
    mutable = [e for e in created if e["target"]["tag"] == "dev"]
    assert all(e["details"] == {"immutable": False} for e in mutable)
    assert len(mutable) == TAGS

    state = index.tag("org/repo7", "latest")
    assert state.immutable
    assert state.immutable_by == "policy"
    line = index.why(TagRef.from_text("org/repo7:latest"))
    assert f"policy {policy.uuid}" in line
    assert f"at seq {state.reason_seq}" in line
    with pytest.raises(Denied, match=f"policy {policy.uuid}"):
        index.record_push(REGISTRY, "org/repo7", "latest", digest(99_999), PUSHER)
    (refused,) = events(ledger, "tag.move")
    assert refused["outcome"] == "denied"
    assert refused["details"]["policy"]["uuid"] == policy.uuid
    assert refused["details"]["reason_seq"] == state.reason_seq
    ledger.verify()


def test_retroactive_application_records_each_tag_and_one_summary(
    ledger: Ledger, index: TagIndex, policies: ImmutabilityPolicies
) -> None:
    versions = [f"v{i // 100}.{i % 100}.0" for i in range(TAGS)]
    push_tags(index, "myorg/app", [*versions, "latest", "dev", "nightly-v1"])
    policy = policies.create(namespace="myorg", tag_pattern="^v.*$", actor=ADMIN)
    applied = policies.apply(policy)
    assert applied is not None
    assert applied.completed
    assert applied.tags_affected_count == TAGS

    (created,) = events(ledger, "policy.create")
    assert created["actor"] == ADMIN
    assert created["details"]["before"] is None
    assert created["details"]["after"] == policy.to_json()
    changes = events(ledger, "tag.immutability_change")
    assert [change["target"]["tag"] for change in changes] == versions
    for change in changes:
        assert change["actor"] == {"id": "system", "type": "system"}
        assert change["target"]["repository"] == "myorg/app"
        assert change["details"] == {
            "immutable": True,
            "previous_immutable": False,
            "trigger": "policy",
            "policy": _policy_ref(policy.to_json()),
            "policy_event_seq": created["seq"],
        }
    (summary,) = events(ledger, "policy.apply")
    assert summary["seq"] == applied.summary_seq
    details = summary["details"]
    assert details["tags_affected_count"] == TAGS
    assert details["sample_tags"] == [f"myorg/app:{name}" for name in versions[:10]]
    assert details["policy_event_seq"] == created["seq"]
    assert details["completed"] is True
    assert details["duration_ms"] >= 0
    assert details["batches"] == -(-(TAGS + 3) // policies.batch)
    for tag in versions[::97]:
        state = index.tag("myorg/app", tag)
        assert state.immutable
        assert state.policy_uuid == policy.uuid
        assert state.reason_seq is not None
        assert ledger.entry(state.reason_seq).count(f'"tag":"{tag}"'.encode()) == 1
    assert not index.tag("myorg/app", "latest").immutable
    ledger.verify()
