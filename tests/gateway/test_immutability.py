"""Immutable tags through the gateway: overwrites and deletes refused before the registry sees
them, with an OCI DENIED error naming the policy, and recorded as denied."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from sealtrail.policies import ImmutabilityPolicies, ImmutabilityPolicy, TagIndex
from tests.fixtures_gateway import RunningGateway
from tests.fixtures_registry import ImageBuilder, Registry, inspect_digest

ADMIN = {"id": "admin", "type": "user"}
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)


def push(gateway: RunningGateway, source: str, reference: str) -> subprocess.CompletedProcess[str]:
    target = f"docker://{gateway.host}/{reference}"
    return skopeo("copy", "--dest-tls-verify=false", source, target)


@pytest.fixture
def policy(gateway: RunningGateway) -> Iterator[ImmutabilityPolicy]:
    """``v.*`` tags of namespace ``team`` are immutable."""
    with gateway.ledger() as ledger:
        yield ImmutabilityPolicies(ledger).create(tag_pattern="v.*", namespace="team", actor=ADMIN)


def test_overwriting_an_immutable_tag_fails_in_skopeo_naming_the_policy(
    gateway: RunningGateway,
    registry: Registry,
    image_builder: ImageBuilder,
    policy: ImmutabilityPolicy,
) -> None:
    assert push(gateway, image_builder.build("one"), "team/app:v1").returncode == 0
    original = inspect_digest(registry, "team/app:v1")
    refused = push(gateway, image_builder.build("two", user="2000"), "team/app:v1")
    assert refused.returncode != 0
    assert policy.uuid in refused.stderr
    assert "v.*" in refused.stderr
    assert inspect_digest(registry, "team/app:v1") == original
    [denied] = gateway.events("tag.move", outcome="denied")
    assert denied["details"]["policy"]["uuid"] == policy.uuid
    assert denied["details"]["requested_digest"] != original
    assert denied["actor"]["ip"] == "127.0.0.1"
    [change] = gateway.events("tag.immutability_change")
    assert change["details"]["policy"]["uuid"] == policy.uuid
    assert [e["outcome"] for e in gateway.events("image.push")] == ["success"]


def test_the_refusal_is_an_oci_denied_error_and_the_upstream_never_sees_it(
    gateway: RunningGateway,
    registry: Registry,
    image_builder: ImageBuilder,
    policy: ImmutabilityPolicy,
) -> None:
    assert push(gateway, image_builder.build("one"), "team/app:v1").returncode == 0
    original = inspect_digest(registry, "team/app:v1")
    assert push(gateway, image_builder.build("two", user="2000"), "team/app:v2").returncode == 0
    other = httpx.get(
        f"{registry.url}/v2/team/app/manifests/v2", headers={"Accept": MANIFEST}
    ).content
    response = httpx.put(
        f"{gateway.url}/v2/team/app/manifests/v1",
        content=other,
        headers={"Content-Type": MANIFEST},
    )
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["code"] == "DENIED"
    assert f"policy {policy.uuid}" in error["message"]
    assert "pattern 'v.*'" in error["message"]
    assert inspect_digest(registry, "team/app:v1") == original


def test_re_pushing_the_same_digest_to_an_immutable_tag_is_allowed(
    gateway: RunningGateway, image_builder: ImageBuilder, policy: ImmutabilityPolicy
) -> None:
    source = image_builder.build("one")
    assert push(gateway, source, "team/app:v1").returncode == 0
    again = push(gateway, source, "team/app:v1")
    assert again.returncode == 0, again.stderr
    assert not gateway.events("tag.move")
    assert [e["outcome"] for e in gateway.events("image.push")] == ["success", "success"]


def test_deleting_an_immutable_tag_or_its_manifest_is_refused(
    gateway: RunningGateway,
    registry: Registry,
    image_builder: ImageBuilder,
    policy: ImmutabilityPolicy,
) -> None:
    assert push(gateway, image_builder.build("one"), "team/app:v1").returncode == 0
    digest = inspect_digest(registry, "team/app:v1")
    deleted = skopeo("delete", "--tls-verify=false", f"docker://{gateway.host}/team/app:v1")
    assert deleted.returncode != 0
    assert policy.uuid in deleted.stderr
    by_tag = httpx.delete(f"{gateway.url}/v2/team/app/manifests/v1")
    assert by_tag.status_code == 403
    assert by_tag.json()["errors"][0]["code"] == "DENIED"
    assert inspect_digest(registry, "team/app:v1") == digest
    refusals = gateway.events("tag.delete", outcome="denied")
    assert len(refusals) == 2
    assert {e["details"]["policy"]["uuid"] for e in refusals} == {policy.uuid}
    assert not gateway.events("image.delete")


def test_deleting_a_mutable_manifest_removes_its_tags_from_the_index(
    gateway: RunningGateway,
    registry: Registry,
    image_builder: ImageBuilder,
    policy: ImmutabilityPolicy,
) -> None:
    assert push(gateway, image_builder.build("one"), "team/app:latest").returncode == 0
    digest = inspect_digest(registry, "team/app:latest")
    deleted = skopeo("delete", "--tls-verify=false", f"docker://{gateway.host}/team/app:latest")
    assert deleted.returncode == 0, deleted.stderr
    [image_delete] = gateway.events("image.delete")
    assert image_delete["outcome"] == "success"
    assert image_delete["target"]["digest"] == digest
    [tag_delete] = gateway.events("tag.delete")
    assert tag_delete["target"]["tag"] == "latest"
    with gateway.ledger() as ledger:
        assert TagIndex(ledger).tags_at(registry.host, "team/app", digest) == []
    gone = httpx.get(f"{registry.url}/v2/team/app/manifests/latest", headers={"Accept": MANIFEST})
    assert gone.status_code == 404
