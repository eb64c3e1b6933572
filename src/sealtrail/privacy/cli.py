"""``sealtrail privacy show|pseudonym`` and ``sealtrail erase``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from sealtrail.config import from_environment, open_ledger
from sealtrail.errors import ValidationError
from sealtrail.privacy.erasure import erase_subject
from sealtrail.privacy.policy import PrivacyPolicy

__all__ = ["erase", "privacy_app", "pseudonym", "scrub", "show"]

out = Console(highlight=False, soft_wrap=True)
CLI_ACTOR = {"id": "cli", "type": "user"}
Dir = Annotated[Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory.")]
Json = Annotated[bool, typer.Option("--json", help="JSON output.")]
privacy_app = typer.Typer(
    help="The privacy policy applied before sealing ([privacy] in sealtrail.toml).",
    no_args_is_help=True,
)


def _policy(directory: Path) -> PrivacyPolicy | None:
    settings = from_environment(dir=directory)
    return PrivacyPolicy.from_section(settings.section("privacy"), settings.dir)


@privacy_app.command("show")
def show(directory: Dir = Path("sealtrail-data"), as_json: Json = False) -> None:
    """The effective privacy policy (never its key: a fingerprint of it).

    Example: sealtrail privacy show --json
    """
    policy = _policy(directory)
    described = {"enabled": False} if policy is None else {"enabled": True, **policy.described()}
    if as_json:
        sys.stdout.write(orjson.dumps(described).decode() + "\n")
        return
    for key, value in described.items():
        out.print(f"{key}: {value}", markup=False)


@privacy_app.command("pseudonym")
def pseudonym(
    actor_id: Annotated[str, typer.Argument(metavar="ID", help="An actor id.")],
    directory: Dir = Path("sealtrail-data"),
) -> None:
    """Print the pseudonym the policy gives an actor id: what to search the actor column for.

    Example: sealtrail query "actor:$(sealtrail privacy pseudonym alice@example.com)"
    """
    policy = _policy(directory)
    if policy is None or not policy.maps_actors:
        raise ValidationError("the [privacy] policy keeps actor ids as they are: no pseudonyms")
    out.print(policy.pseudonym(actor_id), markup=False)


def erase(
    actor: Annotated[str, typer.Option("--actor", help="The actor id (or its pseudonym).")],
    directory: Dir = Path("sealtrail-data"),
    as_json: Json = False,
) -> None:
    """Destroy an actor's key: its sealed personal fields read [erased] everywhere from now on,
    and verify still passes. Recorded as audit.erase (without the id). Cannot be undone.

    Example: sealtrail erase --actor alice@example.com
    """
    with open_ledger(directory) as ledger:
        done = erase_subject(ledger, actor, CLI_ACTOR)
    result = {"key_id": done.key_id, "records": done.records, "seq": done.seq}
    if as_json:
        sys.stdout.write(orjson.dumps({**result, "scrubbed": done.scrubbed}).decode() + "\n")
    else:
        out.print(f"erased: key {done.key_id}, {done.records} records, event {done.seq}")
    if not done.scrubbed:
        _warn_unscrubbed()


@privacy_app.command("scrub")
def scrub(directory: Dir = Path("sealtrail-data")) -> None:
    """Finish an erasure that a busy reader kept from clearing the SQLite WAL (erase says so).

    Example: sealtrail privacy scrub
    """
    with open_ledger(directory) as ledger:
        if not ledger.store.scrub(("subject_keys",)):
            _warn_unscrubbed()
            raise typer.Exit(1)
    out.print("scrubbed")


def _warn_unscrubbed() -> None:
    Console(stderr=True).print(
        "warning: a reader kept the WAL from being reset; run `sealtrail privacy scrub` later"
    )
