"""Fixtures for the SDK tests: a shared server, keys, the pinned verifier key, polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from sealtrail.client import Client
from sealtrail.ledger.keyring import VERIFIER_KEYS
from sealtrail.ledger.note import Checkpoint, Verifier, open_checkpoint
from tests.conftest import RunningServer, engine_env, start_server

T = TypeVar("T")

#: The error-mapping tests fail authentication on purpose; keep them clear of the rate limit.
GENEROUS = {"SEALTRAIL_AUTH_FAILURES_ALLOWED": "100000"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server for a module, on each engine: tests on it must not depend on the log being
    empty."""
    env = {**GENEROUS, **engine_env(request)}
    running = start_server(tmp_path_factory.mktemp("sdk") / "data", env=env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def writer(shared: RunningServer) -> Iterator[Client]:
    with Client(shared.url, shared.key("writer")) as client:
        yield client


@pytest.fixture(scope="module")
def auditor(shared: RunningServer) -> Iterator[Client]:
    with Client(shared.url, shared.key("auditor")) as client:
        yield client


@pytest.fixture(scope="module")
def vkey(shared: RunningServer) -> str:
    return verifier_key(shared.directory)


def verifier_key(directory: Path) -> str:
    """The current verifier key of the ledger in ``directory``: what a careful client pins."""
    return (directory / VERIFIER_KEYS).read_text().split()[-1]


def wait_for(probe: Callable[[], T | None], *, what: str, timeout: float = 20.0) -> T:
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


def signed_size(client: Client, vkey: str, size: int) -> Checkpoint | None:
    """The server's checkpoint if it covers at least ``size`` records, else None."""
    checkpoint = open_checkpoint(client.checkpoint(), [Verifier.from_text(vkey)])
    return checkpoint if checkpoint.size >= size else None


class Follow(httpx.BaseTransport):
    """Sends every request to ``url``, which a test changes when its server restarts elsewhere.

    ``start_server`` picks a new port each time; in production a name or a load balancer keeps
    the address stable while the server restarts. This is that address.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = httpx.URL(self.url)
        request.url = request.url.copy_with(host=target.host, port=target.port)
        return self._network.handle_request(request)

    def close(self) -> None:
        self._network.close()
