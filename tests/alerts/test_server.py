"""Alerts in a real `sealtrail serve`: a restart in the middle of a window (state kept in the
store, on both engines), delivery to a real HTTP receiver that checks the HMAC-SHA256 signature,
and alerts in the console."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sealtrail.events import format_time
from tests.alerts.conftest import SECRET, Receiver
from tests.conftest import RunningServer, engine_env, start_server
from tests.console.conftest import Console

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, seconds: float = 30) -> T:
    """The first truthy answer of ``probe``, asked until ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not (found := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found


def failed_login(actor: str) -> dict[str, Any]:
    return {
        "time": format_time(datetime.now(UTC)),
        "action": "auth.login_failed",
        "outcome": "failure",
        "actor": {"id": actor, "type": "user", "ip": "198.51.100.9"},
        "source": {"service": "sso"},
    }


def post(server: RunningServer, key: str, event: dict[str, Any]) -> int:
    with server.client(key) as client:
        response = client.post("/v1/events", json=event)
    response.raise_for_status()
    return int(response.json()["seq"])


def raised(server: RunningServer, rule: str) -> list[dict[str, Any]]:
    with server.client(server.admin_key) as client:
        response = client.get("/v1/events", params={"action": "alert.raised", "limit": 100})
    response.raise_for_status()
    return [e for e in response.json()["events"] if e["target"]["id"] == rule]


def evaluated(server: RunningServer) -> int:
    with server.store() as store:
        rows = store.read("SELECT evaluated FROM alert_cursor")
    return int(rows[0][0]) if rows else -1


ALERT_ENV = {
    "SEALTRAIL_ALERTS__ENABLED": "true",
    # creating the test's API keys out of business hours must not raise alerts of its own
    "SEALTRAIL_ALERTS__RULES__CHANGES_OUTSIDE_BUSINESS_HOURS__ENABLED": "false",
    "SEALTRAIL_ALERTS__POLL_INTERVAL": "0.05",
    "SEALTRAIL_ALERTS__SAVE_INTERVAL": "0.2",
    "SEALTRAIL_ALERTS__RULES__FAILED_LOGINS_PER_ACTOR__THRESHOLD": "3",
    "SEALTRAIL_ALERTS__RULES__FAILED_LOGINS_PER_ACTOR__WINDOW": "3600",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def environment(request: pytest.FixtureRequest) -> dict[str, str]:
    return {**ALERT_ENV, **engine_env(request)}


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_a_restart_in_the_middle_of_a_window_keeps_the_count(
    tmp_path: Path, environment: dict[str, str], stop: str
) -> None:
    first = start_server(tmp_path / "data", env=environment)
    try:
        writer = first.key("writer")
        seqs = [post(first, writer, failed_login("mallory")) for _ in range(2)]
        eventually(lambda: evaluated(first) >= seqs[-1], "the first two to be evaluated")
        assert raised(first, "failed-logins-per-actor") == []
        if stop == "SIGKILL":
            first.process.kill()
            first.process.wait()
    finally:
        first.stop()
    second = start_server(tmp_path / "data", env=environment)
    second.admin_key = first.admin_key
    try:
        seqs.append(post(second, writer, failed_login("mallory")))
        [alert] = eventually(lambda: raised(second, "failed-logins-per-actor"), "the alert")
        assert alert["details"]["seqs"] == seqs
        assert alert["details"]["group"] == "mallory"
        assert alert["details"]["window_seconds"] == 3600
    finally:
        second.stop()


def test_alerts_reach_the_webhook_signed_and_show_in_the_console(
    tmp_path: Path, receiver: Receiver
) -> None:
    hook_env = {
        **ALERT_ENV,
        "SEALTRAIL_ALERTS__WEBHOOK_URL": receiver.url,
        "SEALTRAIL_ALERTS__WEBHOOK_SECRET": SECRET,
        "SEALTRAIL_ALERTS__RULES__FAILED_LOGINS_PER_ACTOR__THRESHOLD": "2",
    }
    server = start_server(tmp_path / "data", env=hook_env)
    try:
        writer = server.key("writer")
        seqs = [post(server, writer, failed_login("eve")) for _ in range(2)]
        assert receiver.arrived.wait(30), "no alert reached the webhook"
        alert = eventually(
            lambda: next(
                (a for a in receiver.alerts if a["target"]["id"] == "failed-logins-per-actor"), None
            ),
            "the failed-logins alert at the webhook",
        )
        assert alert["action"] == "alert.raised"
        assert alert["details"]["seqs"] == seqs
        assert receiver.refused == 1
        assert receiver.bad_signatures == 0
        with server.client(server.admin_key) as client:
            page = client.get("/alerts")
        assert page.status_code == 200
        assert "failed-logins-per-actor" in page.text
        assert f"/events/{alert['seq']}" in page.text
        hostile = '"><svg onload=alert(2)>'
        post(server, writer, failed_login(hostile))
        post(server, writer, failed_login(hostile))
        eventually(lambda: len(raised(server, "failed-logins-per-actor")) == 2, "a second alert")
        with Console(server) as auditor:
            auditor.sign_in(server.key("auditor"))
            page = auditor.get("/alerts")
            assert page.status_code == 200
            assert "<svg onload" not in page.text
            assert "&lt;svg onload=alert(2)&gt;" in page.text
            assert 'href="/alerts"' in page.text  # in the navigation
        with Console(server) as user:
            user.sign_in(server.key("user", actor="eve"))
            assert user.get("/alerts").status_code == 403
            assert 'href="/alerts"' not in user.get("/events").text
    finally:
        server.stop()
