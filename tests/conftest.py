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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from sealtrail.store.base import Store
from sealtrail.store.sqlite import SQLiteStore

pytest_plugins = [
    "tests.fixtures_postgres",
    "tests.fixtures_registry",
    "tests.fixtures_gateway",
    "tests.fixtures_syslog",
]

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
    database_url: str | None = None  # PostgreSQL, or None for SQLite in ``directory``

    @contextmanager
    def store(self) -> Iterator[Store]:
        """The server's store, opened beside it, to check what was really stored."""
        if self.database_url is None:
            opened: Store = SQLiteStore(self.directory / "ledger.db")
        else:
            from sealtrail.store.postgres import PostgresStore

            opened = PostgresStore(self.database_url)
        try:
            yield opened
        finally:
            opened.close()

    def stored_bytes(self) -> bytes:
        """Everything the server's database holds, as bytes: the SQLite files, or a dump of
        the PostgreSQL schema (to show that a secret is nowhere in it)."""
        if self.database_url is None:
            return b"".join(path.read_bytes() for path in self.directory.glob("ledger.db*"))
        dump = subprocess.run(
            [
                "pg_dump",
                "--data-only",
                self.database_url.split("?")[0],
                "--schema",
                _schema_of(self.database_url),
            ],
            capture_output=True,
            check=True,
        )
        return dump.stdout

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
    """Init a ledger in ``directory`` if needed, serve it, wait until it answers. The records are
    in ``directory`` (SQLite) unless ``env`` sets ``SEALTRAIL_DATABASE_URL``."""
    quiet = {"SEALTRAIL_COOKIE_SECURE": "false", "SEALTRAIL_ALERTS__ENABLED": "false"}
    environ = {**os.environ, **quiet, **(env or {})}  # alerts on only where a test asks
    if not (directory / "signing.key").exists():
        subprocess.run(
            [SEALTRAIL, "init", "--dir", str(directory), "--origin", "test.example/log"],
            check=True,
            capture_output=True,
            env=environ,
        )
    port = free_port()
    log = directory / "server.log"
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
    deadline = time.monotonic() + 90  # a loaded 2-core machine can take long to import
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
    database_url = environ.get("SEALTRAIL_DATABASE_URL") or None
    return RunningServer(
        url, found.group(1) if found else "", directory, process, log, database_url
    )


def _schema_of(database_url: str) -> str:
    """The schema a test URL's ``options=-csearch_path=SCHEMA,...`` names."""
    found = re.search(r"search_path%3D(\w+)|search_path=(\w+)", database_url)
    if found is None:
        raise ValueError(f"no search_path in {database_url}")
    return found.group(1) or found.group(2)


def engine_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment that puts a server on the engine a parametrised fixture asks for."""
    if request.param == "postgresql":
        new_schema = request.getfixturevalue("postgres_schemas")
        return {"SEALTRAIL_DATABASE_URL": new_schema()}
    return {}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server with an empty ledger and its bootstrap admin key."""
    running = start_server(tmp_path / "data")
    yield running
    running.stop()
