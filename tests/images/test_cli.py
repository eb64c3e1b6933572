"""``sealtrail pull`` and ``sealtrail import --format image-download-lines`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson

from tests.conftest import SEALTRAIL
from tests.fixtures_registry import ImageBuilder, Registry


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEALTRAIL_")}
    return subprocess.run(
        [SEALTRAIL, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **(env or {})},
    )


def test_pull_prints_the_digest_and_logs_the_line_then_serves_the_cache(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    data = tmp_path / "data"
    assert run("init", "--dir", str(data)).returncode == 0
    image, output = f"{registry.host}/team/app:v1", str(tmp_path / "out")
    first = run("pull", image, "--output", output, "--dir", str(data))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{image} {digest}"
    assert first.stderr.startswith("CONTAINER IMAGE DOWNLOAD: timestamp=")
    assert first.stderr.rstrip().endswith(" | status=SUCCESS")
    registry.stop()
    again = run("pull", image, "--output", output, "--dir", str(data), "--json")
    assert again.returncode == 0, again.stderr
    assert orjson.loads(again.stdout)["details"]["cache"] == "hit"
    assert again.stderr.rstrip().endswith(" | status=SUCCESS | cache=hit")
    assert (data / "images" / "throttle.json").exists()


def test_a_failed_pull_is_one_error_line_and_exit_1(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    data = tmp_path / "data"
    run("init", "--dir", str(data))
    image = f"{registry.host}/team/app:nope"
    result = run("pull", image, "--output", str(tmp_path / "out"), "--dir", str(data))
    assert result.returncode == 1
    download, error = result.stderr.strip().splitlines()
    assert download.endswith("status=NOT_FOUND | note=local_or_unpublished_image")
    assert error.startswith("error: manifest team/app:nope not found")
    bad = run("pull", "Team/App", "--output", str(tmp_path / "out"), "--dir", str(data))
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: repository name must be lowercase: 'Team/App'"


def test_the_throttle_interval_comes_from_the_images_section(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    image_builder.push(image_builder.build("v1"), registry, "team/app:v1")
    data = tmp_path / "data"
    run("init", "--dir", str(data))
    image, output = f"{registry.host}/team/app:v1", str(tmp_path / "out")
    env = {"SEALTRAIL_IMAGES__THROTTLE_SECONDS": "0"}
    assert run("pull", image, "--output", output, "--dir", str(data), env=env).returncode == 0
    registry.stop()
    again = run("pull", image, "--output", output, "--dir", str(data), env=env)
    assert again.returncode == 1
    assert "error=RegistryUnreachable" in again.stderr


def test_pull_documents_itself_with_an_example(tmp_path: Path) -> None:
    assert "Example: sealtrail pull " in run("pull", "--help").stdout
