"""The web console: server-rendered pages for people, over the same library calls as ``/v1``.

    GET  /               the latest signed checkpoint and the last full verification
    POST /verify         "Verify now" (auditors): ``Ledger.verify`` in a thread, an audit.verify
    GET  /events         search with the filters of ``GET /v1/events``, newest first, by cursor
    GET  /events/{seq}   one record, its inclusion proof, checked again in the browser (proof.js)
    GET  /stats          counts over time, by action, by outcome: inline SVG bars
    GET  /alerts         the latest alerts (auditors), each linking to the records that set it off
    GET  /signin, POST /signin, POST /signout
    GET  /static/{name}  the console's stylesheet and script

The session cookie carries the API key itself (HttpOnly, SameSite=Strict, Secure unless
``settings.cookie_secure`` is false); ``deps.principal`` accepts it on GET requests only. Every
POST is checked for CSRF before anything else: a random token in a readable cookie must equal the
form's hidden field (double submit, compared in constant time), and an Origin header, when sent,
must name this host. A page asked for without credentials redirects to the sign-in page, without
counting as a failed authentication. ``user`` keys see only their actor's events, as in the API.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import quote, urlencode, urlsplit

import jinja2
import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from sealtrail.access import Principal, Role, Unauthenticated
from sealtrail.alerts import alert_status, recent_alerts
from sealtrail.api.deps import (
    SESSION_COOKIE,
    TooManyFailures,
    client_ip,
    presented_key,
    principal,
    server,
)
from sealtrail.api.events import _cursor, _next_cursor, _own_entry, _query
from sealtrail.catalog import ACTIONS
from sealtrail.errors import Denied, NotFound, SealtrailError, ValidationError, VerificationError
from sealtrail.events import OUTCOMES
from sealtrail.ledger.log import Ledger
from sealtrail.search import parse_search
from sealtrail.store import base
from sealtrail.verification import last_verification, verify_and_record

__all__ = ["CSRF_COOKIE", "router"]

log = logging.getLogger("sealtrail.console")

CSRF_COOKIE = "sealtrail_csrf"
PAGE_SIZE = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: Chromium then sends "Origin: null"
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_HERE = Path(__file__).parent
_TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
)
_STATIC = {p.name: p for p in (_HERE / "static").iterdir() if p.suffix in {".css", ".js"}}
_MEDIA = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_READERS = (Role.AUDITOR, Role.USER)
Text = Annotated[str, Query(max_length=512)]


class _ConsoleRoute(APIRoute):
    """Every console response gets the security headers; errors become HTML pages, not JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                response = await handle(request)
            except _SignIn:
                response = _to_signin(request)
            except SealtrailError as error:
                response = _error_page(request, error)
            except RequestValidationError as error:
                message = "; ".join(str(e.get("msg", "")) for e in error.errors()[:3])
                response = _error_page(request, ValidationError(f"bad request: {message}"))
            fresh = getattr(request.state, "new_csrf", None)
            if fresh is not None:
                _set_cookie(request, response, CSRF_COOKIE, fresh, http_only=False)
            response.headers.update(SECURITY_HEADERS)
            return response

        return route


router = APIRouter(route_class=_ConsoleRoute, include_in_schema=False)


# Sessions and CSRF.


class _SignIn(Exception):
    """No credentials came with a page request: send the browser to the sign-in page."""


def _caller(request: Request, *roles: Role) -> Principal:
    """The signed-in caller holding one of ``roles``; ``_SignIn`` when no key was presented."""
    if presented_key(request) is None:
        raise _SignIn
    caller = principal(request)
    if roles:
        try:
            caller.require(*roles)
        except Denied as error:
            what = f"{request.method} {request.url.path}"
            server(request).keys.deny(caller, error, ip=client_ip(request), what=what)
            raise
    return caller


def _authenticate(request: Request, secret: str | None) -> Principal:
    """Like ``deps.principal`` for a key from a form or, on a checked POST, the session cookie."""
    state, address = server(request), client_ip(request) or "unknown"
    state.limiter.check(address)
    try:
        found = state.keys.authenticate(
            secret, ip=client_ip(request), user_agent=request.headers.get("user-agent")
        )
    except Unauthenticated:
        state.limiter.failed(address)
        raise
    request.state.principal = found
    return found


def _csrf_token(request: Request) -> str:
    """The token for this browser's forms: its cookie's, or a new one the response will set."""
    fresh: str | None = getattr(request.state, "new_csrf", None)
    current = fresh or request.cookies.get(CSRF_COOKIE, "")
    if _TOKEN_RE.fullmatch(current):
        return current
    request.state.new_csrf = secrets.token_urlsafe(32)
    return str(request.state.new_csrf)


