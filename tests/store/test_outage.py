"""The database goes away under a running server: 503 with Retry-After, never an acknowledgement
of what was not stored; the SDK's shipper and the logging handler spool and deliver after
recovery; `verify` passes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sealtrail.client import Client
from sealtrail.ledger.log import Ledger
from sealtrail.loghandler import SealtrailHandler
from sealtrail.shipping import Shipper
from tests.api.conftest import wait_for
from tests.conftest import RunningServer, missing_component, start_server
from tests.fixtures_postgres import PrivatePostgres
from tests.ledger.conftest import pull_event


def _post(client: httpx.Client, event: dict[str, object]) -> httpx.Response:
    return client.post("/v1/events", json=event)


def _ready(server: RunningServer) -> bool:
    return httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200


@contextlib.contextmanager
def _handler(server: RunningServer, key: str, spool: Path) -> Iterator[logging.Logger]:
    handler = SealtrailHandler(server.url, key, spool, service="outage-test", max_backoff=0.5)
    logger = logging.getLogger(f"outage-{uuid.uuid4()}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()


def _messages(admin: httpx.Client) -> list[str]:
    response = admin.get("/v1/events", params={"action": "log.record", "limit": 1000})
    response.raise_for_status()
    return [event["message"] for event in response.json()["events"]]


def test_postgres_down_mid_stream_answers_503_and_loses_nothing(
    tmp_path: Path, private_postgres: PrivatePostgres
) -> None:
    server = start_server(tmp_path / "data", env={"SEALTRAIL_DATABASE_URL": private_postgres.url})
    with contextlib.ExitStack() as stack:
        stack.callback(server.stop)
        key = server.key("writer")
        acked: list[int] = []
        shipper = Shipper(Client(server.url, key, retries=0), tmp_path / "shipped", max_backoff=0.5)
        stack.callback(shipper.close)
        with server.client(key) as writer, _handler(server, key, tmp_path / "spool") as log:
            for i in range(10):
                acked.append(_post(writer, pull_event(i, actor="before")).json()["seq"])
            private_postgres.stop()
            refused = _post(writer, pull_event(99, actor="during"))
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "1"
            assert not _ready(server)
            for i in range(25):
                log.info("during outage %d", i)
                assert shipper.send(pull_event(200 + i, actor="shipped"))
            assert not shipper.flush(timeout=1.0)
            private_postgres.start()
            wait_for(lambda: _ready(server), what="the server to be ready again", timeout=60)
            for i in range(10):
                response = _post(writer, pull_event(100 + i, actor="after"))
                assert response.status_code == 201, response.text
                acked.append(response.json()["seq"])
        with server.client(server.admin_key) as admin:
            expected = sorted(f"during outage {i}" for i in range(25))
            wait_for(lambda: sorted(_messages(admin)) == expected, what="the spooled events")
            for seq in acked:
                assert admin.get(f"/v1/events/{seq}").json()["event"]["actor"]["id"] in {
                    "before",
                    "after",
                }
            assert not [e for e in _events(admin, "during") if e["action"] == "image.pull"]
            assert shipper.flush(timeout=60)
            shipped = _events(admin, "shipped")
            assert sorted(e["target"]["tag"] for e in shipped) == sorted(  # type: ignore[index]
                pull_event(200 + i)["target"]["tag"] for i in range(25)
            )
            assert len(shipped) == 25
    with Ledger.open(server.directory, database_url=private_postgres.url) as ledger:
        ledger.verify()


def _events(admin: httpx.Client, actor: str) -> list[dict[str, object]]:
    response = admin.get("/v1/events", params={"actor": actor, "limit": 1000})
    events: list[dict[str, object]] = response.json()["events"]
    return events


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a filesystem that really fills up."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        missing_component("a small filesystem needs root to mount a tmpfs")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_sqlite_on_a_full_disk_answers_503_and_resumes_when_space_returns(
    small_disk: Path,
) -> None:
    server = start_server(small_disk / "data", env={"SEALTRAIL_LOG_REQUESTS": "false"})
    try:
        key = server.key("writer")
        acked: list[int] = []
        padding = {name: name * 15_000 for name in "abc"}  # 45 KB, under the 64 KiB event limit
        with server.client(key) as writer:
            for i in range(200):
                event = pull_event(i, actor="filler")
                event["details"] = padding
                response = _post(writer, event)
                if response.status_code == 503:
                    break
                assert response.status_code == 201, response.text
                acked.append(response.json()["seq"])
            else:
                pytest.fail("the disk never filled up")
            assert "full" in response.json()["error"]
            assert response.headers["retry-after"] == "1"
            assert acked, "some events fitted before the disk filled"
            remount = ["mount", "-o", "remount,size=64m", str(small_disk)]
            subprocess.run(remount, check=True)
            wait_for(
                lambda: _post(writer, pull_event(500, actor="after")).status_code == 201,
                what="appends to succeed again",
            )
        with server.client(server.admin_key) as admin:
            for seq in acked:
                event = admin.get(f"/v1/events/{seq}").json()["event"]
                assert event["actor"]["id"] == "filler"
    finally:
        server.stop()
    with Ledger.open(server.directory) as ledger:
        ledger.verify()
