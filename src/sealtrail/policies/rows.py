"""The tag index and policy tables (schema step 4 of ``store/sqlite.py``): SQL and row mapping.

Every function takes ``read``: a write view's ``execute`` inside a transaction, or the store's
``read`` outside one; both run one SQL statement with ``?`` placeholders and return its rows.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import orjson

from sealtrail.errors import NotFound, ValidationError
from sealtrail.policies.model import ImmutabilityPolicy, Scope, compile_pattern, namespace_of
from sealtrail.policies.records import TagKey, TagState

__all__ = [
    "Read",
    "ScopePolicies",
    "ensure_repository",
    "find_tag",
    "list_policies",
    "load_policy",
    "policy_version",
    "save_policy",
    "tag_rows",
    "tags_at_digest",
]

_MAX_CACHED_SCOPES = 10_000
_Compiled = tuple[Any, bool, tuple[Any, ...]]  # (RE2 pattern, tag_pattern_matches, policy row)
Read = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]

_POLICY_COLUMNS = (
    "uuid, scope, namespace, repository, tag_pattern, tag_pattern_matches, version, author,"
    " created_at, updated_at, deleted_at, deleted_by"
)
_TAG_SELECT = (
    "SELECT r.registry, r.name, t.name, t.digest, t.immutable, t.immutable_by, t.policy_uuid,"
    " t.policy_version, t.reason_seq, t.updated_at FROM tags t"
    " JOIN repositories r ON r.id = t.repository_id"
)


def _policy(row: Sequence[Any]) -> ImmutabilityPolicy:
    uuid, scope, namespace, repository, pattern, matches, *rest = row
    return ImmutabilityPolicy(
        uuid, Scope(scope), namespace, repository, pattern, bool(matches), *rest
    )


def _tag(row: Sequence[Any]) -> TagState:
    registry, repository, tag, digest, immutable, *rest = row
    return TagState(TagKey(registry, repository, tag), digest, bool(immutable), *rest)


def load_policy(read: Read, uuid: str) -> ImmutabilityPolicy:
    """The latest version of a policy, deleted or not; ``NotFound`` otherwise."""
    rows = read(f"SELECT {_POLICY_COLUMNS} FROM immutability_policies WHERE uuid = ?", (uuid,))
    if not rows:
        raise NotFound(f"no immutability policy {uuid}")
    return _policy(rows[0])


def policy_version(read: Read, uuid: str, version: int) -> ImmutabilityPolicy:
    """The policy as it was at ``version`` (every version is kept)."""
    sql = "SELECT policy FROM immutability_policy_versions WHERE uuid = ? AND version = ?"
    rows = read(sql, (uuid, version))
    if not rows:
        raise NotFound(f"no version {version} of immutability policy {uuid}")
    return ImmutabilityPolicy.from_json(orjson.loads(rows[0][0]))


def save_policy(read: Read, policy: ImmutabilityPolicy, seq: int) -> None:
    """Insert or replace the policy's row, and keep this version (``seq``: its event)."""
    values = tuple(policy.to_json().values())
    columns = [name.strip() for name in _POLICY_COLUMNS.split(",")] + ["seq"]
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns[1:])
    read(
        f"INSERT INTO immutability_policies ({_POLICY_COLUMNS}, seq)"
        f" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (uuid) DO UPDATE SET {updates}",
        (*values[:5], int(policy.tag_pattern_matches), *values[6:], seq),
    )
    read(
        "INSERT INTO immutability_policy_versions (uuid, version, policy, seq)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (uuid, version) DO NOTHING",
        (policy.uuid, policy.version, orjson.dumps(policy.to_json()).decode(), seq),
    )


def list_policies(
    read: Read, namespace: str, repository: str | None, *, deleted: bool = False
) -> list[ImmutabilityPolicy]:
    """The policies of a namespace (``repository`` None: those of namespace scope) or of one
    repository, oldest first; deleted ones too when ``deleted``."""
    where = "namespace = ? AND repository IS NOT DISTINCT FROM ?"
    if not deleted:
        where += " AND deleted_at IS NULL"
    sql = f"SELECT {_POLICY_COLUMNS} FROM immutability_policies WHERE {where}"
    rows = read(sql + " ORDER BY created_at, uuid", (namespace, repository))
    return [_policy(row) for row in rows]


