"""The ``sealtrail`` command: thin commands over the library, errors handled once in ``main``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sealtrail import importers
from sealtrail.access import AccessKeys, Role
from sealtrail.alerts.cli import alerts_app
from sealtrail.config import from_environment, open_ledger
from sealtrail.dockerfile.cli import audit_app
from sealtrail.errors import SealtrailError, ValidationError, VerificationError
from sealtrail.events import format_time, parse_time
from sealtrail.gateway.cli import gateway_command, mounted_gateway
from sealtrail.images import cli as images_cli
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.verify import VerifyReport
from sealtrail.policies.cli import policies_app, tags_app
from sealtrail.privacy import cli as privacy_cli
from sealtrail.retention import cli as retention_cli
from sealtrail.search import parse_search
from sealtrail.sinks import cli as sinks_cli
from sealtrail.store.base import Query
from sealtrail.store.cli import db_app
from sealtrail.store.sqlite import SQLiteStore
from sealtrail.verification import verify_and_record

app = typer.Typer(
    name="sealtrail",
    help="A sealed, verifiable audit trail for software supply chains.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
prove_app = typer.Typer(
    help="Print inclusion and consistency proofs as JSON.", no_args_is_help=True
)
app.add_typer(prove_app, name="prove")
app.add_typer(db_app, name="db")
app.add_typer(policies_app, name="policies")
app.add_typer(tags_app, name="tags")
app.add_typer(audit_app, name="audit")
app.add_typer(alerts_app, name="alerts")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DirOption = Annotated[
    Path,
    typer.Option(
        "--dir", envvar="SEALTRAIL_DIR", help="Data directory of the ledger.", show_default=True
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
CLI_ACTOR = {"id": "cli", "type": "user"}  # who acts when a local user runs the CLI
PROGRESS_FROM = 200_000  # records; below this a verification takes well under two seconds


def _database_url(directory: Path) -> str | None:
    """The PostgreSQL URL of this process's settings (``SEALTRAIL_DATABASE_URL``), if any."""
    return from_environment(dir=directory).database_url or None


@contextmanager
def _ledger(directory: Path) -> Iterator[Ledger]:
    with open_ledger(directory) as ledger:
        yield ledger


def _indexed(ledger: Ledger) -> Ledger:
    """The ledger, its SQLite query index caught up first under a progress bar: after an upgrade,
    or a lost index file, that is every record (about 17 s a million)."""
    store = ledger.store
    if isinstance(store, SQLiteStore):
        with _progress("indexing", store.index.pending()) as advance:
            store.sync_index(advance)
    return ledger


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


@app.command()
def init(
    directory: DirOption = Path("sealtrail-data"),
    origin: Annotated[str | None, typer.Option(help="Log origin (also the key name).")] = None,
) -> None:
    """Create a new ledger and Ed25519 signing key; print the verifier key.

    Example: sealtrail init --dir /var/lib/sealtrail --origin audit.example.com/sealtrail
    """
    url = _database_url(directory)
    with Ledger.create(directory, origin=origin, database_url=url) as ledger:
        out.print(ledger.keyring.signer.verifier().to_text())


@app.command()
def append(
    source: Annotated[str, typer.Argument(help="JSON Lines file of events, or - for stdin.")] = "-",
    directory: DirOption = Path("sealtrail-data"),
) -> None:
    """Append events from JSON Lines, all or nothing; print {"appended", "first_seq", "size"}.

    Example: sealtrail append events.jsonl
    """
    lines = sys.stdin.buffer if source == "-" else Path(source).open("rb")  # noqa: SIM115
    with lines, _ledger(directory) as ledger:
        events = list(_read_events(lines))
        prepared = []
        for number, event in events:
            try:
                prepared.extend(ledger.prepare([event]))
            except ValidationError as error:
                raise ValidationError(
                    f"line {number}: {str(error).removeprefix('event 0: ')}"
                ) from None
        receipts = ledger.append_prepared(prepared)
        ledger.checkpoint()
        first = receipts[0].seq if receipts else None
        _print_json({"appended": len(receipts), "first_seq": first, "size": ledger.size()})


