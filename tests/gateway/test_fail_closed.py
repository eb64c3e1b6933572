"""When the trail cannot record, the gateway serves nothing and forwards no change (503)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from tests.fixtures_gateway import RunningGateway, start_gateway
from tests.fixtures_postgres import PrivatePostgres
from tests.fixtures_registry import ImageBuilder, Registry, inspect_digest

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def wait_ready(gateway: RunningGateway, ready: bool, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (httpx.get(f"{gateway.url}/readyz", timeout=30).status_code == 200) == ready:
            return
        time.sleep(0.2)
    raise AssertionError(f"the gateway did not become {'ready' if ready else 'unready'}")


def assert_refused_everything(gateway: RunningGateway, registry: Registry, pushed: str) -> None:
    pull = httpx.get(
        f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST}, timeout=60
    )
    assert pull.status_code == 503
    assert pull.json()["errors"][0]["code"] == "UNAVAILABLE"
    assert b"schemaVersion" not in pull.content
    upload = httpx.post(f"{gateway.url}/v2/team/app/blobs/uploads/", timeout=60)
    assert upload.status_code == 503
    put = httpx.put(
        f"{gateway.url}/v2/team/app/manifests/v2",
        content=pushed.encode(),
        headers={"Content-Type": MANIFEST},
        timeout=60,
    )
    assert put.status_code == 503
    deleted = httpx.delete(f"{gateway.url}/v2/team/app/manifests/v1", timeout=60)
    assert deleted.status_code == 503
    missing = httpx.get(f"{registry.url}/v2/team/app/manifests/v2", headers={"Accept": MANIFEST})
    assert missing.status_code == 404


def test_postgres_down_refuses_pulls_and_pushes_with_503_and_forwards_nothing(
    tmp_path: Path,
    private_postgres: PrivatePostgres,
    registry: Registry,
    image_builder: ImageBuilder,
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    manifest = httpx.get(
        f"{registry.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST}
    ).text
    gateway = start_gateway(
        tmp_path / "data", registry, env={"SEALTRAIL_DATABASE_URL": private_postgres.url}
    )
    try:
        ok = httpx.get(f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST})
        assert ok.status_code == 200
        private_postgres.stop()
        wait_ready(gateway, False)
        assert_refused_everything(gateway, registry, manifest)
        assert inspect_digest(registry, "team/app:v1") == digest
        private_postgres.start()
        wait_ready(gateway, True)
        again = httpx.get(f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST})
        assert again.status_code == 200
    finally:
        gateway.stop()
    pulls = gateway.events("image.pull")
    assert [pull["outcome"] for pull in pulls] == ["success", "success"]


def test_a_locked_sqlite_ledger_refuses_within_the_record_timeout(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    manifest = httpx.get(
        f"{registry.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST}
    ).text
    gateway = start_gateway(
        tmp_path / "data", registry, env={"SEALTRAIL_GATEWAY__RECORD_TIMEOUT": "1"}
    )
    holder = sqlite3.connect(gateway.directory / "ledger.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        assert_refused_everything(gateway, registry, manifest)
        holder.execute("ROLLBACK")
        wait_ready(gateway, True)
        ok = httpx.get(f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST})
        assert ok.status_code == 200
    finally:
        holder.close()
        gateway.stop()


def test_fail_open_serves_while_the_ledger_is_locked(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    env = {"SEALTRAIL_GATEWAY__RECORD_TIMEOUT": "1", "SEALTRAIL_GATEWAY__FAIL_OPEN": "true"}
    gateway = start_gateway(tmp_path / "data", registry, env=env)
    holder = sqlite3.connect(gateway.directory / "ledger.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        served = httpx.get(
            f"{gateway.url}/v2/team/app/manifests/v1", headers={"Accept": MANIFEST}, timeout=60
        )
        assert served.status_code == 200
        holder.execute("ROLLBACK")
    finally:
        holder.close()
        gateway.stop()
    assert "serving without recording (fail_open)" in gateway.log.read_text()
