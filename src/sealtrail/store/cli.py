"""``sealtrail db``: schema upgrades and moving a log between engines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sealtrail.errors import ValidationError
from sealtrail.ledger.keyring import VERIFIER_KEYS, load_verifiers
from sealtrail.ledger.log import DATABASE
from sealtrail.store.base import Store
from sealtrail.store.copy import copy_log

__all__ = ["db_app"]

db_app = typer.Typer(help="Database schema and engines.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)

UrlOption = Annotated[
    str,
    typer.Option(
        "--database-url", envvar="SEALTRAIL_DATABASE_URL", help="postgresql://... of the ledger."
    ),
]


@db_app.command("upgrade")
def upgrade(database_url: UrlOption) -> None:
    """Apply the PostgreSQL schema migrations this sealtrail needs (SQLite upgrades on open).

    Example: SEALTRAIL_DATABASE_URL=postgresql://sealtrail@db/sealtrail sealtrail db upgrade
    """
    from sealtrail.store.postgres import SCHEMA_VERSION, PostgresStore

    store = PostgresStore(database_url, upgrade=True)
    store.close()
    out.print(f"schema at version {SCHEMA_VERSION}")


@db_app.command("copy")
def copy(
    source: Annotated[
        str,
        typer.Option(
            "--from", help="sqlite:PATH (a data directory or its ledger.db) or postgresql://..."
        ),
    ],
    destination: Annotated[str, typer.Option("--to", help="postgresql://... or sqlite:PATH")],
    keys: Annotated[
        Path | None,
        typer.Option(help="verifier.keys of the log [the data directory's, for sqlite:PATH]."),
    ] = None,
) -> None:
    """Copy a log with its checkpoints to another engine, checking each checkpoint on the way.

    Example: sealtrail db copy --from sqlite:sealtrail-data --to postgresql://db/sealtrail
    """
    keys = keys or _keys_beside(source)
    verifiers = load_verifiers(keys)
    origin, target = _open(source, create=False), _open(destination, create=True)
    try:
        with Progress(
            TextColumn("copying"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        ) as bar:
            task = bar.add_task("copy", total=origin.size())
            copied = copy_log(
                origin, target, verifiers, lambda done, _: bar.update(task, completed=done)
            )
    finally:
        origin.close()
        target.close()
    out.print(f"copied {copied} records; checkpoints and keys verified and copied")


def _keys_beside(source: str) -> Path:
    if not source.startswith("sqlite:"):
        raise ValidationError("--keys is required when copying from PostgreSQL")
    path = Path(source.removeprefix("sqlite:"))
    return (path if path.is_dir() else path.parent) / VERIFIER_KEYS


def _open(where: str, *, create: bool) -> Store:
    if where.startswith("sqlite:"):
        from sealtrail.store.sqlite import SQLiteStore

        path = Path(where.removeprefix("sqlite:"))
        path = path / DATABASE if path.is_dir() or not path.suffix else path
        return SQLiteStore(path, create=create and not path.exists())
    if where.startswith(("postgresql://", "postgres://")):
        from sealtrail.store.postgres import PostgresStore

        try:
            return PostgresStore(where, create=create)
        except ValidationError:
            return PostgresStore(where)  # exists already: continue a copy into it
    raise ValidationError(f"{where!r}: expected sqlite:PATH or a postgresql:// URL")
