"""``sealtrail alerts list|test|status``: the configured rules, a dry run over a file, progress."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from sealtrail.alerts.engine import AlertEngine, Hit, alert_event
from sealtrail.alerts.rules import parse_alerts
from sealtrail.alerts.status import alert_status
from sealtrail.config import from_environment, open_ledger
from sealtrail.errors import ValidationError
from sealtrail.events import LEDGER_FIELDS, validate_event

__all__ = ["alerts_app"]

out = Console(highlight=False, soft_wrap=True)
Dir = Annotated[Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory.")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
alerts_app = typer.Typer(help="Alert rules, evaluated as events arrive.", no_args_is_help=True)


@alerts_app.command("list")
def alerts_list(directory: Dir = Path("sealtrail-data"), as_json: Json = False) -> None:
    """The rules in force: the built-in ones as [alerts] adjusts them, and your own.

    Example: sealtrail alerts list --json
    """
    config = parse_alerts(from_environment(dir=directory).section("alerts"))
    rows: list[dict[str, Any]] = [
        {"id": r.id, "kind": r.kind, "enabled": r.enabled, "severity": r.severity,
         "fires_on": r.describe(), "description": r.description}
        for r in config.rules
    ]  # fmt: skip
    if as_json:
        sys.stdout.write("".join(orjson.dumps(row).decode() + "\n" for row in rows))
        return
    table = Table("rule", "kind", "on", "severity", "fires on")
    table.columns[0].no_wrap = True
    for row in rows:
        on = "yes" if row["enabled"] else "no"
        table.add_row(row["id"], row["kind"], on, row["severity"], row["fires_on"])
    out.print(table)


@alerts_app.command("test")
def alerts_test(
    events: Annotated[Path, typer.Argument(metavar="FILE", help="JSON Lines of events.")],
    directory: Dir = Path("sealtrail-data"),
    as_json: Json = False,
) -> None:
    """Run the configured rules over a JSON Lines file, offline, in file order; print the alerts.

    Each line is an event, or a record exported with ``sealtrail export`` (its seq is kept);
    other lines are numbered from 0. Nothing is recorded.

    Example: sealtrail alerts test failed-logins.jsonl
    """
    engine = AlertEngine(parse_alerts(from_environment(dir=directory).section("alerts")).rules)
    hits: list[Hit] = []
    for seq, event in _read(events):
        hits += engine.observe(seq, event)
    if as_json:
        lines = (orjson.dumps(alert_event(h, h.last_time)).decode() + "\n" for h in hits)
        sys.stdout.write("".join(lines))
        return
    for hit in hits:
        out.print(f"{hit.rule.id} [{hit.rule.severity}] seqs {_seqs(hit)}: {hit.reason}")
    out.print(f"{len(hits)} alert(s)")


def _read(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                raw = orjson.loads(line)
                seq = raw.get("seq", number - 1) if isinstance(raw, dict) else number - 1
                if isinstance(raw, dict):
                    raw = {k: v for k, v in raw.items() if k not in LEDGER_FIELDS}
                yield int(seq), validate_event(raw)
            except (orjson.JSONDecodeError, ValidationError, ValueError, TypeError) as error:
                raise ValidationError(f"{path}:{number}: {error}") from None


def _seqs(hit: Hit) -> str:
    shown = ", ".join(str(seq) for seq in hit.seqs[:10])
    return shown + (f" … ({hit.count})" if hit.count > 10 else "")


@alerts_app.command("status")
def alerts_status(directory: Dir = Path("sealtrail-data"), as_json: Json = False) -> None:
    """How far the server's evaluation has got, its open windows and the webhook's position.

    Example: sealtrail alerts status --json
    """
    with open_ledger(directory) as ledger:
        status = alert_status(ledger)
    if as_json:
        sys.stdout.write(orjson.dumps(status).decode() + "\n")
        return
    out.print(f"evaluated up to record {status['evaluated']} ({status['lag']} behind the log)")
    for rule, count in sorted(status["open_windows"].items()):
        out.print(f"  {rule}: {count} open window(s)")
    if status["webhook_delivered"] is not None:
        out.print(f"webhook delivered up to record {status['webhook_delivered']}")
