"""OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md).

A layout is a directory with ``oci-layout``, ``index.json`` and ``blobs/<alg>/<hex>``. The pull
engine writes a new layout into a staging directory beside the output, then ``publish`` puts it
in the output's place with ``os.replace``, so the output is either the old layout or the new one,
never half of one. ``LayoutReader`` finds what an existing layout already holds, so a pull can
reuse its blobs and a throttled pull can be served from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from sealtrail.errors import ValidationError
from sealtrail.images.manifest import Descriptor

__all__ = ["REF_NAME", "LayoutReader", "LayoutWriter", "publish"]

REF_NAME = "org.opencontainers.image.ref.name"
RESOLVED = "dev.sealtrail.image.digest"  # what the reference resolved to (an index, maybe)
_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


class LayoutWriter:
    """A new layout in a staging directory next to ``output`` (same file system)."""

    def __init__(self, output: Path) -> None:
        output.parent.mkdir(parents=True, exist_ok=True)
        self.output = output
        self.root = Path(tempfile.mkdtemp(prefix=f".{output.name}.pulling-", dir=output.parent))
        (self.root / "oci-layout").write_bytes(_LAYOUT)

    def blob_path(self, digest: str) -> Path:
        algorithm, _, hex_part = digest.partition(":")
        path = self.root / "blobs" / algorithm / hex_part
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_blob(self, digest: str, chunks: Iterable[bytes]) -> int:
        """Write a blob from ``chunks`` (which check their digest as they end); bytes written."""
        path = self.blob_path(digest)
        written = 0
        with path.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
                written += len(chunk)
            file.flush()
            os.fsync(file.fileno())
        return written

    def adopt_blob(self, digest: str, existing: Path) -> bool:
        """Take a blob an older layout holds, if its content still is ``digest``."""
        algorithm, _, hex_part = digest.partition(":")
        hasher = hashlib.new(algorithm)
        with existing.open("rb") as file:
            while chunk := file.read(1024 * 1024):
                hasher.update(chunk)
        if hasher.hexdigest() != hex_part:
            return False
        target = self.blob_path(digest)
        try:
            os.link(existing, target)
        except OSError:
            shutil.copyfile(existing, target)
        return True

    def write_index(self, manifest: Descriptor, names: Iterable[str], resolved: str) -> None:
        """``index.json`` naming the image manifest by every name in ``names``; ``resolved`` is
        the digest the names resolved to on the registry (an index's, or the manifest's)."""
        entries = []
        for name in names:
            entry = manifest.to_json()
            entry.pop("platform", None)
            entry["annotations"] = {REF_NAME: name, RESOLVED: resolved}
            entries.append(entry)
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries,
        }
        (self.root / "index.json").write_bytes(orjson.dumps(index))

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def publish(writer: LayoutWriter) -> None:
    """Put the staged layout in the output's place; an older output is removed after."""
    _sync_tree(writer.root)
    output = writer.output
    old = None
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
        os.replace(output, old / "layout")
    try:
        os.replace(writer.root, output)
    except OSError:
        if old is not None:
            os.replace(old / "layout", output)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    _sync_directory(output.parent)


class LayoutReader:
    """What an existing layout holds."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def blob(self, digest: str) -> Path | None:
        algorithm, _, hex_part = digest.partition(":")
        path = self.root / "blobs" / algorithm / hex_part
        return path if path.is_file() else None

    def resolved_digest(self, name: str) -> str | None:
        """The registry digest of the image the layout holds as ``name`` (a tag or a digest),
        when the layout holds its manifest."""
        for entry in self._entries():
            annotations = entry.get("annotations") or {}
            digest = entry.get("digest")
            if isinstance(digest, str) and name in (annotations.get(REF_NAME), digest):
                resolved = annotations.get(RESOLVED, digest)
                return str(resolved) if self.blob(digest) is not None else None
        return None

    def _entries(self) -> list[dict[str, Any]]:
        try:
            index = orjson.loads((self.root / "index.json").read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, orjson.JSONDecodeError) as error:
            raise ValidationError(f"{self.root} is not a readable OCI layout: {error}") from None
        manifests = index.get("manifests") if isinstance(index, dict) else None
        if not isinstance(manifests, list):
            return []
        return [entry for entry in manifests if isinstance(entry, dict)]


def _sync_tree(root: Path) -> None:
    for directory, _, _ in os.walk(root):
        _sync_directory(Path(directory))


def _sync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
