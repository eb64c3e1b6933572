"""``sealtrail audit …``: review Dockerfiles (and images) and seal each result in the ledger.

Exit status: 0 when nothing reaches ``--fail-on``, 1 when a finding does (or on an error, which
is one line on stderr).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from sealtrail.config import open_ledger
from sealtrail.dockerfile.audit import AuditConfig, audit_path, audit_text
from sealtrail.dockerfile.image import audit_image
from sealtrail.dockerfile.markdown import to_markdown
from sealtrail.dockerfile.model import AuditReport, Severity
from sealtrail.dockerfile.record import audit_event
from sealtrail.dockerfile.rules import RULES
from sealtrail.dockerfile.sarif import to_sarif
from sealtrail.dockerfile.sources import fetch_image
from sealtrail.errors import NotFound, ValidationError
from sealtrail.images.manifest import Platform

__all__ = ["Recording", "audit_app", "dockerfiles", "emit", "record_reports"]

audit_app = typer.Typer(
    help="Security audits of Dockerfiles and images, sealed in the ledger.", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)
_COLOURS = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="text (terminal), json, sarif or markdown.")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
]
FailOnOption = Annotated[
    str | None,
    typer.Option(
        "--fail-on", help="Exit 1 when a finding is at or above: info, low, medium, high, critical."
    ),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML file: ignore = [...], [severity], trusted_registries."),
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option("--ignore", help="Rule id to ignore (repeatable, or a,b).")
]
NoRecordOption = Annotated[
    bool, typer.Option("--no-record", help="Do not record the audit in the ledger (dry run).")
]
DirOption = Annotated[
    Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory of the ledger.")
]
ActorOption = Annotated[str, typer.Option("--actor", help="Who audits (the event's actor).")]


@audit_app.command("dockerfile")
def audit_dockerfile(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Dockerfiles or directories to search for them; - reads stdin."),
    ],
    output_format: FormatOption = Format.text,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
    config: ConfigOption = None,
    ignore: IgnoreOption = None,
    no_record: NoRecordOption = False,
    directory: DirOption = Path("sealtrail-data"),
    actor: ActorOption = "cli",
) -> None:
    """Audit Dockerfiles: findings with CVSS, CIS and NIST references, and what is done well.

    Each audit is recorded as a dockerfile.audit event (path, SHA-256, counts, risk).

    Example: sealtrail audit dockerfile Dockerfile --format sarif -o audit.sarif --fail-on high
    """
    settings = audit_config(config, ignore)
    threshold = Severity.parse(fail_on) if fail_on else None
    reports, errors = _audit_each(dockerfiles(paths), settings)
    recording = None if no_record else Recording(directory, actor)
    _conclude(reports, recording, threshold, output_format, output)
    if errors:
        raise typer.Exit(1)


@audit_app.command("image")
def audit_image_command(
    references: Annotated[
        list[str],
        typer.Argument(help="Image references to audit, or oci:LAYOUT[:TAG] for a layout."),
    ],
    platform: Annotated[
        str | None, typer.Option(help="os/arch[/variant] of a multi-platform image.")
    ] = None,
    output_format: FormatOption = Format.text,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
    config: ConfigOption = None,
    ignore: IgnoreOption = None,
    no_record: NoRecordOption = False,
    directory: DirOption = Path("sealtrail-data"),
    actor: ActorOption = "cli",
) -> None:
    """Audit images in a registry from their configuration and build history.

    Reads user, exposed ports, health check, environment, labels and history over the OCI
    distribution API; each audit is recorded as an image.audit event with the digest audited.

    Example: sealtrail audit image registry.example.com/team/app:1.4 --fail-on high
    """
    settings = audit_config(config, ignore)
    threshold = Severity.parse(fail_on) if fail_on else None
    chosen = Platform.from_text(platform) if platform else None
    fetched = [fetch_image(reference, chosen) for reference in references]
    reports = [audit_image(f.config, f.subject, f.digest, settings) for f in fetched]
    targets = [f.target for f in fetched]
    recording = None if no_record else Recording(directory, actor, targets)
    _conclude(reports, recording, threshold, output_format, output)


@dataclass(frozen=True)
class Recording:
    """Where and as whom audits are recorded; ``targets`` replace the default per report."""

    directory: Path
    actor: str
    targets: list[dict[str, str]] | None = None


def _conclude(
    reports: Sequence[AuditReport],
    recording: Recording | None,
    threshold: Severity | None,
    output_format: Format,
    output: Path | None,
) -> None:
    """Record the audits (unless a dry run), write the reports, exit 1 at the threshold."""
    if recording is not None:
        record_reports(recording.directory, reports, recording.actor, threshold, recording.targets)
    emit(reports, output_format, output)
    if threshold is not None and any(r.fails(threshold) for r in reports):
        raise typer.Exit(1)


@audit_app.command("rules")
def list_rules(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List every rule: id, severity, CVSS, CIS items and title.

    Example: sealtrail audit rules --json
    """
    if as_json:
        rows = [
            {**r.__dict__, "severity": r.severity.value, "score": r.score} for r in RULES.values()
        ]
        sys.stdout.write(orjson.dumps(rows).decode() + "\n")
        return
    table = Table("rule", "severity", "CVSS", "CIS", "title")
    for rule in RULES.values():
        score = "" if rule.score is None else f"{rule.score:.1f}"
        colour = _COLOURS[rule.severity.value]
        table.add_row(
            rule.id, f"[{colour}]{rule.severity.value}[/]", score, " ".join(rule.cis), rule.title
        )
    out.print(table)


