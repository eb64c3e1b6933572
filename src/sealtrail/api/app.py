"""The FastAPI application: routers, one error mapping, request middleware, lifecycle.

Errors are turned into responses in one place, all of one shape (``deps.Problem``):
``{"error": "...", "status": N, "request_id": "..."}``. sealtrail's own errors map by kind
(``_STATUS``), malformed JSON is 400, a parameter or field of the wrong type or shape 422, a body
over the limit 413, and anything unexpected a 500 whose request id finds it in the server log.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sealtrail import errors
from sealtrail.access import AccessKeys, Principal, Unauthenticated, client_fields
from sealtrail.alerts import alert_followers, parse_alerts
from sealtrail.api import console, events, export, keys, log, registry_hooks, vcs_hooks
from sealtrail.api import policies as immutability_policies
from sealtrail.api.audit import AuditQueue
from sealtrail.api.deps import (
    ERRORS,
    FailureLimiter,
    Server,
    TooManyFailures,
    client_ip,
    endpoint,
    server,
)
from sealtrail.config import Settings
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.retention.schedule import RetentionSchedule
from sealtrail.sinks.forwarding import Followers, Forwarding

__all__ = ["create_app"]

logger = logging.getLogger("sealtrail.api")

_STATUS: list[tuple[type[errors.SealtrailError], int]] = [
    (TooManyFailures, 429),
    (Unauthenticated, 401),
    (errors.Denied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.ValidationError, 400),
    (errors.VerificationError, 409),
    (errors.StoreUnavailable, 503),
]
_STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_MAX_REQUEST_ID = 128
_PLAIN = {  # pydantic error types, said for people who send JSON
    "dict_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "missing": "required",
    "extra_forbidden": "unknown field",
}


class Health(BaseModel):
    status: str


def create_app(settings: Settings, ledger: Ledger) -> FastAPI:
    """The whole server over an open ledger; the ledger is closed with the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger.start_checkpointer()
        forwarding = Forwarding.from_settings(settings, ledger)
        alerting = Followers(alert_followers(alerts, ledger))
        forwarding.start()
        retention = RetentionSchedule.from_settings(settings, ledger)
        alerting.start()
        retention.start()
        yield
        retention.stop()
        alerting.stop()
        forwarding.stop()
        state.audit.close()
        ledger.close()

    alerts = parse_alerts(settings.section("alerts"))  # a bad rule stops the server here
    audit = AuditQueue(ledger)
    state = Server(
        settings,
        ledger,
        audit,
        AccessKeys(ledger.store, ledger.clock, audit.record),
        FailureLimiter(settings.auth_failures_allowed, settings.auth_failure_window),
    )
    app = FastAPI(
        title="sealtrail",
        version="0.1.0",
        lifespan=lifespan,
        description="A sealed, verifiable audit trail for software supply chains.",
    )
    app.state.server = state
    for router in (events.router, log.router, keys.router, export.router):
        app.include_router(router, responses=ERRORS)
    app.include_router(immutability_policies.router, responses=ERRORS)
    vcs_hooks.install(app, settings, ledger)
    app.include_router(registry_hooks.router, responses=ERRORS)
    app.include_router(console.router)
    health = {"response_model": Health, "methods": ["GET"], "tags": ["health"]}
    app.add_api_route("/healthz", healthz, **health)  # type: ignore[arg-type]
    app.add_api_route(
        "/readyz",
        readyz,
        responses={503: {"model": Health}},
        **health,  # type: ignore[arg-type]
    )
    app.add_exception_handler(errors.SealtrailError, _sealtrail_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_middleware(Observe, state=state)
    return app


def healthz() -> Health:
    """Alive: the process answers."""
    return Health(status="ok")


def readyz(request: Request) -> JSONResponse:
    """Ready: the store accepts writes."""
    ready = server(request).ledger.store.writable()
    return JSONResponse({"status": "ready" if ready else "unavailable"}, 200 if ready else 503)


# --- errors ---


def _problem(status: int, message: str, request_id: str | None, **headers: str) -> JSONResponse:
    body = {"error": message, "status": status, "request_id": request_id}
    return JSONResponse(body, status, headers=headers)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


async def _sealtrail_error(request: Request, error: errors.SealtrailError) -> JSONResponse:
    status = next(code for kind, code in _STATUS if isinstance(error, kind))
    headers = {}
    if isinstance(error, TooManyFailures):
        headers["Retry-After"] = str(error.retry_after)
    elif status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sealtrail"'
    elif status == 503:
        headers["Retry-After"] = "1"
    return _problem(status, str(error), _request_id(request), **headers)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    """Starlette's own errors (no such route, method not allowed, unparsable body) in our shape."""
    message = str(error.detail)
    if error.status_code in (404, 405):
        message = f"{message}: {endpoint(request)}"
    headers = dict(error.headers or {})
    return _problem(error.status_code, message, _request_id(request), **headers)


async def _request_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 naming each field that is wrong; 400 when the body is not JSON at all."""
    problems = error.errors()
    malformed = any(p["type"] == "json_invalid" for p in problems)
    said = "; ".join(_describe(p, request) for p in problems[:5])
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return _problem(400 if malformed else 422, said + more, _request_id(request))


def _describe(problem: dict[str, Any], request: Request) -> str:
    where = ".".join(str(part) for part in problem["loc"])
    if problem["type"] == "json_invalid":
        position = problem["loc"][-1]
        return f"body: malformed JSON at character {position}: {problem['ctx']['error']}"
    what = _PLAIN.get(problem["type"], problem["msg"])
    content_type = request.headers.get("content-type", "")
    if where == "body" and "json" not in content_type:
        what += f" (send JSON as Content-Type: application/json, not {content_type or 'none'!r})"
    return f"{where}: {what}"


# --- the request middleware ---


class Observe:
    """Per request: its id, the body limit, one JSON log line, and ``http.request`` for writes.

    A pure ASGI middleware inside Starlette's error handling and outside the routes. The body is
    read here, up to ``max_body_bytes`` (413 beyond it, with or without Content-Length), and
    replayed to the route. An unexpected exception becomes a JSON 500 carrying the request id,
    and its traceback goes to the log under that id.
    """

    def __init__(self, app: ASGIApp, state: Server) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _new_request_id(Headers(scope=scope).get("x-request-id", ""))
        scope.setdefault("state", {})["request_id"] = request_id
        began = time.perf_counter()
        sent = _Sent(send, request_id)
        try:
            await self._handle(scope, receive, sent)
        finally:
            self._observed(Request(scope), sent.status or 500, time.perf_counter() - began)

    async def _handle(self, scope: Scope, receive: Receive, sent: _Sent) -> None:
        limit = self.state.settings.max_body_bytes
        body = await _read_body(scope, receive, limit)
        if body is None:
            too_large = _problem(413, f"request body over {limit} bytes", sent.request_id)
            await too_large(scope, receive, sent)
            return
        try:
            await self.app(scope, _replay(body, receive), sent)
        except Exception:
            logger.exception("request %s failed", sent.request_id)
            if sent.status:
                raise
            failed = _problem(
                500, "internal error; the request id finds it in the log", sent.request_id
            )
            await failed(scope, receive, sent)

    def _observed(self, request: Request, status: int, duration: float) -> None:
        caller: Principal | None = getattr(request.state, "principal", None)
        if self.state.settings.log_requests:
            line = {
                "method": request.method,
                "path": request.url.path,
                "status": status,
                "duration_ms": round(duration * 1000, 2),
                "request_id": request.state.request_id,
                "actor": caller.actor["id"] if caller else None,
            }
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
            sys.stdout.flush()
        if request.method in _STATE_CHANGING and caller is not None:
            self.state.audit.record(_request_event(request, status, duration, caller.actor))


class _Sent:
    """The downstream ``send``, adding the request id to the response and noting its status."""

    def __init__(self, send: Send, request_id: str) -> None:
        self.send = send
        self.request_id = request_id
        self.status = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            MutableHeaders(scope=message)["X-Request-ID"] = self.request_id
        await self.send(message)


def _new_request_id(given: str) -> str:
    """The caller's request id when it is printable, cut to 128 characters; else a new one."""
    given = given[:_MAX_REQUEST_ID]
    return given if given and given.isprintable() else str(uuid.uuid4())


async def _read_body(scope: Scope, receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages, its body in one; None when the body is over ``limit`` bytes."""
    declared = Headers(scope=scope).get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return [message]  # the client went away: let the route see that
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit:
            return None
        if not message.get("more_body", False):
            return [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _request_event(request: Request, status: int, duration: float, actor: dict[str, str]) -> Any:
    outcome = "success" if status < 400 else "denied" if status in (401, 403) else "failure"
    return {
        "time": format_time(server(request).ledger.clock.now()),
        "action": "http.request",
        "outcome": outcome,
        "actor": {**actor, **client_fields(client_ip(request), None)},
        "target": {"type": "http_endpoint", "id": endpoint(request)},
        "source": {"service": "sealtrail"},
        "request_id": request.state.request_id,
        "details": {"status": status, "duration_ms": round(duration * 1000, 2)},
    }
