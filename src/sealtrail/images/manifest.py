"""Manifests, indexes and platforms of the OCI image spec and Docker's schema 2, read strictly.

Pure: no I/O. ``Manifest.from_bytes`` reads an image manifest (config and layers),
``select_platform`` picks the manifest of one platform from an index or manifest list
(https://github.com/opencontainers/image-spec/blob/main/image-index.md).
"""

from __future__ import annotations

import hashlib
import platform as host_platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from sealtrail.errors import ValidationError
from sealtrail.images.failures import PlatformNotFound

__all__ = [
    "DOCKER_LIST",
    "DOCKER_MANIFEST",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "OCI_INDEX",
    "OCI_MANIFEST",
    "Descriptor",
    "Manifest",
    "Platform",
    "digest_of",
    "select_platform",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
IMAGE_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
MANIFEST_TYPES = (*INDEX_TYPES, *IMAGE_TYPES)
_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def digest_of(content: bytes, algorithm: str = "sha256") -> str:
    """``algorithm:hex`` of ``content``."""
    return f"{algorithm}:{hashlib.new(algorithm, content).hexdigest()}"


@dataclass(frozen=True)
class Platform:
    """``os/architecture[/variant]`` as ``docker pull --platform`` takes it."""

    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def from_text(cls, text: str) -> Platform:
        parts = text.split("/")
        if not 2 <= len(parts) <= 3 or not all(part.strip() for part in parts):
            raise ValidationError(f"invalid platform {text!r}: expected os/architecture[/variant]")
        return cls(
            parts[0].lower(), parts[1].lower(), parts[2].lower() if len(parts) == 3 else None
        )

    @classmethod
    def host(cls) -> Platform:
        """The platform of this machine (Linux containers)."""
        machine = host_platform.machine().lower()
        return cls("linux", _ARCHITECTURES.get(machine, machine))

    def to_text(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)

    def matches(self, entry: Mapping[str, Any]) -> bool:
        """Whether an index entry's ``platform`` object is this platform (a variant left out
        on either side matches any)."""
        if entry.get("os") != self.os or entry.get("architecture") != self.architecture:
            return False
        variant = entry.get("variant")
        return self.variant is None or variant is None or variant == self.variant

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class Descriptor:
    """A content descriptor: what to fetch, how big it is and how to check it."""

    media_type: str
    digest: str
    size: int
    platform: Mapping[str, Any] | None = None

    @classmethod
    def from_json(cls, value: Any, where: str) -> Descriptor:
        if not isinstance(value, dict):
            raise ValidationError(f"{where}: a descriptor is an object")
        digest, size = value.get("digest"), value.get("size")
        if not isinstance(digest, str) or ":" not in digest:
            raise ValidationError(f"{where}: descriptor without a digest")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError(f"{where}: descriptor {digest} has no valid size")
        platform = value.get("platform")
        return cls(
            str(value.get("mediaType", "")),
            digest,
            size,
            platform if isinstance(platform, dict) else None,
        )

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest}
        found["size"] = self.size
        if self.platform is not None:
            found["platform"] = dict(self.platform)
        return found


@dataclass(frozen=True)
class Manifest:
    """An image manifest: its config and layers."""

    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]

    @classmethod
    def from_bytes(cls, content: bytes, media_type: str) -> Manifest:
        body = _json_object(content, "image manifest")
        media_type = str(body.get("mediaType") or media_type)
        if media_type not in IMAGE_TYPES:
            raise ValidationError(f"not an image manifest: {media_type or 'no media type'}")
        layers = body.get("layers")
        if not isinstance(layers, list):
            raise ValidationError("image manifest without a list of layers")
        return cls(
            media_type,
            Descriptor.from_json(body.get("config"), "manifest config"),
            tuple(Descriptor.from_json(layer, f"layer {n}") for n, layer in enumerate(layers)),
        )

    @property
    def blobs(self) -> Sequence[Descriptor]:
        """The config, then the layers."""
        return (self.config, *self.layers)


def select_platform(content: bytes, platform: Platform) -> Descriptor:
    """The manifest of ``platform`` in an index; NotFound lists the platforms there are."""
    body = _json_object(content, "image index")
    entries = body.get("manifests")
    if not isinstance(entries, list):
        raise ValidationError("image index without a list of manifests")
    offered = []
    for number, entry in enumerate(entries):
        descriptor = Descriptor.from_json(entry, f"index entry {number}")
        if descriptor.platform is None:
            continue
        if platform.matches(descriptor.platform):
            return descriptor
        offered.append(_platform_text(descriptor.platform))
    raise PlatformNotFound(
        f"no image for platform {platform} in the index (it has: {', '.join(offered) or 'none'})"
    )


def _platform_text(entry: Mapping[str, Any]) -> str:
    parts = (entry.get("os"), entry.get("architecture"), entry.get("variant"))
    return "/".join(str(part) for part in parts if part)


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"{what} is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise ValidationError(f"{what} is not a JSON object")
    return body
