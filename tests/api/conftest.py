"""Servers for the API tests, shared per module, and helpers to read what they recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from tests.conftest import RunningServer, engine_env, start_server

T = TypeVar("T")

#: Every anonymous request counts as a failed authentication from 127.0.0.1; tests that make many
#: of them on purpose raise the limit so that only the rate-limit tests meet it.
GENEROUS = {"SEALTRAIL_AUTH_FAILURES_ALLOWED": "100000"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server for a whole module, on each engine: tests on it must not depend on the log
    being empty."""
    env = {**GENEROUS, **engine_env(request)}
    running = start_server(tmp_path_factory.mktemp("api") / "data", env=env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(api: RunningServer) -> Iterator[httpx.Client]:
    with api.client(api.admin_key) as client:
        yield client


def wait_for(probe: Callable[[], T | None], *, what: str, timeout: float = 15.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def find_events(admin: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    """Every event matching ``filters`` (one page of up to 1000), newest first."""
    response = admin.get("/v1/events", params={"limit": 1000, **filters})
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def await_event(
    admin: httpx.Client, match: Callable[[dict[str, Any]], bool], what: str, **filters: Any
) -> dict[str, Any]:
    """The first event matching ``filters`` and ``match``, once the audit queue has written it."""
    return wait_for(
        lambda: next((e for e in find_events(admin, **filters) if match(e)), None), what=what
    )


def log_size(client: httpx.Client) -> int:
    """The number of records, from a fresh inclusion proof's tree size."""
    response = client.get("/v1/proofs/consistency", params={"old_size": 1})
    response.raise_for_status()
    return int(response.json()["size"])
