"""At most one registry check per image per interval, remembered across restarts.

The seed checks each image at most once an hour; within the interval an image already present
locally is used as it is and recorded as a cache hit. ``Throttle`` keeps, per canonical reference,
when it was last fetched from the registry and the digest received, in a small JSON file (the CLI
keeps it at ``<data dir>/images/throttle.json``), written whole to a temporary file, fsynced and
renamed over the old one under an exclusive lock, so concurrent pullers and crashes leave it
either as it was or as it is meant to be.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from sealtrail.clock import Clock, SystemClock
from sealtrail.errors import ValidationError
from sealtrail.images.reference import ImageReference

__all__ = ["DEFAULT_INTERVAL", "Throttle", "ThrottleEntry"]

DEFAULT_INTERVAL = 3600.0  # seconds: once an hour, as in the seed
ENTRIES_MAX = 100_000  # the oldest are forgotten beyond this


@dataclass(frozen=True)
class ThrottleEntry:
    """The last fetch of one image from its registry."""

    checked_at: datetime
    digest: str


class Throttle:
    """Per image, whether the registry was asked within ``interval`` seconds (0: always ask)."""

    def __init__(
        self, path: Path, interval: float = DEFAULT_INTERVAL, clock: Clock | None = None
    ) -> None:
        if interval < 0:
            raise ValidationError(f"the throttle interval must not be negative: {interval}")
        self.path = path
        self.interval = interval
        self.clock = clock or SystemClock()

    def recent(self, reference: ImageReference) -> ThrottleEntry | None:
        """The last fetch of ``reference`` when it is less than ``interval`` ago."""
        if self.interval == 0:
            return None
        raw = self._read().get(reference.to_text())
        if not isinstance(raw, dict):
            return None
        try:
            entry = ThrottleEntry(datetime.fromisoformat(raw["at"]), str(raw["digest"]))
        except (KeyError, TypeError, ValueError):
            return None
        age = self.clock.now() - entry.checked_at
        return entry if timedelta(0) <= age < timedelta(seconds=self.interval) else None

    def note(self, reference: ImageReference, digest: str) -> None:
        """Remember that ``reference`` was just fetched and resolved to ``digest``."""
        with self._locked():
            entries = self._read()
            entries.pop(reference.to_text(), None)
            entries[reference.to_text()] = {"at": self.clock.now().isoformat(), "digest": digest}
            while len(entries) > ENTRIES_MAX:
                entries.pop(next(iter(entries)))
            self._write(entries)

    def _read(self) -> dict[str, Any]:
        try:
            found = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError):
            return {}  # a damaged file costs one check per image, never a wrong answer
        return found if isinstance(found, dict) else {}

    def _write(self, entries: dict[str, Any]) -> None:
        handle, name = tempfile.mkstemp(prefix=".throttle-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(orjson.dumps(entries))
                file.flush()
                os.fsync(file.fileno())
            os.replace(name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with (self.path.parent / f"{self.path.name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
