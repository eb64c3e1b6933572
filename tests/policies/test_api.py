"""The HTTP API against a real ``sealtrail serve``: repository paths with slashes, roles, errors,
and the server resuming an interrupted application when it starts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex
from tests.conftest import RunningServer, start_server
from tests.policies.conftest import ADMIN, push_tags

REPO = "org/team/app"
POLICIES = f"/v1/repositories/{REPO}/immutability-policies"


def _seed_tags(directory: Path, names: list[str], repository: str = REPO) -> None:
    with Ledger.open(directory) as ledger:
        push_tags(TagIndex(ledger), repository, names)


def _events(client: httpx.Client, action: str) -> list[dict[str, Any]]:
    response = client.get("/v1/events", params={"action": action, "order": "oldest", "limit": 1000})
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_policies_and_tags_over_http(server: RunningServer) -> None:
    _seed_tags(server.directory, ["v1", "v2", "latest"])
    auditor = server.client(server.key("auditor"))
    with server.client(server.admin_key) as admin, auditor:
        created = admin.post(POLICIES, json={"tag_pattern": "v.*"})
        assert created.status_code == 201, created.text
        policy = created.json()
        assert (policy["scope"], policy["repository"], policy["namespace"]) == (
            "repository", REPO, "org",
        )  # fmt: skip
        assert policy["application"]["tags_affected_count"] == 2
        one = auditor.get(f"{POLICIES}/{policy['uuid']}")
        assert one.json()["tag_pattern"] == "v.*"
        assert [p["uuid"] for p in auditor.get(POLICIES).json()["policies"]] == [policy["uuid"]]

        tags = {t["tag"]: t for t in auditor.get(f"/v1/repositories/{REPO}/tags").json()["tags"]}
        assert set(tags) == {"v1", "v2", "latest"}
        assert tags["v1"]["immutable"] is True
        assert tags["v1"]["policy_uuid"] == policy["uuid"]
        assert f"at seq {tags['v1']['reason_seq']}" in tags["v1"]["reason"]
        assert tags["latest"]["immutable"] is False

        toggled = admin.put(
            f"/v1/repositories/{REPO}/tags/v1/immutability", json={"immutable": False}
        )
        assert toggled.status_code == 200, toggled.text
        assert (toggled.json()["immutable"], toggled.json()["immutable_by"]) == (False, "manual")
        (manual,) = [
            e for e in _events(admin, "tag.immutability_change")
            if e["details"]["trigger"] == "manual"
        ]  # fmt: skip
        assert manual["actor"]["id"].startswith("key:")
        assert manual["details"]["previous_immutable"] is True

        updated = admin.put(f"{POLICIES}/{policy['uuid']}", json={"tag_pattern": "latest"})
        assert updated.json()["version"] == 2
        assert updated.json()["application"]["tags_affected_count"] == 1
        deleted = admin.delete(f"{POLICIES}/{policy['uuid']}")
        assert deleted.json()["deleted_at"] is not None
        assert auditor.get(POLICIES).json()["policies"] == []
        history = auditor.get(POLICIES, params={"deleted": "true"}).json()["policies"]
        assert [p["version"] for p in history] == [2]
        (update,) = _events(auditor, "policy.update")
        assert update["details"]["before"]["tag_pattern"] == "v.*"
        assert update["details"]["after"]["tag_pattern"] == "latest"


def test_roles_and_bad_input(server: RunningServer) -> None:
    auditor, writer = server.key("auditor"), server.key("writer")
    namespace = "/v1/namespaces/org/immutability-policies"
    with server.client(auditor) as reader, server.client(writer) as appender:
        assert reader.post(namespace, json={"tag_pattern": "v.*"}).status_code == 403
        assert appender.get(namespace).status_code == 403
    with server.client() as anonymous:
        assert anonymous.get(namespace).status_code == 401
    with server.client(server.admin_key) as admin:
        bad = admin.post(namespace, json={"tag_pattern": "(a"})
        assert bad.status_code == 400
        assert "tag_pattern: invalid RE2 pattern" in bad.json()["error"]
        long = admin.post(namespace, json={"tag_pattern": "a" * 300})
        assert long.status_code == 400
        assert "over the limit of 256" in long.json()["error"]
        wrong = admin.get("/v1/repositories/Org/App/tags")
        assert wrong.status_code == 400
        assert "repository 'Org/App'" in wrong.json()["error"]
        created = admin.post(namespace, json={"tag_pattern": "v.*"}).json()
        elsewhere = admin.get(f"/v1/namespaces/other/immutability-policies/{created['uuid']}")
        assert elsewhere.status_code == 404
        missing = admin.put(
            f"/v1/repositories/{REPO}/tags/nope/immutability", json={"immutable": True}
        )
        assert missing.status_code == 404


def test_a_repository_named_like_a_route_suffix_still_works(server: RunningServer) -> None:
    repository = "org/tags/immutability-policies"
    _seed_tags(server.directory, ["v1"], repository)
    url = f"/v1/repositories/{repository}/immutability-policies"
    with server.client(server.admin_key) as admin:
        created = admin.post(url, json={"tag_pattern": "v1"})
        assert created.status_code == 201, created.text
        assert created.json()["repository"] == repository
        assert admin.get(f"{url}/{created.json()['uuid']}").status_code == 200
        (tag,) = admin.get(f"/v1/repositories/{repository}/tags").json()["tags"]
        assert (tag["repository"], tag["immutable"]) == (repository, True)


def test_the_server_resumes_an_unfinished_application_when_it_starts(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    Ledger.create(directory, origin="test.example/log").close()
    _seed_tags(directory, [f"v{i}" for i in range(300)])
    with Ledger.open(directory) as ledger:
        ImmutabilityPolicies(ledger).create(namespace="org", tag_pattern="v.*", actor=ADMIN)
    running = start_server(directory)
    try:
        with running.client(running.admin_key) as admin:
            deadline = time.monotonic() + 30
            while not (summary := _events(admin, "policy.apply")):
                assert time.monotonic() < deadline, "the server did not resume the application"
                time.sleep(0.05)
            assert summary[0]["details"]["tags_affected_count"] == 300
            assert len(_events(admin, "tag.immutability_change")) == 300
    finally:
        running.stop()
