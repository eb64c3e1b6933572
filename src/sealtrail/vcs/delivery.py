"""A webhook delivery: who signed it, which kind it is, its id, its payload.

Each platform signs its own way, and every comparison is constant-time (``hmac.compare_digest``)
against each configured secret (two while one replaces the other):

| platform | signature | event kind | delivery id |
|---|---|---|---|
| GitHub | ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`` | ``X-GitHub-Event`` | ``X-GitHub-Delivery`` |
| GitLab | ``X-Gitlab-Token: <the secret itself>`` | ``object_kind`` of the payload | ``Idempotency-Key``, else ``X-Gitlab-Event-UUID`` |
| Gitea, Forgejo | ``X-Gitea-Signature`` / ``X-Forgejo-Signature: <hex HMAC-SHA256 of the body>`` | ``X-Gitea-Event``, else ``X-Gitea-Event-Type`` (``X-Forgejo-…``) | ``X-Gitea-Delivery`` / ``X-Forgejo-Delivery`` |

The signature is checked before anything else is read. A form-encoded delivery
(``application/x-www-form-urlencoded``, GitHub's and Gitea's other content type) carries its JSON
in the ``payload`` field. A delivery without an id is keyed by the
SHA-256 of its body, so a byte-identical resend is still recorded once.
"""  # noqa: E501

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson

from sealtrail.access import Unauthenticated
from sealtrail.errors import ValidationError
from sealtrail.vcs.config import HookConfig
from sealtrail.vcs.payload import Payload

__all__ = ["MAX_DELIVERY_ID", "Delivery", "HookRefused", "receive", "verify"]

MAX_DELIVERY_ID = 200


class HookRefused(Unauthenticated):
    """A delivery whose sender could not be verified: HTTP 401 and an ``auth.denied`` event."""


@dataclass(frozen=True)
class Delivery:
    """A verified delivery."""

    platform: str
    kind: str
    id: str
    payload: Payload

    @property
    def key(self) -> str:
        """The idempotency key its events are appended under."""
        return f"hook:{self.platform}:{self.id}"


def verify(
    platform: str, secrets: tuple[str, ...], headers: Mapping[str, str], body: bytes
) -> None:
    """Return when ``headers`` prove the sender holds one of ``secrets``; ``HookRefused`` naming
    what is missing or wrong otherwise. ``headers`` has lower-case names."""
    if not secrets:
        raise HookRefused(f"{platform} hooks: no secret is configured; every delivery is refused")
    if platform == "github":
        given, name = headers.get("x-hub-signature-256"), "X-Hub-Signature-256"
        expected = [f"sha256={_hmac(secret, body)}" for secret in secrets]
    elif platform == "gitlab":
        given, name = headers.get("x-gitlab-token"), "X-Gitlab-Token"
        expected = list(secrets)
    else:
        name = "X-Gitea-Signature"
        given = headers.get("x-gitea-signature") or headers.get("x-forgejo-signature")
        expected = [_hmac(secret, body) for secret in secrets]
    if not given:
        raise HookRefused(f"{platform} hooks: no {name} header")
    matches = [hmac.compare_digest(given.encode(), e.encode()) for e in expected]
    if not any(matches):
        raise HookRefused(f"{platform} hooks: {name} does not match")


def receive(config: HookConfig, headers: Mapping[str, str], body: bytes) -> Delivery:
    """The delivery ``body`` with ``headers`` (lower-case names), once its signature holds."""
    platform = config.platform
    verify(platform, config.secrets, headers, body)
    form = headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
    data = _json_object(_form_payload(body) if form else body)
    payload = Payload(data)
    kind = _kind(platform, headers, data)
    given = _delivery_id(platform, headers)
    if given is not None and not (0 < len(given) <= MAX_DELIVERY_ID and given.isprintable()):
        raise ValidationError(f"delivery id: 1 to {MAX_DELIVERY_ID} printable characters")
    return Delivery(platform, kind, given or hashlib.sha256(body).hexdigest(), payload)


def _form_payload(body: bytes) -> bytes:
    """The ``payload`` field of a form-encoded delivery (GitHub's and Gitea's other content type;
    the signature covers the form as sent)."""
    fields = parse_qs(body.decode("latin-1"), max_num_fields=16)
    if len(fields.get("payload", [])) != 1:
        raise ValidationError("payload: a form-encoded delivery needs one payload field")
    return fields["payload"][0].encode()


def _hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"payload: malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise ValidationError("payload: must be a JSON object")
    return data


def _kind(platform: str, headers: Mapping[str, str], data: Mapping[str, Any]) -> str:
    if platform == "github":
        kind = headers.get("x-github-event")
    elif platform == "gitlab":
        kind = data.get("object_kind") if isinstance(data.get("object_kind"), str) else None
    else:
        kind = next(
            (
                headers[name]
                for name in (
                    "x-gitea-event",
                    "x-forgejo-event",
                    "x-gitea-event-type",
                    "x-forgejo-event-type",
                )
                if headers.get(name)
            ),
            None,
        )
    if not kind:
        where = "object_kind" if platform == "gitlab" else "event header"
        raise ValidationError(f"{platform} delivery: no {where} says what kind it is")
    return kind[:100]


def _delivery_id(platform: str, headers: Mapping[str, str]) -> str | None:
    names = {
        "github": ("x-github-delivery",),
        "gitlab": ("idempotency-key", "x-gitlab-event-uuid"),
        "gitea": ("x-gitea-delivery", "x-forgejo-delivery"),
    }[platform]
    return next((headers[name] for name in names if headers.get(name)), None)
