"""PostgreSQL for the tests: a real server (127.0.0.1:5432 here and in CI, where `.ci/run`
starts it if it is down), one database for the suite and one schema per test.

``SEALTRAIL_TEST_POSTGRES`` names the server (a libpq URL without a database); tests that need it
call ``postgres_url()`` and get a URL whose ``search_path`` is a fresh schema, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import free_port, missing_component

SERVER = os.environ.get("SEALTRAIL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
DATABASE = "sealtrail_test"


def _connect(database: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(f"{SERVER}/{database}", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_database() -> str:
    """The suite's database, with pg_trgm installed once in its public schema."""
    try:
        import psycopg
    except ImportError:
        missing_component("psycopg is not installed")
    try:
        with _connect("postgres") as conn:  # the lock: pytest-xdist workers start together
            conn.execute("SELECT pg_advisory_lock(hashtext('sealtrail-test-setup'))")
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
            if found.fetchone() is None:
                conn.execute(f"CREATE DATABASE {DATABASE}")
            with _connect(DATABASE) as database:
                database.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except psycopg.OperationalError as error:
        missing_component(f"PostgreSQL is not reachable at {SERVER}: {error}")
    return f"{SERVER}/{DATABASE}"


@pytest.fixture(scope="session")
def postgres_schemas(postgres_database: str) -> Iterator[Callable[[], str]]:
    """Make URLs of the suite's database, each with a new, empty schema as its search path;
    every schema made is dropped when the session ends."""
    made: list[str] = []

    def new() -> str:
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with _connect(DATABASE) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        made.append(schema)
        return f"{postgres_database}?options={quote(f'-csearch_path={schema},public')}"

    yield new
    with _connect(DATABASE) as conn:
        for schema in made:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def postgres_url(postgres_schemas: Callable[[], str]) -> str:
    """A URL of the suite's database whose search path is a new, empty schema."""
    return postgres_schemas()


@dataclass
class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb in a scratch directory, a free loopback
    port), so a test can stop and start it under a running sealtrail."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                _bin("pg_ctl"),
                "-D",
                str(self.directory / "db"),
                "-w",
                "-t",
                "60",
                *args,
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._ctl("-l", str(self.directory / "server.log"), "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        missing_component(f"PostgreSQL's {name} is not installed (Debian: postgresql)")
    return str(found[-1])


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        missing_component("a private PostgreSQL needs root (to run initdb as postgres)")
    directory = Path(tempfile.mkdtemp(prefix="sealtrail-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            _bin("initdb"),
            "-D",
            str(directory / "db"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    server = PrivatePostgres(directory, free_port())
    server.start()
    yield server
    with contextlib.suppress(subprocess.CalledProcessError):
        server.stop()
    shutil.rmtree(directory, ignore_errors=True)
