"""Auditing a Dockerfile: run every check, apply ignores and overrides, build the report.

    report = audit_text(text, path="Dockerfile", config=AuditConfig(ignore={"DF075"}))

``AuditConfig`` is what an organisation decides once: rules to ignore, severity overrides and
trusted registries. It is read from a TOML file by ``AuditConfig.from_toml``::

    ignore = ["DF075"]
    trusted_registries = ["registry.example.com", "docker.io/library"]
    [severity]
    DF001 = "medium"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sealtrail.dockerfile import check_commands, check_image, check_packages
from sealtrail.dockerfile.context import AuditContext, Check, Hit
from sealtrail.dockerfile.model import AuditReport, Finding, Severity
from sealtrail.dockerfile.parse import Dockerfile
from sealtrail.dockerfile.rules import RULES
from sealtrail.dockerfile.strengths import strengths
from sealtrail.errors import ValidationError

__all__ = ["CHECKS", "AuditConfig", "audit", "audit_path", "audit_text"]

CHECKS: tuple[Check, ...] = (*check_image.CHECKS, *check_packages.CHECKS, *check_commands.CHECKS)


@dataclass(frozen=True)
class AuditConfig:
    """Organisation-wide audit settings; every rule id is checked against the catalog."""

    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    trusted_registries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted((set(self.ignore) | set(self.severity)) - set(RULES))
        if unknown:
            raise ValidationError(f"unknown rule id(s): {', '.join(unknown)}")

    @classmethod
    def from_toml(cls, path: Path) -> AuditConfig:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValidationError(f"{path}: {error}") from None
        unknown = sorted(set(data) - {"ignore", "severity", "trusted_registries"})
        if unknown:
            raise ValidationError(f"{path}: unknown key(s): {', '.join(unknown)}")
        return cls(
            ignore=frozenset(str(i).upper() for i in data.get("ignore", [])),
            severity={
                k.upper(): Severity.parse(str(v)) for k, v in data.get("severity", {}).items()
            },
            trusted_registries=tuple(data.get("trusted_registries", [])),
        )


def audit(ctx: AuditContext, config: AuditConfig = AuditConfig()) -> AuditReport:
    """Every check over ``ctx``; findings worst first, then by line."""
    hits = _unique(hit for check in CHECKS for hit in check(ctx))
    kept: list[Finding] = []
    dropped: list[Finding] = []
    file_ignores = ctx.dockerfile.file_ignores | config.ignore
    for hit in hits:
        finding = _finding(hit, config, ctx.dockerfile.source(hit.instruction))
        ignored = hit.rule in file_ignores or hit.rule in hit.instruction.ignored
        (dropped if ignored else kept).append(finding)
    kept.sort(key=lambda f: (-f.severity.rank, f.line, f.rule_id))
    fired = {f.rule_id for f in kept}
    return AuditReport(
        kind="dockerfile",
        subject=ctx.dockerfile.path,
        digest=f"sha256:{ctx.dockerfile.sha256}",
        findings=tuple(kept),
        strengths=tuple(strengths(ctx, fired)),
        suppressed=tuple(dropped),
        facts=_facts(ctx),
    )


def audit_text(
    text: str,
    path: str = "Dockerfile",
    config: AuditConfig = AuditConfig(),
    has_dockerignore: bool | None = None,
) -> AuditReport:
    """Parse and audit Dockerfile ``text``."""
    dockerfile = Dockerfile.from_text(text, path)
    ctx = AuditContext(dockerfile, config.trusted_registries, has_dockerignore)
    return audit(ctx, config)


def audit_path(path: Path, config: AuditConfig = AuditConfig()) -> AuditReport:
    """Audit the file at ``path``; a ``.dockerignore`` beside it counts as the context's."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationError(f"{path}: cannot read: {error}") from None
    ignore_file = path.parent / ".dockerignore"
    return audit_text(text, str(path), config, ignore_file.exists())


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    seen: set[tuple[str, int, str]] = set()
    found: list[Hit] = []
    for hit in hits:
        key = (hit.rule, hit.instruction.line, hit.message)
        if key not in seen:
            seen.add(key)
            found.append(hit)
    return found


def _finding(hit: Hit, config: AuditConfig, snippet: str) -> Finding:
    rule = RULES[hit.rule]
    instruction = hit.instruction
    return Finding(
        rule=rule,
        severity=config.severity.get(rule.id, rule.severity),
        line=instruction.line,
        end_line=instruction.end_line,
        message=hit.message,
        snippet=snippet,
        stage=instruction.stage if instruction.stage >= 0 else None,
    )


def _facts(ctx: AuditContext) -> dict[str, object]:
    dockerfile = ctx.dockerfile
    return {
        "lines": len(dockerfile.text.splitlines()),
        "bytes": len(dockerfile.text.encode()),
        "stages": [
            {"index": s.index, "name": s.alias, "image": s.image, "line": s.line}
            for s in dockerfile.stages
        ],
        "final_stage": dockerfile.final.index if dockerfile.final else None,
        "directives": dict(dockerfile.directives),
    }
