"""``sealtrail retention apply`` and ``sealtrail verify-archive``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from sealtrail.config import from_environment, open_ledger
from sealtrail.ledger.note import Verifier
from sealtrail.retention.apply import RetentionReport, apply_retention
from sealtrail.retention.rules import RetentionSettings
from sealtrail.retention.segment import verify_archive

__all__ = ["apply_command", "retention_app", "verify_archive_command"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
Dir = Annotated[Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory.")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
retention_app = typer.Typer(
    help="Archive expired records and remove their bodies; the seal stays.", no_args_is_help=True
)


@retention_app.command("apply")
def apply_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count; change nothing.")] = False,
    directory: Dir = Path("sealtrail-data"),
    as_json: Json = False,
) -> None:
    """Archive the records past their [retention.rules] age (legal holds excepted) to zstd
    segments with their proofs, then remove their bodies; recorded as audit.retention.

    Example: sealtrail retention apply --dry-run
    """
    settings = from_environment(dir=directory)
    retention = RetentionSettings.from_section(settings.section("retention"), settings.dir)
    with open_ledger(settings.dir) as ledger, _progress() as advance:
        report = apply_retention(ledger, retention, dry_run=dry_run, progress=advance)
    if as_json:
        sys.stdout.write(orjson.dumps(report.to_json()).decode() + "\n")
        return
    _print(report)


def _print(report: RetentionReport) -> None:
    verb = "would archive" if report.dry_run else "archived"
    out.print(
        f"{verb} {report.archived} of {report.expired} expired records "
        f"({report.held} under legal hold) in {len(report.segments)} segments"
    )
    for segment in report.segments:
        out.print(f"  {segment.name or '(segment)'}: {segment.count} records "
                  f"[{segment.start}, {segment.end})")  # fmt: skip
    if not report.dry_run:
        out.print(f"bytes on disk {report.bytes_before:,} -> {report.bytes_after:,} "
                  f"(freed {report.bytes_freed:,}); event at seq {report.event_seq}")  # fmt: skip
    if report.more:
        out.print("more records have expired: run it again")


@contextmanager
def _progress() -> Iterator[Any]:
    if not err.is_terminal:
        yield None
        return
    count = TextColumn("{task.completed:,}/{task.total:,}")
    columns = (TextColumn("archiving"), BarColumn(), count, TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("archiving", total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def verify_archive_command(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Segments, or a dir.")],
    key: Annotated[list[str], typer.Option(help="Verifier key (name+hex8+base64), or a file.")],
    as_json: Json = False,
) -> None:
    """Check archive segments offline: every record is the sealed one at its seq, none missing.

    Example: sealtrail verify-archive sealtrail-data/archive --key "$(cat sealtrail.vkey)"
    """
    verifiers = [Verifier.from_text(_key_text(k)) for k in key]
    for path in _segments(files):
        report = verify_archive(path, verifiers)
        if as_json:
            sys.stdout.write(orjson.dumps(report.__dict__).decode() + "\n")
            continue
        out.print(
            f"ok: {report.file}: {report.count} records ({report.kind}, {len(report.ranges)} "
            f"ranges) proved against the checkpoint of {report.origin} at size "
            f"{report.checkpoint_size}; sha256 {report.sha256}"
        )


def _segments(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("*.jsonl.zst")) if path.is_dir() else [path])
    if not found:
        raise typer.BadParameter("no segment files (*.jsonl.zst) there")
    return found


def _key_text(value: str) -> str:
    path = Path(value)
    return path.read_text().strip() if "+" not in value and path.is_file() else value.strip()
