"""The privacy policy: what happens to personal data in an event before it is sealed.

Applied by ``Ledger.prepare`` to every validated event, field by field:

- IP addresses (``actor.ip`` and any configured ``details.*`` path) are *truncated* to their
  network (IPv4 /24, IPv6 /48) or *pseudonymised* to a keyed address in ``fd00::/8`` (the same
  address always maps to the same pseudonym, and the result is still an IP address, so SIEM
  fields typed as IPs keep working);
- ``actor.id`` is pseudonymised with a keyed hash, ``psn-`` + 32 hex digits of
  HMAC-SHA256(key, "actor" NUL id): the same person always gets the same pseudonym, so queries by
  actor, ``user`` keys and stats keep working once the id is mapped (``actor_index``);
- named detail fields (dotted paths under ``details``) are replaced by ``[redacted]``.

The key is 32 random bytes, kept hex-encoded in ``DIR/privacy.key`` (mode 0600, made on first
use) or given by path or as hex in the configuration (``SEALTRAIL_PRIVACY__KEY``). Whoever holds
it can test a guessed id against a pseudonym, so it is a secret like the signing key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sealtrail.errors import ValidationError

__all__ = [
    "ERASABLE_ACTOR_FIELDS",
    "IP_MODES",
    "PRIVACY_KEY",
    "PSEUDONYM_PREFIX",
    "REDACTED",
    "PrivacyPolicy",
    "load_privacy_key",
    "truncate_ip",
]

PRIVACY_KEY = "privacy.key"
PSEUDONYM_PREFIX = "psn-"
REDACTED = "[redacted]"
IP_MODES = ("keep", "truncate", "pseudonymise")
ERASABLE_ACTOR_FIELDS = ("actor.id", "actor.ip", "actor.user_agent")
IpMode = Literal["keep", "truncate", "pseudonymise"]


@dataclass(frozen=True)
class PrivacyPolicy:
    """One typed privacy configuration, with its key; ``apply`` changes events in place."""

    key: bytes = field(repr=False)
    ip: Mapping[str, IpMode] = field(default_factory=dict)  # dotted path -> mode
    pseudonymise_actor: bool = False
    redact: tuple[str, ...] = ()
    erasable: bool = False  # personal fields sealed with a per-subject key (``sealing``)
    erasable_fields: tuple[str, ...] = ()  # more paths to seal: ``message``, ``details.*``
    _steps: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key) < 16:
            raise ValidationError("privacy key: at least 16 bytes")
        for path, mode in self.ip.items():
            _check_path(path, "privacy.ip", actor_ip=True)
            if mode not in IP_MODES:
                raise ValidationError(f"privacy.ip.{path}: {mode!r} is not one of {IP_MODES}")
        for path in self.redact:
            _check_path(path, "privacy.redact")
        for path in self.erasable_fields:
            if path != "message":
                _check_path(path, "privacy.erasable_fields")
        changes = [(path, _redacted) for path in self.redact] + [
            (
                path,
                truncate_ip
                if mode == "truncate"
                else functools.partial(_pseudonymous_ip, self.key),
            )
            for path, mode in self.ip.items()
        ]
        steps = tuple((*_split(path), change) for path, change in changes)
        object.__setattr__(self, "_steps", steps)  # paths split once, not per event

    @classmethod
    def from_section(cls, section: Mapping[str, Any], directory: Path) -> PrivacyPolicy | None:
        """The policy of a ``[privacy]`` section; None when it asks for nothing."""
        given = section.get("ip", {})
        given = {"actor.ip": given} if isinstance(given, str) else dict(given)
        ip: dict[str, Any] = {path: mode for path, mode in given.items() if mode != "keep"}
        actor = _mode(section.get("actor_id", "keep"))
        redact = _paths(section.get("redact", ()))
        erasable = _flag(section.get("erasable", False), "erasable")
        fields = _paths(section.get("erasable_fields", ()))
        if not (ip or actor or redact or erasable):
            return None
        key = load_privacy_key(directory, section.get("key_file"), section.get("key"))
        return cls(key, ip, actor, redact, erasable, fields)

    @property
    def maps_actors(self) -> bool:
        """Whether the actor index holds pseudonyms rather than ids."""
        return self.pseudonymise_actor or self.erasable

    @property
    def sealed_fields(self) -> tuple[str, ...]:
        """Every path sealed with the subject's key when ``erasable``."""
        return (*ERASABLE_ACTOR_FIELDS, *self.erasable_fields) if self.erasable else ()

    def actor_index(self, actor_id: str) -> str:
        """The value of the actor column (and of actor filters) for ``actor_id``."""
        return self.pseudonym(actor_id) if self.maps_actors else actor_id

    def pseudonym(self, actor_id: str) -> str:
        """The keyed pseudonym of an actor id: the same id, the same pseudonym."""
        return _pseudonym(self.key, actor_id)

    def apply(self, event: dict[str, Any]) -> dict[str, Any]:
        """``event`` with the policy applied; dicts on a changed path are copied first, so the
        caller's nested objects are never changed. Redaction runs before IP handling."""
        for parents, last, change in self._steps:
            _replace(event, parents, last, change)
        if self.pseudonymise_actor:
            actor = event["actor"] = dict(event["actor"])
            actor["id"] = self.pseudonym(actor["id"])
        return event

    def described(self) -> dict[str, Any]:
        """The effective policy without its key (``sealtrail privacy show``)."""
        return {
            "ip": dict(self.ip),
            "actor_id": "pseudonymise" if self.pseudonymise_actor else "keep",
            "redact": list(self.redact),
            "erasable": self.erasable,
            "sealed_fields": list(self.sealed_fields),
            "key_fingerprint": hashlib.sha256(self.key).hexdigest()[:16],
        }


