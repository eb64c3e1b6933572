"""The OCI distribution spec's pull, push, content discovery and content management workflows
hold through the gateway exactly as they do against the registry directly.

The same scripted walk (written from the spec's workflow sections) runs once against a registry
and once through a gateway in front of a second, fresh registry; every step's status, error codes,
digests, bodies and the shape of its Location and Link headers must match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures_gateway import RunningGateway, start_gateway
from tests.fixtures_registry import Registry, start_registry

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
LAYER = bytes(range(256)) * 2048  # 512 KiB


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest(layer: bytes, annotation: str) -> bytes:
    return (
        b'{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":'
        b'"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":'
        b'[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}],'
        b'"annotations":{"n":"%s"}}'
        % (
            MANIFEST.encode(), sha256(CONFIG).encode(), len(CONFIG), sha256(layer).encode(),
            len(layer), annotation.encode(),
        )
    )  # fmt: skip


class Walk:
    """Requests against one base URL, each step observed in a comparable form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30)
        self.seen: list[tuple[str, Any]] = []

    def step(self, name: str, response: httpx.Response, *, body: bool = False) -> httpx.Response:
        observed: dict[str, Any] = {"status": response.status_code}
        if response.content and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            payload = response.json()
            if isinstance(payload, dict) and "errors" in payload:
                observed["errors"] = [error["code"] for error in payload["errors"]]
            elif body:
                observed["json"] = payload
        elif body:
            observed["sha256"] = hashlib.sha256(response.content).hexdigest()
        for header in ("docker-content-digest", "content-length", "range"):
            if header in response.headers:
                observed[header] = response.headers[header]
        for header in ("location", "link"):
            if header in response.headers:
                observed[header] = self._relative(response.headers[header])
        self.seen.append((name, observed))
        return response

    def _relative(self, value: str) -> str:
        """A header URL without its origin (which must be the base's, when there is one)."""
        if "://" in value:
            assert self.base in value, f"{value} leaves {self.base}"
            value = value.replace(self.base, "")
        if "/blobs/uploads/" in value:  # the session id is the registry's random choice
            return value.split("/blobs/uploads/")[0] + "/blobs/uploads/<session>"
        return value

    def location(self, response: httpx.Response) -> str:
        return response.headers["location"].replace(self.base, "")


def walk(base: str) -> list[tuple[str, Any]]:
    w = Walk(base)
    c = w.client
    w.step("ping", c.get("/v2/"))
    # push: a chunked upload, a monolithic upload (POST then PUT), a cancelled upload
    started = w.step("upload start", c.post("/v2/conf/app/blobs/uploads/"))
    half = len(LAYER) // 2
    patched = w.step(
        "upload chunk",
        c.patch(w.location(started), content=LAYER[:half],
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"0-{half - 1}"}),
    )  # fmt: skip
    status = w.step("upload status", c.get(w.location(patched)))
    patched = w.step(
        "upload chunk 2",
        c.patch(w.location(status), content=LAYER[half:],
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"{half}-{len(LAYER) - 1}"}),
    )  # fmt: skip
    url = w.location(patched)
    w.step("upload close", c.put(f"{url}&digest={sha256(LAYER)}"))
    started = w.step("config start", c.post("/v2/conf/app/blobs/uploads/"))
    url = w.location(started)
    w.step("config monolithic", c.put(f"{url}&digest={sha256(CONFIG)}", content=CONFIG))
    started = w.step("cancel start", c.post("/v2/conf/app/blobs/uploads/"))
    w.step("cancel", c.delete(w.location(started)))
    w.step("mount", c.post("/v2/conf/other/blobs/uploads/",
                           params={"mount": sha256(LAYER), "from": "conf/app"}))  # fmt: skip
    first, second = manifest(LAYER, "one"), manifest(LAYER, "two")
    headers = {"Content-Type": MANIFEST}
    w.step("push tag", c.put("/v2/conf/app/manifests/v1", content=first, headers=headers))
    w.step("push digest", c.put(f"/v2/conf/app/manifests/{sha256(second)}", content=second,
                                headers=headers))  # fmt: skip
    w.step("push tag 2", c.put("/v2/conf/app/manifests/v2", content=second, headers=headers))
    w.step("push bad", c.put("/v2/conf/app/manifests/bad", content=b"{}", headers=headers))
    missing = manifest(b"missing", "three")
    w.step("push unknown blob", c.put("/v2/conf/app/manifests/v3", content=missing,
                                      headers=headers))  # fmt: skip
    # pull
    accept = {"Accept": MANIFEST}
    w.step("pull tag", c.get("/v2/conf/app/manifests/v1", headers=accept), body=True)
    w.step("head tag", c.head("/v2/conf/app/manifests/v1", headers=accept))
    w.step("pull digest", c.get(f"/v2/conf/app/manifests/{sha256(second)}", headers=accept),
           body=True)  # fmt: skip
    w.step("pull missing", c.get("/v2/conf/app/manifests/nope", headers=accept))
    w.step("pull blob", c.get(f"/v2/conf/app/blobs/{sha256(LAYER)}"), body=True)
    w.step("head blob", c.head(f"/v2/conf/other/blobs/{sha256(LAYER)}"))
    w.step("pull blob range", c.get(f"/v2/conf/app/blobs/{sha256(LAYER)}",
                                    headers={"Range": "bytes=0-99"}), body=True)  # fmt: skip
    w.step("pull missing blob", c.get(f"/v2/conf/app/blobs/{sha256(b'x')}"))
    w.step("unknown repository", c.get("/v2/conf/nothing/manifests/v1", headers=accept))
    # content discovery
    w.step("tags", c.get("/v2/conf/app/tags/list"), body=True)
    w.step("tags page", c.get("/v2/conf/app/tags/list", params={"n": 1}), body=True)
    w.step("tags next", c.get("/v2/conf/app/tags/list", params={"n": 1, "last": "v1"}),
           body=True)  # fmt: skip
    w.step("catalog", c.get("/v2/_catalog"), body=True)
    w.step("referrers", c.get(f"/v2/conf/app/referrers/{sha256(first)}"))
    # content management
    w.step("delete manifest", c.delete(f"/v2/conf/app/manifests/{sha256(first)}"))
    w.step("deleted is gone", c.get("/v2/conf/app/manifests/v1", headers=accept))
    w.step("delete blob", c.delete(f"/v2/conf/other/blobs/{sha256(LAYER)}"))
    w.step("deleted blob is gone", c.head(f"/v2/conf/other/blobs/{sha256(LAYER)}"))
    c.close()
    return w.seen


@pytest.fixture
def second_registry(tmp_path: Path) -> Iterator[Registry]:
    started = start_registry(tmp_path / "second")
    yield started
    started.stop()


def test_the_spec_walk_answers_the_same_through_the_gateway(
    tmp_path: Path, registry: Registry, second_registry: Registry
) -> None:
    direct = walk(registry.url)
    gateway: RunningGateway = start_gateway(tmp_path / "data", second_registry)
    try:
        through = walk(gateway.url)
    finally:
        gateway.stop()
    assert [name for name, _ in through] == [name for name, _ in direct]
    for (name, expected), (_, got) in zip(direct, through, strict=True):
        assert got == expected, name
    assert {e["action"] for e in gateway.events()} >= {
        "image.pull", "image.push", "image.mount", "image.delete", "tag.create", "tag.delete",
    }  # fmt: skip
