"""``sealtrail tags sync``: a real registry's catalog and tags into the tag index, on the record."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from sealtrail.ledger.log import Ledger
from tests.conftest import SEALTRAIL
from tests.fixtures_registry import ImageBuilder, Registry

ENV: dict[str, str] = {}


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    ENV.clear()
    ENV["HOME"] = str(tmp_path / "home")  # no ~/.docker/config.json of the machine's
    if request.param == "postgresql":
        ENV["SEALTRAIL_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    yield
    ENV.clear()


def run(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEALTRAIL_DIR"} | ENV
    result = subprocess.run(
        [SEALTRAIL, *args, "--dir", "data"], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def sync(cwd: Path, registry: Registry, *options: str) -> dict[str, object]:
    report: dict[str, object] = orjson.loads(
        run(cwd, "tags", "sync", registry.host, *options, "--json").stdout
    )
    return report


def test_sync_records_tags_applies_policies_and_reports_drift(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    first = image_builder.build("one", files={"app": b"one"})
    second = image_builder.build("two", files={"app": b"two"})
    v1 = image_builder.push(first, registry, "team/app:v1")
    image_builder.push(first, registry, "team/app:v2")
    image_builder.push(first, registry, "team/app:latest")
    image_builder.push(second, registry, "other/tool:1.0")
    run(tmp_path, "init")
    run(tmp_path, "policies", "create", "--namespace", "team", "--pattern", "v.*")

    report = sync(tmp_path, registry)
    assert report | {"skipped": []} == {
        "registry": registry.host, "repositories": 2, "tags": 4, "created": 4, "moved": 0,
        "unchanged": 0, "drifted": [], "skipped": [],
    }  # fmt: skip
    assert (
        "is immutable: made immutable by namespace policy"
        in run(tmp_path, "tags", "why", "team/app:v1", "--registry", registry.host).stdout
    )

    image_builder.push(second, registry, "team/app:v1")  # the registry lets v1 be overwritten
    image_builder.push(second, registry, "team/app:latest")
    again = sync(tmp_path, registry)
    assert (again["created"], again["moved"], again["unchanged"]) == (0, 1, 2)
    assert again["drifted"] == ["team/app:v1"]
    listed = run(tmp_path, "tags", "list", "team/app", "--registry", registry.host, "--json")
    by_tag = {row["tag"]: row for row in map(orjson.loads, listed.stdout.splitlines())}
    assert by_tag["v1"]["digest"] == v1  # the index keeps what the policy protects

    only = sync(tmp_path, registry, "--repository", "other/tool")
    assert (only["repositories"], only["tags"], only["unchanged"]) == (1, 1, 1)
    with Ledger.open(tmp_path / "data", database_url=ENV.get("SEALTRAIL_DATABASE_URL")) as ledger:
        ledger.verify()


def test_sync_of_an_unreachable_registry_is_one_line(tmp_path: Path) -> None:
    run(tmp_path, "init")
    result = run(tmp_path, "tags", "sync", "127.0.0.1:9", ok=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: ")