def _read_events(lines: Any) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as error:
                raise ValidationError(f"line {number}: invalid JSON ({error})") from None


@app.command("verifier-key")
def verifier_key(directory: DirOption = Path("sealtrail-data")) -> None:
    """Print the C2SP signed-note verifier key (name+hex8+base64).

    Example: sealtrail verifier-key > sealtrail.vkey
    """
    with _ledger(directory) as ledger:
        out.print(ledger.keyring.signer.verifier().to_text())


@app.command()
def checkpoint(directory: DirOption = Path("sealtrail-data")) -> None:
    """Sign a checkpoint for the current size if needed; print the signed note exactly.

    Example: sealtrail checkpoint > checkpoint.txt
    """
    with _ledger(directory) as ledger:
        sys.stdout.write(ledger.checkpoint().note)


@prove_app.command("inclusion")
def prove_inclusion(
    index: int,
    size: Annotated[
        int | None, typer.Option(help="Tree size (default: latest checkpoint).")
    ] = None,
    directory: DirOption = Path("sealtrail-data"),
) -> None:
    """Inclusion proof of record INDEX as JSON.

    Example: sealtrail prove inclusion 41 --size 100
    """
    with _ledger(directory) as ledger:
        _print_json(ledger.prove_inclusion(index, size).to_json())


@prove_app.command("consistency")
def prove_consistency(
    old_size: int,
    size: Annotated[
        int | None, typer.Option(help="Tree size (default: latest checkpoint).")
    ] = None,
    directory: DirOption = Path("sealtrail-data"),
) -> None:
    """Consistency proof from OLD_SIZE to the current (or given) size as JSON.

    Example: sealtrail prove consistency 10 --size 100
    """
    with _ledger(directory) as ledger:
        _print_json(ledger.prove_consistency(old_size, size).to_json())


@app.command()
def verify(directory: DirOption = Path("sealtrail-data"), as_json: JsonOption = False) -> None:
    """Recompute the whole log and check every checkpoint; exit 1 at the first fault.

    The result is recorded as an audit.verify event, and shown by the console.

    Example: sealtrail verify
    """
    with _ledger(directory) as ledger:
        with _progress("verifying", ledger.size()) as advance:
            report = verify_and_record(ledger, CLI_ACTOR, advance)
        _report(report, as_json)


def _report(report: VerifyReport, as_json: bool) -> None:
    if as_json:
        _print_json(
            {
                "ok": True,
                "size": report.size,
                "root": report.root.hex(),
                "checkpoints": report.checkpoints,
                "archived": report.removed,
                "seconds": round(report.seconds, 3),
            }
        )
        return
    archived = ""
    if report.removed:
        archived = (
            f" ({report.removed} archived by retention: their hashes from the tiles, "
            "in announced segments)"
        )
    out.print(
        f"ok: {report.size} records{archived}, {report.checkpoints} checkpoints verified, "
        f"latest checkpoint at size {report.latest_checkpoint} ({report.seconds:.2f}s)"
    )


