"""``/v1/hooks/{github,gitlab,gitea}`` and ``/v1/hooks/audit-stream/{platform}``: forge webhooks
and audit-log streams.

These routes take no API key: each delivery proves its sender by the platform's own signature
(``sealtrail.vcs.delivery``) with the secret of the ``[hooks.<platform>]`` section. A delivery that
does not is refused with 401, recorded as ``auth.denied``, and counted against its address like
any failed authentication. What was recorded is read through ``/v1/events`` with the usual roles.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sealtrail.access import client_fields
from sealtrail.api.deps import ERRORS, client_ip, endpoint, server
from sealtrail.config import Settings
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.vcs import HookRefused, VcsHooksConfig, record_delivery, record_stream
from sealtrail.vcs.groupcommit import KeyedGroupCommit

__all__ = ["install", "router"]

router = APIRouter(prefix="/v1/hooks", tags=["hooks"])
_JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
        "description": "The platform's payload, byte for byte as it was signed",
    }
}
_NOT_SIGNED: dict[int | str, dict[str, Any]] = {
    401: ERRORS[401] | {"description": "Not signed, or not with a configured secret"}
}


class HookReceipt(BaseModel):
    delivery: str = Field(description="The delivery id (or the SHA-256 of the body)")
    kind: str = Field(description="The platform's event kind")
    recorded: int = Field(description="Events appended for this delivery")
    duplicate: bool = Field(description="The delivery was recorded before; nothing was added")
    ignored: str | None = Field(description="Why nothing was recorded, when nothing was")


class StreamReceipt(BaseModel):
    entries: int = Field(description="Audit-log entries read")
    recorded: int = Field(description="Entries appended as events")
    duplicates: int = Field(description="Entries recorded before")
    skipped: dict[str, int] = Field(description="Entries that are no event, by reason")


def install(app: FastAPI, settings: Settings, ledger: Ledger) -> None:
    """Add the hook routes, configured by the ``[hooks]`` section (read once, here)."""
    app.state.vcs_hooks = VcsHooksConfig.from_section(settings.section("hooks"))
    app.state.vcs_commits = KeyedGroupCommit(ledger)
    app.include_router(router, responses=ERRORS)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]
Text = str | None


@router.post(
    "/github",
    response_model=HookReceipt,
    responses=_NOT_SIGNED,
    openapi_extra=_JSON_BODY,
    summary="A GitHub webhook delivery, signed with X-Hub-Signature-256",
)
def github_hook(
    request: Request,
    body: RawBody,
    x_hub_signature_256: Annotated[Text, Header(description="sha256=<hex HMAC>")] = None,
    x_github_event: Annotated[Text, Header()] = None,
    x_github_delivery: Annotated[Text, Header()] = None,
) -> Response:
    return _deliver(request, "github", body)


@router.post(
    "/gitlab",
    response_model=HookReceipt,
    responses=_NOT_SIGNED,
    openapi_extra=_JSON_BODY,
    summary="A GitLab webhook delivery, proved by X-Gitlab-Token",
)
def gitlab_hook(
    request: Request,
    body: RawBody,
    x_gitlab_token: Annotated[Text, Header()] = None,
    x_gitlab_event: Annotated[Text, Header()] = None,
    x_gitlab_event_uuid: Annotated[Text, Header()] = None,
    idempotency_key: Annotated[Text, Header()] = None,
) -> Response:
    return _deliver(request, "gitlab", body)


@router.post(
    "/gitea",
    response_model=HookReceipt,
    responses=_NOT_SIGNED,
    openapi_extra=_JSON_BODY,
    summary="A Gitea or Forgejo webhook delivery, signed with X-Gitea-Signature",
)
def gitea_hook(
    request: Request,
    body: RawBody,
    x_gitea_signature: Annotated[Text, Header(description="<hex HMAC>")] = None,
    x_gitea_event: Annotated[Text, Header()] = None,
    x_gitea_delivery: Annotated[Text, Header()] = None,
) -> Response:
    return _deliver(request, "gitea", body)


@router.post(
    "/audit-stream/{platform}",
    response_model=StreamReceipt,
    responses=_NOT_SIGNED,
    summary="Audit-log entries streamed by GitHub (as to a Splunk collector) or GitLab",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "array", "items": {}}}},
            "description": "Entries: a JSON array, JSON lines, or Splunk collector envelopes",
        }
    },
)
def audit_stream(
    request: Request,
    platform: Annotated[str, Path(pattern="^[a-z][a-z0-9-]{0,31}$", description="github, gitlab")],
    body: RawBody,
    authorization: Annotated[Text, Header(description="GitHub: Splunk <token>")] = None,
    x_gitlab_event_streaming_token: Annotated[Text, Header()] = None,
) -> Response:
    config = request.app.state.vcs_hooks
    ledger = server(request).ledger
    summary = _refusals_recorded(
        request, f"audit-stream/{platform}", record_stream, ledger, config, platform,
        request.headers, body,
    )  # fmt: skip
    return _json(
        {
            "entries": summary.lines,
            "recorded": summary.imported,
            "duplicates": summary.duplicates,
            "skipped": dict(sorted(summary.skipped.items())),
        }
    )


def _deliver(request: Request, platform: str, body: bytes) -> Response:
    ledger = server(request).ledger
    received = format_time(ledger.clock.now())
    outcome = _refusals_recorded(
        request, platform, record_delivery, ledger, request.app.state.vcs_hooks, platform,
        request.headers, body, received, request.app.state.vcs_commits.append_once,
    )  # fmt: skip
    return _json(outcome.to_json())


def _refusals_recorded(request: Request, hook: str, work: Any, *args: Any) -> Any:
    """``work(*args)``, after the address's failure count allows it; a refused delivery is
    counted and recorded as ``auth.denied`` before its 401 goes out."""
    state, address = server(request), client_ip(request) or "unknown"
    state.limiter.check(address)
    try:
        return work(*args)
    except HookRefused as error:
        state.limiter.failed(address)
        state.audit.record(_denied(request, hook, error))
        raise


def _denied(request: Request, hook: str, error: HookRefused) -> dict[str, Any]:
    client = client_fields(client_ip(request), request.headers.get("user-agent"))
    return {
        "time": format_time(server(request).ledger.clock.now()),
        "action": "auth.denied",
        "outcome": "denied",
        "severity": "warning",
        "actor": {"id": "anonymous", "type": "anonymous", **client},
        "target": {"type": "webhook", "id": hook},
        "source": {"service": "sealtrail"},
        "request_id": request.state.request_id,
        "message": f"{endpoint(request)}: {error}",
    }


def _json(value: Any) -> Response:
    return Response(orjson.dumps(value), media_type="application/json")
