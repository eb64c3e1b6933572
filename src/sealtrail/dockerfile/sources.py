"""Where an audited image's configuration comes from: a registry, or an OCI image layout.

``fetch_image("registry.example.com/team/app:1")`` reads it over the OCI distribution API with
``sealtrail.images.RegistryClient``; ``fetch_image("oci:/path/to/layout:tag")`` (skopeo's syntax)
reads it from a layout on disk, checking every blob against its digest. Either way the answer
names what was audited exactly: the digest, and the event target that records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from sealtrail.dockerfile.image import ImageConfig
from sealtrail.errors import NotFound, ValidationError, VerificationError
from sealtrail.images.manifest import INDEX_TYPES, Manifest, Platform, digest_of, select_platform
from sealtrail.images.reference import ImageReference
from sealtrail.images.registry import RegistryClient

__all__ = ["LAYOUT_REGISTRY", "FetchedImage", "fetch_image"]

LAYOUT_REGISTRY = "oci-layout"  # the target's registry for an image read from a layout
_REF_NAME = "org.opencontainers.image.ref.name"
_MAX_JSON = 4 * 1024 * 1024


@dataclass(frozen=True)
class FetchedImage:
    """An image configuration and what it was read as: ``subject`` for reports, ``digest``
    (the index when there is one) and the ``target`` of the ``image.audit`` event."""

    subject: str
    digest: str
    config: ImageConfig
    target: dict[str, str]


def fetch_image(
    text: str, platform: Platform | None = None, client: RegistryClient | None = None
) -> FetchedImage:
    """The configuration of image ``text`` for ``platform`` (this machine's when not given)."""
    if text.startswith("oci:"):
        return _from_layout(text, platform or Platform.host())
    return _from_registry(text, platform or Platform.host(), client)


def _from_registry(text: str, platform: Platform, client: RegistryClient | None) -> FetchedImage:
    reference = ImageReference.parse(text)
    own = client is None
    client = client or RegistryClient(reference.registry)
    try:
        resolved = client.resolve(reference.path, reference.reference, platform)
        descriptor = resolved.manifest.config
        content = b"".join(client.blob(reference.path, descriptor.digest, descriptor.size))
    finally:
        if own:
            client.close()
    digest = resolved.index_digest or resolved.digest
    target = {
        "type": "image",
        "id": f"{reference.name}@{digest}",
        "registry": reference.domain,
        "repository": reference.repository,
        "digest": digest,
        "full_digest": f"{reference.repository}@{digest}",
    }
    if reference.tag:
        target["tag"] = reference.tag
    return FetchedImage(reference.familiar(), digest, _config(content, text), target)


def _from_layout(text: str, platform: Platform) -> FetchedImage:
    path, _, tag = text.removeprefix("oci:").partition(":")
    layout = Path(path)
    index = _json(_read(layout / "index.json", text), f"{text}: index.json")
    entry = _entry(index.get("manifests"), tag, text)
    digest = str(entry["digest"])
    content = _blob(layout, digest)
    media_type = str(entry.get("mediaType") or _json(content, text).get("mediaType") or "")
    if media_type in INDEX_TYPES:
        chosen = select_platform(content, platform)
        content, media_type = _blob(layout, chosen.digest), chosen.media_type
    manifest = Manifest.from_bytes(content, media_type)
    config = _blob(layout, manifest.config.digest)
    target = {"type": "image", "id": f"{text}@{digest}", "registry": LAYOUT_REGISTRY,
              "repository": str(layout.resolve()), "digest": digest}  # fmt: skip
    if tag:
        target["tag"] = tag
    return FetchedImage(text, digest, _config(config, text), target)


def _entry(manifests: Any, tag: str, text: str) -> dict[str, Any]:
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise ValidationError(f"{text}: index.json has no list of manifests")
    named = [m for m in manifests if (m.get("annotations") or {}).get(_REF_NAME) == tag]
    if tag and not named:
        raise NotFound(f"{text}: no image tagged {tag!r} in the layout")
    if not tag and len(manifests) != 1:
        raise ValidationError(f"{text}: the layout holds {len(manifests)} images; name one")
    chosen: dict[str, Any] = named[0] if tag else manifests[0]
    return chosen


def _blob(layout: Path, digest: str) -> bytes:
    algorithm, _, hex_digest = digest.partition(":")
    if algorithm not in ("sha256", "sha512") or not hex_digest.isalnum():
        raise ValidationError(f"invalid digest in the layout: {digest!r}")
    content = _read(layout / "blobs" / algorithm / hex_digest, digest)
    if digest_of(content, algorithm) != digest:
        raise VerificationError(
            f"layout blob {digest} does not match its digest", reason="malformed"
        )
    return content


def _read(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as file:
            return file.read(_MAX_JSON + 1)[:_MAX_JSON]
    except FileNotFoundError:
        raise NotFound(f"{what}: {path} does not exist") from None


def _json(content: bytes, what: str) -> dict[str, Any]:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise ValidationError(f"{what} is not JSON") from None
    if not isinstance(body, dict):
        raise ValidationError(f"{what} is not a JSON object")
    return body


def _config(content: bytes, text: str) -> ImageConfig:
    return ImageConfig.from_json(_json(content, f"the config of {text}"))
