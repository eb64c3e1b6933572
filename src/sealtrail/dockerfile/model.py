"""What an audit talks about: severities, rules, findings, strengths and the report itself."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata

from sealtrail.dockerfile.cvss import base_score
from sealtrail.errors import ValidationError

__all__ = ["AuditReport", "Finding", "Rule", "Severity", "Strength", "tool_version"]


def tool_version() -> str:
    """The installed sealtrail version (recorded with every audit)."""
    try:
        return metadata.version("sealtrail")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class Severity(StrEnum):
    """How bad a finding is. Ordered: ``Severity.HIGH.rank > Severity.LOW.rank``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValidationError(f"unknown severity {text!r} (one of {names})") from None


@dataclass(frozen=True)
class Rule:
    """One check: what it looks for, how bad it is, which standards it touches, what to do.

    ``cvss`` is a CVSS v3.1 base vector when one applies; its score is computed, never typed.
    ``cis`` names CIS Docker Benchmark items (section 4: container images and build files);
    ``nist`` names NIST SP 800-190 sections and SP 800-53 controls; ``hadolint`` the hadolint
    rules that look for the same thing (used to compare results).
    """

    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    cvss: str | None = None
    cis: tuple[str, ...] = ()
    nist: tuple[str, ...] = ()
    hadolint: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()

    @property
    def score(self) -> float | None:
        return None if self.cvss is None else base_score(self.cvss)


@dataclass(frozen=True)
class Finding:
    """A rule that fired at a place in the audited file (or image)."""

    rule: Rule
    severity: Severity  # the rule's, or the configured override
    line: int
    end_line: int
    message: str
    snippet: str = ""
    stage: int | None = None

    @property
    def rule_id(self) -> str:
        return self.rule.id

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule.id,
            "title": self.rule.title,
            "severity": self.severity.value,
            "cvss": self.rule.score,
            "cvss_vector": self.rule.cvss,
            "line": self.line,
            "end_line": self.end_line,
            "stage": self.stage,
            "message": self.message,
            "snippet": self.snippet,
            "cis": list(self.rule.cis),
            "nist": list(self.rule.nist),
            "remediation": self.rule.remediation,
        }


@dataclass(frozen=True)
class Strength:
    """Something the file does well, with where it shows."""

    id: str
    title: str
    detail: str
    line: int | None = None
    snippet: str = ""

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "detail": self.detail, "line": self.line}


@dataclass(frozen=True)
class AuditReport:
    """The result of auditing one Dockerfile or image: findings worst first, strengths, counts.

    ``subject`` is the file path or image reference; ``digest`` its ``sha256:...`` content digest.
    """

    kind: str  # "dockerfile" or "image"
    subject: str
    digest: str
    findings: tuple[Finding, ...]
    strengths: tuple[Strength, ...]
    suppressed: tuple[Finding, ...] = ()
    facts: dict[str, object] = field(default_factory=dict)  # lines, stages, base images...

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(f.severity.value for f in self.findings)
        return {s.value: found.get(s.value, 0) for s in reversed(Severity)}

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    @property
    def risk(self) -> str:
        """The overall risk: the worst finding's severity (``low`` when only info or none)."""
        worst = self.worst
        if worst is None or worst is Severity.INFO:
            return "low"
        return worst.value

    def fails(self, threshold: Severity) -> bool:
        """True when a finding is at or above ``threshold``."""
        return any(f.severity.rank >= threshold.rank for f in self.findings)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "digest": self.digest,
            "risk": self.risk,
            "counts": self.counts,
            "findings": [f.to_json() for f in self.findings],
            "strengths": [s.to_json() for s in self.strengths],
            "suppressed": [f.to_json() for f in self.suppressed],
            "facts": self.facts,
        }
