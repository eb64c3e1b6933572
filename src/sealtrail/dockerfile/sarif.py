"""Audit reports as SARIF 2.1.0, the format GitHub code scanning and most CI systems read.

One run per call, with every rule that fired (or all rules) in ``tool.driver.rules``; each
result points at its file and lines. ``security-severity`` carries the CVSS base score, which
GitHub uses to rank security alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from sealtrail.dockerfile.model import AuditReport, Finding, Rule, Severity, tool_version
from sealtrail.dockerfile.rules import CIS_ITEMS, RULES

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "to_sarif"]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/sealtrail/sealtrail"
_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_DEFAULT_SCORES = {Severity.CRITICAL: 9.5, Severity.HIGH: 8.0, Severity.MEDIUM: 5.5,
                   Severity.LOW: 2.0}  # fmt: skip


def to_sarif(reports: Iterable[AuditReport]) -> dict[str, Any]:
    """One SARIF log with one run holding the results of every report."""
    reports = list(reports)
    rules = sorted(RULES.values(), key=lambda r: r.id)
    index = {rule.id: n for n, rule in enumerate(rules)}
    results = [_result(f, report, index) for report in reports for f in report.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sealtrail",
                        "version": tool_version(),
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _rule(rule: Rule) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "tags": ["security", "dockerfile", *(f"CIS-Docker-{c}" for c in rule.cis)],
        "precision": "high",
    }
    score = rule.score if rule.score is not None else _DEFAULT_SCORES.get(rule.severity)
    if score is not None:
        properties["security-severity"] = f"{score:.1f}"
    if rule.cvss:
        properties["cvssV3_1"] = rule.cvss
    help_text = f"{rule.rationale}\n\nRemediation: {rule.remediation}"
    return {
        "id": rule.id,
        "name": "".join(
            w.capitalize() for w in rule.title.replace("/", " ").split() if w.isalnum()
        ),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": properties,
    }


def _help_markdown(rule: Rule) -> str:
    lines = [f"**{rule.title}**", "", rule.rationale, "", f"**Remediation:** {rule.remediation}"]
    if rule.cvss:
        lines += ["", f"**CVSS v3.1:** {rule.score} (`{rule.cvss}`)"]
    for item in rule.cis:
        lines += ["", f"**CIS Docker Benchmark {item}:** {CIS_ITEMS[item]}"]
    if rule.nist:
        lines += ["", f"**NIST:** {', '.join(rule.nist)}"]
    return "\n".join(lines)


def _artifact(report: AuditReport) -> dict[str, str]:
    """A relative path against the checkout root (what code scanning expects), or an absolute
    ``file:`` URI; an image is named by its reference."""
    if report.kind != "dockerfile":
        return {"uri": report.subject}
    path = PurePath(report.subject)
    if path.is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": path.as_posix(), "uriBaseId": "%SRCROOT%"}


def _result(finding: Finding, report: AuditReport, index: dict[str, int]) -> dict[str, Any]:
    region = {"startLine": max(finding.line, 1), "endLine": max(finding.end_line, finding.line, 1)}
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": _artifact(report)}}
    if report.kind == "dockerfile":
        location["physicalLocation"]["region"] = region
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": index[finding.rule_id],
        "level": _LEVELS[finding.severity],
        "message": {"text": f"{finding.rule.title}: {finding.message}"},
        "locations": [location],
        "partialFingerprints": {
            "sealtrailFinding/v1": f"{finding.rule_id}:{finding.message}",
        },
        "properties": {"severity": finding.severity.value},
    }
