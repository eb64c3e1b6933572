"""Who may do what: API keys, roles and the principal behind a request.

Roles (DESIGN.md "Security model"):
    admin    everything: keys, policies, reading, writing
    auditor  read every event, verify, prove, export
    writer   append only
    user     read only the events whose actor is the key's actor

A key is ``sealtrail_<key id>_<secret>``: the fixed prefix lets secret scanners find leaked keys,
the key id names the key in lists and events, the secret is 256 random bits. Only the SHA-256 of
the whole key is stored; the key itself is shown once, when it is created.

Every creation, revocation, authentication success and failure is handed to ``record`` as an
``auth.*`` event; where it goes (the ledger directly, or a queue) is the caller's choice.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sealtrail.clock import Clock
from sealtrail.errors import Conflict, Denied, NotFound, ValidationError
from sealtrail.events import format_time
from sealtrail.store.base import ApiKeyRow, Store

__all__ = [
    "KEY_PREFIX",
    "AccessKeys",
    "CreatedKey",
    "Principal",
    "Role",
    "Unauthenticated",
    "client_fields",
    "printable",
]

KEY_PREFIX = "sealtrail_"
_KEY_RE = re.compile(r"sealtrail_([a-z2-7]{8})_([A-Za-z0-9_-]{43})")
_ACTOR_RE = re.compile(r"[^\x00-\x1f\x7f]{1,256}")
_MAX_USER_AGENT = 512
Recorder = Callable[[Mapping[str, Any]], object]


class Role(StrEnum):
    ADMIN = "admin"
    AUDITOR = "auditor"
    WRITER = "writer"
    USER = "user"


class Unauthenticated(Denied):
    """No credentials, or not a valid key: HTTP 401 (``Denied`` itself is 403)."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    key_id: str
    name: str
    role: Role
    actor_id: str | None  # set for ``user`` keys: what they may read

    @property
    def actor(self) -> dict[str, str]:
        """The event actor for what this principal does."""
        return {
            "id": self.actor_id or f"key:{self.key_id}",
            "type": "user" if self.actor_id else "service",
        }

    def require(self, *roles: Role) -> None:
        if self.role is not Role.ADMIN and self.role not in roles:
            raise Denied(f"key {self.key_id} has role {self.role}; this needs {' or '.join(roles)}")


@dataclass(frozen=True)
class CreatedKey:
    """A new key: its stored row and the secret, which is never shown again."""

    row: ApiKeyRow
    secret: str


class AccessKeys:
    """Create, list, revoke and check API keys; every step is recorded as an ``auth.*`` event."""

    def __init__(self, store: Store, clock: Clock, record: Recorder) -> None:
        self._store = store
        self._clock = clock
        self._record = record

    def create(
        self,
        role: Role,
        *,
        actor_id: str | None = None,
        name: str = "",
        by: Principal | None = None,
    ) -> CreatedKey:
        if role is Role.USER and not actor_id:
            raise ValidationError("actor: a user key must be bound to an actor id")
        if actor_id is not None and not _ACTOR_RE.fullmatch(actor_id):
            raise ValidationError("actor: must be 1 to 256 printable characters")
        if name and not _ACTOR_RE.fullmatch(name):
            raise ValidationError("name: must be up to 256 printable characters")
        key_id = _base32(secrets.token_bytes(5))
        secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            key_id,
            _hash(secret),
            name or f"{role} key",
            role.value,
            actor_id,
            self._now(),
            by.key_id if by else None,
            None,
        )
        self._store.add_key(row)
        self._event("auth.key_created", by, row, f"API key {key_id} ({role}) created")
        return CreatedKey(row, secret)

    def list(self) -> list[ApiKeyRow]:
        return self._store.list_keys()

    def revoke(self, key_id: str, *, by: Principal | None = None) -> ApiKeyRow:
        """Revoke an active key; the last active admin key stays, or nobody could manage keys."""
        active = [k for k in self._store.list_keys() if k.revoked_at is None]
        admins = [k.key_id for k in active if k.role == Role.ADMIN]
        if admins == [key_id]:
            raise Conflict(f"key {key_id} is the last active admin key; create another first")
        if not self._store.revoke_key(key_id, self._now()):
            raise NotFound(f"no active key {printable(key_id, 64)!r}")
        row = next(k for k in self._store.list_keys() if k.key_id == key_id)
        self._event("auth.key_revoked", by, row, f"API key {key_id} revoked")
        return row

    def authenticate(
        self, secret: str | None, *, ip: str | None, user_agent: str | None
    ) -> Principal:
        """The principal of a presented key; ``Unauthenticated`` (and an event) otherwise."""
        row = self._lookup(secret)
        client = client_fields(ip, user_agent)
        if row is None:
            reason = "no credentials" if not secret else "unknown, malformed or revoked key"
            anonymous = {"id": "anonymous", "type": "anonymous", **client}
            message = f"authentication failed: {reason}"
            self._record(self._auth_event("auth.login_failed", "failure", anonymous, None, message))
            raise Unauthenticated(f"authentication failed: {reason}")
        principal = Principal(row.key_id, row.name, Role(row.role), row.actor_id)
        self._record(
            self._auth_event(
                "auth.key_used",
                "success",
                {**principal.actor, **client},
                row,
                f"API key {row.key_id} used",
            )
        )
        return principal

    def deny(self, principal: Principal, error: Denied, *, ip: str | None, what: str) -> None:
        """Record that ``principal`` was refused ``what`` (any text: it is made printable)."""
        actor = {**principal.actor, **client_fields(ip, None)}
        message = f"{printable(what, 1024)}: {error}"
        self._record(self._auth_event("auth.denied", "denied", actor, None, message))

    def _lookup(self, secret: str | None) -> ApiKeyRow | None:
        if not secret or not _KEY_RE.fullmatch(secret):
            return None
        row = self._store.key_by_hash(_hash(secret))
        if row is None or row.revoked_at is not None:
            return None
        return row if hmac.compare_digest(row.secret_hash, _hash(secret)) else None

    def _event(self, action: str, by: Principal | None, row: ApiKeyRow, message: str) -> None:
        actor = by.actor if by else {"id": "local-admin", "type": "user"}
        self._record(self._auth_event(action, "success", actor, row, message))

    def _auth_event(
        self,
        action: str,
        outcome: str,
        actor: Mapping[str, str],
        row: ApiKeyRow | None,
        message: str,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "time": self._now(),
            "action": action,
            "outcome": outcome,
            "severity": "info" if outcome == "success" else "warning",
            "actor": dict(actor),
            "message": message,
            "source": {"service": "sealtrail"},
        }
        if row is not None:
            event["target"] = {"type": "api_key", "id": row.key_id, "role": row.role}
        return event

    def _now(self) -> str:
        return format_time(self._clock.now())


def printable(text: str, limit: int) -> str:
    """``text`` safe for an event or a log line: control characters escaped, at most ``limit``."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def client_fields(ip: str | None, user_agent: str | None) -> dict[str, str]:
    """The actor fields about the caller's client: an address only when it is one."""
    client = {}
    with contextlib.suppress(ValueError):  # a forwarded-for value that is no address is dropped
        client["ip"] = str(ipaddress.ip_address(ip or ""))
    if user_agent:
        client["user_agent"] = printable(user_agent, _MAX_USER_AGENT)
    return client


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower()
