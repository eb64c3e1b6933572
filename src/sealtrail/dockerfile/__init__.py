"""Dockerfile and image-configuration security audit.

``audit_path(Path("Dockerfile"))`` returns an ``AuditReport``: findings (rule, severity, CVSS,
CIS and NIST references, line), what is done well, counts and the overall risk. Reports render as
terminal text, JSON, SARIF 2.1.0 and Markdown (``sealtrail.dockerfile.report``), and each audit
can be sealed in the ledger as a ``dockerfile.audit`` event (``sealtrail.dockerfile.record``).
"""

from sealtrail.dockerfile.audit import AuditConfig, audit, audit_path, audit_text
from sealtrail.dockerfile.model import AuditReport, Finding, Rule, Severity, Strength
from sealtrail.dockerfile.parse import Dockerfile, Instruction, Stage
from sealtrail.dockerfile.rules import RULES

__all__ = [
    "RULES",
    "AuditConfig",
    "AuditReport",
    "Dockerfile",
    "Finding",
    "Instruction",
    "Rule",
    "Severity",
    "Stage",
    "Strength",
    "audit",
    "audit_path",
    "audit_text",
]
