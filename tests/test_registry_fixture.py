"""The registry and image fixtures that the image, gateway and Dockerfile tests build on."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from tests.fixtures_registry import ImageBuilder, Registry, start_registry

MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json"


def test_a_pushed_image_is_served_with_the_digest_skopeo_reports(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("v1", files={"etc/motd": b"hello\n"})
    digest = image_builder.push(source, registry, "team/app:v1")
    response = httpx.get(
        f"{registry.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST_TYPES}
    )
    assert response.status_code == 200
    assert response.headers["Docker-Content-Digest"] == digest
    assert digest == "sha256:" + hashlib.sha256(response.content).hexdigest()
    assert len(response.json()["layers"]) == 1


def test_a_registry_with_users_refuses_anonymous_pulls(
    tmp_path: Path, image_builder: ImageBuilder
) -> None:
    registry = start_registry(tmp_path / "private", users={"alice": "s3cret"})
    try:
        image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
        assert httpx.get(f"{registry.url}/v2/team/app/manifests/v1").status_code == 401
        authed = httpx.get(
            f"{registry.url}/v2/team/app/manifests/v1",
            headers={"Accept": MANIFEST_TYPES},
            auth=("alice", "s3cret"),
        )
        assert authed.status_code == 200
    finally:
        registry.stop()


def test_a_stopped_registry_comes_back_with_its_images(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    registry.stop()
    registry.start()
    response = httpx.head(
        f"{registry.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST_TYPES}
    )
    assert response.headers["Docker-Content-Digest"] == digest