def audit_config(path: Path | None, ignore: Iterable[str] | None) -> AuditConfig:
    """The configuration file (if any) plus rule ids ignored on the command line."""
    base = AuditConfig.from_toml(path) if path is not None else AuditConfig()
    extra = {
        part.strip().upper() for item in ignore or () for part in item.split(",") if part.strip()
    }
    return AuditConfig(base.ignore | extra, base.severity, base.trusted_registries)


_SKIPPED_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


def dockerfiles(paths: Iterable[Path]) -> list[Path]:
    """The files named, and in each directory named every ``Dockerfile``, ``Dockerfile.*``,
    ``*.Dockerfile`` and ``*.dockerfile`` below it (VCS and dependency folders skipped)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        matches = sorted(
            p for p in path.rglob("*")
            if p.is_file() and _is_dockerfile(p.name)
            and not _SKIPPED_DIRS & set(p.relative_to(path).parts)
        )  # fmt: skip
        if not matches:
            raise ValidationError(f"{path}: no Dockerfile in this directory")
        found.extend(matches)
    return found


def _is_dockerfile(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered == "dockerfile"
        or lowered.startswith("dockerfile.")
        or lowered.endswith(".dockerfile")
    )


def _audit_each(paths: Sequence[Path], config: AuditConfig) -> tuple[list[AuditReport], int]:
    """Audit every file; one that cannot be read or parsed is a line on stderr, not the end of
    the run (a lone file still fails as before). Returns the reports and the number of errors."""
    if len(paths) == 1:
        return [_audit_one(paths[0], config)], 0
    reports: list[AuditReport] = []
    errors = 0
    for path in paths:
        try:
            reports.append(_audit_one(path, config))
        except ValidationError as error:
            typer.echo(f"error: {error}", err=True)
            errors += 1
    return reports, errors


def _audit_one(path: Path, config: AuditConfig) -> AuditReport:
    if str(path) == "-":
        return audit_text(sys.stdin.read(), "-", config)
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    return audit_path(path, config)


def record_reports(
    directory: Path,
    reports: Sequence[AuditReport],
    actor: str,
    threshold: Severity | None,
    targets: Sequence[dict[str, str]] | None = None,
) -> None:
    """Append one audit event per report to the configured ledger, all together."""
    now = datetime.now(UTC)
    who = {"id": actor, "type": "user"}
    events = [
        audit_event(r, who, now, threshold, targets[n] if targets else None)
        for n, r in enumerate(reports)
    ]
    try:
        with open_ledger(directory) as ledger:
            ledger.append_many(events)
    except NotFound as error:
        raise NotFound(f"{error}, or audit with --no-record") from None


def emit(reports: Sequence[AuditReport], output_format: Format, output: Path | None) -> None:
    """Write the reports in the chosen format to ``output`` or stdout."""
    if output_format is Format.text and output is None:
        for report in reports:
            _print_text(report)
        return
    text = _render(reports, output_format)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


def _render(reports: Sequence[AuditReport], output_format: Format) -> str:
    if output_format is Format.sarif:
        return orjson.dumps(to_sarif(reports), option=orjson.OPT_INDENT_2).decode() + "\n"
    if output_format is Format.markdown:
        return "\n---\n\n".join(to_markdown(r) for r in reports)
    if output_format is Format.json:
        body: dict[str, Any] = {"reports": [r.to_json() for r in reports]}
        return orjson.dumps(body).decode() + "\n"
    console = Console(record=True, width=120, file=io.StringIO())
    for report in reports:
        _print_text(report, console)
    return console.export_text()


def _print_text(report: AuditReport, console: Console = out) -> None:
    colour = _COLOURS.get(report.risk, "")
    console.print(
        f"[bold]{report.subject}[/]  {report.digest[:19]}…  risk [{colour}]{report.risk.upper()}[/]"
    )
    if report.findings:
        table = Table("severity", "rule", "line", "finding", "CVSS", "CIS", show_lines=False)
        for f in report.findings:
            score = "" if f.rule.score is None else f"{f.rule.score:.1f}"
            table.add_row(
                f"[{_COLOURS[f.severity.value]}]{f.severity.value}[/]",
                f.rule_id, str(f.line), f"{f.rule.title}: {f.message}", score, " ".join(f.rule.cis),
            )  # fmt: skip
        console.print(table)
    for strength in report.strengths:
        where = f" (line {strength.line})" if strength.line else ""
        console.print(f"  [green]✓[/] {strength.title}{where}: {strength.detail}")
    counts = ", ".join(f"{n} {s}" for s, n in report.counts.items() if n) or "no findings"
    suppressed = f"; {len(report.suppressed)} suppressed" if report.suppressed else ""
    console.print(f"  {counts}{suppressed}\n")
