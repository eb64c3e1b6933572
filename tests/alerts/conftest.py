"""Synthetic streams for the alert tests: events at chosen times, normalised like records."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sealtrail.events import format_time, validate_event
from sealtrail.ledger.log import Ledger

ORIGIN = "test.example/alerts"
SECRET = "alert-webhook-secret"

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def event(
    action: str,
    at: datetime | float = 0.0,
    *,
    actor: str = "alice",
    ip: str | None = "192.0.2.7",
    outcome: str = "failure",
    registry: str = "registry.example.com",
    message: str | None = None,
) -> dict[str, Any]:
    """An event ``at`` a time (or that many seconds after ``T0``), validated as the ledger would."""
    when = at if isinstance(at, datetime) else T0 + timedelta(seconds=at)
    raw: dict[str, Any] = {
        "time": format_time(when),
        "action": action,
        "outcome": outcome,
        "actor": {"id": actor, "type": "user", **({"ip": ip} if ip else {})},
        "source": {"service": "tests"},
    }
    if action.startswith(("image.", "tag.")):
        raw["target"] = {"type": "image", "id": "team/app:v1", "registry": registry,
                         "repository": "team/app", "tag": "v1"}  # fmt: skip
    if message:
        raw["message"] = message
    return validate_event(raw)


def login_failed(at: datetime | float, **more: Any) -> dict[str, Any]:
    return event("auth.login_failed", at, **more)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite, else a PostgreSQL URL with a fresh schema: the state tables on both."""
    return request.getfixturevalue("postgres_url") if request.param == "postgresql" else None


@pytest.fixture
def ledger_dir(tmp_path: Path, engine_url: str | None) -> Path:
    """A new ledger's directory (its records on the engine of ``engine_url``)."""
    Ledger.create(tmp_path / "ledger", origin=ORIGIN, database_url=engine_url).close()
    return tmp_path / "ledger"


@pytest.fixture
def ledger(ledger_dir: Path, engine_url: str | None) -> Iterator[Ledger]:
    with Ledger.open(ledger_dir, database_url=engine_url) as opened:
        yield opened


class Receiver(ThreadingHTTPServer):
    """A webhook receiver that checks the signature, refuses the first delivery (to be retried)
    and keeps the alerts it accepted."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Hook)
        self.alerts: list[dict[str, Any]] = []
        self.refused = 0
        self.bad_signatures = 0
        self.arrived = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/alerts"


class Hook(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(self.headers.get("X-Sealtrail-Signature", ""), expected):
            self.server.bad_signatures += 1
            status = 401
        elif self.server.refused == 0:
            self.server.refused += 1
            status = 503
        else:
            self.server.alerts.extend(json.loads(body)["events"])
            self.server.arrived.set()
            status = 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    yield hook
    hook.shutdown()
    hook.server_close()
