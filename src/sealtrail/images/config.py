"""The ``[images]`` and ``[hooks.registry]`` configuration, read once into typed objects.

    [images]
    throttle_seconds = 3600        # check an image at most once per interval; 0: always
    throttle_state = "…"           # default: <data dir>/images/throttle.json
    blob_events = "drop"           # registry notifications about blobs: "drop" or "keep"

    [hooks.registry]
    token = "…"                    # the bearer token registries send to /v1/hooks/registry

Each key can be set by environment, e.g. ``SEALTRAIL_IMAGES__THROTTLE_SECONDS=600`` or
``SEALTRAIL_HOOKS__REGISTRY__TOKEN=…`` (values from the environment arrive as strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealtrail.errors import ValidationError
from sealtrail.images.throttle import DEFAULT_INTERVAL

__all__ = ["ImagesConfig", "RegistryHookConfig"]

_IMAGES_KEYS = {"throttle_seconds", "throttle_state", "blob_events"}


@dataclass(frozen=True)
class ImagesConfig:
    """How pulls are throttled and which registry notifications are kept."""

    throttle_seconds: float = DEFAULT_INTERVAL
    throttle_state: Path | None = None
    keep_blob_events: bool = False

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> ImagesConfig:
        unknown = set(section) - _IMAGES_KEYS
        if unknown:
            raise ValidationError(f"[images]: unknown keys: {', '.join(sorted(unknown))}")
        try:
            seconds = float(section.get("throttle_seconds", DEFAULT_INTERVAL))
        except (TypeError, ValueError):
            raise ValidationError("[images] throttle_seconds: must be a number") from None
        if seconds < 0:
            raise ValidationError("[images] throttle_seconds: must not be negative")
        blobs = str(section.get("blob_events", "drop"))
        if blobs not in ("drop", "keep"):
            raise ValidationError(f"[images] blob_events: 'drop' or 'keep', not {blobs!r}")
        state = section.get("throttle_state")
        return cls(seconds, Path(state) if state else None, blobs == "keep")

    def throttle_path(self, data_dir: Path) -> Path:
        return self.throttle_state or data_dir / "images" / "throttle.json"


@dataclass(frozen=True)
class RegistryHookConfig:
    """The bearer token of ``POST /v1/hooks/registry``; without one the hook is off."""

    token: str | None = None

    @classmethod
    def from_section(cls, hooks: Mapping[str, Any]) -> RegistryHookConfig:
        table = hooks.get("registry", {})
        if not isinstance(table, Mapping):
            raise ValidationError("[hooks.registry]: must be a table")
        token = table.get("token")
        if token is not None and (not isinstance(token, str) or len(token) < 16):
            raise ValidationError("[hooks.registry] token: a string of at least 16 characters")
        return cls(token or None)
