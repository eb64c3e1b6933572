"""The names and the policy: repositories, tags, digests, tag patterns, ``ImmutabilityPolicy``.

Names follow the OCI distribution spec: a repository is one or more ``/``-separated lower-case
components (``org/team/app``; its *namespace* is the first component, ``org``), a tag is 1 to 128
of ``[A-Za-z0-9_.-]`` not starting with ``.`` or ``-``, a digest is ``algorithm:encoded``.

A tag pattern is an RE2 regular expression (``google-re2``), so matching takes time linear in the
tag's length whatever the pattern. It must match the **whole** tag name (full-match semantics:
``v.*`` matches ``v1.0`` but not ``xv1``; ``^`` and ``$`` are allowed and change nothing). A
policy with ``tag_pattern_matches`` true makes the tags its pattern matches immutable; with false,
the tags it does not match.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import re2

from sealtrail.errors import ValidationError

__all__ = [
    "MAX_PATTERN",
    "ImmutabilityPolicy",
    "Scope",
    "TagRef",
    "check_digest",
    "check_namespace",
    "check_registry",
    "check_repository",
    "check_tag",
    "compile_pattern",
    "namespace_of",
    "pattern_decides",
    "scope_of",
]

MAX_PATTERN = 256
_PATTERN_MEMORY = 1 << 20  # bytes RE2 may use for one compiled pattern
_MAX_REPOSITORY = 255
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_REPOSITORY_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*", re.ASCII)
_TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}", re.ASCII)
_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{1,256}", re.ASCII)
_REGISTRY_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::[0-9]{1,5})?", re.ASCII)


class Scope(StrEnum):
    """What a policy covers: every repository of a namespace, or one repository."""

    NAMESPACE = "namespace"
    REPOSITORY = "repository"


def check_repository(name: str) -> str:
    """``name`` when it is an OCI repository path; a ``ValidationError`` naming it otherwise."""
    if len(name) > _MAX_REPOSITORY or not _REPOSITORY_RE.fullmatch(name):
        raise ValidationError(
            f"repository {name[:80]!r}: must be lower-case components [a-z0-9] joined by . _ __ "
            f"or -, separated by /, at most {_MAX_REPOSITORY} characters (e.g. org/team/app)"
        )
    return name


def namespace_of(repository: str) -> str:
    """The namespace of a repository path: its first component (``org`` of ``org/team/app``)."""
    return check_repository(repository).partition("/")[0]


def check_namespace(name: str) -> str:
    if "/" in name:
        raise ValidationError(f"namespace {name[:80]!r}: one path component, without /")
    return check_repository(name)


def check_tag(name: str) -> str:
    if not _TAG_RE.fullmatch(name):
        raise ValidationError(
            f"tag {name[:80]!r}: must be 1 to 128 of [A-Za-z0-9_.-], not starting with . or -"
        )
    return name


def check_digest(digest: str) -> str:
    if not _DIGEST_RE.fullmatch(digest):
        raise ValidationError(f"digest {digest[:80]!r}: must be algorithm:hex (sha256:...)")
    return digest


def check_registry(registry: str) -> str:
    if not _REGISTRY_RE.fullmatch(registry):
        raise ValidationError(f"registry {registry[:80]!r}: must be a host name, with :port")
    return registry


@functools.lru_cache(maxsize=8192)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 form of a tag pattern; ``ValidationError`` when it is empty, longer than
    ``MAX_PATTERN`` characters, not valid RE2 syntax, or too large a program. Cached."""
    if not pattern:
        raise ValidationError("tag_pattern: must not be empty")
    if len(pattern) > MAX_PATTERN:
        raise ValidationError(
            f"tag_pattern: {len(pattern)} characters, over the limit of {MAX_PATTERN}"
        )
    if not pattern.isprintable() or _has_surrogate(pattern):
        raise ValidationError("tag_pattern: must be printable UTF-8 text")
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _PATTERN_MEMORY
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValidationError(f"tag_pattern: invalid RE2 pattern {pattern!r}: {reason}") from None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def pattern_decides(pattern: str, matches: bool, tag: str) -> bool:
    """Whether a policy with this pattern makes ``tag`` immutable (full match of the tag)."""
    return (compile_pattern(pattern).fullmatch(tag) is not None) == matches


