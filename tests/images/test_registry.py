"""The distribution client against a real registry: digests, auth, pages, indexes, tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import httpx
import orjson
import pytest

from sealtrail.images.failures import (
    DigestMismatch,
    ImageNotFound,
    PlatformNotFound,
    RegistryDenied,
    RegistryUnreachable,
)
from sealtrail.images.manifest import OCI_INDEX, OCI_MANIFEST, Platform
from sealtrail.images.registry import Credentials, RegistryClient, docker_credentials
from sealtrail.ledger.log import Ledger
from sealtrail.policies import TagIndex
from sealtrail.policies.sync import TagSource, sync_registry
from tests.fixtures_registry import ImageBuilder, Registry, start_registry


def client(registry: Registry, **options: object) -> RegistryClient:
    return RegistryClient(registry.host, docker_config=None, **options)  # type: ignore[arg-type]


def test_a_manifest_comes_with_the_digest_the_registry_serves(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(
        image_builder.build("v1", files={"a": b"x"}), registry, "team/app:v1"
    )
    with client(registry) as api:
        api.ping()
        content, media_type, got = api.manifest("team/app", "v1")
        assert (got, media_type) == (digest, OCI_MANIFEST)
        assert got == "sha256:" + hashlib.sha256(content).hexdigest()
        assert api.head_manifest("team/app", "v1") == (digest, OCI_MANIFEST)
        assert api.manifest("team/app", digest)[2] == digest


def test_blobs_stream_and_the_config_is_read_for_the_platform(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("v1", user="4242", files={"etc/motd": b"hi\n" * 1000})
    image_builder.push(source, registry, "team/app:v1")
    with client(registry) as api:
        resolved = api.resolve("team/app", "v1", Platform.host())
        layer = resolved.manifest.layers[0]
        content = b"".join(api.blob("team/app", layer.digest, layer.size))
        assert "sha256:" + hashlib.sha256(content).hexdigest() == layer.digest
        assert api.config("team/app", "v1")["config"]["User"] == "4242"


def test_catalog_and_tags_follow_the_link_header_page_by_page(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("v1")
    for name in ("a/one:v1", "b/two:v1", "c/three:v1", "c/three:v2", "c/three:v3"):
        image_builder.push(source, registry, name)
    with client(registry) as api:
        assert list(api.catalog(page_size=1)) == ["a/one", "b/two", "c/three"]
        assert sorted(api.tags("c/three", page_size=1)) == ["v1", "v2", "v3"]
        assert sorted(api.tags("c/three")) == ["v1", "v2", "v3"]


def test_a_missing_tag_or_repository_is_not_found(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    with client(registry) as api:
        with pytest.raises(ImageNotFound, match="team/app:nope"):
            api.manifest("team/app", "nope")
        with pytest.raises(ImageNotFound):
            api.head_manifest("team/app", "nope")
        with pytest.raises(ImageNotFound):
            api.tags("no/such")


def test_credentials_come_from_the_docker_config_and_are_needed(
    tmp_path: Path, image_builder: ImageBuilder
) -> None:
    registry = start_registry(tmp_path / "private", users={"alice": "s3cret"})
    try:
        digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
        config = tmp_path / "docker" / "config.json"
        config.parent.mkdir()
        auth = base64.b64encode(b"alice:s3cret").decode()
        config.write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
        assert docker_credentials(registry.host, config) == Credentials("alice", "s3cret")
        with RegistryClient(registry.host, docker_config=config) as api:
            api.ping()
            assert api.head_manifest("team/app", "v1")[0] == digest
            assert list(api.catalog()) == ["team/app"]
        with client(registry) as anonymous, pytest.raises(RegistryDenied):
            anonymous.manifest("team/app", "v1")
        wrong = Credentials("alice", "wrong")
        with client(registry, credentials=wrong) as api, pytest.raises(RegistryDenied):
            api.ping()
    finally:
        registry.stop()


def test_the_password_is_never_shown() -> None:
    assert "s3cret" not in repr(Credentials("alice", "s3cret"))


def test_an_index_is_resolved_to_the_platform_asked_for(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    amd = image_builder.push(image_builder.build("amd", user="1"), registry, "team/multi:amd")
    arm = image_builder.push(image_builder.build("arm", user="2"), registry, "team/multi:arm")
    index = _put_index(registry, "team/multi", "v1", {"amd64": amd, "arm64": arm})
    with client(registry) as api:
        resolved = api.resolve("team/multi", "v1", Platform.from_text("linux/arm64"))
        assert (resolved.digest, resolved.index_digest) == (arm, index)
        assert (
            api.config("team/multi", "v1", Platform.from_text("linux/amd64"))["config"]["User"]
            == "1"
        )
        with pytest.raises(PlatformNotFound, match=r"linux/amd64, linux/arm64"):
            api.resolve("team/multi", "v1", Platform.from_text("linux/s390x"))


def test_content_changed_in_the_registrys_storage_is_a_digest_mismatch(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("v1", files={"data": b"original" * 100})
    digest = image_builder.push(source, registry, "team/app:v1")
    with client(registry) as api:
        layer = api.resolve("team/app", "v1", Platform.host()).manifest.layers[0]
        _tamper(registry, layer.digest)
        with pytest.raises(DigestMismatch, match=layer.digest):
            b"".join(api.blob("team/app", layer.digest))
        _tamper(registry, digest)
        with pytest.raises(DigestMismatch, match=digest):
            api.manifest("team/app", "v1")


def test_a_stopped_registry_is_unreachable(registry: Registry) -> None:
    registry.stop()
    with client(registry) as api, pytest.raises(RegistryUnreachable, match=registry.host):
        api.ping()


def _put_index(registry: Registry, repository: str, tag: str, digests: dict[str, str]) -> str:
    manifests = []
    for architecture, digest in digests.items():
        head = httpx.head(
            f"{registry.url}/v2/{repository}/manifests/{digest}", headers={"Accept": OCI_MANIFEST}
        )
        manifests.append(
            {
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": int(head.headers["Content-Length"]),
                "platform": {"os": "linux", "architecture": architecture},
            }
        )
    body = orjson.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
    response = httpx.put(
        f"{registry.url}/v2/{repository}/manifests/{tag}",
        content=body,
        headers={"Content-Type": OCI_INDEX},
    )
    response.raise_for_status()
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _tamper(registry: Registry, digest: str) -> None:
    """Change the stored content of ``digest`` (keeping JSON valid, so the registry serves it)."""
    hex_digest = digest.removeprefix("sha256:")
    data = registry.directory / "storage/docker/registry/v2/blobs/sha256" / hex_digest[:2]
    path = data / hex_digest / "data"
    content = path.read_bytes()
    if content.startswith(b"{"):
        path.write_bytes(b"{ " + content[1:])
    else:
        path.write_bytes(content[:-1] + bytes([content[-1] ^ 0xFF]))


def test_the_tag_index_syncs_from_the_registry_through_this_client(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("v1")
    digest = image_builder.push(source, registry, "team/app:v1")
    image_builder.push(source, registry, "team/app:v2")
    with (
        Ledger.create(tmp_path / "data", origin="images.test/log") as ledger,
        client(registry) as api,
    ):
        tags: TagSource = api
        report = sync_registry(TagIndex(ledger), tags, registry.host, {"id": "t", "type": "user"})
        assert (report.repositories, report.tags, report.created) == (1, 2, 2)
        assert TagIndex(ledger).tag("team/app", "v1", registry.host).digest == digest
