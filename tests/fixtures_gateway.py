"""A real ``sealtrail gateway`` process in front of a real registry, and what it recorded.

``start_gateway(directory, upstream)`` inits a ledger in ``directory`` if needed, runs the gateway
on a free loopback port and waits until it answers; ``events(action)`` reads what it recorded,
oldest first, straight from the ledger (opened beside the running gateway).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from tests.conftest import SEALTRAIL, free_port
from tests.fixtures_registry import Registry, start_registry

__all__ = ["RunningGateway", "gateway", "start_gateway"]


@dataclass
class RunningGateway:
    """One ``sealtrail gateway`` process: its port, ledger directory and log."""

    directory: Path
    port: int
    upstream: Registry
    process: subprocess.Popen[bytes]
    log: Path
    database_url: str | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def ledger(self) -> Ledger:
        return Ledger.open(self.directory, database_url=self.database_url)

    def events(self, *actions: str, outcome: str | None = None) -> list[dict[str, Any]]:
        """The events recorded with one of ``actions`` (all when none), oldest first."""
        with self.ledger() as ledger:
            query = Query(actions=actions, outcome=outcome, oldest_first=True, limit=10_000)
            return [orjson.loads(record.leaf) for record in ledger.query(query)]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gateway(
    directory: Path,
    upstream: Registry,
    *,
    env: dict[str, str] | None = None,
    upstream_url: str | None = None,
) -> RunningGateway:
    """Init a ledger in ``directory`` if needed and serve a gateway to ``upstream`` over it."""
    environ = {**os.environ, **(env or {})}
    if not (directory / "signing.key").exists():
        subprocess.run(
            [SEALTRAIL, "init", "--dir", str(directory), "--origin", "test.example/log"],
            check=True, capture_output=True, env=environ,
        )  # fmt: skip
    port = free_port()
    log = directory / "gateway.log"
    command = [
        SEALTRAIL, "gateway", "--dir", str(directory), "--upstream", upstream_url or upstream.url,
        "--listen", f"127.0.0.1:{port}",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=environ)
    running = RunningGateway(
        directory, port, upstream, process, log, environ.get("SEALTRAIL_DATABASE_URL") or None
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sealtrail gateway exited: {log.read_text()}")
        try:
            if httpx.get(f"{running.url}/healthz", timeout=1).status_code == 200:
                return running
        except httpx.TransportError:
            time.sleep(0.05)
    running.stop()
    raise RuntimeError(f"sealtrail gateway did not answer: {log.read_text()}")


@pytest.fixture
def gateway(tmp_path: Path, registry: Registry) -> Iterator[RunningGateway]:
    """A gateway over a fresh ledger in front of the test's open registry."""
    running = start_gateway(tmp_path / "data", registry)
    yield running
    running.stop()


@pytest.fixture
def private_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry with htpasswd users alice and bob."""
    started = start_registry(
        tmp_path / "private", users={"alice": "alice-secret", "bob": "bob-secret"}
    )
    yield started
    started.stop()
