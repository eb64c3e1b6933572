"""The gateway: an ASGI app proxying the OCI distribution API to one upstream registry.

Bodies stream both ways (``httpx`` to the upstream, Starlette responses to the client) and are
never held whole, except manifests (at most ``max_manifest_bytes``), which are read to record
their digest and size. What is recorded and refused:

    GET/HEAD manifest        image.pull, recorded before the manifest is served
    PUT manifest             refused (403 DENIED naming the policy) when it would move an
                             immutable tag; else forwarded, then image.push + tag.create/move
    DELETE manifest          refused when the tag, or a tag of the manifest, is immutable; else
                             forwarded, then image.delete + tag.delete
    POST upload ?mount=      image.mount when the upstream mounted the blob
    GET blob                 blob.pull, when ``blob_events`` is on

Fail-closed (the default): when an event cannot be stored within ``record_timeout`` the client
gets 503 and nothing is served; a change (push, delete, upload, mount) is not forwarded unless
the store takes writes. With ``fail_open`` the request is served and the failure logged (and,
the tag index being unreadable, immutability is not enforced meanwhile). An
append that timed out is not withdrawn: if the store comes back before it gives up (SQLite waits
for a locked database), the event still lands, recording a request the client was refused.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, TypeVar

import httpx
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route as StarletteRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from sealtrail.access import AccessKeys, Unauthenticated, client_fields
from sealtrail.errors import Denied, StoreUnavailable, ValidationError
from sealtrail.gateway.auth import actor_of, api_key_of, rewrite_challenge
from sealtrail.gateway.config import GatewayConfig, Upstream
from sealtrail.gateway.metrics import Metered, Metrics
from sealtrail.gateway.records import Call, image_event, outcome_of
from sealtrail.gateway.routes import Endpoint, Route
from sealtrail.gateway.trail import Trail

__all__ = ["Gateway", "NotRecorded", "UpstreamDown", "oci_error"]

log = logging.getLogger("sealtrail.gateway")
T = TypeVar("T")

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "host",
    }
)  # fmt: skip
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class UpstreamDown(Exception):
    """The upstream registry could not be reached."""


class NotRecorded(Exception):
    """An event could not be stored in time and the gateway fails closed."""


def oci_error(status: int, code: str, message: str) -> Response:
    """An OCI distribution error body (``{"errors": [{"code", "message"}]}``)."""
    body = orjson.dumps({"errors": [{"code": code, "message": message}]})
    return Response(body, status, media_type="application/json")


class Gateway:
    """The proxy over one upstream and one ledger; ``app()`` is the ASGI application."""

    def __init__(self, config: GatewayConfig, trail: Trail) -> None:
        self.config = config
        self.trail = trail
        self._threads = ThreadPoolExecutor(max_workers=32, thread_name_prefix="gateway-trail")
        self._client: httpx.AsyncClient | None = None
        self.metrics = Metrics()
        ledger = trail.ledger
        self._keys = AccessKeys(ledger.store, ledger.clock, _failures_only(trail.record))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                StarletteRoute("/healthz", self.healthz, methods=["GET"]),
                StarletteRoute("/readyz", self.readyz, methods=["GET"]),
                StarletteRoute("/metrics", self.exposition, methods=["GET"]),
                StarletteRoute("/v2/{path:path}", self.handle, methods=METHODS),
                StarletteRoute("/v2", self.handle, methods=METHODS),
                StarletteRoute("/{path:path}", self.token, methods=["GET", "POST"]),
            ],
            lifespan=self.lifespan,
            middleware=[Middleware(Metered, metrics=self.metrics)],
        )

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        async with self.connected():
            yield

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[None]:
        """The upstream connections open while inside; closed afterwards."""
        async with _upstream_client() as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None
                self._threads.shutdown(wait=False)

    def mounted(self, app: ASGIApp) -> ASGIApp:
        """An ASGI app answering ``/v2/…`` with the gateway and everything else with ``app``
        (``sealtrail serve`` with a ``[gateway]`` upstream). The API's body limit and request
        log stay out of the way of blobs; upstream connections open on first use."""
        gateway = self.app()

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "") if scope["type"] == "http" else ""
            if path == "/v2" or path.startswith("/v2/"):
                await gateway(scope, receive, send)
            else:
                await app(scope, receive, send)

        return dispatch

    async def healthz(self, request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def exposition(self, request: Request) -> Response:
        """``/metrics``: request counts, bytes and latency by operation (Prometheus text)."""
        return Response(self.metrics.text(), media_type="text/plain; version=0.0.4")

    async def readyz(self, request: Request) -> Response:
        ready = await self._blocking(self.trail.writable)
        body = {"status": "ready" if ready else "unavailable"}
        return Response(orjson.dumps(body), 200 if ready else 503, media_type="application/json")

    async def token(self, request: Request) -> Response:
        """Any other path goes to the upstream unrecorded: a token service on the upstream's
        origin, whose realm the challenges now name on the gateway (see ``auth``)."""
        request.state.upstream = self.config.upstream_for(request.headers.get("host", ""), "")
        try:
            return self._relay(request, await self._send(request, request.stream()))
        except UpstreamDown as error:
            return oci_error(502, "UNAVAILABLE", f"upstream registry unreachable: {error}")

    # dispatch

    async def handle(self, request: Request) -> Response:
        route = Route.from_path(request.url.path)
        upstream = self.config.upstream_for(request.headers.get("host", ""), route.repository)
        request.state.upstream = upstream
        call = self._call(request, route, upstream)
        try:
            if (secret := api_key_of(request.headers.get("authorization"))) is not None:
                call = await self._key_holder(request, call, secret)
            elif self.config.require_key:
                raise Unauthenticated("a sealtrail API key is required (as the password)")
            return await self._dispatch(request, route, call)
        except Unauthenticated as error:
            response = oci_error(401, "UNAUTHORIZED", str(error))
            response.headers["WWW-Authenticate"] = 'Basic realm="sealtrail gateway"'
            return response
        except UpstreamDown as error:
            return oci_error(502, "UNAVAILABLE", f"upstream registry unreachable: {error}")
        except ValidationError as error:  # a name no event can carry: the registry refuses it too
            return oci_error(400, "NAME_INVALID", str(error))
        except Denied as error:
            return oci_error(403, "DENIED", str(error))
        except NotRecorded as error:
            response = oci_error(503, "UNAVAILABLE", f"audit trail unavailable: {error}")
            response.headers["Retry-After"] = "1"
            return response

    async def _dispatch(self, request: Request, route: Route, call: Call) -> Response:
        method = request.method
        if route.endpoint is Endpoint.MANIFEST:
            if method in ("GET", "HEAD"):
                return await self._pull(request, route, call)
            if method == "PUT":
                return await self._push(request, route, call)
            if method == "DELETE":
                return await self._delete(request, route, call)
        if route.endpoint is Endpoint.BLOB and method == "GET" and self.config.blob_events:
            return await self._blob(request, call)
        if route.endpoint is Endpoint.UPLOAD and method == "POST":
            return await self._upload(request, call)
        if method in _WITH_BODY or method == "DELETE":
            await self._ensure_writable()
        return self._relay(request, await self._send(request, request.stream()))

    async def _key_holder(self, request: Request, call: Call, secret: str) -> Call:
        """``call`` acted by the holder of sealtrail API key ``secret`` (``Unauthenticated``
        when it is not an active key); the key is not forwarded."""
        ip, agent = call.actor.get("ip"), call.actor.get("user_agent")
        principal = await self._blocking(self._keys.authenticate, secret, ip=ip, user_agent=agent)
        request.state.key_holder = True
        return replace(call, actor={**principal.actor, **client_fields(ip, agent)})

    def _call(self, request: Request, route: Route, upstream: Upstream) -> Call:
        client = request.client.host if request.client else None
        actor = actor_of(
            request.headers.get("authorization"), client, request.headers.get("user-agent")
        )
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        return Call(
            upstream.registry,
            route.repository,
            route.reference,
            actor,
            request.method,
            request_id[:128],
        )

    # the operations that are recorded

    async def _pull(self, request: Request, route: Route, call: Call) -> Response:
        upstream, content = await self._manifest_exchange(request, None, call, "image.pull", None)
        digest = upstream.headers.get("docker-content-digest")
        size = len(content) if request.method == "GET" else _length(upstream)
        details: dict[str, Any] = {"bytes": size, "status": upstream.status_code}
        if media_type := upstream.headers.get("content-type"):
            details["media_type"] = media_type
        outcome = outcome_of(upstream.status_code)
        event = image_event(
            "image.pull", call, time=self.trail.now(), outcome=outcome,
            digest=digest if outcome == "success" else None, details=details,
        )  # fmt: skip
        await self._record([event])
        return self._buffered(request, upstream, content)

    async def _push(self, request: Request, route: Route, call: Call) -> Response:
        body = await _read_request(request, self.config.max_manifest_bytes)
        if body is None:
            return oci_error(413, "SIZE_INVALID", "manifest larger than the gateway accepts")
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if route.by_digest:
            digest = route.reference
        await self._ensure_writable()
        if route.tag is not None:
            await self._blocking(self.trail.refuse_push, call, digest)
        upstream, content = await self._manifest_exchange(request, body, call, "image.push", digest)
        outcome = outcome_of(upstream.status_code)
        served = upstream.headers.get("docker-content-digest") or digest
        details: dict[str, Any] = {"bytes": len(body), "status": upstream.status_code}
        if media_type := request.headers.get("content-type"):
            details["media_type"] = media_type
        event = image_event(
            "image.push", call, time=self.trail.now(), outcome=outcome, digest=served,
            details=details,
        )  # fmt: skip
        if outcome == "success":
            await self._blocking(self.trail.pushed, call, route.tag, served, event)
        else:
            await self._record([event])
        return self._buffered(request, upstream, content)

    async def _delete(self, request: Request, route: Route, call: Call) -> Response:
        await self._ensure_writable()
        await self._blocking(self.trail.refuse_delete, call, route.tag)
        upstream, content = await self._manifest_exchange(request, None, call, "image.delete", None)
        outcome = outcome_of(upstream.status_code)
        digest = route.reference if route.by_digest else None
        event = image_event(
            "image.delete", call, time=self.trail.now(), outcome=outcome, digest=digest,
            details={"status": upstream.status_code},
        )  # fmt: skip
        if outcome == "success":
            await self._blocking(self.trail.deleted, call, route.tag, event)
        else:
            await self._record([event])
        return self._buffered(request, upstream, content)

    async def _upload(self, request: Request, call: Call) -> Response:
        await self._ensure_writable()
        upstream = await self._send(request, request.stream())
        mounted = request.query_params.get("mount")
        if mounted and upstream.status_code == 201:
            source = request.query_params.get("from", "")
            details = {"from": source, "status": upstream.status_code}
            event = image_event(
                "image.mount", call, time=self.trail.now(), outcome="success", digest=mounted,
                details=details,
            )  # fmt: skip
            try:
                await self._record([event])
            except NotRecorded:
                await upstream.aclose()
                raise
        return self._relay(request, upstream)

    async def _blob(self, request: Request, call: Call) -> Response:
        upstream = await self._send(request, None)
        outcome = outcome_of(upstream.status_code)
        details = {"bytes": _length(upstream), "status": upstream.status_code}
        event = image_event(
            "blob.pull", call, time=self.trail.now(), outcome=outcome,
            digest=call.reference if outcome == "success" else None, details=details,
        )  # fmt: skip
        try:
            await self._record([event])
        except NotRecorded:
            await upstream.aclose()
            raise
        return self._relay(request, upstream)

    def _event(
        self, action: str, call: Call, outcome: str, digest: str | None, error: str
    ) -> dict[str, Any]:
        details = {"error": error[:500]}
        return image_event(
            action, call, time=self.trail.now(), outcome=outcome, digest=digest, details=details
        )

    # the ledger, off the event loop

    async def _blocking(self, work: Callable[..., T], *args: Any, **options: Any) -> T:
        """``work(*args)`` in a worker thread, given at most ``record_timeout`` seconds; a store
        that does not answer in time is ``NotRecorded`` (or logged, failing open)."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._threads, functools.partial(work, *args, **options))
        try:
            return await asyncio.wait_for(future, self.config.record_timeout)
        except (StoreUnavailable, TimeoutError) as error:
            reason = str(error) or f"no answer within {self.config.record_timeout:g} s"
            if self.config.fail_open:
                log.warning("serving without recording (fail_open): %s", reason)
                return None  # type: ignore[return-value]
            raise NotRecorded(reason) from error

    async def _record(self, events: list[dict[str, Any]]) -> None:
        await self._blocking(self.trail.record, events)

    async def _ensure_writable(self) -> None:
        if self.config.fail_open:
            return
        if not await self._blocking(self.trail.writable):
            raise NotRecorded("the store does not take writes")

    # the upstream

    async def _manifest_exchange(
        self, request: Request, body: Any, call: Call, action: str, digest: str | None
    ) -> tuple[httpx.Response, bytes]:
        """The upstream's answer to a manifest request and its body; when the upstream cannot
        be reached, a failed ``action`` event is recorded first and ``UpstreamDown`` raised."""
        try:
            upstream = await self._send(request, body)
        except UpstreamDown as error:
            await self._record([self._event(action, call, "failure", digest, str(error))])
            raise
        return upstream, await self._read(upstream, self.config.max_manifest_bytes)

    async def _send(self, request: Request, body: Any) -> httpx.Response:
        if self._client is None:  # mounted: no lifespan of its own
            self._client = _upstream_client()
        origin = request.state.upstream.url
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        url = origin + raw_path.decode("latin-1")  # as sent: percent-escapes stay escaped
        if request.url.query:
            url += "?" + request.url.query
        holder = getattr(request.state, "key_holder", False)
        dropped = _HOP | {"authorization"} if holder else _HOP
        headers = [
            (name, value) for name, value in request.headers.items() if name.lower() not in dropped
        ]
        content = body if request.method in _WITH_BODY else None
        try:
            outgoing = self._client.build_request(
                request.method, url, headers=headers, content=content
            )
        except httpx.InvalidURL as error:
            raise ValidationError(f"request path: {error}") from None
        try:
            return await self._client.send(outgoing, stream=True)
        except httpx.TransportError as error:
            raise UpstreamDown(f"{origin}: {type(error).__name__} {error}") from None

    async def _read(self, upstream: httpx.Response, limit: int) -> bytes:
        """The whole (small) body of a manifest response."""
        try:
            content = b""
            async for chunk in upstream.aiter_raw():
                content += chunk
                if len(content) > limit:
                    raise UpstreamDown(f"a manifest response over {limit} bytes")
            return content
        except httpx.TransportError as error:
            raise UpstreamDown(f"{upstream.request.url.netloc.decode()}: {error}") from None
        finally:
            await upstream.aclose()

    def _headers(self, request: Request, upstream: httpx.Response) -> list[tuple[bytes, bytes]]:
        gateway = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
        origin = request.state.upstream.url
        headers = []
        for name, value in upstream.headers.multi_items():
            lower = name.lower()
            if lower in _HOP:
                continue
            if lower == "location" and value.startswith(origin):
                value = gateway + value[len(origin) :]
            elif lower == "link":
                value = value.replace(origin, gateway)
            elif lower == "www-authenticate":
                value = rewrite_challenge(value, origin, gateway)
            headers.append((lower.encode("latin-1"), value.encode("latin-1")))
        return headers

    def _buffered(self, request: Request, upstream: httpx.Response, content: bytes) -> Response:
        response = Response(content if request.method != "HEAD" else b"", upstream.status_code)
        response.raw_headers = self._headers(request, upstream)
        return response

    def _relay(self, request: Request, upstream: httpx.Response) -> Response:
        response = StreamingResponse(_relayed(upstream), upstream.status_code)
        response.raw_headers = self._headers(request, upstream)
        return response


async def _relayed(upstream: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream body as it arrives; the upstream response is closed however the relay ends
    (a client that goes away included), so its connection returns to the pool."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()


def _failures_only(record: Callable[[list[dict[str, Any]]], None]) -> Callable[[Any], None]:
    """Record refused keys; a key's use shows as the actor of the events it causes."""

    def recorder(event: Any) -> None:
        if event.get("outcome") != "success":
            record([event])

    return recorder


def _upstream_client() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0, read=300.0))


def _length(response: httpx.Response) -> int | None:
    text = response.headers.get("content-length")
    return int(text) if text is not None and text.isdigit() else None


async def _read_request(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit``."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body
