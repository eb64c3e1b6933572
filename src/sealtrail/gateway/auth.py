"""Authentication passes through the gateway; this module only reads it.

The gateway never checks credentials itself: the upstream does, and the actor recorded is who the
upstream authenticated — the user of a ``Basic`` header, the subject (``sub``) of a bearer token
(a JWT, as Docker's token specification issues), or ``anonymous``. An opaque bearer token is
named by a short hash of it, never by the token.

A sealtrail API key (``sealtrail_…``) given as the basic password (``docker login -u me -p
sealtrail_…``) or as the bearer token is the gateway's own credential instead: the gateway checks
it, the actor is the key's, and the header is not forwarded (the upstream then sees an anonymous
client: for upstreams that trust the gateway's network).

A bearer challenge (``WWW-Authenticate: Bearer realm="…"``) is rewritten only when its realm is on
the upstream's own origin, which clients of the gateway may not reach: the realm then points at the
gateway, which forwards the token request. A realm elsewhere (a separate token service) is left
as it is, and so is every ``Basic`` challenge.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

import orjson

from sealtrail.access import KEY_PREFIX, client_fields

__all__ = ["actor_of", "api_key_of", "rewrite_challenge"]

_REALM = re.compile(r'realm="(?P<realm>[^"]*)"', re.IGNORECASE)


def _basic_user(credentials: str) -> str | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def _token_subject(token: str) -> str:
    """The ``sub`` of a JWT (the upstream verified its signature), else a hash naming it."""
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (binascii.Error, orjson.JSONDecodeError, ValueError):
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("sub"), str) and payload["sub"]:
            return str(payload["sub"])
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]


def api_key_of(authorization: str | None) -> str | None:
    """The sealtrail API key an ``Authorization`` header carries, if it carries one."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    secret = credentials.strip()
    if scheme.lower() == "basic":
        try:
            secret = base64.b64decode(secret, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
    elif scheme.lower() != "bearer":
        return None
    return secret if secret.startswith(KEY_PREFIX) else None


def actor_of(authorization: str | None, ip: str | None, user_agent: str | None) -> dict[str, Any]:
    """The event actor of a request with this ``Authorization`` header, address and agent."""
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    name: str | None = None
    if scheme.lower() == "basic":
        name = _basic_user(credentials.strip())
    elif scheme.lower() == "bearer" and credentials.strip():
        name = _token_subject(credentials.strip())
    actor: dict[str, Any] = {"id": name or "anonymous", "type": "user" if name else "anonymous"}
    return {**actor, **client_fields(ip, user_agent)}


def rewrite_challenge(challenge: str, upstream: str, gateway: str) -> str:
    """``challenge`` with a bearer realm on the ``upstream`` origin moved to the ``gateway``
    origin (both ``scheme://host[:port]``); any other challenge unchanged."""
    if not challenge.strip().lower().startswith("bearer"):
        return challenge
    found = _REALM.search(challenge)
    if found is None:
        return challenge
    realm = found["realm"]
    if realm != upstream and not realm.startswith(upstream.rstrip("/") + "/"):
        return challenge
    moved = gateway.rstrip("/") + realm[len(upstream.rstrip("/")) :]
    return challenge[: found.start("realm")] + moved + challenge[found.end("realm") :]