def _check_csrf(request: Request, token: str) -> None:
    """Raise ``Denied`` unless the form's token equals the cookie's and the Origin is ours."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    same = hmac.compare_digest(token.encode(), cookie.encode())
    if not (same and _TOKEN_RE.fullmatch(cookie)):
        raise Denied("the form is stale or did not come from this console (CSRF check failed)")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Denied(f"cross-origin form post from {origin[:100]!r} refused")


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, http_only: bool
) -> None:
    response.set_cookie(
        name,
        value,
        path="/",
        secure=server(request).settings.cookie_secure,
        httponly=http_only,
        samesite="strict",
    )


def _local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _to_signin(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(here, safe='')}", status_code=303)


def _page(
    request: Request, name: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> Response:
    values = {
        "caller": getattr(request.state, "principal", None),
        "csrf": _csrf_token(request),
        "nav": name.removesuffix(".html"),
        **(context or {}),
    }
    response = _TEMPLATES.TemplateResponse(request, name, values, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(request: Request, error: SealtrailError) -> Response:
    if isinstance(error, Unauthenticated):  # a key that no longer works: sign in again
        signin = _to_signin(request)
        signin.delete_cookie(SESSION_COOKIE, path="/")
        return signin
    status, headers = 400, {}
    if isinstance(error, TooManyFailures):
        status, headers = 429, {"Retry-After": str(error.retry_after)}
    elif isinstance(error, Denied):
        status = 403
    elif isinstance(error, NotFound):
        status = 404
    elif isinstance(error, VerificationError):
        status = 409
    response = _page(request, "error.html", {"status": status, "message": str(error)}, status)
    response.headers.update(headers)
    return response


# Sign in and out.


@router.get("/signin")
def signin_page(request: Request, next: Text = "/") -> Response:
    """The sign-in form."""
    return _page(request, "signin.html", {"next": _local_path(next), "error": None})


@router.post("/signin")
def signin(
    request: Request,
    key: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=512)] = "/",
) -> Response:
    """Check the key, then keep it in the session cookie and go where the user was going."""
    _check_csrf(request, csrf)
    try:
        caller = _authenticate(request, key.strip())
    except Unauthenticated:
        context = {"next": _local_path(next), "error": "That key was not accepted."}
        return _page(request, "signin.html", context, 401)
    if caller.role is not Role.ADMIN and caller.role not in _READERS:
        error = Denied(f"a {caller.role} key cannot read events; the console needs one that can")
        server(request).keys.deny(caller, error, ip=client_ip(request), what="console sign-in")
        raise error
    response = RedirectResponse(_local_path(next), status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, key.strip(), http_only=True)
    request.state.new_csrf = secrets.token_urlsafe(32)  # a new session, a new token
    return response


@router.post("/signout")
def signout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Forget the session cookie."""
    _check_csrf(request, csrf)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The console's own stylesheet and script (a fixed list: no paths from the request)."""
    path = _STATIC.get(name)
    if path is None:
        raise NotFound(f"no static file {name!r}")
    headers = {"Cache-Control": "public, max-age=300"}
    return Response(path.read_bytes(), media_type=_MEDIA[path.suffix], headers=headers)


# Overview and verification.


@router.get("/")
def overview(request: Request) -> Response:
    """The latest checkpoint and the last full verification."""
    caller = _caller(request, *_READERS)
    ledger = server(request).ledger
    stored = ledger.checkpoint()
    checkpoint = ledger.open_checkpoint(stored)
    context = {
        "checkpoint": stored,
        "root_hex": checkpoint.root_hash.hex(),
        "verifiers": [v.to_text() for v in ledger.keyring.verifiers],
        "last": last_verification(ledger.store),
        "running": _verifications(request).running(),
        "may_verify": caller.role in (Role.ADMIN, Role.AUDITOR),
    }
    return _page(request, "overview.html", context)


@router.post("/verify")
def verify_now(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Verify the whole log now (auditors and admins); the result shows on the overview page."""
    _check_csrf(request, csrf)
    caller = _authenticate(request, presented_key(request) or request.cookies.get(SESSION_COOKIE))
    try:
        caller.require(Role.AUDITOR)
    except Denied as error:
        server(request).keys.deny(caller, error, ip=client_ip(request), what="POST /verify")
        raise
    actor = {**caller.actor, **({"ip": ip} if (ip := client_ip(request)) else {})}
    _verifications(request).run(server(request).ledger, actor, wait=10.0)
    return RedirectResponse("/", status_code=303)


class _Verifications:
    """At most one full verification at a time per server, in its own thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self, ledger: Ledger, actor: Mapping[str, str], wait: float) -> None:
        """Start a verification unless one runs, then wait up to ``wait`` seconds for it."""
        with self._lock:
            if not self.running():
                self._thread = threading.Thread(
                    target=_verify, args=(ledger, dict(actor)), name="console-verify", daemon=True
                )
                self._thread.start()
            thread = self._thread
        assert thread is not None
        thread.join(wait)


