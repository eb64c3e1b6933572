from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sealtrail.clock import FixedClock
from sealtrail.ledger import merkle
from sealtrail.ledger.log import Ledger

ORIGIN = "audit.test.example/sealtrail"


def pull_event(
    i: int, *, actor: str = "dicom-processor", outcome: str = "success"
) -> dict[str, Any]:
    """A typical image.pull event, as the image-download seed describes it."""
    digest = f"sha256:{i:064x}"
    return {
        "time": f"2026-11-20T09:{i // 60 % 60:02d}:{i % 60:02d}.123456Z",
        "action": "image.pull",
        "outcome": outcome,
        "actor": {"id": actor, "type": "service", "ip": "192.0.2.80", "user_agent": "docker/27.3"},
        "target": {
            "type": "image",
            "id": f"registry.example.com/team/app:v{i}",
            "registry": "registry.example.com",
            "repository": "team/app",
            "tag": f"v{i}",
            "digest": digest,
            "full_digest": f"team/app@{digest}",
        },
        "source": {"service": "dicom-processor", "host": "node-3", "version": "2.1.0"},
        "request_id": f"req-{i}",
        "message": f"pulled team/app:v{i}",
        "details": {"duration_s": 3, "cache": "downloaded"},
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "sealtrail-data"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """Where the ledger keeps its records: None for SQLite in the data directory, or a URL of a
    fresh PostgreSQL schema. Tests that use it run once per engine."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def ledger(data_dir: Path, clock: FixedClock, database_url: str | None) -> Iterator[Ledger]:
    with Ledger.create(data_dir, origin=ORIGIN, clock=clock, database_url=database_url) as made:
        yield made


@pytest.fixture
def count_tile_hashing(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[int]]:
    """Call it to start counting: the list then gets the length of every tile row whose interior
    nodes ``sealtrail.ledger.tiles`` hashes (``node_hashes``)."""

    def start() -> list[int]:
        hashed: list[int] = []
        real = merkle.node_hashes

        def counting(row: bytes) -> bytes:
            hashed.append(len(row))
            return real(row)

        monkeypatch.setattr("sealtrail.ledger.tiles.node_hashes", counting)
        return hashed

    return start
