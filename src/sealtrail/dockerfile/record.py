"""Audits on the record: each audit becomes one ``dockerfile.audit`` or ``image.audit`` event.

The event names what was audited (the file path and the SHA-256 of its content, or the image
reference and digest), the counts by severity, the rule ids that fired, the overall risk and the
tool version; the findings themselves stay in the report (an event is small by design).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sealtrail.dockerfile.model import AuditReport, Severity, tool_version
from sealtrail.events import format_time

__all__ = ["audit_event"]

_EVENT_SEVERITY = {"low": "info", "medium": "warning", "high": "error", "critical": "critical"}
MAX_RULE_IDS = 100


def audit_event(
    report: AuditReport,
    actor: Mapping[str, str],
    when: datetime,
    fail_on: Severity | None = None,
    target: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The event recording ``report``: outcome ``failure`` when it fails ``fail_on``.

    ``target`` replaces the default target (a Dockerfile's path and SHA-256); image audits pass
    registry, repository, tag and digest.
    """
    failed = fail_on is not None and report.fails(fail_on)
    rules = sorted({f.rule_id for f in report.findings})
    counts = {k: v for k, v in report.counts.items() if v}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no findings"
    details: dict[str, Any] = {
        "risk": report.risk,
        "counts": report.counts,
        "rules": rules[:MAX_RULE_IDS],
        "suppressed": len(report.suppressed),
        "strengths": [s.id for s in report.strengths],
        "tool_version": tool_version(),
    }
    if fail_on is not None:
        details["fail_on"] = fail_on.value
    return {
        "time": format_time(when),
        "action": f"{report.kind}.audit",
        "outcome": "failure" if failed else "success",
        "severity": _EVENT_SEVERITY[report.risk],
        "actor": dict(actor),
        "target": dict(target) if target is not None else _dockerfile_target(report),
        "source": {"service": "sealtrail", "version": tool_version()},
        "message": f"audited {report.subject}: {report.risk} risk ({summary})"[:1000],
        "details": details,
    }


def _dockerfile_target(report: AuditReport) -> dict[str, str]:
    return {
        "type": "dockerfile",
        "id": f"{report.subject}@{report.digest}",
        "path": report.subject,
        "sha256": report.digest.removeprefix("sha256:"),
    }
