"""Signed deliveries over HTTP to a real ``sealtrail serve``, on both engines: what is recorded,
what is refused (401 and ``auth.denied``), redeliveries recorded once, bad payloads leaving
nothing behind, and who may read the result."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.conftest import await_event, find_events
from tests.conftest import RunningServer, start_server
from tests.vcs.conftest import PREVIOUS, Sample, deliver, fresh, hook_env, new_repository, sample

PUSHES = ["github_push", "gitlab_push", "gitea_push"]


@pytest.fixture(scope="module")
def admin(hooks: RunningServer) -> Iterator[httpx.Client]:
    with hooks.client(hooks.admin_key) as client:
        yield client


def recorded(admin: httpx.Client, repository: str) -> list[dict[str, Any]]:
    return list(reversed(find_events(admin, repository=repository)))


def denied_for(admin: httpx.Client, request_id: str) -> dict[str, Any]:
    return await_event(
        admin, lambda e: e.get("request_id") == request_id, "auth.denied", action="auth.denied"
    )


@pytest.mark.parametrize("name", PUSHES)
def test_a_signed_push_is_recorded_with_its_commits(
    hooks: RunningServer, admin: httpx.Client, name: str
) -> None:
    repository = new_repository()
    delivery = fresh(sample(name), repository)
    response = deliver(hooks, delivery, delivery.signed())
    assert response.status_code == 200, response.text
    assert response.json() | {"delivery": None} == {
        "delivery": None,
        "kind": "push",
        "recorded": 3,
        "duplicate": False,
        "ignored": None,
    }
    events = recorded(admin, repository)
    assert [e["action"] for e in events] == ["vcs.push", "vcs.commit", "vcs.commit"]
    assert {e["request_id"] for e in events} == {response.json()["delivery"]}
    host = {"github": "github.com"}.get(delivery.platform, f"{delivery.platform}.acme.example")
    assert events[0]["source"] == {"service": delivery.platform, "host": host}


@pytest.mark.parametrize("name", PUSHES)
def test_the_previous_secret_still_works_during_a_change_over(
    hooks: RunningServer, admin: httpx.Client, name: str
) -> None:
    repository = new_repository()
    delivery = fresh(sample(name), repository)
    response = deliver(hooks, delivery, delivery.signed(PREVIOUS[delivery.platform]))
    assert response.status_code == 200
    assert len(recorded(admin, repository)) == 3


@pytest.mark.parametrize("name", PUSHES)
@pytest.mark.parametrize("signing", ["wrong", "missing"])
def test_a_mis_signed_or_unsigned_delivery_is_refused_and_recorded_as_denied(
    hooks: RunningServer, admin: httpx.Client, name: str, signing: str
) -> None:
    repository = new_repository()
    delivery = fresh(sample(name), repository)
    headers = delivery.signed("wrong-secret") if signing == "wrong" else dict(delivery.headers)
    request_id = str(uuid.uuid4())
    response = deliver(hooks, delivery, headers | {"X-Request-ID": request_id})
    assert response.status_code == 401
    assert response.json()["error"].startswith(f"{delivery.platform} hooks: ")
    denied = denied_for(admin, request_id)
    assert denied["outcome"] == "denied"
    assert denied["target"] == {"type": "webhook", "id": delivery.platform}
    assert denied["actor"]["type"] == "anonymous"
    assert "wrong-secret" not in str(denied)
    assert recorded(admin, repository) == []


@pytest.mark.parametrize("name", PUSHES)
def test_a_redelivery_is_recorded_once(
    hooks: RunningServer, admin: httpx.Client, name: str
) -> None:
    repository = new_repository()
    delivery = fresh(sample(name), repository)
    first = deliver(hooks, delivery, delivery.signed())
    again = deliver(hooks, delivery, delivery.signed())
    assert first.json()["recorded"] == 3
    assert again.status_code == 200
    assert (again.json()["recorded"], again.json()["duplicate"]) == (0, True)
    assert len(recorded(admin, repository)) == 3


def test_redeliveries_racing_each_other_are_recorded_once(
    hooks: RunningServer, admin: httpx.Client
) -> None:
    repository = new_repository()
    delivery = fresh(sample("github_push"), repository)
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: deliver(hooks, delivery, delivery.signed()), range(6)))
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 5
    assert len(recorded(admin, repository)) == 3


@pytest.mark.parametrize(
    "name",
    [
        "github_pull_request_merged",
        "github_pull_request_review_approved",
        "github_issue_comment",
        "github_create_tag",
        "gitlab_merge_request_merge",
        "gitlab_note_merge_request",
        "gitlab_tag_push",
        "gitea_pull_request_approved",
        "gitea_issue_comment",
        "gitea_delete_tag",
    ],
)
def test_each_kind_of_delivery_is_recorded_over_http(
    hooks: RunningServer, admin: httpx.Client, name: str
) -> None:
    repository = new_repository()
    delivery = fresh(sample(name), repository)
    response = deliver(hooks, delivery, delivery.signed())
    assert response.status_code == 200, response.text
    events = recorded(admin, repository)
    assert len(events) == response.json()["recorded"] >= 1
    assert all(e["action"].startswith("vcs.") for e in events)
    assert all(e["target"]["repository"] == repository for e in events)


def test_a_ping_is_answered_and_records_nothing(hooks: RunningServer) -> None:
    delivery = fresh(sample("github_ping"))
    response = deliver(hooks, delivery, delivery.signed())
    assert response.status_code == 200
    assert response.json()["recorded"] == 0
    assert response.json()["ignored"] == "event kind 'ping' is not recorded"


def test_malformed_json_is_400_and_leaves_nothing(hooks: RunningServer) -> None:
    delivery = Sample("github", sample("github_push").headers, b'{"ref": "refs/heads/main",')
    response = deliver(hooks, delivery, delivery.signed())
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]


def test_a_payload_missing_a_field_is_400_naming_it_and_its_id_stays_free(
    hooks: RunningServer, admin: httpx.Client
) -> None:
    repository = new_repository()
    good = fresh(sample("gitea_push"), repository)
    data = good.payload
    data["commits"][1]["id"] = None  # the second commit cannot be recorded
    bad = good.with_body(data)
    response = deliver(hooks, bad, bad.signed())
    assert response.status_code == 400
    assert response.json()["error"] == "payload.commits[1].id: required, a non-empty string"
    assert recorded(admin, repository) == []  # not even the push or the first commit
    assert deliver(hooks, good, good.signed()).json()["recorded"] == 3


def test_a_user_key_sees_its_developers_commits_and_nobody_elses(
    hooks: RunningServer, admin: httpx.Client
) -> None:
    repository = new_repository()
    delivery = fresh(sample("github_push"), repository)
    assert deliver(hooks, delivery, delivery.signed()).status_code == 200
    with hooks.client(hooks.key("user", "bob")) as bob:
        response = bob.get("/v1/events", params={"repository": repository})
        events = response.json()["events"]
        assert [(e["action"], e["actor"]["id"]) for e in events] == [("vcs.commit", "bob")]
        alices = [e for e in recorded(admin, repository) if e["actor"]["id"] == "alice"]
        assert bob.get(f"/v1/events/{alices[0]['seq']}").status_code == 404


def test_hooks_take_no_api_key(hooks: RunningServer) -> None:
    delivery = fresh(sample("github_push"))
    with hooks.client(hooks.admin_key) as admin:
        response = admin.post("/v1/hooks/github", content=delivery.body, headers=delivery.headers)
    assert response.status_code == 401


# --- a server with a small body limit and a narrow configuration ---


@pytest.fixture(scope="module")
def narrow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = hook_env(
        SEALTRAIL_MAX_BODY_BYTES="20000",
        SEALTRAIL_HOOKS__GITHUB__REPOSITORIES="tools/*",
        SEALTRAIL_HOOKS__GITLAB__EVENTS="merge_request,note",
    )
    running = start_server(tmp_path_factory.mktemp("narrow") / "data", env=env)
    yield running
    running.stop()


def test_an_oversized_delivery_is_413_and_leaves_nothing(narrow: RunningServer) -> None:
    repository = new_repository()
    delivery = fresh(sample("github_push"), repository)
    data = delivery.payload
    data["commits"][0]["message"] = "x" * 30_000
    big = delivery.with_body(data)
    response = deliver(narrow, big, big.signed())
    assert response.status_code == 413
    with narrow.client(narrow.admin_key) as admin:
        assert recorded(admin, repository) == []


def test_repositories_and_event_kinds_not_configured_are_ignored(narrow: RunningServer) -> None:
    elsewhere = fresh(sample("github_push"), "acme/app")
    answer = deliver(narrow, elsewhere, elsewhere.signed()).json()
    assert answer["ignored"] == "repository 'acme/app' is not among the configured repositories"
    kept = fresh(sample("github_push"), "tools/ci")
    assert deliver(narrow, kept, kept.signed()).json()["recorded"] == 3
    push = fresh(sample("gitlab_push"))
    assert (
        "not among the configured events" in deliver(narrow, push, push.signed()).json()["ignored"]
    )
    merge_request = fresh(sample("gitlab_merge_request_open"))
    assert deliver(narrow, merge_request, merge_request.signed()).json()["recorded"] == 1
