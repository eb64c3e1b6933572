"""``sealtrail serve`` with a ``[gateway]`` upstream answers the distribution API under /v2/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.conftest import start_server
from tests.fixtures_registry import ImageBuilder, Registry


def test_the_server_proxies_v2_to_the_registry_and_records_the_pull(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    server = start_server(tmp_path / "data", env={"SEALTRAIL_GATEWAY__UPSTREAM": registry.url})
    try:
        host = server.url.removeprefix("http://")
        inspected = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", f"docker://{host}/team/app:v1"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert inspected.returncode == 0, inspected.stderr
        assert json.loads(inspected.stdout)["Digest"] == digest
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        with server.client(server.admin_key) as admin:
            events = admin.get("/v1/events", params={"action": "image.pull"}).json()["events"]
    finally:
        server.stop()
    assert events
    assert {event["target"]["digest"] for event in events} == {digest}
