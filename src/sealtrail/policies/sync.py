"""Fill the tag index from a registry over the OCI distribution API (``sealtrail tags sync``).

For each repository of the registry's catalog (or the one given), each tag is resolved to its
manifest digest (``HEAD /v2/<name>/manifests/<tag>``) and recorded with ``TagIndex.record_push``:
new tags are created (and made immutable by the policies in scope, on the record), moved tags are
moved. An immutable tag that the registry now serves at another digest is not moved in the index:
the refusal is recorded (``tag.move`` denied) and the tag is listed as *drifted* in the report, for
someone to look at. Tags the index has but the registry no longer lists are left as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sealtrail.errors import Denied, NotFound, ValidationError
from sealtrail.policies.model import check_repository
from sealtrail.policies.tagindex import TagIndex

__all__ = ["SyncReport", "TagSource", "sync_registry"]

#: Called after each repository with (repositories done, repositories to do).
SyncProgress = Callable[[int, int], None]


class TagSource(Protocol):
    """What sync needs of a registry client (``sealtrail.images.registry.RegistryClient``)."""

    def catalog(self, page_size: int = 100) -> Iterable[str]: ...

    def tags(self, repository: str, page_size: int | None = None) -> list[str]: ...

    def head_manifest(self, repository: str, reference: str) -> tuple[str, str]: ...


@dataclass
class SyncReport:
    """What one sync saw and did."""

    registry: str
    repositories: int = 0
    tags: int = 0
    created: int = 0
    moved: int = 0
    unchanged: int = 0
    drifted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # names the index cannot hold, with why

    def to_json(self) -> dict[str, Any]:
        return {
            "registry": self.registry,
            "repositories": self.repositories,
            "tags": self.tags,
            "created": self.created,
            "moved": self.moved,
            "unchanged": self.unchanged,
            "drifted": self.drifted,
            "skipped": self.skipped,
        }


def sync_registry(
    index: TagIndex,
    source: TagSource,
    registry: str,
    actor: Mapping[str, Any],
    *,
    repository: str | None = None,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Record every tag of ``registry`` (or of one ``repository`` in it) in the index."""
    names = [check_repository(repository)] if repository else list(source.catalog())
    report = SyncReport(registry)
    for done, name in enumerate(names, 1):
        try:
            check_repository(name)
        except ValidationError as error:
            report.skipped.append(f"{name}: {error}")
            continue
        _sync_repository(index, source, report, name, actor)
        report.repositories += 1
        if progress is not None:
            progress(done, len(names))
    return report


def _sync_repository(
    index: TagIndex,
    source: TagSource,
    report: SyncReport,
    repository: str,
    actor: Mapping[str, Any],
) -> None:
    for tag in source.tags(repository):
        report.tags += 1
        try:
            digest, _ = source.head_manifest(repository, tag)
        except NotFound:
            report.skipped.append(f"{repository}:{tag}: listed, but its manifest is gone")
            continue
        try:
            before = index.tag(repository, tag, report.registry).digest
        except NotFound:
            before = None
        except ValidationError as error:
            report.skipped.append(f"{repository}:{tag}: {error}")
            continue
        try:
            index.record_push(report.registry, repository, tag, digest, actor)
        except Denied:
            report.drifted.append(f"{repository}:{tag}")
            continue
        except ValidationError as error:
            report.skipped.append(f"{repository}:{tag}: {error}")
            continue
        if before is None:
            report.created += 1
        elif before == digest:
            report.unchanged += 1
        else:
            report.moved += 1
