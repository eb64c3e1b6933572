"""The distribution API through the gateway: auth passthrough, uploads, listings, failures."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sealtrail.access import AccessKeys, Role
from tests.fixtures_gateway import RunningGateway, start_gateway
from tests.fixtures_registry import ImageBuilder, Registry, inspect_digest, start_registry

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
EMPTY_CONFIG = b"{}"


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def private_gateway(tmp_path: Path, private_registry: Registry) -> Iterator[RunningGateway]:
    running = start_gateway(tmp_path / "data", private_registry)
    yield running
    running.stop()


def test_basic_auth_passes_through_and_the_actor_is_the_registry_user(
    private_gateway: RunningGateway, image_builder: ImageBuilder, private_registry: Registry
) -> None:
    target = f"docker://{private_gateway.host}/team/app:v1"
    pushed = skopeo(
        "copy", "--dest-tls-verify=false", "--dest-creds", "alice:alice-secret",
        image_builder.build("v1"), target,
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    pulled = skopeo("inspect", "--tls-verify=false", "--creds", "bob:bob-secret", target)
    assert pulled.returncode == 0, pulled.stderr
    anonymous = httpx.get(f"{private_gateway.url}/v2/team/app/manifests/v1")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].lower().startswith("basic")
    [push] = private_gateway.events("image.push")
    assert push["actor"]["id"] == "alice"
    assert push["actor"]["type"] == "user"
    pulls = private_gateway.events("image.pull")
    assert [(p["actor"]["id"], p["outcome"]) for p in pulls][-1] == ("anonymous", "denied")
    assert ("bob", "success") in [(p["actor"]["id"], p["outcome"]) for p in pulls]
    digest = inspect_digest(private_registry, "team/app:v1")
    assert {p["target"]["digest"] for p in pulls if p["outcome"] == "success"} == {digest}


def test_wrong_credentials_are_refused_by_the_registry_and_recorded_denied(
    private_gateway: RunningGateway,
) -> None:
    response = httpx.get(
        f"{private_gateway.url}/v2/team/app/manifests/v1", auth=("mallory", "guess")
    )
    assert response.status_code == 401
    [pull] = private_gateway.events("image.pull")
    assert pull["actor"]["id"] == "mallory"
    assert pull["outcome"] == "denied"
    assert "guess" not in private_gateway.log.read_text()


def upload_chunked(gateway: RunningGateway, repository: str, blob: bytes, chunk: int) -> str:
    """A chunked blob upload (POST, PATCH…, PUT) following the Location headers; its digest."""
    with httpx.Client(base_url=gateway.url) as client:
        started = client.post(f"/v2/{repository}/blobs/uploads/")
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        assert location.startswith(gateway.url) or location.startswith("/v2/")
        offset = 0
        while offset < len(blob):
            part = blob[offset : offset + chunk]
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + len(part) - 1}",
            }
            patched = client.patch(location, content=part, headers=headers)
            assert patched.status_code == 202, patched.text
            location = patched.headers["location"]
            offset += len(part)
        digest = sha256(blob)
        separator = "&" if "?" in location else "?"
        closed = client.put(f"{location}{separator}digest={digest}")
        assert closed.status_code == 201, closed.text
        return digest


def test_a_chunked_upload_and_a_manifest_push_by_hand_follow_the_spec(
    gateway: RunningGateway, registry: Registry
) -> None:
    layer = bytes(range(256)) * 4096  # 1 MiB
    layer_digest = upload_chunked(gateway, "team/raw", layer, 300_000)
    config_digest = upload_chunked(gateway, "team/raw", EMPTY_CONFIG, 1024)
    manifest = (
        b'{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":'
        b'"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},"layers":'
        b'[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}'
        % (MANIFEST.encode(), config_digest.encode(), layer_digest.encode(), len(layer))
    )
    put = httpx.put(
        f"{gateway.url}/v2/team/raw/manifests/t1",
        content=manifest,
        headers={"Content-Type": MANIFEST},
    )
    assert put.status_code == 201, put.text
    assert put.headers["docker-content-digest"] == sha256(manifest)
    assert put.headers["location"].startswith(gateway.url)
    blob = httpx.get(f"{gateway.url}/v2/team/raw/blobs/{layer_digest}")
    assert blob.content == layer
    direct = httpx.get(f"{registry.url}/v2/team/raw/manifests/t1", headers={"Accept": MANIFEST})
    assert direct.content == manifest
    tags = httpx.get(f"{gateway.url}/v2/team/raw/tags/list").json()
    assert tags == {"name": "team/raw", "tags": ["t1"]}
    catalog = httpx.get(f"{gateway.url}/v2/_catalog").json()
    assert "team/raw" in catalog["repositories"]
    [push] = gateway.events("image.push")
    assert push["target"]["digest"] == sha256(manifest)


def upload_monolithic(base: str, repository: str, blob: bytes) -> httpx.Response:
    """POST then one PUT carrying the whole blob (distribution 2.8 takes no single-POST upload)."""
    started = httpx.post(f"{base}/v2/{repository}/blobs/uploads/")
    assert started.status_code == 202, started.text
    location = started.headers["location"]
    separator = "&" if "?" in location else "?"
    return httpx.put(
        f"{location}{separator}digest={sha256(blob)}",
        content=blob,
        headers={"Content-Type": "application/octet-stream"},
    )


def test_a_monolithic_upload_and_a_cross_repository_mount(
    gateway: RunningGateway, registry: Registry
) -> None:
    blob = b"layer" * 1000
    digest = sha256(blob)
    monolithic = upload_monolithic(gateway.url, "team/one", blob)
    assert monolithic.status_code == 201, monolithic.text
    assert monolithic.headers["location"].startswith(gateway.url)
    mounted = httpx.post(
        f"{gateway.url}/v2/team/two/blobs/uploads/", params={"mount": digest, "from": "team/one"}
    )
    assert mounted.status_code == 201, mounted.text
    assert mounted.headers["location"].startswith(gateway.url)
    head = httpx.head(f"{gateway.url}/v2/team/two/blobs/{digest}")
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(blob)
    [mount] = gateway.events("image.mount")
    assert mount["target"]["repository"] == "team/two"
    assert mount["target"]["digest"] == digest
    assert mount["details"]["from"] == "team/one"


def test_the_ping_answers_like_the_registry(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.url}/v2/")
    assert response.status_code == 200
    assert response.headers["docker-distribution-api-version"] == "registry/2.0"


def test_upstream_down_is_502_and_a_failure_is_recorded(
    gateway: RunningGateway, registry: Registry
) -> None:
    registry.stop()
    response = httpx.get(f"{gateway.url}/v2/team/app/manifests/v1")
    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "UNAVAILABLE"
    [pull] = gateway.events("image.pull")
    assert pull["outcome"] == "failure"
    assert "error" in pull["details"]
    registry.start()
    assert httpx.get(f"{gateway.url}/v2/").status_code == 200


def test_metrics_count_requests_bytes_and_latency_by_operation(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    manifest = httpx.get(
        f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST}
    ).content
    httpx.get(f"{gateway.url}/v2/team/app/manifests/nope")
    text = httpx.get(f"{gateway.url}/metrics").text
    lines = set(text.splitlines())
    assert 'sealtrail_gateway_requests_total{operation="manifest_get",status="200"} 1' in lines
    assert 'sealtrail_gateway_requests_total{operation="manifest_get",status="404"} 1' in lines
    assert any(
        line.startswith('sealtrail_gateway_response_bytes_total{operation="manifest_get"}')
        and int(line.split()[-1]) >= len(manifest)
        for line in lines
    )
    assert 'sealtrail_gateway_request_duration_seconds_count{operation="manifest_get"} 2' in lines


def test_several_upstreams_by_repository_prefix_and_by_host(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    other = start_registry(tmp_path / "other")
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "sealtrail.toml").write_text(
        f'[gateway.upstreams]\n"teamb/" = "{other.url}"\n"b.example" = "{other.url}"\n'
    )
    gateway = start_gateway(directory, registry)
    try:
        source = image_builder.build("v1")
        for reference in ("team/app:v1", "teamb/app:v1"):
            pushed = skopeo(
                "copy", "--dest-tls-verify=false", source, f"docker://{gateway.host}/{reference}"
            )
            assert pushed.returncode == 0, pushed.stderr
        accept = {"Accept": MANIFEST}
        assert httpx.get(f"{registry.url}/v2/teamb/app/tags/list").status_code == 404
        assert httpx.get(f"{other.url}/v2/team/app/tags/list").status_code == 404
        by_host = httpx.get(
            f"{gateway.url}/v2/teamb/app/manifests/v1", headers={**accept, "Host": "b.example"}
        )
        assert by_host.status_code == 200
    finally:
        gateway.stop()
        other.stop()
    registries = {e["target"]["repository"]: e["target"]["registry"] for e in gateway.events(
        "image.push")}  # fmt: skip
    assert registries == {"team/app": registry.host, "teamb/app": other.host}
    [pull] = gateway.events("image.pull")
    assert pull["target"]["registry"] == other.host


def test_a_sealtrail_api_key_names_the_actor_and_is_not_forwarded(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    gateway = start_gateway(
        tmp_path / "data", registry, env={"SEALTRAIL_GATEWAY__REQUIRE_KEY": "true"}
    )
    try:
        _pull_with_keys(gateway)
    finally:
        gateway.stop()


def _pull_with_keys(gateway: RunningGateway) -> None:
    anonymous = httpx.get(f"{gateway.url}/v2/")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    with gateway.ledger() as ledger:
        created = AccessKeys(ledger.store, ledger.clock, ledger.append).create(
            Role.USER, actor_id="carol"
        )
    target = f"docker://{gateway.host}/team/app:v1"
    inspected = skopeo("inspect", "--tls-verify=false", "--creds", f"x:{created.secret}", target)
    assert inspected.returncode == 0, inspected.stderr
    bad = httpx.get(
        f"{gateway.url}/v2/team/app/manifests/v1",
        headers={"Authorization": "Bearer sealtrail_aaaaaaaa_" + "b" * 43},
    )
    assert bad.status_code == 401
    assert bad.json()["errors"][0]["code"] == "UNAUTHORIZED"
    pulls = gateway.events("image.pull")
    assert {pull["actor"]["id"] for pull in pulls} == {"carol"}
    [failed] = gateway.events("auth.login_failed")
    assert failed["actor"]["ip"] == "127.0.0.1"
    assert not gateway.events("auth.key_used")
    assert created.secret not in gateway.log.read_text()


def test_a_percent_escaped_path_is_forwarded_as_sent(
    gateway: RunningGateway, registry: Registry
) -> None:
    path = "/v2/team/a%01b/manifests/v%20"
    through = httpx.get(f"{gateway.url}{path}")
    direct = httpx.get(f"{registry.url}{path}")
    assert through.status_code == direct.status_code
    assert through.content == direct.content
