"""Audited pulls through a Docker Engine API (podman's service) from a real registry."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from sealtrail.clock import FixedClock
from sealtrail.images import Throttle, pull
from sealtrail.images.failures import (
    EngineUnavailable,
    ImageNotFound,
    RegistryDenied,
    RegistryUnreachable,
)
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from tests.fixtures_registry import ImageBuilder, Registry, start_podman, start_registry
from tests.images.test_cli import run


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.create(tmp_path / "trail", origin="images.test/log") as created:
        yield created


def pulls(ledger: Ledger) -> list[dict[str, Any]]:
    records = ledger.query(Query(actions=("image.pull",), oldest_first=True, limit=1000))
    return [orjson.loads(record.leaf) for record in records]


def test_the_engine_pull_records_the_registrys_digest(
    registry: Registry, image_builder: ImageBuilder, podman_socket: str, ledger: Ledger
) -> None:
    digest = image_builder.push(
        image_builder.build("v1", files={"a": b"b"}), registry, "team/app:v1"
    )
    result = pull(
        f"{registry.host}/team/app:v1",
        engine="docker",
        docker_host=podman_socket,
        ledger_or_client=ledger,
    )
    assert result.digest == digest
    [event] = pulls(ledger)
    assert (event["outcome"], event["details"]["engine"]) == ("success", "docker")
    assert event["target"]["full_digest"] == f"team/app@{digest}"


def test_the_engine_reports_a_missing_tag_as_not_found_and_a_stopped_registry_as_failure(
    registry: Registry,
    image_builder: ImageBuilder,
    podman_socket: str,
    ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "sealtrail.images")
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    image = f"{registry.host}/team/app"
    with pytest.raises(ImageNotFound):
        pull(f"{image}:nope", engine="docker", docker_host=podman_socket, ledger_or_client=ledger)
    registry.stop()
    with pytest.raises(RegistryUnreachable):
        pull(f"{image}:v1", engine="docker", docker_host=podman_socket, ledger_or_client=ledger)
    outcomes = [(e["outcome"], e["details"].get("error", {}).get("kind")) for e in pulls(ledger)]
    assert outcomes == [("not_found", "not_found"), ("failure", "unreachable")]
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0].endswith("status=NOT_FOUND | note=local_or_unpublished_image")
    assert " | status=FAILURE | error=APIError | details=" in messages[1]  # the seed's form


def test_within_the_interval_the_engines_image_is_a_cache_hit(
    tmp_path: Path,
    registry: Registry,
    image_builder: ImageBuilder,
    podman_socket: str,
    ledger: Ledger,
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    throttle = Throttle(tmp_path / "throttle.json", clock=clock)
    for _ in range(2):
        pull(
            f"{registry.host}/team/app:v1",
            engine="docker",
            docker_host=podman_socket,
            ledger_or_client=ledger,
            throttle=throttle,
            clock=clock,
        )
        registry.stop()
    assert [e["details"]["cache"] for e in pulls(ledger)] == ["miss", "hit"]
    assert {e["target"]["digest"] for e in pulls(ledger)} == {digest}


def test_an_engine_that_is_not_there_is_a_recorded_failure(tmp_path: Path, ledger: Ledger) -> None:
    socket = f"unix://{tmp_path}/none.sock"
    with pytest.raises(EngineUnavailable):
        pull("alpine:3.18", engine="docker", docker_host=socket, ledger_or_client=ledger)
    [event] = pulls(ledger)
    assert event["details"]["error"]["kind"] == "engine_unavailable"
    assert event["target"]["registry"] == "registry-1.docker.io"


def test_the_cli_pulls_through_the_engine_docker_host_names(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder, podman_socket: str
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    data = tmp_path / "data"
    run("init", "--dir", str(data))
    image = f"{registry.host}/team/app:v1"
    result = run(
        "pull", image, "--engine", "docker", "--dir", str(data), env={"DOCKER_HOST": podman_socket}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{image} {digest}"
    assert " | status=SUCCESS" in result.stderr


def test_the_engine_is_given_the_docker_config_credentials_of_a_private_registry(
    tmp_path: Path, image_builder: ImageBuilder, ledger: Ledger
) -> None:
    registry = start_registry(tmp_path / "private", users={"alice": "s3cret"})
    podman = start_podman(tmp_path / "podman", insecure=[registry.host])
    try:
        digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
        image = f"{registry.host}/team/app:v1"
        with pytest.raises(RegistryDenied):
            pull(image, engine="docker", docker_host=podman.url, ledger_or_client=ledger,
                 docker_config=None)  # fmt: skip
        config = tmp_path / "docker-config.json"
        auth = base64.b64encode(b"alice:s3cret").decode()
        config.write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
        result = pull(
            image, engine="docker", docker_host=podman.url, ledger_or_client=ledger,
            docker_config=config,
        )  # fmt: skip
        assert result.digest == digest
        kinds = [e["details"].get("error", {}).get("kind") for e in pulls(ledger)]
        assert kinds == ["auth_denied", None]
    finally:
        podman.stop()
        registry.stop()
