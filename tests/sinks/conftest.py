"""A small ledger of varied events for the export and forwarding tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sealtrail.ledger.log import Ledger

ORIGIN = "test.example/sinks"


def sample_event(i: int) -> dict[str, Any]:
    """Events over three days, with values that try to inject into CSV, CEF and syslog."""
    pull = i % 2 == 1
    return {
        "time": f"2026-01-{1 + i % 3:02d}T10:00:{i % 60:02d}Z",
        "action": "image.pull" if pull else "auth.login",
        "outcome": "success" if i % 5 else "denied",
        "severity": "info" if i % 7 else "critical",
        "actor": {"id": f"user{i % 4}", "type": "user", "ip": "10.0.0.1", "user_agent": "=cmd|x"},
        "target": {
            "type": "image",
            "id": f"team/app:v{i}",
            "registry": "registry.example",
            "repository": "team/app",
            "tag": f"v{i}",
        },
        "source": {"service": "tests", "host": "ci-host"},
        "message": f"event {i}: =1+1 | a\\b=c\r\nnext line\u2028",
        "details": {"n": i, "ratio": 0.5},
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """40 sample events, signed, on each engine: exports read both the same way."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    with Ledger.create(tmp_path / "ledger", origin=ORIGIN, database_url=url) as opened:
        opened.append_many([sample_event(i) for i in range(40)])
        opened.checkpoint()
        yield opened


@pytest.fixture
def verifier_key(ledger: Ledger) -> str:
    return ledger.keyring.signer.verifier().to_text()
