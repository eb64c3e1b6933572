"""Which OCI distribution endpoint a request path names (distribution spec, "Endpoints").

    /v2/                                    ping
    /v2/_catalog                            catalog
    /v2/<name>/manifests/<reference>        manifest   (reference: a tag or a digest)
    /v2/<name>/blobs/uploads/[<session>]    upload     (start, chunk, close, status, cancel)
    /v2/<name>/blobs/<digest>               blob
    /v2/<name>/tags/list                    tags
    /v2/<name>/referrers/<digest>           referrers
    anything else under /v2/                other (forwarded, not interpreted)

A repository name may itself contain ``manifests`` or ``blobs`` as a component, so each pattern
takes the *last* such marker (the name part is greedy). ``Route.to_path`` is the inverse of
``Route.from_path``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Endpoint", "Route", "is_digest"]

_DIGEST = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", re.ASCII)


def is_digest(reference: str) -> bool:
    """Whether a manifest reference is a digest (``sha256:…``) rather than a tag."""
    return _DIGEST.fullmatch(reference) is not None


class Endpoint(StrEnum):
    """The endpoints of the distribution API the gateway tells apart."""

    PING = "ping"
    CATALOG = "catalog"
    MANIFEST = "manifest"
    UPLOAD = "upload"
    BLOB = "blob"
    TAGS = "tags"
    REFERRERS = "referrers"
    OTHER = "other"


_PATTERNS = (
    (Endpoint.MANIFEST, re.compile(r"/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)")),
    (Endpoint.UPLOAD, re.compile(r"/v2/(?P<name>.+)/blobs/uploads/(?P<ref>[^/]*)")),
    (Endpoint.BLOB, re.compile(r"/v2/(?P<name>.+)/blobs/(?P<ref>[^/]+)")),
    (Endpoint.TAGS, re.compile(r"/v2/(?P<name>.+)/tags/list()")),
    (Endpoint.REFERRERS, re.compile(r"/v2/(?P<name>.+)/referrers/(?P<ref>[^/]+)")),
)
_SUFFIX = {
    Endpoint.MANIFEST: "manifests/",
    Endpoint.UPLOAD: "blobs/uploads/",
    Endpoint.BLOB: "blobs/",
    Endpoint.TAGS: "tags/list",
    Endpoint.REFERRERS: "referrers/",
}


@dataclass(frozen=True, slots=True)
class Route:
    """One request path: the endpoint, the repository (``""`` for ping, catalog and other) and
    the reference (tag, digest or upload session; ``""`` when the endpoint has none)."""

    endpoint: Endpoint
    repository: str = ""
    reference: str = ""
    path: str = field(default="", compare=False)  # as requested; what OTHER forwards

    @classmethod
    def from_path(cls, path: str) -> Route:
        if path in ("/v2", "/v2/"):
            return cls(Endpoint.PING, path=path)
        if path == "/v2/_catalog":
            return cls(Endpoint.CATALOG, path=path)
        for endpoint, pattern in _PATTERNS:
            found = pattern.fullmatch(path)
            if found is not None:
                return cls(endpoint, found["name"], found.groupdict().get("ref") or "", path)
        return cls(Endpoint.OTHER, path=path)

    def to_path(self) -> str:
        if self.endpoint is Endpoint.PING:
            return "/v2/"
        if self.endpoint is Endpoint.CATALOG:
            return "/v2/_catalog"
        if self.endpoint is Endpoint.OTHER:
            return self.path
        return f"/v2/{self.repository}/{_SUFFIX[self.endpoint]}{self.reference}"

    @property
    def by_digest(self) -> bool:
        return is_digest(self.reference)

    @property
    def tag(self) -> str | None:
        """The tag a manifest route names, or None when it names a digest."""
        if self.endpoint is not Endpoint.MANIFEST or self.by_digest:
            return None
        return self.reference
