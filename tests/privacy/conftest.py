"""Ledgers with a privacy policy, on each engine, and a look at their raw bytes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sealtrail.ledger.log import Ledger
from sealtrail.privacy.policy import PrivacyPolicy
from tests.conftest import _schema_of

ORIGIN = "test.example/privacy"
KEY = bytes(range(32))
POLICY = PrivacyPolicy(
    KEY,
    ip={"details.client": "truncate"},
    redact=("details.password",),
    erasable=True,
    erasable_fields=("details.email",),
)
#: What the people below send; none of it may be stored in the clear, ever.
ALICE = {
    "id": "alice.personal@example.com",
    "ip": "203.0.113.77",
    "user_agent": "AliceBrowser/7.1",
    "email": "alice.private@mail.example",
}
BOB = {
    "id": "bob.personal@example.com",
    "ip": "198.51.100.23",
    "user_agent": "BobAgent/2.0",
    "email": "bob.private@mail.example",
}


def login(person: dict[str, str], n: int = 0) -> dict[str, Any]:
    return {
        "time": f"2026-01-01T00:00:{n % 60:02d}Z",
        "action": "auth.login",
        "outcome": "success",
        "actor": {
            "id": person["id"],
            "type": "user",
            "ip": person["ip"],
            "user_agent": person["user_agent"],
        },
        "target": {"type": "service", "id": "registry"},
        "message": f"login number {n}",
        "details": {"email": person["email"], "password": "hunter2", "client": "192.0.2.55"},
    }


def plaintexts(person: dict[str, str]) -> list[bytes]:
    return [value.encode() for value in person.values()]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite, else a PostgreSQL URL with a schema of its own."""
    return request.getfixturevalue("postgres_url") if request.param == "postgresql" else None


@pytest.fixture
def ledger(engine: str | None, tmp_path: Path) -> Iterator[Ledger]:
    directory = tmp_path / "ledger"
    with Ledger.create(directory, origin=ORIGIN, database_url=engine, privacy=POLICY) as opened:
        yield opened


def stored_bytes(ledger: Ledger, directory: Path) -> bytes:
    """What the ledger's database holds: the SQLite files, or a data dump of its schema."""
    url = getattr(ledger.store, "url", None)
    if url is None:
        return b"".join(path.read_bytes() for path in directory.glob("ledger.db*"))
    dump = ["pg_dump", "--data-only", url.split("?")[0], "--schema", _schema_of(url)]
    return subprocess.run(dump, capture_output=True, check=True).stdout
