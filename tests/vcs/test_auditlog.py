"""Clone, fetch, push and sign-in entries of forge audit logs: the parser, the stream endpoint and
``sealtrail import --format github-audit-log``, each recording an entry once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sealtrail.events import validate_event
from sealtrail.importers import ImportedEvent, SkippedLine
from sealtrail.vcs.auditlog import parse
from tests.api.conftest import await_event, find_events
from tests.conftest import SEALTRAIL, RunningServer
from tests.vcs.conftest import PAYLOADS, STREAM_TOKENS

GITHUB_LOG = PAYLOADS / "github_audit_log.jsonl"
GITLAB_EVENTS = PAYLOADS / "gitlab_audit_events.json"


def parsed(lines: list[str]) -> tuple[list[ImportedEvent], list[SkippedLine]]:
    items = list(parse(lines))
    return (
        [i for i in items if isinstance(i, ImportedEvent)],
        [i for i in items if isinstance(i, SkippedLine)],
    )


def test_github_clones_fetches_pushes_and_sign_ins_become_events() -> None:
    events, skipped = parsed(GITHUB_LOG.read_text().splitlines(keepends=True))
    assert [(e.event["action"], e.event["actor"]["id"]) for e in events] == [
        ("vcs.clone", "alice"),
        ("vcs.fetch", "bob"),
        ("vcs.push", "alice"),
        ("auth.login", "alice"),
        ("auth.login_failed", "mallory"),
    ]
    assert [(s.line, s.reason) for s in skipped] == [(6, "not a clone, fetch, push or sign-in")]
    for item in events:
        validate_event(item.event)
    clone = events[0].event
    assert events[0].key == "audit:github:Xh7kM2pQ3rT9vW1yZ5aB8c"
    assert clone["time"] == "2024-11-21T10:00:00.000000Z"
    assert clone["target"] == {"type": "repository", "id": "acme/app", "repository": "acme/app"}
    assert clone["actor"] == {
        "id": "alice",
        "type": "user",
        "ip": "203.0.113.7",
        "user_agent": "git/2.47.0",
    }
    assert clone["details"]["transport"] == "http"
    assert clone["request_id"] == "Xh7kM2pQ3rT9vW1yZ5aB8c"
    assert "hashed_token" in clone["details"]["unmapped"]
    assert events[4].event["outcome"] == "failure"


def test_an_exported_json_array_reads_like_json_lines() -> None:
    entries = [orjson.loads(line) for line in GITHUB_LOG.read_text().splitlines()]
    text = orjson.dumps(entries, option=orjson.OPT_INDENT_2).decode()
    from_array, _ = parsed(text.splitlines(keepends=True))
    from_lines, _ = parsed(GITHUB_LOG.read_text().splitlines(keepends=True))
    assert [e.key for e in from_array] == [e.key for e in from_lines]
    assert [e.event for e in from_array] == [e.event for e in from_lines]


def test_bad_lines_are_skipped_with_a_reason() -> None:
    lines = ["\n", "not json\n", "[1]\n", '{"action": "git.clone"}\n', '{"event": 1}\n']
    _, skipped = parsed(lines)
    assert [(s.line, s.reason) for s in skipped] == [
        (2, "not JSON"),
        (3, "not a JSON object"),
        (4, "no @timestamp"),
        (5, "not a clone, fetch, push or sign-in"),
    ]


def test_an_entry_without_a_document_id_is_keyed_by_its_content() -> None:
    entry = orjson.loads(GITHUB_LOG.read_text().splitlines()[0])
    del entry["_document_id"]
    line = orjson.dumps(entry).decode()
    (first,), _ = parsed([line])
    (again,), _ = parsed([orjson.dumps(dict(reversed(entry.items()))).decode()])
    assert first.key == again.key
    assert first.key.startswith("audit:github:sha256:")


# --- the stream endpoint ---


def stream(server: RunningServer, platform: str, body: bytes, **headers: str) -> httpx.Response:
    with server.client() as client:
        return client.post(f"/v1/hooks/audit-stream/{platform}", content=body, headers=headers)


@pytest.fixture(scope="module")
def admin(hooks: RunningServer) -> Iterator[httpx.Client]:
    with hooks.client(hooks.admin_key) as client:
        yield client


def _splunk(token: str) -> dict[str, str]:
    return {"Authorization": f"Splunk {token}"}


def test_github_stream_entries_are_recorded_once(hooks: RunningServer, admin: httpx.Client) -> None:
    entries = [orjson.loads(line) for line in GITHUB_LOG.read_text().splitlines()]
    envelopes = b"".join(orjson.dumps({"event": e, "sourcetype": "github"}) for e in entries)
    first = stream(hooks, "github", envelopes, **_splunk(STREAM_TOKENS["github"]))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "entries": 6,
        "recorded": 5,
        "duplicates": 0,
        "skipped": {"not a clone, fetch, push or sign-in": 1},
    }
    again = stream(hooks, "github", GITHUB_LOG.read_bytes(), **_splunk(STREAM_TOKENS["github"]))
    assert again.json()["recorded"] == 0
    assert again.json()["duplicates"] == 5
    clones = [
        e for e in find_events(admin, action="vcs.clone") if e["details"]["platform"] == "github"
    ]
    assert len(clones) == 1


def test_gitlab_git_operations_and_failed_sign_ins_are_recorded(
    hooks: RunningServer, admin: httpx.Client
) -> None:
    token = {"X-Gitlab-Event-Streaming-Token": STREAM_TOKENS["gitlab"]}
    for entry in orjson.loads(GITLAB_EVENTS.read_bytes()):  # GitLab sends one per request
        response = stream(hooks, "gitlab", orjson.dumps(entry), **token)
        assert response.json()["recorded"] == 1, response.text
    found = [
        (e["action"], e["actor"]["id"])
        for e in reversed(find_events(admin, q="gitlab"))
        if e["details"].get("platform") == "gitlab" and e["action"] != "auth.denied"
    ]
    assert found == [("vcs.fetch", "alice"), ("vcs.push", "bob"), ("auth.login_failed", "alice")]


@pytest.mark.parametrize(
    ("platform", "headers"),
    [
        ("github", {}),
        ("github", {"Authorization": "Splunk wrong-token"}),
        ("github", {"Authorization": f"Bearer {STREAM_TOKENS['github']}"}),
        ("gitlab", {"X-Gitlab-Event-Streaming-Token": "wrong-token"}),
    ],
)
def test_a_stream_without_its_token_is_refused_and_recorded_as_denied(
    hooks: RunningServer, admin: httpx.Client, platform: str, headers: dict[str, str]
) -> None:
    request_id = os.urandom(8).hex()
    response = stream(
        hooks, platform, GITHUB_LOG.read_bytes(), **headers, **{"X-Request-ID": request_id}
    )
    assert response.status_code == 401
    denied = await_event(
        admin, lambda e: e.get("request_id") == request_id, "auth.denied", action="auth.denied"
    )
    assert denied["target"] == {"type": "webhook", "id": f"audit-stream/{platform}"}


@pytest.mark.parametrize("platform", ["gitea", "bitbucket"])
def test_a_platform_without_an_audit_stream_is_404(hooks: RunningServer, platform: str) -> None:
    response = stream(hooks, platform, b"{}")
    assert response.status_code == 404
    assert "publishes no audit-log stream" in response.json()["error"]


def test_a_malformed_stream_is_400(hooks: RunningServer) -> None:
    response = stream(hooks, "github", b'{"action": ', **_splunk(STREAM_TOKENS["github"]))
    assert response.status_code == 400
    assert "malformed JSON" in response.json()["error"]


# --- the CLI ---


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_env(request: pytest.FixtureRequest) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SEALTRAIL_DIR"}
    if request.param == "postgresql":
        env["SEALTRAIL_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return env


def sealtrail(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [SEALTRAIL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def test_importing_an_audit_log_twice_adds_nothing_the_second_time(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    sealtrail("init", "--dir", "data", "--origin", "vcs.test/log", cwd=tmp_path, env=cli_env)
    command = ("import", str(GITHUB_LOG), "--format", "github-audit-log", "--dir", "data", "--json")
    first: dict[str, Any] = orjson.loads(sealtrail(*command, cwd=tmp_path, env=cli_env).stdout)
    again: dict[str, Any] = orjson.loads(sealtrail(*command, cwd=tmp_path, env=cli_env).stdout)
    skipped = {"not a clone, fetch, push or sign-in": 1}
    assert first == {"lines": 6, "imported": 5, "duplicates": 0, "skipped": skipped}
    assert again == {"lines": 6, "imported": 0, "duplicates": 5, "skipped": skipped}
    listed = sealtrail("query", "--dir", "data", "--json", cwd=tmp_path, env=cli_env).stdout
    assert listed.count('"vcs.clone"') == 1
    sealtrail("verify", "--dir", "data", cwd=tmp_path, env=cli_env)


def test_an_entry_streamed_then_imported_is_recorded_once(
    hooks: RunningServer, tmp_path: Path
) -> None:
    entry = orjson.loads(GITHUB_LOG.read_text().splitlines()[0])
    entry["_document_id"] = os.urandom(12).hex()
    line = orjson.dumps(entry) + b"\n"
    streamed = stream(hooks, "github", line, **_splunk(STREAM_TOKENS["github"]))
    assert streamed.json()["recorded"] == 1
    source = tmp_path / "export.jsonl"
    source.write_bytes(line)
    env = {k: v for k, v in os.environ.items() if k != "SEALTRAIL_DIR"}
    if hooks.database_url is not None:
        env["SEALTRAIL_DATABASE_URL"] = hooks.database_url
    command = ("import", str(source), "--format", "github-audit-log", "--json")
    imported = sealtrail(*command, "--dir", str(hooks.directory), cwd=tmp_path, env=env)
    assert orjson.loads(imported.stdout)["duplicates"] == 1