@dataclass(frozen=True, slots=True)
class TagRef:
    """``repository:tag``, as ``sealtrail tags why org/app:v1`` takes it."""

    repository: str
    tag: str

    @classmethod
    def from_text(cls, text: str) -> TagRef:
        repository, colon, tag = text.rpartition(":")
        if not colon or "/" in tag:
            raise ValidationError(f"{text[:80]!r}: expected REPOSITORY:TAG (e.g. org/app:v1)")
        return cls(check_repository(repository), check_tag(tag))

    def to_text(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass(frozen=True, slots=True)
class ImmutabilityPolicy:
    """One version of a tag immutability policy, as stored and as recorded in events.

    ``repository`` is None for a namespace policy; ``namespace`` is always set (for a repository
    policy, the repository's first component). ``deleted_at`` is set once the policy is deleted:
    deleted policies are kept for history and never evaluated again.
    """

    uuid: str
    scope: Scope
    namespace: str
    repository: str | None
    tag_pattern: str
    tag_pattern_matches: bool
    version: int
    author: str
    created_at: str
    updated_at: str
    deleted_at: str | None = None
    deleted_by: str | None = None

    def __post_init__(self) -> None:
        compile_pattern(self.tag_pattern)

    @property
    def scope_name(self) -> str:
        """The namespace or repository path the policy covers."""
        return self.repository if self.repository is not None else self.namespace

    def makes_immutable(self, tag: str) -> bool:
        return pattern_decides(self.tag_pattern, self.tag_pattern_matches, tag)

    def to_json(self) -> dict[str, Any]:
        """The whole policy (``policy.*`` events carry it before and after)."""
        return {
            "uuid": self.uuid,
            "scope": str(self.scope),
            "namespace": self.namespace,
            "repository": self.repository,
            "tag_pattern": self.tag_pattern,
            "tag_pattern_matches": self.tag_pattern_matches,
            "version": self.version,
            "author": self.author,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
            "deleted_by": self.deleted_by,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImmutabilityPolicy:
        return cls(**{**data, "scope": Scope(data["scope"])})

    def reference(self) -> dict[str, Any]:
        """The ``policy`` field of tag events: which policy, which version, what it says."""
        return {
            "uuid": self.uuid,
            "pattern": self.tag_pattern,
            "tag_pattern_matches": self.tag_pattern_matches,
            "scope": str(self.scope),
            "scope_name": self.scope_name,
            "version": self.version,
        }

    def updated(
        self, *, tag_pattern: str | None, tag_pattern_matches: bool | None, by: str, at: str
    ) -> ImmutabilityPolicy:
        """The next version, with what changed."""
        return replace(
            self,
            tag_pattern=self.tag_pattern if tag_pattern is None else tag_pattern,
            tag_pattern_matches=(
                self.tag_pattern_matches if tag_pattern_matches is None else tag_pattern_matches
            ),
            version=self.version + 1,
            author=by,
            updated_at=at,
        )

    def deleted(self, *, by: str, at: str) -> ImmutabilityPolicy:
        return replace(self, deleted_at=at, deleted_by=by)


def scope_of(namespace: str | None, repository: str | None) -> tuple[Scope, str, str | None]:
    """``(scope, namespace, repository)`` from exactly one of a namespace or a repository path."""
    if (namespace is None) == (repository is None):
        raise ValidationError("give exactly one of a namespace or a repository")
    if repository is not None:
        return Scope.REPOSITORY, namespace_of(repository), repository
    assert namespace is not None
    return Scope.NAMESPACE, check_namespace(namespace), None
