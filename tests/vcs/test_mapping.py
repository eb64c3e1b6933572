"""Each platform's deliveries map to the right events and fields (no server: the pure mapping)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from sealtrail.errors import ValidationError
from sealtrail.events import DEFAULT_LIMITS, LEDGER_RESERVE, canonical_json, validate_event
from sealtrail.vcs.config import VcsHooksConfig
from sealtrail.vcs.delivery import receive
from sealtrail.vcs.intake import map_delivery
from sealtrail.vcs.records import FILES_BUDGET, Context
from tests.vcs.conftest import SECRETS, Sample, sample

RECEIVED = "2024-11-21T10:00:00.000000Z"
C1 = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
C2 = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
MERGE = "9c2a7e0bb6bd1d1a2f5d0b8e1c4d3e2f1a0b9c8d"
CONFIG = VcsHooksConfig.from_section({p: {"secret": s} for p, s in SECRETS.items()})


def mapped(delivery: Sample, budget: int = 8192) -> list[dict[str, Any]]:
    """The events of a signed delivery, each checked valid by the ledger's own validation."""
    headers = {k.lower(): v for k, v in delivery.signed().items()}
    received = receive(CONFIG.platform(delivery.platform), headers, delivery.body)
    ctx = Context(delivery.platform, received.id, RECEIVED, budget=budget)
    events = map_delivery(received, ctx)
    for event in events:
        validate_event(event)
    return events


def events_of(name: str) -> list[dict[str, Any]]:
    return mapped(sample(name))


def actions(events: list[dict[str, Any]]) -> list[str]:
    return [event["action"] for event in events]


# --- pushes and commits ---


@pytest.mark.parametrize("name", ["github_push", "gitea_push", "gitlab_push"])
def test_a_push_is_one_vcs_push_and_one_vcs_commit_per_commit(name: str) -> None:
    events = events_of(name)
    assert actions(events) == ["vcs.push", "vcs.commit", "vcs.commit"]
    push = events[0]
    assert push["target"] == {
        "type": "git_ref",
        "id": "acme/app@refs/heads/main",
        "repository": "acme/app",
        "ref": "refs/heads/main",
    }
    assert push["actor"] == {"id": "alice", "type": "user"}
    assert push["details"]["before"] == "a" * 38 + "01"
    assert push["details"]["after"] == C2
    assert push["details"]["commits"] == 2
    assert "alice" in orjson.dumps(push["details"]["pusher"]).decode().lower()
    headers = sample(name).headers
    delivery = headers.get("X-GitHub-Delivery") or headers.get("Idempotency-Key")
    assert {e["request_id"] for e in events} == {delivery}


def test_github_says_whether_a_push_was_forced_and_the_others_do_not() -> None:
    assert events_of("github_push")[0]["details"]["forced"] is False
    assert events_of("gitea_push")[0]["details"]["forced"] is None
    assert events_of("gitlab_push")[0]["details"]["forced"] is None


@pytest.mark.parametrize("name", ["github_push", "gitea_push"])
def test_a_commit_carries_its_author_committer_message_time_and_files(name: str) -> None:
    first, second = events_of(name)[1:]
    assert first["target"] == {
        "type": "git_commit",
        "id": C1,
        "repository": "acme/app",
        "ref": "refs/heads/main",
    }
    assert first["actor"]["id"] == "alice"
    assert second["actor"]["id"] == "bob"
    assert first["time"] == "2024-11-21T09:15:30.000000Z"  # 10:15:30+01:00 in UTC
    assert first["details"]["timestamp"] == "2024-11-21T10:15:30+01:00"
    assert first["details"]["message"].startswith("Add the audit hook\n\nRecords pushes.")
    assert first["details"]["author"]["email"] == "alice@example.com"
    assert first["details"]["committer"]["name"]
    assert first["details"]["file_change"] == {
        "added": ["src/hook.py"],
        "modified": ["README.md"],
        "removed": [],
    }
    assert second["details"]["file_change"]["removed"] == ["src/poller.py"]
    assert first["message"] == f"alice committed {C1[:12]} to acme/app: Add the audit hook"


def test_gitlab_commits_name_their_authors_by_email_having_no_user_name() -> None:
    first, second = events_of("gitlab_push")[1:]
    assert first["actor"]["id"] == "alice@example.com"
    assert second["actor"]["id"] == "bob@example.com"
    assert first["details"]["file_change"] == {
        "added": ["src/hook.py"],
        "modified": ["README.md"],
        "removed": [],
    }


def test_a_commit_with_thousands_of_files_keeps_what_fits_and_counts_the_rest() -> None:
    delivery = sample("github_push")
    body = delivery.payload
    body["commits"][0]["added"] = [f"src/generated/module_{i:05d}.py" for i in range(5000)]
    events = mapped(delivery.with_body(body))
    change = events[1]["details"]["file_change"]
    assert 0 < len(change["added"]) < 5000
    assert change["modified"] == []  # README.md came after the budget was spent
    assert change["omitted"] == 5000 - len(change["added"]) + 1
    assert len(orjson.dumps(change["added"])) <= FILES_BUDGET + 2


# --- branches and tags ---


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("github_create_tag", [("vcs.tag_create", "acme/app@refs/tags/v1.2.0")]),
        ("github_delete_branch", [("vcs.branch_delete", "acme/app@refs/heads/audit-hook")]),
        ("gitea_create_branch", [("vcs.branch_create", "acme/app@refs/heads/audit-hook")]),
        ("gitea_delete_tag", [("vcs.tag_delete", "acme/app@refs/tags/v0.9.0")]),
        (
            "gitlab_tag_push",
            [
                ("vcs.push", "acme/app@refs/tags/v1.2.0"),
                ("vcs.tag_create", "acme/app@refs/tags/v1.2.0"),
            ],
        ),
        (
            "gitlab_push_new_branch",
            [
                ("vcs.push", "acme/app@refs/heads/audit-hook"),
                ("vcs.branch_create", "acme/app@refs/heads/audit-hook"),
                ("vcs.commit", C1),
            ],
        ),
    ],
)
def test_branch_and_tag_changes(name: str, expected: list[tuple[str, str]]) -> None:
    events = events_of(name)
    assert [(e["action"], e["target"]["id"]) for e in events] == expected
    assert all(e["actor"]["id"] == "alice" for e in events if e["action"] != "vcs.commit")


