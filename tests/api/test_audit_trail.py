"""The server audits itself: auth.* events, http.request events, request ids, one JSON log line per
request, and 429 with Retry-After after repeated failed authentications from one address."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.api.conftest import await_event, wait_for
from tests.conftest import RunningServer, start_server
from tests.ledger.conftest import pull_event


def _key_id(key: str) -> str:
    return key.split("_")[1]


def test_a_key_use_becomes_an_auth_key_used_success_event(
    api: RunningServer, admin: httpx.Client
) -> None:
    key = api.key("auditor")
    agent = f"probe/{uuid.uuid4()}"
    with api.client(key) as auditor:
        assert auditor.get("/v1/events/types", headers={"User-Agent": agent}).status_code == 200
    event = await_event(
        admin,
        lambda e: e["actor"].get("user_agent") == agent,
        "auth.key_used",
        action="auth.key_used",
    )
    assert event["outcome"] == "success"
    assert event["actor"] == {
        "id": f"key:{_key_id(key)}",
        "type": "service",
        "ip": "127.0.0.1",
        "user_agent": agent,
    }
    assert event["target"] == {"type": "api_key", "id": _key_id(key), "role": "auditor"}


def test_a_failed_authentication_becomes_an_event_without_the_secret(
    api: RunningServer, admin: httpx.Client
) -> None:
    agent = f"probe/{uuid.uuid4()}"
    wrong = api.key("auditor")[:-6] + "wrong0"
    with api.client(wrong) as stranger:
        assert stranger.get("/v1/events", headers={"User-Agent": agent}).status_code == 401
    event = await_event(
        admin,
        lambda e: e["actor"].get("user_agent") == agent,
        "auth.login_failed",
        action="auth.login_failed",
    )
    assert event["outcome"] == "failure"
    assert event["severity"] == "warning"
    assert event["actor"]["type"] == "anonymous"
    assert "unknown, malformed or revoked key" in event["message"]
    secret = wrong.split("_", 2)[2]
    assert secret not in orjson.dumps(event).decode()
    assert secret not in api.log.read_text()


def test_a_denied_request_becomes_an_auth_denied_event(
    api: RunningServer, admin: httpx.Client
) -> None:
    key = api.key("writer")
    with api.client(key) as writer:
        assert writer.get("/v1/keys").status_code == 403
    event = await_event(
        admin,
        lambda e: e["actor"]["id"] == f"key:{_key_id(key)}",
        "auth.denied",
        action="auth.denied",
    )
    assert event["outcome"] == "denied"
    assert event["message"].startswith("GET /v1/keys: ")
    assert "writer" in event["message"]


def test_creating_and_revoking_a_key_become_events_naming_the_key_and_the_admin(
    api: RunningServer, admin: httpx.Client
) -> None:
    created = admin.post("/v1/keys", json={"role": "user", "actor": "carol", "name": "carol"})
    assert created.status_code == 201
    key_id = created.json()["key_id"]
    assert admin.delete(f"/v1/keys/{key_id}").status_code == 200
    admin_actor = f"key:{_key_id(api.admin_key)}"
    for action in ("auth.key_created", "auth.key_revoked"):
        event = await_event(admin, lambda e: e["target"]["id"] == key_id, action, action=action)
        assert event["outcome"] == "success"
        assert event["actor"]["id"] == admin_actor
        assert event["target"] == {"type": "api_key", "id": key_id, "role": "user"}
        assert created.json()["key"] not in orjson.dumps(event).decode()


def test_a_post_becomes_an_http_request_event_with_its_request_id(
    api: RunningServer, admin: httpx.Client
) -> None:
    request_id = f"trace-{uuid.uuid4()}"
    key = api.key("writer")
    with api.client(key) as writer:
        response = writer.post(
            "/v1/events", json=pull_event(3), headers={"X-Request-ID": request_id}
        )
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == request_id
    event = await_event(
        admin, lambda e: e.get("request_id") == request_id, "http.request", action="http.request"
    )
    assert event["outcome"] == "success"
    assert event["actor"]["id"] == f"key:{_key_id(key)}"
    assert event["target"] == {"type": "http_endpoint", "id": "POST /v1/events"}
    assert event["details"]["status"] == 201


def test_a_rejected_post_is_recorded_as_a_failed_http_request(
    api: RunningServer, admin: httpx.Client
) -> None:
    request_id = f"trace-{uuid.uuid4()}"
    response = admin.post("/v1/events", json={"nope": 1}, headers={"X-Request-ID": request_id})
    assert response.status_code == 400
    event = await_event(
        admin, lambda e: e.get("request_id") == request_id, "http.request", action="http.request"
    )
    assert event["outcome"] == "failure"
    assert event["details"]["status"] == 400


def test_reads_are_not_recorded_as_http_requests(api: RunningServer, admin: httpx.Client) -> None:
    request_id = f"trace-{uuid.uuid4()}"
    assert admin.get("/v1/events/types", headers={"X-Request-ID": request_id}).status_code == 200
    marker = f"trace-{uuid.uuid4()}"  # a later write: once it is in, the read would be too
    admin.post("/v1/events", json=pull_event(4), headers={"X-Request-ID": marker})
    await_event(admin, lambda e: e.get("request_id") == marker, "marker", action="http.request")
    found = admin.get("/v1/events", params={"action": "http.request", "limit": 1000}).json()
    assert request_id not in {e.get("request_id") for e in found["events"]}


def test_request_ids_are_echoed_or_generated(api: RunningServer) -> None:
    with api.client() as anonymous:
        given = anonymous.get("/healthz", headers={"X-Request-ID": "abc-123"})
        generated = anonymous.get("/healthz")
        too_long = anonymous.get("/healthz", headers={"X-Request-ID": "x" * 500})
        unauthorised = anonymous.get("/v1/events", headers={"X-Request-ID": "denied-1"})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert uuid.UUID(generated.headers["X-Request-ID"])
    assert too_long.headers["X-Request-ID"] == "x" * 128
    assert unauthorised.headers["X-Request-ID"] == "denied-1"
    assert unauthorised.json()["request_id"] == "denied-1"


def _log_line(server: RunningServer, request_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        for line in server.log.read_text().splitlines():
            if line.startswith("{") and f'"{request_id}"' in line:
                found: dict[str, Any] = orjson.loads(line)
                return found
        return None

    return wait_for(probe, what=f"the log line of {request_id}")


def test_each_request_writes_one_json_log_line(api: RunningServer, admin: httpx.Client) -> None:
    request_id = f"log-{uuid.uuid4()}"
    admin.get("/v1/events", params={"limit": 1}, headers={"X-Request-ID": request_id})
    line = _log_line(api, request_id)
    assert line["method"] == "GET"
    assert line["path"] == "/v1/events"
    assert line["status"] == 200
    assert line["actor"] == f"key:{_key_id(api.admin_key)}"
    assert isinstance(line["duration_ms"], float | int)
    assert line["duration_ms"] >= 0
    assert api.log.read_text().count(request_id) == 1
    assert api.log.read_text().count(api.admin_key) == 1  # the bootstrap line, nothing else


def test_rejected_and_unauthenticated_requests_are_logged_too(api: RunningServer) -> None:
    with api.client() as anonymous:
        anonymous.get("/v1/events", headers={"X-Request-ID": "log-anon-1"})
        anonymous.post(
            "/v1/events",
            content=b"x" * (17 * 1024 * 1024),
            headers={"X-Request-ID": "log-413-1"},
        )
    assert _log_line(api, "log-anon-1")["status"] == 401
    assert _log_line(api, "log-anon-1")["actor"] is None
    assert _log_line(api, "log-413-1")["status"] == 413


# --- throttling ---


@pytest.fixture
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"SEALTRAIL_AUTH_FAILURES_ALLOWED": "3", "SEALTRAIL_AUTH_FAILURE_WINDOW": "2"}
    running = start_server(tmp_path_factory.mktemp("strict") / "data", env=env)
    yield running
    running.stop()


def test_repeated_failures_from_one_address_get_429_with_retry_after(
    strict: RunningServer,
) -> None:
    with strict.client("sealtrail_aaaaaaaa_" + "A" * 43) as guesser:
        statuses = [guesser.get("/v1/events").status_code for _ in range(3)]
        throttled = guesser.get("/v1/events")
    assert statuses == [401, 401, 401]
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 3
    assert "too many failed authentications" in throttled.json()["error"]
    with strict.client(strict.admin_key) as admin:
        assert admin.get("/v1/events/types").status_code == 429  # the address, not the key
        other = admin.get("/v1/events/types", headers={"X-Forwarded-For": "192.0.2.7"})
        assert other.status_code == 200  # behind a trusted proxy: another address
        wait_for(
            lambda: admin.get("/v1/events/types").status_code == 200,
            what="the failure window to pass",
        )


def test_429s_do_not_add_events(strict: RunningServer) -> None:
    with strict.client() as anonymous:
        for _ in range(10):
            anonymous.get("/v1/events")
    with strict.client(strict.admin_key) as admin:

        def listed() -> httpx.Response | None:
            response = admin.get("/v1/events", params={"action": "auth.login_failed"})
            return response if response.status_code == 200 else None

        response = wait_for(listed, what="the failure window to pass")
    failed = response.json()["events"]
    assert len(failed) == 3


def test_the_bootstrap_key_is_printed_once_and_stored_only_as_a_hash(
    api: RunningServer,
) -> None:
    assert re.fullmatch(r"sealtrail_[a-z2-7]{8}_[A-Za-z0-9_-]{43}", api.admin_key)
    stored = api.stored_bytes()
    assert api.admin_key.encode() not in stored
    assert api.admin_key.split("_", 2)[2].encode() not in stored


# --- what a caller sends cannot keep its request out of the trail ---


def test_a_failed_login_with_a_forged_forwarded_address_is_still_recorded(
    api: RunningServer, admin: httpx.Client
) -> None:
    agent = f"probe/{uuid.uuid4()}"
    headers = {"User-Agent": agent, "X-Forwarded-For": "not-an-address"}
    with api.client("sealtrail_aaaaaaaa_" + "B" * 43) as guesser:
        assert guesser.get("/v1/events", headers=headers).status_code == 401
    event = await_event(
        admin,
        lambda e: e["actor"].get("user_agent") == agent,
        "auth.login_failed",
        action="auth.login_failed",
    )
    assert "ip" not in event["actor"]  # not an address: left out, the event kept


def test_a_huge_user_agent_is_cut_short_in_the_event(
    api: RunningServer, admin: httpx.Client
) -> None:
    marker = f"probe-{uuid.uuid4()}-"
    with api.client("sealtrail_aaaaaaaa_" + "C" * 43) as guesser:
        response = guesser.get("/v1/events", headers={"User-Agent": marker + "u" * 12_000})
    assert response.status_code == 401
    event = await_event(
        admin,
        lambda e: e["actor"].get("user_agent", "").startswith(marker),
        "auth.login_failed",
        action="auth.login_failed",
    )
    assert len(event["actor"]["user_agent"]) == 512
    assert event["actor"]["user_agent"].endswith("...")


def test_a_denied_request_to_an_odd_path_is_recorded_as_sent(
    api: RunningServer, admin: httpx.Client
) -> None:
    key = api.key("writer")
    with api.client(key) as writer:
        assert writer.delete("/v1/keys/%00%0a%E2%80%AE").status_code == 403
    event = await_event(
        admin,
        lambda e: e["actor"]["id"] == f"key:{_key_id(key)}",
        "auth.denied",
        action="auth.denied",
    )
    assert event["message"].startswith("DELETE /v1/keys/%00%0a%E2%80%AE: ")
    http = await_event(
        admin,
        lambda e: e["actor"]["id"] == f"key:{_key_id(key)}",
        "http.request",
        action="http.request",
    )
    assert http["target"]["id"] == "DELETE /v1/keys/%00%0a%E2%80%AE"
    assert http["outcome"] == "denied"
