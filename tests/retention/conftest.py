"""A ledger on each engine with a clock the tests set, and events of known age and action."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from sealtrail.clock import FixedClock
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.note import Verifier
from sealtrail.retention import RetentionSettings
from sealtrail.store.base import Query

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
RULES = {"http.request": "90d", "auth.*": "1y", "image.*": "7y"}


def event(action: str, days_old: float, actor: str = "alice", **extra: Any) -> dict[str, Any]:
    """An event of ``action`` that happened ``days_old`` days before ``NOW``."""
    when = (NOW - timedelta(days=days_old)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    found: dict[str, Any] = {
        "time": when,
        "action": action,
        "outcome": "success",
        "actor": {"id": actor, "type": "user", "ip": "192.0.2.7"},
        "message": f"{action} by {actor}",
    }
    if action.startswith("image."):
        found["target"] = {"type": "image", "id": "team/app:v1", "registry": "r.example",
                           "repository": "team/app"}  # fmt: skip
    elif action.startswith("vcs."):
        found["target"] = {"type": "git_ref", "id": "acme/app:refs/heads/main",
                           "repository": "acme/app"}  # fmt: skip
    return found | extra


def settings(directory: Path, **section: Any) -> RetentionSettings:
    return RetentionSettings.from_section({"rules": RULES, **section}, directory)


def actions_kept(ledger: Ledger) -> list[tuple[int, str]]:
    records = ledger.query(Query(oldest_first=True, limit=1_000_000))
    return [(r.seq, orjson.loads(r.leaf)["action"]) for r in records]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    return None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    """The ledger's data directory (its keys; its SQLite file; the archive by default)."""
    return tmp_path / "data"


@pytest.fixture
def ledger(directory: Path, clock: FixedClock, database_url: str | None) -> Iterator[Ledger]:
    with Ledger.create(
        directory, origin="retention.test/log", clock=clock, database_url=database_url
    ) as created:
        yield created


@pytest.fixture
def verifiers(ledger: Ledger) -> list[Verifier]:
    return list(ledger.keyring.verifiers)