class ScopePolicies:
    """The live policies in scope of each repository, compiled, cached until one of them changes.

    A policy change always stores a larger ``seq`` (its event's) on the policy's row, so the
    largest ``seq`` in a scope, read in the caller's transaction, says whether the cached list is
    still the one the store holds. One instance per ledger (``for_ledger``)."""

    _by_ledger: ClassVar[weakref.WeakKeyDictionary[object, ScopePolicies]] = (
        weakref.WeakKeyDictionary()
    )
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._cached: dict[tuple[str, str], tuple[tuple[Any, ...], list[_Compiled]]] = {}

    @classmethod
    def for_ledger(cls, ledger: object) -> ScopePolicies:
        with cls._lock:
            found = cls._by_ledger.get(ledger)
            if found is None:
                found = cls._by_ledger[ledger] = cls()
            return found

    def deciding(self, read: Read, repository: str, tag: str) -> ImmutabilityPolicy | None:
        """The first live policy in scope of ``repository`` (its namespace's and its own, oldest
        first) that makes ``tag`` immutable; None when none does."""
        for pattern, matches, row in self._compiled(read, repository):
            if (pattern.fullmatch(tag) is not None) == matches:
                return _policy(row)
        return None

    def _compiled(self, read: Read, repository: str) -> list[_Compiled]:
        key = (namespace_of(repository), repository)
        where = "namespace = ? AND (repository IS NULL OR repository = ?)"
        token = read(f"SELECT COUNT(*), MAX(seq) FROM immutability_policies WHERE {where}", key)[0]
        cached = self._cached.get(key)
        if cached is not None and cached[0] == token:
            return cached[1]
        sql = (
            f"SELECT {_POLICY_COLUMNS} FROM immutability_policies WHERE deleted_at IS NULL"
            f" AND {where} ORDER BY created_at, uuid"
        )
        compiled = [(compile_pattern(row[4]), bool(row[5]), row) for row in read(sql, key)]
        if len(self._cached) > _MAX_CACHED_SCOPES:
            self._cached.clear()
        self._cached[key] = (tuple(token), compiled)
        return compiled


def ensure_repository(read: Read, registry: str, repository: str) -> int:
    """The id of the repository's row, made now when new."""
    read(
        "INSERT INTO repositories (registry, name, namespace) VALUES (?, ?, ?)"
        " ON CONFLICT (registry, name) DO NOTHING",
        (registry, repository, namespace_of(repository)),
    )
    sql = "SELECT id FROM repositories WHERE registry = ? AND name = ?"
    return int(read(sql, (registry, repository))[0][0])


def find_tag(read: Read, registry: str | None, repository: str, tag: str) -> TagState | None:
    """The tag, or None. Without a registry the repository must be known to one registry only."""
    if registry is None:
        registry = _only_registry(read, repository)
        if registry is None:
            return None
    sql = f"{_TAG_SELECT} WHERE r.registry = ? AND r.name = ? AND t.name = ?"
    rows = read(sql, (registry, repository, tag))
    return _tag(rows[0]) if rows else None


def _only_registry(read: Read, repository: str) -> str | None:
    rows = read("SELECT registry FROM repositories WHERE name = ? ORDER BY registry", (repository,))
    if len(rows) > 1:
        names = ", ".join(row[0] for row in rows)
        raise ValidationError(
            f"repository {repository} is in several registries ({names}): name one"
        )
    return rows[0][0] if rows else None


def tag_rows(
    read: Read, repository: str, registry: str | None = None, *, after: str = "", limit: int = 1000
) -> list[TagState]:
    """The tags of a repository (of every registry holding it unless ``registry``), by name."""
    sql = f"{_TAG_SELECT} WHERE r.name = ? AND t.name > ?"
    params: list[object] = [repository, after]
    if registry is not None:
        sql += " AND r.registry = ?"
        params.append(registry)
    rows = read(sql + " ORDER BY t.name, r.registry LIMIT ?", (*params, limit))
    return [_tag(row) for row in rows]


def tags_at_digest(read: Read, registry: str, repository: str, digest: str) -> list[TagState]:
    """The tags of one repository of one registry that point at ``digest``, by name."""
    sql = f"{_TAG_SELECT} WHERE r.registry = ? AND r.name = ? AND t.digest = ? ORDER BY t.name"
    return [_tag(row) for row in read(sql, (registry, repository, digest))]
