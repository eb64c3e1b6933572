"""The seed review reproduced, and the report formats: JSON, SARIF 2.1.0 and Markdown."""

from __future__ import annotations

from pathlib import Path

import orjson

from sealtrail.dockerfile import RULES, Severity, audit_path, audit_text
from sealtrail.dockerfile.cvss import severity_of
from sealtrail.dockerfile.markdown import to_markdown
from sealtrail.dockerfile.record import audit_event
from sealtrail.dockerfile.sarif import to_sarif
from sealtrail.events import validate_event

SEED = Path(__file__).parent / "seed" / "Dockerfile.production"

# What shared/seeds/004-dockerfile-audit-report.md lists: issue, its severity band, its CVSS.
SEED_ISSUES = {
    "DF029": ("medium", 4.5),  # 4. package removal that removes nothing
    "DF061": ("medium", 4.0),  # 5. logs directory left at 755
    "DF071": ("low", 3.0),  # 6. health check delegated to an external script
    "DF073": ("low", 2.5),  # 7. metrics port 9090 exposed beside 8000
}
SEED_STRENGTHS = {
    "multi-stage",
    "package-pins",
    "non-root",
    "locked-account",
    "base-digest",
    "labels",
    "minimal",
}


def test_seed_dockerfile_yields_every_issue_of_the_seed_report() -> None:
    report = audit_path(SEED)
    found = {f.rule_id: f for f in report.findings}
    for rule_id, (band, score) in SEED_ISSUES.items():
        assert found[rule_id].severity.value == band
        assert severity_of(RULES[rule_id].score or 0) == band
        assert RULES[rule_id].score == score
    assert report.risk == "medium"  # the report's overall risk


def test_seed_dockerfile_has_nothing_worse_than_the_report_says() -> None:
    report = audit_path(SEED)
    assert not report.fails(Severity.HIGH)
    assert set(report.counts.items()) >= {("medium", 2), ("low", 2), ("high", 0)}


def test_seed_dockerfile_strengths_are_the_reports_positive_implementations() -> None:
    assert {s.id for s in audit_path(SEED).strengths} >= SEED_STRENGTHS


def test_seed_findings_point_at_the_quoted_lines() -> None:
    lines = SEED.read_text().splitlines()
    found = {f.rule_id: f for f in audit_path(SEED).findings}
    assert lines[found["DF029"].line - 1].startswith("RUN apt-get remove -y --purge")
    assert lines[found["DF073"].line - 1] == "EXPOSE 8000 9090"
    assert lines[found["DF061"].line - 1].startswith("RUN mkdir -p /app/logs")


def test_sarif_is_a_valid_2_1_0_log() -> None:
    log = to_sarif([audit_path(SEED), audit_text("FROM a\nRUN curl -k x | sh\n", "b/Dockerfile")])
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "sealtrail"
    assert len({r["id"] for r in rules}) == len(rules) == len(RULES)
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        score = rule["properties"].get("security-severity")
        assert score is None or 0 <= float(score) <= 10
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert uri.startswith("file:///") or location["artifactLocation"]["uriBaseId"]
        assert location["region"]["startLine"] >= 1
        assert location["region"]["endLine"] >= location["region"]["startLine"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {SEED.as_uri(), "b/Dockerfile"}
    orjson.dumps(log)  # plain JSON all the way down


def test_markdown_report_has_the_seed_reports_sections() -> None:
    text = to_markdown(audit_path(SEED))
    for heading in (
        f"# File Audit Report: {SEED}",
        "## File Information",
        "### Positive Security Implementations",
        "### MEDIUM RISK ISSUES",
        "### LOW RISK ISSUES",
        "## Security Best Practices Analysis",
        "### CIS Docker Benchmark (section 4)",
        "### NIST (SP 800-190, SP 800-53)",
        "## Recommendations",
        "## Risk Assessment",
        "- **Overall Risk**: MEDIUM",
        "- **CVSS**: 4.5 (Medium)",
        "- **Supply Chain Risk**: LOW",  # the seed report's "pinned dependencies"
        "- **Compliance Risk**: MEDIUM (DF029, DF071)",
    ):
        assert heading in text, heading


def test_json_report_round_trips_through_json() -> None:
    report = audit_path(SEED)
    data = orjson.loads(orjson.dumps(report.to_json()))
    assert data["risk"] == "medium"
    assert data["digest"] == report.digest
    assert [f["rule"] for f in data["findings"]] == [f.rule_id for f in report.findings]


def test_audit_event_is_a_valid_cataloged_event() -> None:
    from datetime import UTC, datetime

    report = audit_path(SEED)
    event = audit_event(report, {"id": "ci", "type": "service"}, datetime.now(UTC), Severity.HIGH)
    validate_event(event)
    assert event["outcome"] == "success"
    assert event["severity"] == "warning"
    assert event["target"]["sha256"] == report.digest.removeprefix("sha256:")
    failing = audit_event(report, {"id": "ci", "type": "service"}, datetime.now(UTC), Severity.LOW)
    assert failing["outcome"] == "failure"
