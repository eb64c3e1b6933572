"""Registry notifications: a real registry posting to a real ``sealtrail serve``, and the envelope
read on its own (v1 and v2 media types, redeliveries, blobs, bad tokens)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sealtrail.images.notifications import RegistryNotification, read_envelope
from tests.conftest import RunningServer, engine_env, start_server
from tests.fixtures_registry import ImageBuilder, start_registry

TOKEN = "registry-hook-token-0123456789"
V1 = "application/vnd.docker.distribution.events.v1+json"
V2 = "application/vnd.docker.distribution.events.v2+json"
DIGEST = "sha256:" + "fe" * 32


def envelope(*events: dict[str, Any]) -> bytes:
    return orjson.dumps({"events": list(events)})


def manifest_event(
    ident: str = "evt-1", action: str = "push", tag: str | None = "v1", url_kind: str = "manifests"
) -> dict[str, Any]:
    target: dict[str, Any] = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "size": 405,
        "digest": DIGEST,
        "length": 405,
        "repository": "team/app",
        "url": f"http://127.0.0.1:5000/v2/team/app/{url_kind}/{DIGEST}",
    }
    if tag:
        target["tag"] = tag
    return {
        "id": ident,
        "timestamp": "2026-11-23T12:00:00.123456789Z",
        "action": action,
        "target": target,
        "request": {
            "id": "req-1",
            "addr": "10.1.2.3:51234",
            "host": "127.0.0.1:5000",
            "method": "PUT" if action == "push" else "GET",
            "useragent": "skopeo/1.9",
        },
        "actor": {"name": "alice"},
        "source": {"addr": "registry-host:5000", "instanceID": "abc"},
    }


def test_a_manifest_push_becomes_an_image_push_event() -> None:
    [notification] = read_envelope(envelope(manifest_event()))
    assert isinstance(notification, RegistryNotification)
    event = notification.to_event()
    assert event["action"] == "image.push"
    assert event["time"] == "2026-11-23T12:00:00.123456Z"
    assert event["target"] == {
        "type": "image",
        "id": "127.0.0.1:5000/team/app",
        "registry": "127.0.0.1:5000",
        "repository": "team/app",
        "tag": "v1",
        "digest": DIGEST,
        "full_digest": f"team/app@{DIGEST}",
    }
    assert event["actor"] == {
        "id": "alice",
        "type": "user",
        "ip": "10.1.2.3",
        "user_agent": "skopeo/1.9",
    }
    assert event["request_id"] == "req-1"
    assert event["details"]["request_addr"] == "10.1.2.3:51234"


def test_unreadable_events_are_named_beside_the_good_ones() -> None:
    broken = manifest_event("evt-2")
    broken["target"]["repository"] = "Team/App"
    items = read_envelope(envelope(manifest_event(), broken, {"id": "x", "action": "dance"}))
    assert isinstance(items[0], RegistryNotification)
    assert items[1] == "event 1: repository name must be lowercase: 'Team/App'"
    assert isinstance(items[2], str)
    assert "unknown action" in items[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def hooked(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """A server with the registry hook on, once per storage engine."""
    env = {**engine_env(request), "SEALTRAIL_HOOKS__REGISTRY__TOKEN": TOKEN}
    running = start_server(tmp_path / "data", env=env)
    yield running
    running.stop()


def post(server: RunningServer, body: bytes, token: str = TOKEN, kind: str = V1) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": kind}
    return httpx.post(f"{server.url}/v1/hooks/registry", content=body, headers=headers)


def events(server: RunningServer, action: str) -> list[dict[str, Any]]:
    with server.client(server.admin_key) as admin:
        response = admin.get("/v1/events", params={"action": action, "order": "oldest"})
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()["events"]
    return found


def await_events(server: RunningServer, action: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while len(found := events(server, action)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} {action} events, not {count}")
        time.sleep(0.1)
    return found


def test_a_redelivered_event_is_recorded_once(hooked: RunningServer) -> None:
    body = envelope(manifest_event("evt-7", action="pull", tag=None))
    first, again = post(hooked, body), post(hooked, body, kind=V2)
    assert (first.status_code, first.json()["recorded"]) == (200, 1)
    assert (again.json()["recorded"], again.json()["duplicates"]) == (0, 1)
    [event] = events(hooked, "image.pull")
    assert "tag" not in event["target"]


def test_blob_events_are_dropped_unless_kept(tmp_path: Path) -> None:
    blob = manifest_event("evt-b", action="pull", tag=None, url_kind="blobs")
    blob["target"]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    for setting, recorded in (("drop", 0), ("keep", 1)):
        running = start_server(
            tmp_path / setting,
            env={
                "SEALTRAIL_HOOKS__REGISTRY__TOKEN": TOKEN,
                "SEALTRAIL_IMAGES__BLOB_EVENTS": setting,
            },
        )
        try:
            answer = post(running, envelope(blob)).json()
            assert (answer["recorded"], answer["dropped"]) == (recorded, 1 - recorded)
            if recorded:
                assert events(running, "image.pull")[0]["target"]["type"] == "blob"
        finally:
            running.stop()


def test_a_wrong_token_is_refused_and_recorded(hooked: RunningServer) -> None:
    assert post(hooked, envelope(manifest_event()), token="wrong").status_code == 401
    assert post(hooked, envelope(manifest_event()), kind="text/plain").status_code == 400
    failed = await_events(hooked, "auth.login_failed", 1)
    assert failed[0]["message"] == "registry hook: missing or wrong bearer token"
    assert events(hooked, "image.push") == []


def test_without_a_configured_token_the_hook_is_off(server: RunningServer) -> None:
    assert post(server, envelope(manifest_event())).status_code == 404


def test_a_real_registrys_pushes_and_pulls_are_recorded_and_fill_the_tag_index(
    tmp_path: Path, hooked: RunningServer, image_builder: ImageBuilder
) -> None:
    registry = start_registry(
        tmp_path / "registry",
        notify_url=f"{hooked.url}/v1/hooks/registry",
        notify_token=TOKEN,
    )
    try:
        digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
        [push] = await_events(hooked, "image.push", 1)
        assert push["target"]["digest"] == digest
        assert push["target"]["tag"] == "v1"
        assert push["target"]["registry"] == registry.host
        assert push["actor"]["user_agent"].startswith("skopeo")
        response = httpx.get(
            f"{registry.url}/v2/team/app/manifests/v1",
            headers={"Accept": "application/vnd.oci.image.manifest.v1+json", "User-Agent": "t/1"},
        )
        assert response.headers["Docker-Content-Digest"] == digest
        pulls = await_events(hooked, "image.pull", 2)  # skopeo inspect's pull, then ours
        assert pulls[-1]["target"]["digest"] == digest
        assert pulls[-1]["actor"] == {
            "id": "anonymous",
            "type": "anonymous",
            "ip": "127.0.0.1",
            "user_agent": "t/1",
        }
        with hooked.client(hooked.admin_key) as admin:
            tags = admin.get("/v1/repositories/team/app/tags").json()
        assert [(tag["tag"], tag["digest"]) for tag in tags["tags"]] == [("v1", digest)]
        deleted = httpx.delete(f"{registry.url}/v2/team/app/manifests/{digest}")
        assert deleted.status_code == 202
        manifest, tag = await_events(hooked, "image.delete", 2)  # 2.x sends both
        assert (manifest["target"]["digest"], manifest["target"]["type"]) == (digest, "image")
        assert (tag["target"]["tag"], "digest" in tag["target"]) == ("v1", False)
        with hooked.client(hooked.admin_key) as admin:
            assert admin.get("/v1/repositories/team/app/tags").json()["tags"] == []
    finally:
        registry.stop()
