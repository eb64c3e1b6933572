"""`sealtrail audit dockerfile`, run as a user runs it: reports, exit codes, and the record."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query

SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
SEED = Path(__file__).parent / "seed" / "Dockerfile.production"
RISKY = "FROM debian\nRUN curl -k https://x | sh\nENV DB_PASSWORD=hunter2\n"


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, status: int = 0
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEALTRAIL_")}
    result = subprocess.run(
        [SEALTRAIL, *args],
        cwd=cwd,
        env=environ | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == status, result.stderr
    return result


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """An initialised ledger in tmp_path/data, on each engine."""
    env: dict[str, str] = {}
    if request.param == "postgresql":
        env["SEALTRAIL_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    run("init", "--dir", str(tmp_path / "data"), cwd=tmp_path, env=env)
    return env


def test_audit_is_sealed_as_a_dockerfile_audit_event(
    tmp_path: Path, ledger_env: dict[str, str]
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(RISKY)
    args = ["audit", "dockerfile", "Dockerfile", "--dir", "data", "--actor", "alice"]
    run(*args, "--format", "json", cwd=tmp_path, env=ledger_env)
    url = ledger_env.get("SEALTRAIL_DATABASE_URL")
    with Ledger.open(tmp_path / "data", database_url=url) as ledger:
        [record] = ledger.query(Query(actions=("dockerfile.audit",)))
    event = orjson.loads(record.leaf)
    assert event["actor"]["id"] == "alice"
    assert event["target"]["path"] == "Dockerfile"
    import hashlib

    assert event["target"]["sha256"] == hashlib.sha256(RISKY.encode()).hexdigest()
    assert event["details"]["risk"] == "high"
    assert {"DF040", "DF041", "DF050"} <= set(event["details"]["rules"])
    assert event["details"]["counts"]["high"] >= 3


def test_fail_on_sets_the_exit_status(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(RISKY)
    run(
        "audit",
        "dockerfile",
        "Dockerfile",
        "--no-record",
        "--fail-on",
        "high",
        cwd=tmp_path,
        status=1,
    )
    run("audit", "dockerfile", str(SEED), "--no-record", "--fail-on", "high", cwd=tmp_path)
    run(
        "audit",
        "dockerfile",
        str(SEED),
        "--no-record",
        "--fail-on",
        "medium",
        cwd=tmp_path,
        status=1,
    )


def test_a_missing_file_is_one_line_on_stderr(tmp_path: Path) -> None:
    result = run("audit", "dockerfile", "nope", "--no-record", cwd=tmp_path, status=1)
    assert result.stderr.strip() == "error: nope: no such file"


def test_unknown_rule_in_ignore_is_refused(tmp_path: Path) -> None:
    result = run(
        "audit", "dockerfile", str(SEED), "--no-record", "--ignore", "DF999", cwd=tmp_path, status=1
    )
    assert "DF999" in result.stderr


def test_config_file_ignores_overrides_and_trusts(tmp_path: Path) -> None:
    (tmp_path / "audit.toml").write_text(
        'ignore = ["DF061"]\ntrusted_registries = ["registry.example.com"]\n'
        '[severity]\nDF073 = "medium"\n'
    )
    result = run(
        "audit",
        "dockerfile",
        str(SEED),
        "--no-record",
        "--config",
        "audit.toml",
        "--format",
        "json",
        cwd=tmp_path,
    )
    [report] = orjson.loads(result.stdout)["reports"]
    found = {f["rule"]: f["severity"] for f in report["findings"]}
    assert "DF061" not in found
    assert found["DF073"] == "medium"
    assert "DF004" in found


def test_terminal_summary_lists_findings_and_strengths(tmp_path: Path) -> None:
    result = run("audit", "dockerfile", str(SEED), "--no-record", cwd=tmp_path)
    assert "DF029" in result.stdout
    assert "Non-root execution" in result.stdout
    assert "2 medium, 2 low" in result.stdout


def test_stdin_and_markdown_output_file(tmp_path: Path) -> None:
    subprocess.run(
        [SEALTRAIL, "audit", "dockerfile", "-", "--no-record", "-f", "markdown", "-o", "r.md"],
        cwd=tmp_path,
        input=SEED.read_text(),
        check=True,
        capture_output=True,
        text=True,
    )
    assert (tmp_path / "r.md").read_text().startswith("# File Audit Report: -")


def test_rules_lists_the_catalog(tmp_path: Path) -> None:
    rows = orjson.loads(run("audit", "rules", "--json", cwd=tmp_path).stdout)
    assert len(rows) >= 30
    assert {"id", "severity", "score", "cis", "nist"} <= set(rows[0])


def test_a_directory_is_searched_for_dockerfiles(tmp_path: Path) -> None:
    for name in ("Dockerfile", "api/Dockerfile.production", "web/web.Dockerfile"):
        (tmp_path / "repo" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "repo" / name).write_text(RISKY)
    (tmp_path / "repo" / "node_modules" / "x").mkdir(parents=True)
    (tmp_path / "repo" / "node_modules" / "x" / "Dockerfile").write_text(RISKY)
    (tmp_path / "repo" / "README.md").write_text("not a Dockerfile")
    result = run("audit", "dockerfile", "repo", "--no-record", "-f", "json", cwd=tmp_path)
    subjects = [r["subject"] for r in orjson.loads(result.stdout)["reports"]]
    assert subjects == [
        "repo/Dockerfile",
        "repo/api/Dockerfile.production",
        "repo/web/web.Dockerfile",
    ]


def test_an_unparsable_file_among_several_is_reported_and_the_rest_audited(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.Dockerfile").write_text("# FROM python:3.11\n# everything commented out\n")
    (tmp_path / "b.Dockerfile").write_text(RISKY)
    args = ["audit", "dockerfile", "a.Dockerfile", "b.Dockerfile", "--no-record", "-f", "json"]
    result = run(*args, cwd=tmp_path, status=1)
    assert result.stderr.strip() == "error: a.Dockerfile: file with no instructions"
    [report] = orjson.loads(result.stdout)["reports"]
    assert report["subject"] == "b.Dockerfile"
