"""``sealtrail export`` / ``verify-export`` / ``forward status`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from sealtrail.ledger.log import Ledger
from tests.conftest import SEALTRAIL

ENGINE: dict[str, str] = {}  # SEALTRAIL_DATABASE_URL when the test's ledger is on PostgreSQL


@pytest.fixture(autouse=True)
def engine(ledger: Ledger) -> Iterator[None]:
    """The CLI reaches the test's ledger on whichever engine holds it."""
    url = getattr(ledger.store, "url", None)
    ENGINE.clear()
    if url is not None:
        ENGINE["SEALTRAIL_DATABASE_URL"] = url
    yield
    ENGINE.clear()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | ENGINE
    return subprocess.run([SEALTRAIL, *args], capture_output=True, text=True, env=env)


def test_export_then_verify_export_and_the_export_is_recorded(
    ledger: Ledger, tmp_path: Path
) -> None:
    directory = str(tmp_path / "ledger")
    key = tmp_path / "vkey"
    key.write_text(ledger.keyring.signer.verifier().to_text())
    ledger.close()
    out = tmp_path / "pulls.ecs.jsonl"
    done = run("export", "--dir", directory, "--format", "ecs", "action:image.pull",
               "--output", str(out), "--bundle")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "exported 20 records (records" in done.stderr
    checked = run("verify-export", str(out), "--key", str(key), "--json")
    assert checked.returncode == 0, checked.stderr
    assert orjson.loads(checked.stdout)["count"] == 20
    recorded = run("query", "action:audit.export", "--dir", directory, "--json")
    assert orjson.loads(recorded.stdout.splitlines()[0])["details"]["count"] == 20


def test_verify_export_failure_is_one_line_and_exit_1(ledger: Ledger, tmp_path: Path) -> None:
    directory = str(tmp_path / "ledger")
    key = ledger.keyring.signer.verifier().to_text()
    ledger.close()
    out = tmp_path / "all.jsonl"
    assert run("export", "--dir", directory, "--output", str(out), "--bundle").returncode == 0
    out.write_bytes(out.read_bytes().replace(b"user1", b"user9", 1))
    failed = run("verify-export", str(out), "--key", key)
    assert failed.returncode == 1
    assert failed.stderr.startswith("verification failed (record_changed)")
    assert len(failed.stderr.strip().splitlines()) == 1


def test_forward_status_shows_position_and_lag(ledger: Ledger, tmp_path: Path) -> None:
    directory = tmp_path / "ledger"
    ledger.close()
    (directory / "sealtrail.toml").write_text('[forwarders.siem]\nkind = "syslog"\nport = 9\n')
    done = run("forward", "status", "--dir", str(directory), "--json")
    assert done.returncode == 0, done.stderr
    row = orjson.loads(done.stdout)
    assert (row["name"], row["delivered"], row["lag"]) == ("siem", None, 40)
