"""A ledger with a tag index and policies, and helpers to read back the events they recorded."""

from __future__ import annotations

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


@pytest.fixture
def ledger(tmp_path: Path, clock: FixedClock) -> Iterator[Ledger]:
    with Ledger.create(tmp_path / "data", origin="policies.test/log", clock=clock) as created:
        yield created


@pytest.fixture
def index(ledger: Ledger) -> TagIndex:
    return TagIndex(ledger)


@pytest.fixture
def policies(ledger: Ledger) -> ImmutabilityPolicies:
    return ImmutabilityPolicies(ledger, batch=250)