_APP_LOCK = threading.Lock()


def _verifications(request: Request) -> _Verifications:
    with _APP_LOCK:
        found = getattr(request.app.state, "console_verifications", None)
        if found is None:
            found = request.app.state.console_verifications = _Verifications()
        return cast(_Verifications, found)


def _verify(ledger: Ledger, actor: dict[str, str]) -> None:
    """Verify and record the result (an ``audit.verify`` event and the store's metadata)."""
    with contextlib.suppress(SealtrailError):  # a failure is recorded, shown on the overview
        verify_and_record(ledger, actor)


# Events.


@dataclasses.dataclass(frozen=True)
class _Filters:
    """The search form, as typed (empty fields are absent)."""

    q: str = ""
    action: str = ""
    outcome: str = ""
    actor: str = ""
    target_id: str = ""
    since: str = ""
    until: str = ""

    def query(self, caller: Principal, **cursor: Any) -> base.Query:
        """The store query of these filters for ``caller`` (``user`` keys: their own events)."""
        query = _query(
            caller,
            action=[self.action] if self.action else None,
            outcome=self.outcome or None,
            actor=self.actor or None,
            target_id=self.target_id or None,
            since=_day_start(self.since),
            until=_day_start(self.until),
            **cursor,
        )
        return parse_search(self.q).apply(query) if self.q else query

    def link(self, **more: str) -> str:
        """The query string of these filters plus ``more``, for links that keep them."""
        fields = {**dataclasses.asdict(self), **more}
        return urlencode({k: v for k, v in fields.items() if v})


def _day_start(value: str) -> str | None:
    """A filter time: RFC 3339 as the API takes it, or a bare date meaning its midnight UTC."""
    if not value:
        return None
    return f"{value}T00:00:00Z" if _DATE_RE.fullmatch(value) else value


