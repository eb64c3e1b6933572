"""The ``[forwarders.NAME]`` tables of ``sealtrail.toml``, parsed into frozen ``ForwarderConfig``.

    [forwarders.siem]
    kind = "syslog"            # syslog | splunk-hec | elasticsearch | webhook | journald
    transport = "tls"          # syslog only: udp | tcp | tls
    host = "logs.example.com"
    port = 6514
    ca_file = "/etc/ssl/certs/logs-ca.pem"

Values from ``SEALTRAIL_FORWARDERS__SIEM__PORT`` arrive as strings and are converted here. An
unknown key, a missing required key or a value of the wrong type is a ``ValidationError`` naming
``forwarders.NAME.KEY``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sealtrail.errors import ValidationError

__all__ = ["KINDS", "ForwarderConfig", "parse_forwarders"]

KINDS = ("syslog", "splunk-hec", "elasticsearch", "webhook", "journald")
TRANSPORTS = ("udp", "tcp", "tls")
_REQUIRED = {
    "syslog": ("port",),
    "splunk-hec": ("url", "token"),
    "elasticsearch": ("url",),
    "webhook": ("url", "secret"),
    "journald": (),
}


@dataclass(frozen=True)
class ForwarderConfig:
    """One forwarder: where it sends, how it batches, retries and starts."""

    name: str
    kind: str
    transport: str = "tcp"  # syslog: udp, tcp (RFC 6587 octet counting) or tls (RFC 5425)
    host: str = "127.0.0.1"
    port: int = 0
    url: str = ""  # HEC, Elasticsearch, webhook: the base URL
    token: str = ""  # HEC token; Elasticsearch: an API key (Authorization: ApiKey ...)
    secret: str = ""  # webhook HMAC-SHA256 key
    index: str = "sealtrail"  # Elasticsearch index or data stream
    ca_file: str = ""  # TLS and HTTPS: CA bundle to trust (default: the system's)
    server_name: str = ""  # TLS: name to verify (default: host)
    socket: str = "/run/systemd/journal/socket"
    facility: int = 13  # syslog facility: 13 is "log audit"
    batch: int = 500  # records per delivery
    max_attempts: int = 8  # failures before the batch is dead-lettered
    backoff_initial: float = 0.5  # seconds; doubled after each failure
    backoff_max: float = 30.0
    poll_interval: float = 0.5  # seconds between looks at the log when caught up
    timeout: float = 10.0
    start: str = "beginning"  # a new forwarder starts at the log's beginning or its end
    enabled: bool = True
    actions: tuple[str, ...] = ()  # forward only these actions (all when empty)

    def __post_init__(self) -> None:
        where = f"forwarders.{self.name}"
        if self.kind not in KINDS:
            raise ValidationError(f"{where}.kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.transport not in TRANSPORTS:
            raise ValidationError(f"{where}.transport: one of {', '.join(TRANSPORTS)}")
        if self.start not in ("beginning", "end"):
            raise ValidationError(f"{where}.start: beginning or end")
        for key in _REQUIRED[self.kind]:
            if not getattr(self, key):
                raise ValidationError(f"{where}.{key}: required for kind {self.kind}")
        if not (0 <= self.port <= 65535 and self.batch >= 1 and self.max_attempts >= 1):
            raise ValidationError(f"{where}: port 0-65535, batch and max_attempts at least 1")
        if min(self.backoff_initial, self.backoff_max, self.poll_interval, self.timeout) <= 0:
            raise ValidationError(f"{where}: times must be positive")


_FIELDS = {f.name: f for f in dataclasses.fields(ForwarderConfig)}


def parse_forwarders(section: Mapping[str, Any]) -> tuple[ForwarderConfig, ...]:
    """Every ``[forwarders.NAME]`` table, in name order."""
    return tuple(_parse(name, section[name]) for name in sorted(section))


def _parse(name: str, table: object) -> ForwarderConfig:
    if not isinstance(table, Mapping):
        raise ValidationError(f"forwarders.{name}: must be a table")
    unknown = sorted(set(table) - set(_FIELDS) | ({"name"} & set(table)))
    if unknown:
        raise ValidationError(f"forwarders.{name}: unknown key(s): {', '.join(unknown)}")
    if "kind" not in table:
        raise ValidationError(f"forwarders.{name}.kind: required ({', '.join(KINDS)})")
    values = {key: _coerce(name, key, value) for key, value in table.items()}
    return ForwarderConfig(name=name, **values)


def _coerce(name: str, key: str, value: object) -> Any:
    kind = _FIELDS[key].type
    try:
        if kind == "bool":
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                return value.lower() in ("true", "1")
            if not isinstance(value, bool):
                raise TypeError(value)
            return value
        if kind == "int" and not isinstance(value, bool):
            return int(value) if isinstance(value, int | str) else _fail(value)
        if kind == "float" and not isinstance(value, bool):
            return float(value) if isinstance(value, int | float | str) else _fail(value)
        if kind == "str" and isinstance(value, str):
            return value
        if kind == "tuple[str, ...]" and isinstance(value, str):  # from the environment
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if kind == "tuple[str, ...]" and isinstance(value, list) and _strings(value):
            return tuple(value)
        raise TypeError(value)
    except (TypeError, ValueError):
        raise ValidationError(f"forwarders.{name}.{key}: {value!r} is not a {kind}") from None


def _strings(values: list[Any]) -> bool:
    return all(isinstance(item, str) for item in values)


def _fail(value: object) -> Any:
    raise TypeError(value)
