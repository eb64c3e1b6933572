"""Audited pulls with the OCI engine against a real registry: digests, outcomes, lines, throttle,
and failing closed when the pull cannot be recorded."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from sealtrail.client import Client
from sealtrail.clock import FixedClock
from sealtrail.errors import StoreUnavailable
from sealtrail.images import Throttle, pull
from sealtrail.images.failures import DigestMismatch, ImageNotFound, RegistryUnreachable
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from tests.conftest import RunningServer, free_port
from tests.fixtures_registry import ImageBuilder, Registry
from tests.images.test_registry import _put_index, _tamper

LINE = re.compile(
    r"CONTAINER IMAGE DOWNLOAD: timestamp=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} \| "
    r"registry=(?P<registry>[^ ]+) \| repository=(?P<repository>[^ ]+) \| tag=(?P<tag>[^ ]+) \| "
    r"digest=(?P<digest>[^ ]+) \| (?:full_digest=(?P<full>[^ ]+) \| )?duration=\d+\.\ds \| "
    r"status=(?P<status>[A-Z_]+)(?P<rest>.*)"
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.create(tmp_path / "trail", origin="images.test/log") as created:
        yield created


@pytest.fixture(autouse=True)
def _info_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "sealtrail.images")


def pulls(ledger: Ledger) -> list[dict[str, Any]]:
    records = ledger.query(Query(actions=("image.pull",), oldest_first=True, limit=1000))
    return [orjson.loads(record.leaf) for record in records]


def lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    found = [LINE.fullmatch(r.getMessage()) for r in caplog.records if r.name == "sealtrail.images"]
    assert all(found), [r.getMessage() for r in caplog.records]
    return [match for match in found if match is not None]


def test_a_pull_records_the_digest_the_registry_serves_and_writes_the_layout(
    tmp_path: Path,
    registry: Registry,
    image_builder: ImageBuilder,
    ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = image_builder.build("v1", files={"data": b"payload" * 1000})
    digest = image_builder.push(source, registry, "team/app:v1")
    output = tmp_path / "out"
    result = pull(f"{registry.host}/team/app:v1", ledger_or_client=ledger, output=output)
    assert result.digest == digest
    [event] = pulls(ledger)
    assert event["outcome"] == "success"
    assert event["target"] == {
        "type": "image",
        "id": f"{registry.host}/team/app",
        "registry": registry.host,
        "repository": "team/app",
        "tag": "v1",
        "digest": digest,
        "full_digest": f"team/app@{digest}",
    }
    assert event["details"]["cache"] == "miss"
    assert event["details"]["engine"] == "oci"
    assert event["source"]["service"] == "sealtrail"
    [line] = lines(caplog)
    assert (line["status"], line["rest"]) == ("SUCCESS", "")
    assert (line["registry"], line["repository"], line["tag"]) == (registry.host, "team/app", "v1")
    assert (line["digest"], line["full"]) == (digest, f"team/app@{digest}")
    _assert_layout_holds(output, digest)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "layout",
        "out",
        "registry",
        "trail",
    ]


def test_a_missing_tag_is_not_found(
    tmp_path: Path,
    registry: Registry,
    image_builder: ImageBuilder,
    ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    with pytest.raises(ImageNotFound):
        pull(f"{registry.host}/team/app:nope", ledger_or_client=ledger, output=tmp_path / "out")
    [event] = pulls(ledger)
    assert (event["outcome"], event["target"]["tag"]) == ("not_found", "nope")
    assert "digest" not in event["target"]
    [line] = lines(caplog)
    assert (line["status"], line["digest"], line["full"]) == ("NOT_FOUND", "N/A", None)
    assert line["rest"] == " | note=local_or_unpublished_image"
    assert not (tmp_path / "out").exists()


def test_a_stopped_registry_is_a_failure_naming_the_error(
    tmp_path: Path, registry: Registry, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    registry.stop()
    with pytest.raises(RegistryUnreachable):
        pull(f"{registry.host}/team/app:v1", ledger_or_client=ledger, output=tmp_path / "out")
    [event] = pulls(ledger)
    assert event["outcome"] == "failure"
    assert event["details"]["error"]["kind"] == "unreachable"
    assert event["details"]["error"]["type"] == "RegistryUnreachable"
    [line] = lines(caplog)
    assert line["status"] == "FAILURE"
    assert line["rest"].startswith(" | error=RegistryUnreachable | details=cannot reach ")


def test_content_that_is_not_its_digest_fails_and_leaves_nothing(
    tmp_path: Path,
    registry: Registry,
    image_builder: ImageBuilder,
    ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = image_builder.build("v1", files={"data": b"original" * 1000})
    image_builder.push(source, registry, "team/app:v1")
    layer = _first_layer(registry)
    _tamper(registry, layer)
    output = tmp_path / "pulled" / "out"
    with pytest.raises(DigestMismatch, match=layer):
        pull(f"{registry.host}/team/app:v1", ledger_or_client=ledger, output=output)
    [event] = pulls(ledger)
    assert event["outcome"] == "failure"
    assert event["details"]["error"]["kind"] == "digest_mismatch"
    assert lines(caplog)[0]["rest"].startswith(" | error=DigestMismatch | details=blob of team/app")
    assert list(output.parent.iterdir()) == []  # no layout, no staging directory


def test_an_index_is_pulled_for_the_platform_and_recorded_by_its_own_digest(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder, ledger: Ledger
) -> None:
    amd = image_builder.push(image_builder.build("amd", user="1"), registry, "team/multi:amd")
    arm = image_builder.push(image_builder.build("arm", user="2"), registry, "team/multi:arm")
    index = _put_index(registry, "team/multi", "v1", {"amd64": amd, "arm64": arm})
    output = tmp_path / "out"
    result = pull(
        f"{registry.host}/team/multi:v1",
        ledger_or_client=ledger,
        output=output,
        platform="linux/arm64",
    )
    assert result.digest == index
    assert pulls(ledger)[0]["details"]["platform"] == "linux/arm64"
    _assert_layout_holds(output, arm)


def test_within_the_interval_a_held_image_is_a_cache_hit_even_across_restarts(
    tmp_path: Path,
    registry: Registry,
    image_builder: ImageBuilder,
    ledger: Ledger,
    caplog: pytest.LogCaptureFixture,
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    clock = FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    state = tmp_path / "state" / "throttle.json"
    image, output = f"{registry.host}/team/app:v1", tmp_path / "out"

    def pull_once() -> None:
        throttle = Throttle(state, interval=3600, clock=clock)  # a new one: as after a restart
        pull(image, ledger_or_client=ledger, output=output, throttle=throttle, clock=clock)

    pull_once()
    registry.stop()  # a cache hit does not ask the registry
    clock.advance(minutes=59)
    pull_once()
    clock.advance(minutes=2)
    with pytest.raises(RegistryUnreachable):
        pull_once()
    registry.start()
    pull_once()
    caches = [(e["outcome"], e["details"].get("cache")) for e in pulls(ledger)]
    assert caches == [
        ("success", "miss"),
        ("success", "hit"),
        ("failure", "miss"),
        ("success", "miss"),
    ]
    assert [event["target"].get("digest") for event in pulls(ledger)] == [
        digest,
        digest,
        None,
        digest,
    ]
    assert lines(caplog)[1]["rest"] == " | cache=hit"


def test_a_pull_that_cannot_be_recorded_fails_and_leaves_nothing(
    tmp_path: Path,
    registry: Registry,
    image_builder: ImageBuilder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    output = tmp_path / "pulled" / "out"
    down = Client(f"http://127.0.0.1:{free_port()}", "sealtrail_nokey")
    with down, pytest.raises(StoreUnavailable):
        pull(f"{registry.host}/team/app:v1", ledger_or_client=down, output=output)
    assert list(output.parent.iterdir()) == []
    [line] = lines(caplog)
    assert line["status"] == "FAILURE"
    assert line["rest"].startswith(" | error=StoreUnavailable | details=the pull could not be")


def test_a_service_records_its_pulls_on_a_sealtrail_server(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder, server: RunningServer
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    with Client(server.url, server.key("writer")) as trail:
        result = pull(
            f"{registry.host}/team/app:v1",
            ledger_or_client=trail,
            output=tmp_path / "out",
            service="dicom-processor",
        )
    assert result.digest == digest
    with server.client(server.admin_key) as admin:
        [event] = admin.get("/v1/events", params={"action": "image.pull"}).json()["events"]
    assert event["target"]["digest"] == digest
    assert event["actor"] == {"id": "dicom-processor", "type": "service"}
    assert event["source"]["service"] == "dicom-processor"


def _first_layer(registry: Registry) -> str:
    from sealtrail.images.manifest import Platform
    from sealtrail.images.registry import RegistryClient

    with RegistryClient(registry.host, docker_config=None) as api:
        return api.resolve("team/app", "v1", Platform.host()).manifest.layers[0].digest


def _assert_layout_holds(output: Path, manifest_digest: str) -> None:
    index = orjson.loads((output / "index.json").read_bytes())
    assert [entry["digest"] for entry in index["manifests"]] == [manifest_digest]
    manifest = orjson.loads((output / "blobs/sha256" / manifest_digest[7:]).read_bytes())
    for blob in [manifest["config"], *manifest["layers"]]:
        content = (output / "blobs/sha256" / blob["digest"][7:]).read_bytes()
        assert "sha256:" + hashlib.sha256(content).hexdigest() == blob["digest"]
    assert (output / "oci-layout").read_bytes() == b'{"imageLayoutVersion":"1.0.0"}'


def test_a_digest_reference_is_pulled_and_named_by_its_digest(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder, ledger: Ledger
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    output = tmp_path / "out"
    pull(f"{registry.host}/team/app@{digest}", ledger_or_client=ledger, output=output)
    [event] = pulls(ledger)
    assert "tag" not in event["target"]
    assert event["target"]["full_digest"] == f"team/app@{digest}"
    index = orjson.loads((output / "index.json").read_bytes())
    assert index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == digest
    missing = "sha256:" + "0" * 64
    with pytest.raises(ImageNotFound):
        pull(f"{registry.host}/team/app@{missing}", ledger_or_client=ledger, output=output)
    assert pulls(ledger)[-1]["outcome"] == "not_found"
    _assert_layout_holds(output, digest)  # the earlier layout is untouched