@contextmanager
def _progress(label: str, total: int) -> Iterator[Any]:
    if total < PROGRESS_FROM or not err.is_terminal:
        yield None
        return
    columns = (
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done, _total: progress.update(task, completed=done)


@app.command()
def query(
    text: Annotated[
        str | None,
        typer.Argument(
            metavar="QUERY", help='Qualifiers and words: "action:image.pull -outcome:success alice"'
        ),
    ] = None,
    action: Annotated[list[str] | None, typer.Option(help="Action(s), e.g. image.pull.")] = None,
    outcome: Annotated[str | None, typer.Option(help="success, failure, not_found…")] = None,
    actor: Annotated[str | None, typer.Option(help="Actor id.")] = None,
    since: Annotated[str | None, typer.Option(help="RFC 3339 time, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="RFC 3339 time, exclusive.")] = None,
    target_id: Annotated[str | None, typer.Option(help="Target id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    directory: DirOption = Path("sealtrail-data"),
    as_json: JsonOption = False,
) -> None:
    """Search recorded events, newest first: a table, or JSON Lines with --json.

    Example: sealtrail query "action:image.pull -outcome:success time:2026-01-01..2026-01-31"
    """
    q = Query(
        actions=tuple(action or ()),
        outcome=outcome,
        actor_id=actor,
        target_id=target_id,
        since=_time(since, "--since"),
        until=_time(until, "--until"),
        limit=limit,
    )
    if text:
        q = parse_search(text).apply(q)
    with _ledger(directory) as ledger:
        records = _indexed(ledger).query(q)
        leaves = ledger.open_leaves([record.leaf for record in records])
    if as_json:
        sys.stdout.write("".join(leaf.decode() + "\n" for leaf in leaves))
        return
    table = Table("seq", "time", "action", "outcome", "actor", "target")
    for record, leaf in zip(records, leaves, strict=True):
        event = orjson.loads(leaf)
        target = event.get("target") or {}
        table.add_row(
            str(record.seq),
            event["time"],
            event["action"],
            event["outcome"],
            event["actor"]["id"],
            str(target.get("id", "")),
        )
    out.print(table)


def _time(value: str | None, option: str) -> str | None:
    return None if value is None else format_time(parse_time(value, option))


@app.command()
def stats(directory: DirOption = Path("sealtrail-data"), as_json: JsonOption = False) -> None:
    """Counts by action and outcome, the log size and the latest checkpoint.

    Example: sealtrail stats --json
    """
    with _ledger(directory) as ledger:
        _indexed(ledger)
        everything = Query(limit=0)
        latest = ledger.store.latest_checkpoint()
        result = {
            "size": ledger.size(),
            "by_action": ledger.store.count_by("action", everything),
            "by_outcome": ledger.store.count_by("outcome", everything),
            "latest_checkpoint": None
            if latest is None
            else {"size": latest.size, "signed_at": latest.signed_at},
        }
    if as_json:
        _print_json(result)
        return
    out.print(f"size {result['size']}, latest checkpoint {result['latest_checkpoint']}")
    for title in ("by_action", "by_outcome"):
        table = Table(title.removeprefix("by_"), "count")
        for key, count in sorted(result[title].items()):  # type: ignore[attr-defined]
            table.add_row(key, str(count))
        out.print(table)


keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@contextmanager
def _access(directory: Path) -> Iterator[AccessKeys]:
    with _ledger(directory) as ledger:
        yield AccessKeys(ledger.store, ledger.clock, ledger.append)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, auditor, writer or user.")],
    actor: Annotated[str | None, typer.Option(help="Actor id a user key may read.")] = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    directory: DirOption = Path("sealtrail-data"),
    as_json: JsonOption = False,
) -> None:
    """Create an API key and print it once (only its hash is kept).

    Example: sealtrail keys create --role user --actor alice@example.com --name "alice laptop"
    """
    with _access(directory) as access:
        created = access.create(role, actor_id=actor, name=name)
    if as_json:
        _print_json({**created.row._asdict(), "secret_hash": None, "key": created.secret})
        return
    out.print(f"{created.secret}\n(key {created.row.key_id}, role {role}; shown only now)")


@keys_app.command("list")
def keys_list(directory: DirOption = Path("sealtrail-data"), as_json: JsonOption = False) -> None:
    """List API keys: id, name, role, actor, created, revoked.

    Example: sealtrail keys list --json
    """
    with _access(directory) as access:
        rows = [
            {k: v for k, v in row._asdict().items() if k != "secret_hash"} for row in access.list()
        ]
    if as_json:
        sys.stdout.write("".join(orjson.dumps(row).decode() + "\n" for row in rows))
        return
    table = Table("key id", "name", "role", "actor", "created", "revoked")
    for row in rows:
        table.add_row(
            *(
                str(row[k] or "")
                for k in ("key_id", "name", "role", "actor_id", "created_at", "revoked_at")
            )
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str, directory: DirOption = Path("sealtrail-data")) -> None:
    """Revoke an API key at once.

    Example: sealtrail keys revoke k3xq7abc
    """
    with _access(directory) as access:
        access.revoke(key_id)
    out.print(f"revoked {key_id}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [8080].")] = None,
    directory: Annotated[Path | None, typer.Option("--dir", envvar="SEALTRAIL_DIR")] = None,
) -> None:
    """Serve the HTTP API and web console; on a ledger without keys, create and print an admin key.

    Example: sealtrail serve --host 127.0.0.1 --port 8080
    """
    import uvicorn

    from sealtrail.api.app import create_app

    settings = from_environment(dir=directory, host=host, port=port)
    ledger = open_ledger(settings.dir, checkpoint_interval=settings.checkpoint_interval)
    access = AccessKeys(ledger.store, ledger.clock, ledger.append)
    if not access.list():
        created = access.create(Role.ADMIN, name="bootstrap admin")
        err.print(f"admin key (shown only now): {created.secret}", markup=False)
    app_ = create_app(settings, ledger)
    if settings.section("gateway").get("upstream"):
        app_ = mounted_gateway(settings, ledger, app_)  # type: ignore[assignment]
    uvicorn.run(app_, host=settings.host, port=settings.port, log_level="warning", access_log=False)


@app.command("import")
def import_(
    source: Annotated[str, typer.Argument(help="File to read, or - for standard input.")],
    format_: Annotated[
        str, typer.Option("--format", help=f"One of: {', '.join(sorted(importers.FORMATS))}.")
    ],
    directory: DirOption = Path("sealtrail-data"),
    as_json: JsonOption = False,
) -> None:
    """Import an existing log into the trail; importing the same lines again adds nothing.

    Example: journalctl -o json -u puller | sealtrail import --format image-download-lines -
    """
    parse = importers.parser(format_)
    with (
        _ledger(directory) as ledger,
        _input_lines(source) as lines,
        _counter("importing lines") as advance,
    ):
        summary = importers.import_events(ledger, parse(lines), advance)
    if as_json:
        _print_json(summary.to_json())
        return
    out.print(
        f"{summary.imported} events imported, {summary.duplicates} already in the trail, "
        f"{sum(summary.skipped.values())} lines skipped"
    )
    for reason, count in sorted(summary.skipped.items()):
        out.print(f"  skipped {count}: {reason}", markup=False)


@contextmanager
def _input_lines(source: str) -> Iterator[Iterable[str]]:
    if source == "-":
        yield sys.stdin
        return
    with open(source, encoding="utf-8", errors="replace") as file:
        yield file


@contextmanager
def _counter(label: str) -> Iterator[Callable[[int], None] | None]:
    """A running count on the terminal for work whose total is unknown."""
    if not err.is_terminal:
        yield None
        return
    columns = (TextColumn(label), TextColumn("{task.completed:,}"))
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done: progress.update(task, completed=done)


app.command()(images_cli.pull)
app.command()(sinks_cli.export)
app.command("verify-export")(sinks_cli.verify_export_command)
app.add_typer(sinks_cli.forward_app, name="forward")
app.command("gateway")(gateway_command)
app.add_typer(privacy_cli.privacy_app, name="privacy")
app.command()(privacy_cli.erase)
app.add_typer(retention_cli.retention_app, name="retention")
app.command("verify-archive")(retention_cli.verify_archive_command)


def main() -> None:
    """Entry point: usage errors are Typer's (exit 2); every sealtrail error is one line, exit 1."""
    try:
        app()
    except VerificationError as error:
        where = "" if error.index is None else f" at index {error.index}"
        err.print(f"verification failed{where} ({error.reason}): {error}", markup=False)
        sys.exit(1)
    except SealtrailError as error:
        err.print(f"error: {error}", markup=False)
        sys.exit(1)
    except OSError as error:
        err.print(f"error: {error.filename or ''}: {error.strerror or error}", markup=False)
        sys.exit(1)
