"""``sealtrail retention apply``, ``verify`` and ``verify-archive`` as a user runs them, and the
server's schedule, on both engines."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import orjson
import pytest
import zstandard

from sealtrail.ledger.log import Ledger
from tests.conftest import SEALTRAIL, engine_env, start_server
from tests.retention.conftest import event

CONFIG = """
[retention]
interval = "{interval}"
[retention.rules]
"http.request" = "90d"
[retention.holds]
case-17 = "actor:bob"
"""


def run(ledger: Ledger, *args: str) -> subprocess.CompletedProcess[str]:
    url = getattr(ledger.store, "url", None)
    env = os.environ | ({"SEALTRAIL_DATABASE_URL": url} if url else {})
    return subprocess.run([SEALTRAIL, *args], capture_output=True, text=True, env=env)


def old_and_new(ledger: Ledger) -> None:
    """Ten expired requests, half by bob (held); three events no rule covers."""
    ledger.append_many(
        [event("http.request", 400, actor=("alice", "bob")[i % 2]) for i in range(10)]
    )
    ledger.append_many([event("vcs.push", 4000) for _ in range(3)])
    ledger.checkpoint()


def test_apply_verify_and_verify_archive_from_the_command_line(
    ledger: Ledger, directory: Path, tmp_path: Path
) -> None:
    (directory / "sealtrail.toml").write_text(CONFIG.format(interval="0"))
    old_and_new(ledger)
    key = tmp_path / "vkey"
    key.write_text(ledger.keyring.signer.verifier().to_text())
    dry = run(ledger, "retention", "apply", "--dir", str(directory), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert orjson.loads(dry.stdout)["archived"] == 5
    done = run(ledger, "retention", "apply", "--dir", str(directory), "--json")
    assert done.returncode == 0, done.stderr
    report = orjson.loads(done.stdout)
    assert (report["archived"], report["held"], report["ranges"]) == (
        5,
        5,
        [[i, i + 1] for i in range(0, 10, 2)],
    )
    verified = run(ledger, "verify", "--dir", str(directory), "--json")
    assert verified.returncode == 0, verified.stderr
    assert orjson.loads(verified.stdout)["archived"] == 5
    archive = run(ledger, "verify-archive", str(directory / "archive"), "--key", str(key), "--json")
    assert archive.returncode == 0, archive.stderr
    assert orjson.loads(archive.stdout)["count"] == 5
    left = run(ledger, "query", "action:http.request", "--dir", str(directory), "--json")
    assert {orjson.loads(line)["actor"]["id"] for line in left.stdout.splitlines()} == {"bob"}


def test_a_tampered_archive_fails_in_one_line_naming_the_record(
    ledger: Ledger, directory: Path, tmp_path: Path
) -> None:
    (directory / "sealtrail.toml").write_text(CONFIG.format(interval="0"))
    old_and_new(ledger)
    assert run(ledger, "retention", "apply", "--dir", str(directory)).returncode == 0
    (segment,) = (directory / "archive").glob("*.zst")
    data = zstandard.ZstdDecompressor().decompressobj().decompress(segment.read_bytes())
    segment.write_bytes(zstandard.ZstdCompressor().compress(data.replace(b"alice", b"alicx", 1)))
    key = ledger.keyring.signer.verifier().to_text()
    checked = run(ledger, "verify-archive", str(segment), "--key", key)
    assert checked.returncode == 1
    assert checked.stderr.count("\n") == 1
    assert "verification failed at index 0 (record_changed): record 0" in checked.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> dict[str, str]:
    return engine_env(request)


def test_the_server_applies_retention_on_its_schedule(
    tmp_path: Path, engine: dict[str, str]
) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "sealtrail.toml").write_text(CONFIG.format(interval="1s"))
    server = start_server(directory, env=engine)
    try:
        with server.client(server.admin_key) as admin:
            events = [event("http.request", 400, actor=a) for a in ("alice", "bob", "carol")]
            first = admin.post("/v1/events:batch", json={"events": events}).json()["first_seq"]
            details = _await_retention(admin)
            assert (details["archived"], details["held"]) == (2, 1)
            assert admin.get(f"/v1/events/{first}").status_code == 404
            assert admin.get(f"/v1/events/{first + 1}").status_code == 200  # bob's: held
            assert admin.get("/v1/proofs/inclusion", params={"index": first}).status_code == 404
            assert admin.get(f"/events/{first}").status_code == 404
            assert admin.get(f"/tile/entries/000.p/{first + 1}").status_code == 404
            assert admin.get(f"/tile/entries/000.p/{first}").status_code == 200
            exported = admin.get("/v1/export", params={"q": "action:http.request"})
            actors = [orjson.loads(line)["actor"]["id"] for line in exported.text.splitlines()]
            assert [a for a in actors if a in ("alice", "bob", "carol")] == ["bob"]
            assert admin.get("/v1/events", params={"q": "action:http.request"}).status_code == 200
    finally:
        server.stop()


def _await_retention(admin: object) -> dict[str, object]:
    """The details of the first audit.retention event that archived something."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = admin.get("/v1/events", params={"q": "action:audit.retention"}).json()  # type: ignore[attr-defined]
        done = [e["details"] for e in page["events"] if e["details"]["archived"]]
        if done:
            return done[0]  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError("no retention run archived anything within a minute")


@pytest.mark.parametrize(
    ("command", "example"),
    [
        (["retention", "apply"], "Example: sealtrail retention apply"),
        (["verify-archive"], "Example: sealtrail verify-archive"),
    ],
)
def test_the_commands_document_themselves_with_an_example(command: list[str], example: str) -> None:
    shown = subprocess.run([SEALTRAIL, *command, "--help"], capture_output=True, text=True)
    assert example in shown.stdout
