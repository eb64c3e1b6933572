"""``GET /v1/export`` on a running server: streamed, auditor-only, recorded, verifiable offline;
and the server's own forwarders deliver what it records."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sealtrail.ledger.note import Verifier
from sealtrail.sinks.verify import verify_export
from tests.conftest import SEALTRAIL, RunningServer, start_server
from tests.sinks.conftest import sample_event
from tests.sinks.test_http_forwarding import SECRET, Receiver
from tests.sinks.test_syslog_forwarding import await_true


def fill(server: RunningServer, count: int) -> None:
    writer = server.key("writer")
    with server.client(writer) as client:
        events = [sample_event(i) for i in range(count)]
        client.post("/v1/events:batch", json={"events": events}).raise_for_status()


def download(client: httpx.Client, path: str, params: dict[str, str], target: Path) -> str:
    with client.stream("GET", path, params=params) as response:
        response.raise_for_status()
        with target.open("wb") as sink:
            for chunk in response.iter_bytes():
                sink.write(chunk)
        return response.headers["X-Sealtrail-Size"]


@pytest.mark.parametrize("fmt", ["csv", "cef"])
def test_export_over_http_verifies_offline(server: RunningServer, tmp_path: Path,
                                           fmt: str) -> None:  # fmt: skip
    fill(server, 30)
    auditor = server.key("auditor")
    export = tmp_path / f"export.{fmt}"
    with server.client(auditor) as client:
        size = download(client, "/v1/export", {"format": fmt, "action": "image.pull"}, export)
        bundle_params = {"format": fmt, "action": "image.pull", "size": size}
        download(client, "/v1/export/bundle", bundle_params, Path(f"{export}.bundle"))
    with server.client(server.admin_key) as admin:
        recorded = admin.get("/v1/events", params={"action": "audit.export"}).json()["events"]
    key = _verifier_key(server)
    report = verify_export(export, [Verifier.from_text(key)])
    assert report.kind == "records"
    assert report.count == 15
    assert recorded
    assert recorded[0]["details"]["format"] == fmt


def _verifier_key(server: RunningServer) -> str:
    done = subprocess.run([SEALTRAIL, "verifier-key", "--dir", str(server.directory)],
                          check=True, capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip()


def test_export_is_for_auditors_only(server: RunningServer) -> None:
    writer = server.key("writer")
    with server.client(writer) as client:
        assert client.get("/v1/export").status_code == 403
    with server.client() as anonymous:
        assert anonymous.get("/v1/export").status_code == 401


def test_bad_export_parameters_are_named(server: RunningServer) -> None:
    fill(server, 3)
    with server.client(server.admin_key) as client:
        answer = client.get("/v1/export", params={"start": 5, "end": 4})
        assert answer.status_code == 400
        assert "seq range" in answer.json()["error"]
        assert client.get("/v1/export", params={"format": "xml"}).status_code == 422


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_every=4)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_server_forwards_what_it_records(tmp_path: Path, receiver: Receiver) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "sealtrail.toml").write_text(
        f'[forwarders.hook]\nkind = "webhook"\nurl = "{receiver.url}/hook"\nsecret = "{SECRET}"\n'
        "backoff_initial = 0.01\npoll_interval = 0.05\n"
    )
    running = start_server(directory)
    try:
        fill(running, 20)
        await_true(lambda: len(set(receiver.webhook)) >= 20, "the server's forwarder")
    finally:
        running.stop()
    seqs = list(dict.fromkeys(receiver.webhook))
    assert seqs == sorted(seqs)
    assert seqs[:1] == [0]
