"""Fixtures shared by the whole suite: a real `sealtrail serve` process on a free loopback port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

pytest_plugins = ["tests.fixtures_syslog"]

SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
IN_CI = os.environ.get("CI") == "true"


def missing_component(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail under CI=true, where everything must be installed."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the project's scripts must install it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A `sealtrail serve` child process and what a test needs to talk to it."""

    url: str
    admin_key: str
    directory: Path
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def key(self, role: str, actor: str | None = None) -> str:
        """A new API key of ``role`` (bound to ``actor`` for user keys), made by the admin."""
        with self.client(self.admin_key) as admin:
            response = admin.post("/v1/keys", json={"role": role, "actor": actor})
        response.raise_for_status()
        return str(response.json()["key"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(directory: Path, *, env: dict[str, str] | None = None) -> RunningServer:
    """Init a ledger in ``directory`` if needed, serve it, wait until it answers."""
    if not (directory / "ledger.db").exists():
        subprocess.run(
            [SEALTRAIL, "init", "--dir", str(directory), "--origin", "test.example/log"],
            check=True,
            capture_output=True,
        )
    port = free_port()
    log = directory / "server.log"
    environ = {**os.environ, "SEALTRAIL_COOKIE_SECURE": "false", **(env or {})}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                SEALTRAIL,
                "serve",
                "--dir",
                str(directory),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sealtrail serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError(f"sealtrail serve did not answer: {log.read_text()}")
    found = re.search(r"admin key \(shown only now\): (sealtrail_\S+)", log.read_text())
    return RunningServer(url, found.group(1) if found else "", directory, process, log)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server with an empty ledger and its bootstrap admin key."""
    running = start_server(tmp_path / "data")
    yield running
    running.stop()