def truncate_ip(value: object) -> object:
    """An IPv4 address to its /24, an IPv6 address to its /48; anything else unchanged."""
    return _truncated(value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=65_536)
def _truncated(value: str) -> str:
    address = _address(value)
    if address is None:
        return value
    bits = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{bits}", strict=False)
    return str(network.network_address)


@functools.lru_cache(maxsize=65_536)
def _pseudonym(key: bytes, actor_id: str) -> str:
    digest = hmac.new(key, b"actor\x00" + actor_id.encode(), hashlib.sha256).digest()
    return PSEUDONYM_PREFIX + digest[:16].hex()


def _pseudonymous_ip(key: bytes, value: object) -> object:
    """A keyed IPv6 address in ``fd00::/8`` standing for ``value`` (an IP address)."""
    return _pseudonymous_address(key, value) if isinstance(value, str) else value


@functools.lru_cache(maxsize=65_536)
def _pseudonymous_address(key: bytes, value: str) -> str:
    address = _address(value)
    if address is None:
        return value
    digest = hmac.new(key, b"ip\x00" + address.packed, hashlib.sha256).digest()
    return str(ipaddress.IPv6Address(b"\xfd" + digest[:15]))


def _address(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _split(path: str) -> tuple[tuple[str, ...], str]:
    *parents, last = path.split(".")
    return tuple(parents), last


def _redacted(_: object) -> str:
    return REDACTED


def _replace(
    event: dict[str, Any], parents: tuple[str, ...], last: str, change: Callable[[Any], Any]
) -> None:
    """Replace the value at ``parents.last`` by ``change(value)``, copying dicts on the way."""
    node = event
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            return
        node[part] = node = dict(child)
    if last in node:
        node[last] = change(node[last])


def load_privacy_key(directory: Path, key_file: object = None, key: object = None) -> bytes:
    """The privacy key: given as hex, else read from ``key_file``, else ``DIR/privacy.key``
    (made with mode 0600 when missing)."""
    if key:
        return _hex_key(str(key), "privacy key")
    path = Path(str(key_file)) if key_file else directory / PRIVACY_KEY
    if not path.exists():
        if key_file:
            raise ValidationError(f"{path}: no privacy key there")
        _write_private(path, secrets.token_hex(32) + "\n")
    return _hex_key(path.read_text().strip(), str(path))


def _hex_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValidationError(f"{where}: not a hex key") from None
    if len(key) < 16:
        raise ValidationError(f"{where}: at least 16 bytes (32 hex digits)")
    return key


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _check_path(path: str, name: str, *, actor_ip: bool = False) -> None:
    if actor_ip and path == "actor.ip":
        return
    parts = path.split(".")
    if parts[0] != "details" or len(parts) < 2 or not all(parts):
        raise ValidationError(f"{name}: {path!r} is not a dotted path under details")


def _mode(value: object) -> bool:
    if value not in ("keep", "pseudonymise"):
        raise ValidationError(f"privacy.actor_id: {value!r} is not keep or pseudonymise")
    return value == "pseudonymise"


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.lower() in {"true", "1", "yes"}
    raise ValidationError(f"privacy.{name}: {value!r} is not true or false")


def _paths(value: object) -> tuple[str, ...]:
    """Dotted paths from a TOML list, or a comma-separated string (from the environment)."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValidationError(f"privacy: {value!r} is not a list of dotted paths")
