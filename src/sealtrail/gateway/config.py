"""The gateway's settings: the ``[gateway]`` section of ``sealtrail.toml`` (env
``SEALTRAIL_GATEWAY__<KEY>``), with command-line options on top.

    [gateway]
    upstream = "http://127.0.0.1:5000"   # the registry behind the gateway
    listen = "127.0.0.1:5080"             # where the gateway answers
    registry = "registry.example:5000"    # the registry's name in events (default: upstream host)
    blob_events = false                   # also record every blob download (blob.pull)
    fail_open = false                     # serve even when the event cannot be stored
    record_timeout = 10.0                 # seconds to wait for the store before giving up
    require_key = false                   # every client must log in with a sealtrail API key

    [gateway.upstreams]                   # more registries behind the same gateway
    "teamb/" = "http://10.0.0.7:5000"     # a key with "/": repositories starting with it
    "b.example:5080" = "http://10.0.0.8:5000"   # else: requests whose Host is this name

A request goes to the upstream of its Host when one is named, else to the longest repository
prefix that matches, else to ``upstream``. Names are not rewritten: ``teamb/app`` is
``teamb/app`` on its registry too. Each upstream is its own registry in events and in the tag
index (its host:port).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

from sealtrail.errors import ValidationError

__all__ = ["GatewayConfig", "Upstream"]

MAX_MANIFEST = 4 * 1024 * 1024  # the distribution spec's recommended manifest limit


def _flag(value: object, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.lower() in ("true", "1", "yes")
    raise ValidationError(f"gateway.{key}: must be true or false")


def _origin(url: str, key: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"{key}: must be an http(s) URL such as http://127.0.0.1:5000, got {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Upstream:
    """One registry behind the gateway: its origin and its name in events."""

    url: str
    registry: str

    @classmethod
    def from_url(cls, url: str, key: str, registry: str = "") -> Upstream:
        origin = _origin(url, key)
        return cls(origin, registry or urlsplit(origin).netloc)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Everything the gateway needs, checked."""

    upstream: str
    listen: str = "127.0.0.1:5080"
    registry: str = ""
    blob_events: bool = False
    fail_open: bool = False
    require_key: bool = False
    record_timeout: float = 10.0
    max_manifest_bytes: int = MAX_MANIFEST
    upstreams: Mapping[str, str] = field(default_factory=dict)  # host or "prefix/" → URL

    def __post_init__(self) -> None:
        default = Upstream.from_url(self.upstream, "gateway.upstream", self.registry)
        object.__setattr__(self, "upstream", default.url)
        object.__setattr__(self, "registry", default.registry)
        for match, url in self.upstreams.items():
            if not isinstance(url, str) or not match:
                raise ValidationError(f"gateway.upstreams.{match}: must be a URL")
            Upstream.from_url(url, f"gateway.upstreams.{match}")
        self.address()
        if self.record_timeout <= 0:
            raise ValidationError("gateway.record_timeout: must be a positive number of seconds")

    @property
    def default(self) -> Upstream:
        return Upstream(self.upstream, self.registry)

    def upstream_for(self, host: str, repository: str) -> Upstream:
        """The upstream of a request to ``host`` (its Host header) naming ``repository``."""
        hostname = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
        for match in (host, hostname):
            if match and "/" not in match and match in self.upstreams:
                return Upstream.from_url(self.upstreams[match], "gateway.upstreams")
        prefixes = [m for m in self.upstreams if "/" in m and repository.startswith(m)]
        if prefixes:
            return Upstream.from_url(self.upstreams[max(prefixes, key=len)], "gateway.upstreams")
        return self.default

    def address(self) -> tuple[str, int]:
        """The host and port of ``listen``."""
        host, _, port = self.listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValidationError(f"gateway.listen: must be HOST:PORT, got {self.listen!r}")
        return host.strip("[]"), int(port)

    @classmethod
    def from_section(cls, section: Mapping[str, Any], **options: Any) -> GatewayConfig:
        """The ``[gateway]`` section read from settings, with ``options`` (not None) on top."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValidationError(f"gateway: unknown setting(s): {', '.join(unknown)}")
        values = {**section, **{k: v for k, v in options.items() if v is not None}}
        if "upstream" not in values:
            raise ValidationError("gateway: no upstream (give --upstream or gateway.upstream)")
        if not isinstance(values.get("upstreams", {}), Mapping):
            raise ValidationError("gateway.upstreams: must be a table of match = URL")
        for key in ("blob_events", "fail_open", "require_key"):
            if key in values:
                values[key] = _flag(values[key], key)
        for key, kind in (("record_timeout", float), ("max_manifest_bytes", int)):
            if key in values:
                try:
                    values[key] = kind(values[key])
                except (TypeError, ValueError):
                    raise ValidationError(f"gateway.{key}: must be a number") from None
        return cls(**values)

    def with_listen(self, listen: str) -> GatewayConfig:
        return replace(self, listen=listen)
