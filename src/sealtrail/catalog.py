"""The action catalog: the actions sealtrail knows, and the target fields each requires.

Names are stable once released; extend the catalog, never rename. Actions outside it are accepted
when they are ``category.verb`` in lower snake case, so producers can extend it; only cataloged
actions get the required-target check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["ACTIONS", "ActionSpec"]


@dataclass(frozen=True)
class ActionSpec:
    """One cataloged action.

    ``required_target`` lists the target fields, beside ``type`` and ``id`` (which every target
    has), that an event with this action must carry as non-empty strings; when it is not empty the
    target itself is required. Every ``image.*`` action requires ``registry`` and ``repository``
    (``tag``, ``digest`` and ``full_digest`` are known but optional: a failed pull has no digest);
    every ``tag.*`` action requires ``repository`` and ``tag``; every ``vcs.*`` action requires
    ``repository`` (the repository's full name), and those that change a ref (``vcs.branch_*``,
    ``vcs.tag_*``, git tags being apart from image tags) also ``ref``, the full ref name; a
    ``vcs.push`` has a ``ref`` when its source says which (an audit log's ``git.push`` does not);
    ``image.audit`` also requires the ``digest`` that was audited and ``dockerfile.audit`` the
    file's ``path`` and ``sha256``; the others require no target.
    """

    name: str
    category: str
    description: str
    required_target: tuple[str, ...]


_IMAGE = ("registry", "repository")
_TAG = ("repository", "tag")
_REPO = ("repository",)
_REF = ("repository", "ref")
_CATALOG = (
    ("image.pull", "an image was pulled from a registry", _IMAGE),
    ("image.push", "an image was pushed to a registry", _IMAGE),
    ("image.delete", "an image or manifest was deleted from a registry", _IMAGE),
    ("image.mount", "a blob was mounted from another repository", _IMAGE),
    ("blob.pull", "a blob (an image layer or config) was downloaded from a registry", _IMAGE),
    ("image.audit", "an image configuration was audited", (*_IMAGE, "digest")),
    ("tag.create", "a tag was created", _TAG),
    ("tag.move", "a tag was moved to another manifest", _TAG),
    ("tag.delete", "a tag was deleted", _TAG),
    ("tag.immutability_change", "a tag became mutable or immutable", _TAG),
    ("policy.create", "a policy was created", ()),
    ("policy.update", "a policy was changed", ()),
    ("policy.delete", "a policy was deleted", ()),
    ("policy.apply", "a policy was applied to existing objects", ()),
    ("package.download", "a package was downloaded", ()),
    ("package.sync", "a package was synchronised from an upstream", ()),
    ("vcs.commit", "a commit was made", _REPO),
    ("vcs.push", "commits were pushed (to target.ref, when the source says which)", _REPO),
    ("vcs.pull_request", "a pull or merge request was opened, changed, reviewed or closed", _REPO),
    ("vcs.file_change", "a file was changed", _REPO),
    ("vcs.clone", "a repository was cloned", _REPO),
    ("vcs.fetch", "a repository was fetched", _REPO),
    ("vcs.merge", "a change was merged", _REPO),
    ("vcs.comment", "a comment was made on an issue, a pull request or a commit", _REPO),
    ("vcs.branch_create", "a branch was created", _REF),
    ("vcs.branch_delete", "a branch was deleted", _REF),
    ("vcs.tag_create", "a git tag was created", _REF),
    ("vcs.tag_delete", "a git tag was deleted", _REF),
    ("auth.login", "someone logged in", ()),
    ("auth.logout", "someone logged out", ()),
    ("auth.login_failed", "a login failed", ()),
    ("auth.key_used", "an API key was used", ()),
    ("auth.key_created", "an API key was created", ()),
    ("auth.key_revoked", "an API key was revoked", ()),
    ("auth.denied", "a caller was denied access", ()),
    ("http.request", "an HTTP request was served", ()),
    ("config.change", "a configuration setting was changed", ()),
    ("dockerfile.audit", "a Dockerfile was audited", ("path", "sha256")),
    ("alert.raised", "an alert rule fired", ()),
    ("audit.verify", "the trail was verified", ()),
    ("audit.export", "the trail was exported", ()),
    ("audit.retention", "retention was applied to the trail", ()),
    ("audit.erase", "a subject's personal fields were erased (its key destroyed)", ()),
)
#: The action catalog. Actions outside it are accepted when they are ``category.verb`` in lower
#: snake case, so producers can extend it; only cataloged actions get the required-target check.
_ACTIONS = {
    name: ActionSpec(name, name.partition(".")[0], text, req) for name, text, req in _CATALOG
}
ACTIONS: Final[Mapping[str, ActionSpec]] = MappingProxyType(_ACTIONS)