# --- pull and merge requests ---


@pytest.mark.parametrize(
    ("name", "verb", "actor"),
    [
        ("github_pull_request_opened", "opened", "alice"),
        ("github_pull_request_synchronize", "synchronized", "alice"),
        ("github_pull_request_closed", "closed", "alice"),
        ("github_pull_request_review_approved", "approved", "bob"),
        ("gitea_pull_request_opened", "opened", "alice"),
        ("gitea_pull_request_synchronized", "synchronized", "alice"),
        ("gitea_pull_request_approved", "approved", "bob"),
        ("gitlab_merge_request_open", "opened", "alice"),
        ("gitlab_merge_request_update", "synchronized", "alice"),
        ("gitlab_merge_request_approved", "approved", "bob"),
        ("gitlab_merge_request_close", "closed", "alice"),
    ],
)
def test_pull_and_merge_requests(name: str, verb: str, actor: str) -> None:
    (event,) = events_of(name)
    mark = "!7" if name.startswith("gitlab") else "#42"
    assert event["action"] == "vcs.pull_request"
    assert event["details"]["action"] == verb
    assert event["actor"]["id"] == actor
    assert event["target"]["id"] == f"acme/app{mark}"
    assert event["target"]["ref"] == "refs/heads/main"
    assert event["details"]["title"] == "Record pushes in the trail"
    assert event["time"] == "2024-11-22T08:00:00.000000Z"


@pytest.mark.parametrize(
    "name",
    ["github_pull_request_merged", "gitea_pull_request_merged", "gitlab_merge_request_merge"],
)
def test_a_merge_is_a_merged_pull_request_and_a_vcs_merge_by_whoever_merged(name: str) -> None:
    pull_request, merge = events_of(name)
    assert pull_request["details"]["action"] == "merged"
    assert merge["action"] == "vcs.merge"
    assert merge["actor"]["id"] == "carol"
    assert merge["details"]["merge_commit"] == MERGE
    assert merge["target"] == pull_request["target"]
    assert merge["message"].endswith("into refs/heads/main")


def test_a_review_keeps_its_state_and_body() -> None:
    (event,) = events_of("github_pull_request_review_approved")
    assert event["details"]["review"]["state"] == "approved"
    assert event["details"]["review"]["body"] == "Looks good to me."
    (gitea,) = events_of("gitea_pull_request_approved")
    assert gitea["details"]["review"]["body"] == "Looks good to me."


# --- comments ---


@pytest.mark.parametrize(
    ("name", "on", "target", "actor"),
    [
        ("github_issue_comment", "issue", "acme/app#41", "alice"),
        ("github_pull_request_review_comment", "pull_request", "acme/app#42", "bob"),
        ("github_commit_comment", "commit", f"acme/app@{C1}", "carol"),
        ("gitea_issue_comment", "pull_request", "acme/app#42", "bob"),
        ("gitlab_note_merge_request", "pull_request", "acme/app!7", "bob"),
    ],
)
def test_comments(name: str, on: str, target: str, actor: str) -> None:
    (event,) = events_of(name)
    assert event["action"] == "vcs.comment"
    assert event["details"]["on"] == on
    assert event["details"]["action"] == "created"
    assert event["details"]["body"]
    assert event["target"]["id"] == target
    assert event["target"]["repository"] == "acme/app"
    assert event["actor"]["id"] == actor


def test_a_review_comment_says_where_in_the_diff_it_is() -> None:
    (event,) = events_of("github_pull_request_review_comment")
    assert event["details"]["path"] == "src/hook.py"
    assert event["details"]["line"] == 7
    assert event["details"]["commit"] == C2


def test_a_ping_records_nothing() -> None:
    assert events_of("github_ping") == []


# --- what does not fit ---


def test_unused_payload_fields_are_kept_in_details_within_the_budget() -> None:
    push = mapped(sample("github_push"), budget=600)[0]
    unmapped = push["details"]["unmapped"]
    assert unmapped["repository.default_branch"] == "main"
    assert not [path for path in unmapped if path.endswith("_url") and "html" not in path]
    assert len(orjson.dumps(unmapped)) <= 600
    assert push["details"]["unmapped_omitted"] > 0
    assert "unmapped" not in mapped(sample("github_push"), budget=0)[0]["details"]


def test_a_huge_payload_still_makes_events_under_the_event_limit() -> None:
    delivery = sample("github_push")
    body = delivery.payload
    body["repository"]["custom_properties"] = {f"p{i}": "v" * 400 for i in range(400)}
    body["commits"][0]["message"] = "m" * 100_000
    events = mapped(delivery.with_body(body), budget=65535)
    for event in events:
        size = len(canonical_json(validate_event(event)))
        assert size <= DEFAULT_LIMITS.max_event_bytes - LEDGER_RESERVE
    assert events[0]["details"]["unmapped_omitted"] > 0
    assert events[1]["details"]["message"].endswith("…")


def test_a_payload_without_a_required_field_is_an_error_naming_it() -> None:
    delivery = sample("github_push")
    body = delivery.payload
    del body["ref"]
    with pytest.raises(ValidationError, match=r"^payload\.ref: required"):
        mapped(delivery.with_body(body))
