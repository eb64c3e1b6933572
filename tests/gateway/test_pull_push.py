"""Real clients through a real gateway to a real registry: pulls, pushes and what is recorded."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.conftest import missing_component
from tests.fixtures_gateway import RunningGateway, start_gateway
from tests.fixtures_registry import ImageBuilder, Registry, inspect_digest

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)


def test_skopeo_pulls_through_the_gateway_and_the_pull_is_recorded_with_the_served_digest(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder, tmp_path: Path
) -> None:
    source = image_builder.build("v1", files={"etc/motd": b"hello\n" * 1000})
    digest = image_builder.push(source, registry, "team/app:v1")
    copied = skopeo(
        "copy", "--src-tls-verify=false", f"docker://{gateway.host}/team/app:v1",
        f"oci:{tmp_path / 'out'}:v1",
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    pulls = gateway.events("image.pull")
    assert pulls, "no image.pull recorded"
    assert {pull["target"]["digest"] for pull in pulls} == {digest}
    pull = pulls[-1]
    assert pull["outcome"] == "success"
    assert pull["target"]["repository"] == "team/app"
    assert pull["target"]["tag"] == "v1"
    assert pull["target"]["registry"] == registry.host
    assert pull["actor"]["ip"] == "127.0.0.1"
    assert pull["actor"]["user_agent"]
    assert pull["details"]["bytes"] > 0


def test_skopeo_inspect_through_the_gateway_reports_the_registry_digest(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    inspected = skopeo("inspect", "--tls-verify=false", f"docker://{gateway.host}/team/app:v1")
    assert inspected.returncode == 0, inspected.stderr
    assert json.loads(inspected.stdout)["Digest"] == digest


def test_a_missing_tag_is_404_and_recorded_not_found(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.url}/v2/team/app/manifests/nope", headers={"Accept": MANIFEST})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN")
    [pull] = gateway.events("image.pull")
    assert pull["outcome"] == "not_found"
    assert pull["target"]["tag"] == "nope"
    assert "digest" not in pull["target"]


def test_a_pull_by_digest_and_a_head_are_recorded(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    url = f"{gateway.url}/v2/team/app/manifests/{digest}"
    got = httpx.get(url, headers={"Accept": MANIFEST})
    head = httpx.head(f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST})
    assert got.status_code == head.status_code == 200
    assert head.headers["docker-content-digest"] == digest
    assert int(head.headers["content-length"]) == len(got.content)
    by_digest, by_head = gateway.events("image.pull")
    assert by_digest["target"]["digest"] == digest
    assert "tag" not in by_digest["target"]
    assert by_head["details"]["method"] == "HEAD"
    assert by_head["details"]["bytes"] == len(got.content)


def test_skopeo_pushes_through_the_gateway_and_the_tag_enters_the_index(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("v1", files={"app/bin": b"\x7fELF" + b"x" * 100_000})
    copied = skopeo(
        "copy", "--dest-tls-verify=false", source, f"docker://{gateway.host}/team/app:v1"
    )
    assert copied.returncode == 0, copied.stderr
    digest = inspect_digest(registry, "team/app:v1")
    [push] = gateway.events("image.push")
    assert push["outcome"] == "success"
    assert push["target"]["digest"] == digest
    [created] = gateway.events("tag.create")
    assert created["target"]["digest"] == digest
    with gateway.ledger() as ledger:
        from sealtrail.policies import TagIndex

        state = TagIndex(ledger).tag("team/app", "v1", registry.host)
    assert state.digest == digest
    assert not state.immutable


def test_podman_pulls_through_the_gateway(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder, tmp_path: Path
) -> None:
    if shutil.which("podman") is None:
        missing_component("podman not installed (Debian package podman)")
    digest = image_builder.push(
        image_builder.build("v1", files={"etc/motd": b"hi\n"}), registry, "team/app:v1"
    )
    runroot = Path(tempfile.mkdtemp(prefix="st-podman-"))  # podman wants it short
    storage = ["--root", str(tmp_path / "root"), "--runroot", str(runroot)]
    try:
        pulled = subprocess.run(
            ["podman", *storage, "--storage-driver", "vfs", "pull", "--tls-verify=false",
             f"{gateway.host}/team/app:v1"],
            capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        shutil.rmtree(runroot, ignore_errors=True)
    assert pulled.returncode == 0, pulled.stderr
    pulls = [pull for pull in gateway.events("image.pull") if pull["outcome"] == "success"]
    assert pulls
    assert {pull["target"]["digest"] for pull in pulls} == {digest}
    assert all(pull["actor"]["type"] == "anonymous" for pull in pulls)


def test_blob_downloads_are_recorded_when_asked(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1", files={"a": b"a" * 5000}), registry, "team/app:v1")
    gateway = start_gateway(
        tmp_path / "data", registry, env={"SEALTRAIL_GATEWAY__BLOB_EVENTS": "true"}
    )
    try:
        copied = skopeo(
            "copy", "--src-tls-verify=false", f"docker://{gateway.host}/team/app:v1",
            f"oci:{tmp_path / 'out'}:v1",
        )  # fmt: skip
        assert copied.returncode == 0, copied.stderr
    finally:
        gateway.stop()
    manifest = json.loads(
        httpx.get(f"{registry.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST}).text
    )
    blobs = {manifest["config"]["digest"]: manifest["config"]["size"]}
    blobs |= {layer["digest"]: layer["size"] for layer in manifest["layers"]}
    recorded = {e["target"]["digest"]: e["details"]["bytes"] for e in gateway.events("blob.pull")}
    assert recorded == blobs


def test_concurrent_pulls_are_each_recorded_once_and_the_log_verifies(
    gateway: RunningGateway, registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")

    def pull(i: int) -> int:
        headers = {"Accept": MANIFEST, "X-Request-Id": f"pull-{i}"}
        url = f"{gateway.url}/v2/team/app/manifests/v1"
        return httpx.get(url, headers=headers, timeout=60).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(pull, range(64)))
    assert statuses == [200] * 64
    pulls = gateway.events("image.pull")
    assert sorted(p["request_id"] for p in pulls) == sorted(f"pull-{i}" for i in range(64))
    assert {p["target"]["digest"] for p in pulls} == {digest}
    with gateway.ledger() as ledger:
        ledger.verify()
