"""An audit report as Markdown, laid out the way a security reviewer writes one.

Sections: file information, positive security implementations, issues by risk (with CVSS, CIS
and NIST references and remediation), a best-practice table, the CIS Docker Benchmark section 4
and NIST review, recommendations by priority and the overall risk assessment.
"""

from __future__ import annotations

from collections.abc import Iterator

from sealtrail.dockerfile.model import AuditReport, Finding, Severity, tool_version
from sealtrail.dockerfile.rules import CIS_ITEMS

__all__ = ["to_markdown"]

_PRACTICES = (
    ("Base image pinning", {"DF001", "DF002", "DF004"}),
    ("Multi-stage build / no build tools at run time", {"DF029", "DF030"}),
    ("Package version pinning", {"DF020", "DF021", "DF022", "DF023", "DF024", "DF025", "DF026"}),
    ("Non-root execution", {"DF010", "DF011", "DF012", "DF013", "DF014"}),
    ("Verified downloads and packages", {"DF031", "DF040", "DF041", "DF042", "DF044", "DF045"}),
    ("No secrets in the image", {"DF050", "DF051", "DF052", "DF053", "DF080"}),
    ("Restrictive file permissions", {"DF060", "DF061", "DF062"}),
    ("Health check", {"DF070", "DF071"}),
    ("Minimal exposed ports", {"DF072", "DF073", "DF074"}),
    ("Image metadata labels", {"DF075"}),
)
_NOT_ASSESSABLE = {
    "4.4": "not assessable from a Dockerfile: scan the built image and rebuild on fixes",
    "4.5": "not assessable from a Dockerfile: enable content trust / signature checks on pull",
}


