"""A ledger with a tag index and policies, and helpers to read back the events they recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from sealtrail.clock import FixedClock
from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies, TagIndex
from sealtrail.store.base import Query
from tests.conftest import RunningServer

REGISTRY = "registry.example.com"
ADMIN = {"id": "alice@example.com", "type": "user"}
PUSHER = {"id": "ci-bot", "type": "service"}


def digest(i: int) -> str:
    return f"sha256:{i:064x}"


def events(ledger: Ledger, *actions: str) -> list[dict[str, Any]]:
    """Every recorded event with one of ``actions``, oldest first."""
    records = ledger.query(Query(actions=actions, oldest_first=True, limit=1_000_000))
    return [orjson.loads(record.leaf) for record in records]


def push_tags(index: TagIndex, repository: str, names: list[str]) -> None:
    for i, name in enumerate(names):
        index.record_push(REGISTRY, repository, name, digest(i), PUSHER)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 6, 10, 0, tzinfo=UTC))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite in the data directory, or a fresh PostgreSQL schema: once per engine."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ledger(tmp_path: Path, clock: FixedClock, database_url: str | None) -> Iterator[Ledger]:
    with Ledger.create(
        tmp_path / "data", origin="policies.test/log", clock=clock, database_url=database_url
    ) as created:
        yield created


@pytest.fixture
def index(ledger: Ledger) -> TagIndex:
    return TagIndex(ledger)


@pytest.fixture
def policies(ledger: Ledger) -> ImmutabilityPolicies:
    return ImmutabilityPolicies(ledger, batch=250)


# --- for the project's route tables (tests/api/test_access.py) ---

#: The immutability routes as OpenAPI documents them, with the concrete values the role matrix
#: fills in; ``route_values`` makes what those values name exist first.
ROUTE_VALUES = {"namespace": "org", "repository": "org/team/app", "tag": "v1"}
_TEMPLATES = [
    (re.compile(r"(?<=^/v1/namespaces/)[^/]+(?=/immutability-policies)"), "{namespace}"),
    (re.compile(r"(?<=^/v1/repositories/).+(?=/immutability-policies|/tags)"), "{repository}"),
    (re.compile(r"(?<=/immutability-policies/)[0-9a-f-]{36}$"), "{uuid}"),
    (re.compile(r"(?<=/tags/)[^/]+(?=/immutability$|$)"), "{tag}"),
]  # fmt: skip


def documented_path(path: str) -> str:
    """The OpenAPI template of a concrete immutability path (others are returned unchanged)."""
    for pattern, template in _TEMPLATES:
        path = pattern.sub(template, path, count=1)
    return path


def route_values(server: RunningServer, path: str) -> dict[str, str]:
    """Values for the placeholders of ``path``: a fresh policy for ``{uuid}`` (of the scope the
    path names), a pushed tag for ``{tag}``."""
    values = dict(ROUTE_VALUES)
    if "{uuid}" in path or "{tag}" in path:
        with Ledger.open(server.directory, database_url=server.database_url) as ledger:
            TagIndex(ledger).record_push(REGISTRY, values["repository"], "v1", digest(1), PUSHER)
            scope: dict[str, Any] = (
                {"namespace": "org"} if "/namespaces/" in path else {"repository": "org/team/app"}
            )
            policy = ImmutabilityPolicies(ledger).create(tag_pattern="x", actor=ADMIN, **scope)
            values["uuid"] = policy.uuid
    return values
