"""Request-scoped pieces shared by the routes: the server's state, the caller's principal, and the
error shape every route documents."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from sealtrail.access import AccessKeys, Principal, Role, Unauthenticated, printable
from sealtrail.api.audit import AuditQueue
from sealtrail.config import Settings
from sealtrail.errors import Denied
from sealtrail.ledger.log import Ledger

__all__ = [
    "ERRORS",
    "SESSION_COOKIE",
    "FailureLimiter",
    "Problem",
    "Server",
    "TooManyFailures",
    "client_ip",
    "endpoint",
    "presented_key",
    "principal",
    "require",
    "server",
]

SESSION_COOKIE = "sealtrail_session"
_MAX_TRACKED_ADDRESSES = 10_000  # beyond this, quiet addresses are swept on the next failure


class TooManyFailures(Denied):
    """Too many failed authentications from one address; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed authentications; retry in {retry_after} s")
        self.retry_after = retry_after


class Problem(BaseModel):
    """Every error response: what went wrong (naming the field or part), the status, the request."""

    error: str
    status: int
    request_id: str | None = None


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


#: The error responses of the API routes, for the OpenAPI document.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad input or malformed JSON; the message names the field or part"),
    401: _problem("No credentials, or not a valid key"),
    403: _problem("The key's role may not do this"),
    404: _problem("No such thing, or not the caller's to see"),
    413: _problem("The request body is over the configured limit"),
    422: _problem("A parameter or body field has the wrong type or shape"),
    429: _problem("Too many failed authentications from this address; see Retry-After"),
    503: _problem("The store is unavailable; retry"),
}


@dataclass
class FailureLimiter:
    """Counts failed authentications per client address in a sliding window of ``window`` s."""

    allowed: int
    window: float
    _seen: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, address: str) -> None:
        """Raise ``TooManyFailures`` when ``address`` has failed ``allowed`` times lately."""
        with self._lock:
            times = self._recent(address)
            if len(times) >= self.allowed:
                raise TooManyFailures(max(1, int(times[0] + self.window - time.monotonic()) + 1))

    def failed(self, address: str) -> None:
        with self._lock:
            if len(self._seen) >= _MAX_TRACKED_ADDRESSES:
                for seen in list(self._seen):
                    self._recent(seen)
            self._recent(address)
            self._seen.setdefault(address, deque()).append(time.monotonic())

    def _recent(self, address: str) -> deque[float]:
        """The address's failures within the window; an address without any is forgotten."""
        times = self._seen.get(address, deque())
        cutoff = time.monotonic() - self.window
        while times and times[0] < cutoff:
            times.popleft()
        if not times:
            self._seen.pop(address, None)
        return times


@dataclass
class Server:
    """What every route needs, built once by ``create_app``."""

    settings: Settings
    ledger: Ledger
    audit: AuditQueue
    keys: AccessKeys
    limiter: FailureLimiter


def server(request: Request) -> Server:
    state: Server = request.app.state.server
    return state


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def endpoint(request: Request) -> str:
    """``METHOD /path`` as the client sent it, printable and bounded: safe for events and logs."""
    path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    return f"{request.method} {printable(path, 1024)}"


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE) if request.method == "GET" else None


def principal(request: Request) -> Principal:
    """The authenticated caller; 401 (and an auth event) otherwise, 429 after repeated failures."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    state, address = server(request), client_ip(request) or "unknown"
    state.limiter.check(address)
    try:
        found = state.keys.authenticate(
            presented_key(request),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except Unauthenticated:
        state.limiter.failed(address)
        raise
    request.state.principal = found
    return found


def require(*roles: Role) -> Callable[[Request], Principal]:
    """A dependency: the caller, who must hold one of ``roles`` (admin always may)."""

    def dependency(request: Request) -> Principal:
        caller = principal(request)
        try:
            caller.require(*roles)
        except Denied as error:
            server(request).keys.deny(caller, error, ip=client_ip(request), what=endpoint(request))
            raise
        return caller

    return dependency
