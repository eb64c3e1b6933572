"""``sealtrail policies …`` and ``sealtrail tags …``: thin commands over the library.

They open the configured ledger (its directory, and ``database_url`` when set), like the other
commands; both engines let them run beside a server. Errors go up to ``sealtrail.cli.main``:
one line, exit 1.
"""

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
from rich.table import Table

from sealtrail.config import open_ledger
from sealtrail.policies.apply import Applied
from sealtrail.policies.apply import Progress as ProgressCallback
from sealtrail.policies.book import ImmutabilityPolicies
from sealtrail.policies.model import ImmutabilityPolicy, TagRef
from sealtrail.policies.tagindex import TagIndex

__all__ = ["policies_app", "tags_app"]

policies_app = typer.Typer(
    help="Tag immutability policies: create, list, update, delete, resume.", no_args_is_help=True
)
tags_app = typer.Typer(
    help="The tag index: list tags, why a tag is immutable, manual changes, registry sync.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DirOption = Annotated[
    Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory of the ledger.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ActorOption = Annotated[
    str, typer.Option("--actor", help="Who is acting (recorded as the event's actor).")
]
NamespaceOption = Annotated[str | None, typer.Option(help="Namespace scope, e.g. org.")]
RepositoryOption = Annotated[str | None, typer.Option(help="Repository scope, e.g. org/team/app.")]
RegistryOption = Annotated[
    str | None, typer.Option(help="Registry host[:port], when the repository is in several.")
]
DEFAULT_DIR = Path("sealtrail-data")


def _actor(actor: str) -> dict[str, str]:
    return {"id": actor, "type": "user"}


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")


@contextmanager
def _book(directory: Path) -> Iterator[ImmutabilityPolicies]:
    with open_ledger(directory) as ledger:
        yield ImmutabilityPolicies(ledger)


@contextmanager
def _progress(label: str) -> Iterator[ProgressCallback | None]:
    """A Rich progress bar on a terminal; nothing otherwise."""
    if not err.is_terminal:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"))
    with Progress(*columns, TimeRemainingColumn(), console=err, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _summary(applied: Applied) -> dict[str, Any]:
    return {
        "policy_uuid": applied.policy_uuid,
        "version": applied.version,
        "tags_affected_count": applied.tags_affected_count,
        "summary_seq": applied.summary_seq,
        "completed": applied.completed,
    }


def _applied(policy: ImmutabilityPolicy, applied: Applied | None, as_json: bool) -> None:
    summary = None if applied is None else _summary(applied)
    if as_json:
        _print_json({**policy.to_json(), "application": summary})
        return
    out.print(
        f"policy {policy.uuid} v{policy.version} ({policy.scope} {policy.scope_name}, "
        f"pattern {policy.tag_pattern!r}, tag_pattern_matches="
        f"{str(policy.tag_pattern_matches).lower()})"
    )
    if summary is not None:
        out.print(
            f"made {summary['tags_affected_count']} existing tag(s) immutable "
            f"(policy.apply at seq {summary['summary_seq']})"
        )


@policies_app.command("create")
def create(
    pattern: Annotated[str, typer.Option("--pattern", help="RE2 pattern; full match of the tag.")],
    namespace: NamespaceOption = None,
    repository: RepositoryOption = None,
    matches: Annotated[
        bool, typer.Option("--matches/--not-matching", help="Which tags become immutable.")
    ] = True,
    actor: ActorOption = "cli",
    directory: DirOption = DEFAULT_DIR,
    as_json: JsonOption = False,
) -> None:
    """Create a policy and apply it to the existing tags (each change recorded).

    Example: sealtrail policies create --namespace myorg --pattern 'v.*'
    """
    with _book(directory) as book, _progress("applying") as progress:
        policy = book.create(
            namespace=namespace, repository=repository, tag_pattern=pattern,
            tag_pattern_matches=matches, actor=_actor(actor),
        )  # fmt: skip
        applied = book.apply(policy, progress)
    _applied(policy, applied, as_json)


@policies_app.command("list")
def list_policies(
    namespace: NamespaceOption = None,
    repository: RepositoryOption = None,
    deleted: Annotated[bool, typer.Option(help="Include deleted policies.")] = False,
    directory: DirOption = DEFAULT_DIR,
    as_json: JsonOption = False,
) -> None:
    """List the policies of a namespace or of a repository.

    Example: sealtrail policies list --repository org/team/app --json
    """
    with _book(directory) as book:
        found = book.list(namespace=namespace, repository=repository, deleted=deleted)
    if as_json:
        sys.stdout.write("".join(orjson.dumps(p.to_json()).decode() + "\n" for p in found))
        return
    table = Table("uuid", "scope", "pattern", "matches", "version", "author", "deleted")
    for p in found:
        table.add_row(
            p.uuid, f"{p.scope} {p.scope_name}", p.tag_pattern, str(p.tag_pattern_matches).lower(),
            str(p.version), p.author, p.deleted_at or "",
        )  # fmt: skip
    out.print(table)


@policies_app.command("update")
def update(
    uuid: str,
    pattern: Annotated[str | None, typer.Option("--pattern", help="New RE2 pattern.")] = None,
    matches: Annotated[bool | None, typer.Option("--matches/--not-matching")] = None,
    actor: ActorOption = "cli",
    directory: DirOption = DEFAULT_DIR,
    as_json: JsonOption = False,
) -> None:
    """Update a policy (a new version) and apply it; tags it made immutable stay immutable.

    Example: sealtrail policies update 01a2...e6a --pattern 'v[0-9]+\\..*'
    """
    with _book(directory) as book, _progress("applying") as progress:
        policy = book.update(
            uuid, tag_pattern=pattern, tag_pattern_matches=matches, actor=_actor(actor)
        )
        applied = book.apply(policy, progress)
    _applied(policy, applied, as_json)


@policies_app.command("delete")
def delete(uuid: str, actor: ActorOption = "cli", directory: DirOption = DEFAULT_DIR) -> None:
    """Delete a policy (kept for history); the tags it made immutable stay immutable.

    Example: sealtrail policies delete 01a2...e6a
    """
    with _book(directory) as book:
        policy = book.delete(uuid, actor=_actor(actor))
    out.print(f"deleted policy {policy.uuid}; the tags it made immutable stay immutable")


@policies_app.command("resume")
def resume(directory: DirOption = DEFAULT_DIR, as_json: JsonOption = False) -> None:
    """Finish every interrupted retroactive application from where it stopped.

    Example: sealtrail policies resume
    """
    with _book(directory) as book, _progress("resuming") as progress:
        done = book.resume(progress)
    if as_json:
        _print_json([_summary(a) for a in done])
        return
    for a in done:
        out.print(
            f"policy {a.policy_uuid} v{a.version}: {a.tags_affected_count} tag(s) made "
            f"immutable (policy.apply at seq {a.summary_seq})"
        )
    if not done:
        out.print("nothing to resume")


@contextmanager
def _index(directory: Path) -> Iterator[TagIndex]:
    with open_ledger(directory) as ledger:
        yield TagIndex(ledger)


@tags_app.command("list")
def list_tags(
    repository: str,
    registry: RegistryOption = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
    directory: DirOption = DEFAULT_DIR,
    as_json: JsonOption = False,
) -> None:
    """List a repository's tags with their digest, immutability and its reason.

    Example: sealtrail tags list org/team/app
    """
    with _index(directory) as index:
        rows = [
            (state, index.reason(state)) for state in index.tags(repository, registry, limit=limit)
        ]
    if as_json:
        sys.stdout.write(
            "".join(orjson.dumps({**s.to_json(), "reason": r}).decode() + "\n" for s, r in rows)
        )
        return
    table = Table("tag", "digest", "immutable", "why", "registry")
    for state, reason in rows:
        table.add_row(
            state.key.tag, state.digest[:19], str(state.immutable).lower(), reason,
            state.key.registry,
        )  # fmt: skip
    out.print(table)


@tags_app.command("why")
def why(ref: str, registry: RegistryOption = None, directory: DirOption = DEFAULT_DIR) -> None:
    """Say in one line whether REPOSITORY:TAG is immutable and why, citing the event seq.

    Example: sealtrail tags why myorg/app:v1.0.0
    """
    with _index(directory) as index:
        out.print(index.why(TagRef.from_text(ref), registry), markup=False)


@tags_app.command("set-immutable")
def set_immutable(
    ref: str,
    immutable: Annotated[
        bool, typer.Option("--immutable/--mutable", help="Make it immutable, or lift that.")
    ] = True,
    registry: RegistryOption = None,
    actor: ActorOption = "cli",
    directory: DirOption = DEFAULT_DIR,
) -> None:
    """Set or lift a tag's immutability by hand (recorded with trigger manual).

    Example: sealtrail tags set-immutable myorg/app:v1.0.0 --mutable --actor alice
    """
    tag = TagRef.from_text(ref)
    with _index(directory) as index:
        index.set_immutable(tag.repository, tag.tag, immutable, _actor(actor), registry=registry)
        out.print(index.why(tag, registry), markup=False)


@tags_app.command("sync")
def sync(
    registry: Annotated[
        str, typer.Argument(help="Registry host[:port], e.g. registry.example.com")
    ],
    repository: Annotated[str | None, typer.Option(help="Only this repository.")] = None,
    actor: ActorOption = "cli",
    directory: DirOption = DEFAULT_DIR,
    as_json: JsonOption = False,
) -> None:
    """Read a registry's catalog and tags over the OCI API into the tag index, on the record.

    New tags are created (and made immutable by the policies in scope); moved tags are moved; an
    immutable tag the registry now serves at another digest is reported as drifted, not moved.
    Credentials come from ~/.docker/config.json.

    Example: sealtrail tags sync registry.example.com --repository org/team/app
    """
    from sealtrail.images.registry import RegistryClient
    from sealtrail.policies.sync import sync_registry

    with (
        _index(directory) as index,
        RegistryClient(registry) as client,
        _progress("syncing") as step,
    ):
        report = sync_registry(
            index, client, registry, _actor(actor), repository=repository, progress=step
        )
    if as_json:
        _print_json(report.to_json())
        return
    out.print(
        f"{report.registry}: {report.repositories} repositories, {report.tags} tags: "
        f"{report.created} created, {report.moved} moved, {report.unchanged} unchanged, "
        f"{len(report.drifted)} drifted, {len(report.skipped)} skipped"
    )
    for line in [*(f"drifted: {ref}" for ref in report.drifted), *report.skipped]:
        out.print(f"  {line}", markup=False)
