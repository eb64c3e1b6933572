"""``sealtrail export``, ``sealtrail verify-export`` and ``sealtrail forward run|status``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from sealtrail.config import from_environment, open_ledger
from sealtrail.events import format_time, parse_time
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.note import Verifier
from sealtrail.search import parse_search
from sealtrail.sinks.export import ExportPlan, export_event, plan_export, write_daily, write_export
from sealtrail.sinks.forwarding import Forwarding, forwarder_status
from sealtrail.sinks.verify import bundle_path, verify_export
from sealtrail.store.base import Query

__all__ = ["export", "forward_app", "verify_export_command"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
CLI_ACTOR = {"id": "cli", "type": "user"}
Dir = Annotated[Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory.")]
forward_app = typer.Typer(help="Forward the trail to SIEMs and log servers.", no_args_is_help=True)


def export(
    format: Annotated[str, typer.Option(help="jsonl, csv, cef, ecs or splunk-hec.")] = "jsonl",
    text: Annotated[str | None, typer.Argument(metavar="QUERY", help="As sealtrail query.")] = None,
    action: Annotated[list[str] | None, typer.Option(help="Action(s).")] = None,
    outcome: Annotated[str | None, typer.Option(help="success, failure…")] = None,
    actor: Annotated[str | None, typer.Option(help="Actor id.")] = None,
    since: Annotated[str | None, typer.Option(help="RFC 3339 time, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="RFC 3339 time, exclusive.")] = None,
    target_id: Annotated[str | None, typer.Option(help="Target id.")] = None,
    start: Annotated[int | None, typer.Option(help="First seq (inclusive).", min=0)] = None,
    end: Annotated[int | None, typer.Option(help="Last seq (exclusive).", min=1)] = None,
    output: Annotated[Path | None, typer.Option(help="File to write [stdout].")] = None,
    bundle: Annotated[bool, typer.Option(help="Write OUTPUT.bundle, the proof.")] = False,
    daily: Annotated[Path | None, typer.Option(help="Daily JSON Lines files in DIR.")] = None,
    directory: Dir = Path("sealtrail-data"),
) -> None:
    """Export records (oldest first) with an offline-verifiable bundle; recorded as audit.export.

    Without filters (only --start/--end) the bundle is one range proof (nothing missing);
    with filters it holds each record's inclusion proof.

    Example: sealtrail export --format csv --action image.pull --output pulls.csv --bundle
    """
    filters = Query(
        actions=tuple(action or ()),
        outcome=outcome,
        actor_id=actor,
        target_id=target_id,
        since=_time(since, "--since"),
        until=_time(until, "--until"),
    )
    filters = parse_search(text).apply(filters) if text else filters
    if bundle and output is None:
        raise typer.BadParameter("--bundle needs --output (the bundle goes to OUTPUT.bundle)")
    with open_ledger(directory) as ledger:
        plan = plan_export(ledger, format, filters, start, end)
        if daily is not None:
            count, where = write_daily(ledger, plan, daily), f"daily:{daily}"
        elif output is None:
            count, where = write_export(ledger, plan, sys.stdout), "stdout"
        else:
            count, where = _to_file(ledger, plan, output, bundle), str(output)
        ledger.append(export_event(ledger, plan, CLI_ACTOR, count, where))
    err.print(f"exported {count} records ({plan.kind}, proved at size {plan.size})")


def _to_file(ledger: Ledger, plan: ExportPlan, output: Path, bundle: bool) -> int:
    with output.open("w", encoding="utf-8", newline="") as sink:
        if not bundle:
            return write_export(ledger, plan, sink)
        with bundle_path(output).open("w") as proof:
            return write_export(ledger, plan, sink, proof)


def _time(value: str | None, option: str) -> str | None:
    return None if value is None else format_time(parse_time(value, option))


def verify_export_command(
    export_path: Annotated[Path, typer.Argument(metavar="FILE", help="Export file or daily DIR.")],
    key: Annotated[list[str], typer.Option(help="Verifier key (name+hex8+base64), or a file.")],
    bundle: Annotated[Path | None, typer.Option(help="Bundle [FILE.bundle].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check an export offline: every record genuine and unaltered; a range export complete.

    Example: sealtrail verify-export pulls.csv --key "$(cat sealtrail.vkey)"
    """
    verifiers = [Verifier.from_text(_key_text(k)) for k in key]
    report = verify_export(export_path, verifiers, bundle)
    if as_json:
        sys.stdout.write(orjson.dumps(report.__dict__).decode() + "\n")
        return
    out.print(
        f"ok: {report.count} {report.format} records ({report.kind} [{report.start}, "
        f"{report.end})) proved against the checkpoint of {report.origin} at size {report.size}"
    )


def _key_text(value: str) -> str:
    path = Path(value)
    return path.read_text().strip() if "+" not in value and path.is_file() else value.strip()


@forward_app.command("run")
def forward_run(
    name: Annotated[list[str] | None, typer.Argument(help="Forwarders [all].")] = None,
    once: Annotated[bool, typer.Option(help="Deliver what is there, then stop.")] = False,
    directory: Dir = Path("sealtrail-data"),
) -> None:
    """Run the configured forwarders in the foreground, following the log (Ctrl-C stops).

    Example: sealtrail forward run siem
    """
    settings = from_environment(dir=directory)
    with open_ledger(settings.dir) as ledger:
        forwarding = Forwarding.from_settings(settings, ledger, names=name)
        if once:
            forwarding.drain()
            return
        forwarding.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            forwarding.stop()


@forward_app.command("status")
def forward_status(
    directory: Dir = Path("sealtrail-data"),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Each forwarder's position (last seq delivered), lag and dead letter.

    Example: sealtrail forward status --json
    """
    settings = from_environment(dir=directory)
    with open_ledger(settings.dir) as ledger:
        rows = forwarder_status(settings, ledger)
    if as_json:
        sys.stdout.write("".join(orjson.dumps(row).decode() + "\n" for row in rows))
        return
    table = Table("forwarder", "kind", "delivered", "lag", "dead letter")
    for row in rows:
        letter = row["dead_letter"]
        table.add_row(
            row["name"],
            row["kind"],
            str(row["delivered"]),
            str(row["lag"]),
            "" if letter is None else f"seq {letter['first_seq']}: {letter['error']}",
        )
    out.print(table)