def to_markdown(report: AuditReport) -> str:
    """The whole report as one Markdown document."""
    parts = [
        _header(report),
        _strengths(report),
        *_issues(report),
        _practices(report),
        _compliance(report),
        _recommendations(report),
        _risk(report),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(report: AuditReport) -> str:
    kind = "File" if report.kind == "dockerfile" else "Image"
    facts = report.facts
    lines = [f"# {kind} Audit Report: {report.subject}", "", f"## {kind} Information"]
    lines.append(f"- **{'Path' if kind == 'File' else 'Reference'}**: `{report.subject}`")
    lines.append(f"- **Digest**: `{report.digest}`")
    if "lines" in facts:
        lines.append(f"- **Size**: {facts['lines']} lines")
    for stage in facts.get("stages", []) or []:  # type: ignore[attr-defined]
        name = f" as `{stage['name']}`" if stage.get("name") else ""
        lines.append(
            f"- **Stage {stage['index']}**: `{stage['image']}`{name} (line {stage['line']})"
        )
    lines.append(f"- **Security Classification**: {report.risk.upper()} RISK")
    lines.append(f"- **Audited by**: sealtrail {tool_version()}")
    return "\n".join(lines)


def _strengths(report: AuditReport) -> str:
    if not report.strengths:
        return "## Security Review\n\n### Positive Security Implementations\n\nNone found."
    lines = ["## Security Review", "", "### Positive Security Implementations"]
    for n, strength in enumerate(report.strengths, 1):
        where = f" (line {strength.line})" if strength.line else ""
        lines += ["", f"#### {n}. **{strength.title}** - GOOD{where}"]
        if strength.snippet:
            lines += ["```dockerfile", strength.snippet, "```"]
        lines.append(f"- **Strength**: {strength.detail}")
    return "\n".join(lines)


def _issues(report: AuditReport) -> Iterator[str]:
    number = len(report.strengths)
    for severity in reversed(Severity):
        found = [f for f in report.findings if f.severity is severity]
        if not found:
            continue
        lines = [f"### {severity.value.upper()} RISK ISSUES"]
        for finding in found:
            number += 1
            lines += ["", *_issue(number, finding)]
        yield "\n".join(lines)


def _issue(number: int, finding: Finding) -> list[str]:
    rule = finding.rule
    lines = [f"#### {number}. **{rule.title}** - {finding.severity.value.upper()} ({rule.id})"]
    if finding.snippet:
        lines += ["```dockerfile", finding.snippet, "```"]
    lines.append(f"- **Location**: line {finding.line}" + (
        f"-{finding.end_line}" if finding.end_line > finding.line else ""))  # fmt: skip
    lines.append(f"- **Risk**: {finding.message}")
    lines.append(f"- **Impact**: {rule.rationale}")
    if rule.score is not None:
        lines.append(
            f"- **CVSS**: {rule.score} ({finding.severity.value.capitalize()}) `{rule.cvss}`"
        )
    if rule.cis:
        lines.append(f"- **CIS Docker Benchmark**: {', '.join(rule.cis)}")
    if rule.nist:
        lines.append(f"- **NIST**: {', '.join(rule.nist)}")
    lines.append(f"- **Remediation**: {rule.remediation}")
    return lines


def _practices(report: AuditReport) -> str:
    fired = {f.rule_id for f in report.findings}
    lines = ["## Security Best Practices Analysis", "", "| practice | status |", "|---|---|"]
    for name, rules in _PRACTICES:
        hit = sorted(fired & rules)
        lines.append(f"| {name} | {'⚠️ ' + ', '.join(hit) if hit else '✅'} |")
    return "\n".join(lines)


def _compliance(report: AuditReport) -> str:
    lines = ["## Compliance Review", "", "### CIS Docker Benchmark (section 4)"]
    for item, title in CIS_ITEMS.items():
        found = [f for f in report.findings if item in f.rule.cis]
        if item in _NOT_ASSESSABLE and not found:
            lines.append(f"- **{item}** n/a {title}: {_NOT_ASSESSABLE[item]}")
        elif not found:
            lines.append(f"- **{item}** ✅ {title}")
        else:
            worst = max(found, key=lambda f: f.severity.rank)
            mark = "❌" if worst.severity.rank >= Severity.MEDIUM.rank else "⚠️"
            ids = ", ".join(sorted({f.rule_id for f in found}))
            lines.append(f"- **{item}** {mark} {title}: {ids}")
    lines += ["", "### NIST (SP 800-190, SP 800-53)"]
    touched: dict[str, set[str]] = {}
    for finding in report.findings:
        for ref in finding.rule.nist:
            touched.setdefault(ref, set()).add(finding.rule_id)
    if not touched:
        lines.append("- ✅ no finding touches a NIST control")
    for ref in sorted(touched):
        lines.append(f"- **{ref}** ⚠️ {', '.join(sorted(touched[ref]))}")
    return "\n".join(lines)


def _recommendations(report: AuditReport) -> str:
    tiers = (
        ("Immediate Actions (High Priority)", {Severity.CRITICAL, Severity.HIGH}),
        ("Short-term Improvements (Medium Priority)", {Severity.MEDIUM}),
        ("Long-term Enhancements (Low Priority)", {Severity.LOW, Severity.INFO}),
    )
    lines = ["## Recommendations"]
    for title, severities in tiers:
        seen: dict[str, str] = {}
        for finding in report.findings:
            if finding.severity in severities:
                seen.setdefault(
                    finding.rule_id, f"**{finding.rule.title}**: {finding.rule.remediation}"
                )
        if seen:
            lines += ["", f"### {title}"]
            lines += [f"{n}. {text}" for n, text in enumerate(seen.values(), 1)]
    if len(lines) == 1:
        lines += ["", "No changes needed."]
    return "\n".join(lines)


_RISK_AREAS = (
    ("Supply Chain Risk", {"DF001", "DF002", "DF004", "DF020", "DF021", "DF022", "DF023", "DF024",
                           "DF025", "DF026", "DF031", "DF040", "DF041", "DF042", "DF044", "DF045"}),
    ("Secrets Risk", {"DF013", "DF050", "DF051", "DF052", "DF053", "DF080"}),
    ("Privilege Risk", {"DF010", "DF011", "DF012", "DF014", "DF060", "DF061", "DF062", "DF076",
                        "DF082"}),
    ("Exposure Risk", {"DF032", "DF072", "DF073", "DF074"}),
)  # fmt: skip


def _risk(report: AuditReport) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n)
    lines = ["## Risk Assessment", f"- **Overall Risk**: {report.risk.upper()}"]
    for name, rules in _RISK_AREAS:
        found = [f for f in report.findings if f.rule_id in rules]
        lines.append(f"- **{name}**: {_area_risk(found)}")
    compliance = _area_risk([f for f in report.findings if f.rule.cis])
    lines.append(f"- **Compliance Risk**: {compliance} (findings touching a CIS item)")
    lines.append(f"- **Findings**: {counts or 'none'}")
    lines.append(f"- **Suppressed by ignore comments or configuration**: {len(report.suppressed)}")
    return "\n".join(lines)


def _area_risk(found: list[Finding]) -> str:
    """The worst severity among ``found`` and their rule ids; LOW when none or only info."""
    worst = max((f.severity for f in found), key=lambda s: s.rank, default=None)
    if worst is None or worst is Severity.INFO:
        return "LOW"
    ids = ", ".join(sorted({f.rule_id for f in found}))
    return f"{worst.value.upper()} ({ids})"
