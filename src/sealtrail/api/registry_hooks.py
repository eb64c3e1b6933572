"""``POST /v1/hooks/registry``: notifications from an OCI registry, as sealed events.

The registry is configured to send ``Authorization: Bearer <token>`` with the token of
``[hooks.registry]``; without a configured token the hook answers 404. A wrong token is a 401, an
``auth.login_failed`` event and a strike against the address, like a wrong API key. The answer
says what was recorded; events that cannot be read are listed, not retried (a 2xx), so that a
registry does not resend them forever.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sealtrail.access import Unauthenticated, client_fields
from sealtrail.api.deps import client_ip, server
from sealtrail.errors import NotFound, ValidationError
from sealtrail.events import format_time
from sealtrail.images.config import ImagesConfig, RegistryHookConfig
from sealtrail.images.notifications import ENVELOPE_TYPES, read_envelope, record_notifications

__all__ = ["router"]

router = APIRouter(prefix="/v1/hooks", tags=["hooks"])


class Delivery(BaseModel):
    """What one notification did."""

    recorded: int
    duplicates: int
    dropped: int
    skipped: list[str]
    denied: list[str]


_ENVELOPE = {
    "type": "object",
    "required": ["events"],
    "properties": {"events": {"type": "array", "items": {"type": "object"}}},
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {media_type: {"schema": _ENVELOPE} for media_type in ENVELOPE_TYPES},
    }
}


@router.post("/registry", response_model=Delivery, openapi_extra=_BODY)
async def registry_notification(request: Request) -> dict[str, Any]:
    """Record a registry's notification envelope (distribution events v1 or v2)."""
    state = server(request)
    hook = RegistryHookConfig.from_section(state.settings.section("hooks"))
    if hook.token is None:
        raise NotFound("the registry hook is not configured ([hooks.registry] token)")
    _authenticate(request, hook.token)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ENVELOPE_TYPES:
        raise ValidationError(f"content type {media_type!r}: expected {ENVELOPE_TYPES[0]}")
    items = read_envelope(await request.body())
    images = ImagesConfig.from_section(state.settings.section("images"))
    summary = await run_in_threadpool(
        record_notifications, state.ledger, items, keep_blobs=images.keep_blob_events
    )
    return summary.to_json()


def _authenticate(request: Request, token: str) -> None:
    state, address = server(request), client_ip(request) or "unknown"
    state.limiter.check(address)
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip(), token):
        return
    state.limiter.failed(address)
    client = client_fields(client_ip(request), request.headers.get("user-agent"))
    state.audit.record(
        {
            "time": format_time(state.ledger.clock.now()),
            "action": "auth.login_failed",
            "outcome": "failure",
            "severity": "warning",
            "actor": {"id": "anonymous", "type": "anonymous", **client},
            "source": {"service": "sealtrail"},
            "message": "registry hook: missing or wrong bearer token",
        }
    )
    raise Unauthenticated("the registry hook needs its bearer token")
