"""The OCI engine: an image straight from its registry into an OCI image layout.

The manifest is resolved for the platform (an index is followed to the platform's entry), then
the config and every layer are fetched in parallel into a staging layout, each checked against
its digest while it streams. Blobs the output layout already holds are reused once their content
is checked. Nothing is in the output until ``commit``; ``discard`` removes the staging directory.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sealtrail.images.layout import LayoutReader, LayoutWriter, publish
from sealtrail.images.manifest import Descriptor, Platform
from sealtrail.images.reference import ImageReference
from sealtrail.images.registry import RegistryClient

__all__ = ["Fetched", "OciEngine"]

PARALLEL = 4  # blobs fetched at once


@dataclass(frozen=True)
class Fetched:
    """What an engine fetched: the digest the reference resolved to (an index's, for a
    multi-platform image), the platform's manifest digest, and the bytes downloaded."""

    digest: str
    manifest_digest: str
    downloaded: int


class OciEngine:
    """Pulls with ``client`` into the OCI layout at ``output``."""

    name = "oci"

    def __init__(self, client: RegistryClient, output: Path) -> None:
        self.client = client
        self.output = output
        self._writer: LayoutWriter | None = None

    def cached(self, reference: ImageReference) -> str | None:
        """The digest the output layout holds for ``reference``, if it holds it."""
        return LayoutReader(self.output).resolved_digest(reference.reference)

    def fetch(self, reference: ImageReference, platform: Platform | None) -> Fetched:
        """Fetch into a staging layout (for ``platform``, else this machine's); ``commit``
        publishes it, ``discard`` drops it."""
        chosen = platform or Platform.host()
        resolved = self.client.resolve(reference.path, reference.reference, chosen)
        self._writer = writer = LayoutWriter(self.output)
        reader = LayoutReader(self.output)
        pending = [blob for blob in resolved.manifest.blobs if not _reused(writer, reader, blob)]
        with ThreadPoolExecutor(PARALLEL) as pool:
            sizes = list(pool.map(lambda blob: self._fetch_blob(reference, blob), pending))
        writer.blob_path(resolved.digest).write_bytes(resolved.content)
        descriptor = Descriptor(resolved.media_type, resolved.digest, len(resolved.content))
        names = [name for name in (reference.tag, reference.digest) if name]
        if resolved.index_digest and resolved.index_content is not None:
            writer.blob_path(resolved.index_digest).write_bytes(resolved.index_content)
        digest = resolved.index_digest or resolved.digest
        writer.write_index(descriptor, names, digest)
        return Fetched(digest, resolved.digest, sum(sizes) + len(resolved.content))

    def commit(self) -> None:
        if self._writer is not None:
            publish(self._writer)
            self._writer = None

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.discard()
            self._writer = None

    def _fetch_blob(self, reference: ImageReference, blob: Descriptor) -> int:
        assert self._writer is not None
        chunks = self.client.blob(reference.path, blob.digest, blob.size)
        return self._writer.write_blob(blob.digest, chunks)


def _reused(writer: LayoutWriter, reader: LayoutReader, blob: Descriptor) -> bool:
    existing = reader.blob(blob.digest)
    return existing is not None and writer.adopt_blob(blob.digest, existing)