@router.get("/events")
def events_page(
    request: Request,
    q: Text = "",
    action: Text = "",
    outcome: Text = "",
    actor: Text = "",
    target_id: Text = "",
    since: Text = "",
    until: Text = "",
    cursor: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Search, newest first, ``PAGE_SIZE`` a page."""
    caller = _caller(request, *_READERS)
    filters = _Filters(q.strip(), action, outcome, actor, target_id, since, until)
    query = filters.query(caller, limit=PAGE_SIZE, before_seq=_cursor(cursor or None))
    ledger = server(request).ledger
    records = ledger.query(query)
    following = _next_cursor(records, PAGE_SIZE)
    leaves = ledger.open_leaves([record.leaf for record in records])
    context = {
        "filters": filters,
        "rows": [_row(record.seq, leaf) for record, leaf in zip(records, leaves, strict=True)],
        "next_link": filters.link(cursor=following) if following else None,
        "first_page": not cursor,
        "first_link": filters.link(),
        "actions": sorted(ACTIONS),
        "outcomes": sorted(OUTCOMES),
    }
    return _page(request, "events.html", context)


def _row(seq: int, leaf: bytes) -> dict[str, Any]:
    event = orjson.loads(leaf)
    return {
        "seq": seq,
        "time": event.get("time", ""),
        "action": event.get("action", ""),
        "outcome": event.get("outcome", ""),
        "actor": event.get("actor", {}).get("id", ""),
        "target": (event.get("target") or {}).get("id", ""),
        "message": event.get("message", ""),
    }


@router.get("/alerts")
def alerts_page(request: Request) -> Response:
    """The latest alerts, newest first, and how far evaluation has got (auditors and admins)."""
    _caller(request, Role.AUDITOR)
    ledger = server(request).ledger
    context = {"alerts": recent_alerts(ledger, PAGE_SIZE), "status": alert_status(ledger)}
    return _page(request, "alerts.html", context)


@router.get("/events/{seq}")
def event_page(request: Request, seq: int) -> Response:
    """One record pretty-printed, with its inclusion proof against the latest checkpoint."""
    caller = _caller(request, *_READERS)
    ledger = server(request).ledger
    leaf = _own_entry(ledger, caller, seq)
    stored = ledger.checkpoint()
    checkpoint = ledger.open_checkpoint(stored)  # the signature, checked here too
    proof = ledger.prove_inclusion(seq, stored.size)
    proof.check()
    if proof.root != checkpoint.root_hash:
        raise VerificationError("the proof's root is not the signed root", reason="root_mismatch")
    data = {
        **proof.to_json(),
        "checkpoint": stored.note,
        "verifiers": [v.to_text() for v in ledger.keyring.verifiers],
    }
    context = {
        "seq": seq,
        "record": orjson.dumps(
            orjson.loads(ledger.open_leaves([leaf])[0]), option=orjson.OPT_INDENT_2
        ).decode(),
        "proof": proof,
        "checkpoint": stored,
        "proof_data": data,
    }
    return _page(request, "event.html", context)


# Stats.


@dataclasses.dataclass(frozen=True)
class Bar:
    """One bar of a chart, laid out in the SVG's coordinates."""

    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclasses.dataclass(frozen=True)
class Chart:
    """An inline SVG bar chart: its size, its bars, and what it counts."""

    title: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    total: int
    note: str = ""


CHART_WIDTH = 720
_ROW = 22  # height of one horizontal bar's row
_LABEL_WIDTH = 190
_COLUMNS_HEIGHT = 180
_MAX_BUCKETS = {"day": 366, "hour": 168}


def bar_chart(title: str, counts: Mapping[str, int], top: int = 15) -> Chart:
    """Horizontal bars, largest first; beyond ``top`` the rest are summed as "other"."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > top:
        ranked = [*ranked[: top - 1], ("(other)", sum(n for _, n in ranked[top - 1 :]))]
    most = max((n for _, n in ranked), default=1)
    span = CHART_WIDTH - _LABEL_WIDTH - 60
    bars = tuple(
        Bar(label, n, _LABEL_WIDTH, i * _ROW + 3, max(1.0, span * n / most), _ROW - 6)
        for i, (label, n) in enumerate(ranked)
    )
    return Chart(title, CHART_WIDTH, max(1, len(bars)) * _ROW, bars, sum(counts.values()))


def time_chart(counts: Mapping[str, int], bucket: str) -> Chart:
    """Vertical columns, one per day or hour from the first to the last, empty ones included."""
    labels, cut = _buckets(sorted(counts), bucket)
    most = max((counts.get(label, 0) for label in labels), default=0) or 1
    step = (CHART_WIDTH - 50) / max(1, len(labels))
    bars = []
    for i, label in enumerate(labels):
        n = counts.get(label, 0)
        height = _COLUMNS_HEIGHT * n / most
        width = min(step * 0.8, 40.0)
        x = 45 + i * step + (step - width) / 2
        bars.append(Bar(label, n, x, _COLUMNS_HEIGHT - height + 10, width, height))
    note = f"the last {len(labels)} {bucket}s only" if cut else ""
    total = sum(counts.values())
    return Chart(
        f"Events per {bucket}", CHART_WIDTH, _COLUMNS_HEIGHT + 40, tuple(bars), total, note
    )


def _buckets(present: list[str], bucket: str) -> tuple[list[str], bool]:
    """Every bucket label from the first present one to the last (at most the latest
    ``_MAX_BUCKETS``), and whether earlier ones were cut."""
    shape, step = ("%Y-%m-%d", timedelta(days=1))
    if bucket == "hour":
        shape, step = ("%Y-%m-%dT%H", timedelta(hours=1))
    try:
        first, last = (datetime.strptime(present[i], shape) for i in (0, -1))
    except (ValueError, IndexError):
        return present, False
    start = max(first, last - step * (_MAX_BUCKETS[bucket] - 1))
    count = (last - start) // step + 1
    return [(start + i * step).strftime(shape) for i in range(count)], start > first


@router.get("/stats")
def stats_page(
    request: Request,
    q: Text = "",
    action: Text = "",
    outcome: Text = "",
    actor: Text = "",
    since: Text = "",
    until: Text = "",
    bucket: Annotated[str, Query(pattern="^(auto|day|hour)$")] = "auto",
) -> Response:
    """Counts of the matching events: over time, by action, by outcome (and by actor)."""
    caller = _caller(request, *_READERS)
    filters = _Filters(q.strip(), action, outcome, actor, "", since, until)
    query = filters.query(caller)
    store = server(request).ledger  # counts with actor filters mapped to the actor index
    days = store.count_by("day", query)
    if bucket == "auto":  # hours when everything happened within two days
        bucket = "hour" if len(_buckets(sorted(days), "day")[0]) <= 2 else "day"
    over_time = days if bucket == "day" else store.count_by("hour", query)
    charts = [
        time_chart(over_time, bucket),
        bar_chart("By action", store.count_by("action", query)),
        bar_chart("By outcome", store.count_by("outcome", query)),
    ]
    if caller.role is not Role.USER:
        charts.append(bar_chart("By actor", store.count_by("actor_id", query), top=10))
    context = {
        "filters": filters,
        "bucket": bucket,
        "charts": charts,
        "total": charts[1].total,
        "actions": sorted(ACTIONS),
        "outcomes": sorted(OUTCOMES),
    }
    return _page(request, "stats.html", context)
