"""Audited pulls: every attempt is one sealed ``image.pull`` event and one download line.

``Puller.pull(reference, engine)`` fetches the image with an engine (``OciEngine`` into an OCI
layout, ``DockerEngine`` through a Docker Engine API), records what happened in the ledger or on
a sealtrail server (``Ledger`` or ``Client``: anything with ``append(event)``), writes the seed's
download line to the ``sealtrail.images`` logger, and only then lets the engine publish the
image. The pull fails closed: when the event cannot be stored, the staged image is dropped, a
FAILURE line says why, and the storing error is raised. A failed pull is recorded, then its
error raised; a pull within the throttle interval of an image held locally is served from the
local copy without asking the registry, and recorded as a cache hit.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import logging
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sealtrail.clock import Clock, SystemClock
from sealtrail.errors import NotFound
from sealtrail.images.failures import PlatformNotFound
from sealtrail.images.manifest import Platform
from sealtrail.images.oci import Fetched
from sealtrail.images.record import PullRecord
from sealtrail.images.reference import ImageReference
from sealtrail.images.throttle import Throttle

__all__ = ["LOGGER", "Engine", "EventSink", "PullResult", "Puller", "default_source"]

LOGGER = logging.getLogger("sealtrail.images")
_LEVELS = {"success": logging.INFO, "not_found": logging.WARNING, "failure": logging.ERROR}


class EventSink(Protocol):
    """Where events go: ``sealtrail.Ledger`` or ``sealtrail.client.Client``."""

    def append(self, event: Mapping[str, Any]) -> Any: ...


class Engine(Protocol):
    """What fetches images: ``OciEngine`` or ``DockerEngine``."""

    name: str

    def cached(self, reference: ImageReference) -> str | None: ...

    def fetch(self, reference: ImageReference, platform: Platform | None) -> Fetched: ...

    def commit(self) -> None: ...

    def discard(self) -> None: ...


@dataclass(frozen=True)
class PullResult:
    """A pull that succeeded: what was recorded, and the ledger's receipt for it."""

    record: PullRecord
    receipt: Any

    @property
    def digest(self) -> str:
        assert self.record.digest is not None
        return self.record.digest


def default_source(service: str = "sealtrail") -> dict[str, str]:
    """The producing service, this host, and sealtrail's version."""
    return {"service": service, "host": socket.gethostname(), "version": _version()}


@functools.cache
def _version() -> str:
    try:
        return importlib.metadata.version("sealtrail")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class Puller:
    """Pulls images and records each attempt in ``sink``."""

    sink: EventSink
    throttle: Throttle | None = None
    source: Mapping[str, str] = field(default_factory=default_source)
    actor: Mapping[str, Any] | None = None
    clock: Clock = field(default_factory=SystemClock)
    logger: logging.Logger = LOGGER

    def pull(
        self,
        reference: str | ImageReference,
        engine: Engine,
        platform: Platform | None = None,
    ) -> PullResult:
        """Pull ``reference`` with ``engine``; raises the pull's error after recording it."""
        image = ImageReference.parse(reference) if isinstance(reference, str) else reference
        started, clock_start = self.clock.now(), time.perf_counter()
        attempt = _Attempt(self, image, engine, platform, started, clock_start)
        try:
            hit = self._cache_hit(image, engine)
            fetched = Fetched(hit, hit, 0) if hit else engine.fetch(image, platform)
        except Exception as error:
            engine.discard()
            attempt.failed(error)
            raise
        except BaseException:  # interrupted: nothing staged is left behind, nothing to record
            engine.discard()
            raise
        if hit is not None:
            return attempt.succeeded(fetched, cache="hit")
        result = attempt.succeeded(fetched, cache="miss")
        if self.throttle is not None:
            self.throttle.note(image, fetched.digest)
        return result

    def _cache_hit(self, image: ImageReference, engine: Engine) -> str | None:
        recent = self.throttle.recent(image) if self.throttle is not None else None
        if recent is None:
            return None
        return recent.digest if engine.cached(image) == recent.digest else None


@dataclass
class _Attempt:
    """One pull attempt on its way to the record."""

    puller: Puller
    image: ImageReference
    engine: Engine
    platform: Platform | None
    started: datetime
    clock_start: float

    def succeeded(self, fetched: Fetched, cache: str) -> PullResult:
        record = self._record("success", digest=fetched.digest, cache=cache)
        if cache == "miss":
            record = _with(record, downloaded=fetched.downloaded or None)
        try:
            receipt = self._store(record)
        except BaseException:
            self.engine.discard()
            raise
        self.engine.commit()
        return PullResult(record, receipt)

    def failed(self, error: Exception) -> None:
        missing = isinstance(error, NotFound) and not isinstance(error, PlatformNotFound)
        cause = error.__cause__ if error.__cause__ is not None else error
        record = self._record(
            "not_found" if missing else "failure",
            error_type=type(cause).__name__,
            error_kind=getattr(error, "kind", "error"),
            error_message=str(error),
        )
        self._store(record)

    def _record(self, outcome: str, **fields: Any) -> PullRecord:
        return PullRecord(
            reference=self.image,
            started=self.started,
            duration=time.perf_counter() - self.clock_start,
            outcome=outcome,
            engine=self.engine.name,
            platform=self.platform.to_text() if self.platform else None,
            source=self.puller.source,
            actor=self.puller.actor,
            **fields,
        )

    def _store(self, record: PullRecord) -> Any:
        logger = self.puller.logger
        try:
            receipt = self.puller.sink.append(record.to_event())
        except Exception as error:
            unrecorded = _with(
                record,
                outcome="failure",
                digest=None,
                error_type=type(error).__name__,
                error_kind="unrecorded",
                error_message=f"the pull could not be recorded: {error}",
            )
            logger.error("%s", unrecorded.to_line().to_text())
            raise
        logger.log(_LEVELS[record.outcome], "%s", record.to_line().to_text())
        return receipt


def _with(record: PullRecord, **changes: Any) -> PullRecord:
    return dataclasses.replace(record, **changes)
