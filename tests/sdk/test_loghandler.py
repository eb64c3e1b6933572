"""SealtrailHandler against a real server: shipping, outages, restarts, the spool and its cap."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from sealtrail import Client, SealtrailHandler
from sealtrail.errors import Conflict
from tests.conftest import RunningServer, start_server
from tests.sdk.conftest import Follow

MakeHandler = Callable[..., SealtrailHandler]


@pytest.fixture
def make_handler() -> Iterator[MakeHandler]:
    """Builds handlers and closes them all after the test."""
    made: list[SealtrailHandler] = []

    def make(url: str, key: str, spool: Path, **options: Any) -> SealtrailHandler:
        made.append(SealtrailHandler(url, key, spool, **options))
        return made[-1]

    yield make
    for handler in made:
        handler.close()


@pytest.fixture
def restart(server: RunningServer) -> Iterator[Callable[[], RunningServer]]:
    """Stops the test's server (if it runs) and starts it again on the same data directory."""
    started: list[RunningServer] = []

    def again() -> RunningServer:
        server.stop()
        started.append(start_server(server.directory))
        return started[-1]

    yield again
    for running in started:
        running.stop()


def logger_for(handler: SealtrailHandler) -> logging.Logger:
    log = logging.getLogger(f"sdk.{uuid.uuid4().hex[:8]}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(handler)
    return log


def emit_timed(log: logging.Logger, markers: range, pad: int = 0) -> list[float]:
    """Log one record per marker (with ``pad`` bytes more); how long each call took, in s."""
    durations = []
    for marker in markers:
        details = {"marker": marker, **({"pad": "x" * pad} if pad else {})}
        started = time.perf_counter()
        log.info("record %d", marker, extra={"details": details})
        durations.append(time.perf_counter() - started)
    return durations


def delivered(url: str, key: str) -> list[Any]:
    """The markers of every ``log.record`` event in the log, in log order."""
    with Client(url, key) as auditor:
        events = auditor.query(action="log.record", order="oldest")
        return [event["details"].get("marker") for event in events]


def spooled(directory: Path) -> list[dict[str, Any]]:
    """The events waiting in a spool that nothing was delivered from yet."""
    lines = b"".join(p.read_bytes() for p in sorted(directory.glob("segment-*.jsonl")))
    return [orjson.loads(line) for line in lines.splitlines()]


def test_records_arrive_as_events(
    server: RunningServer, make_handler: MakeHandler, tmp_path: Path
) -> None:
    handler = make_handler(server.url, server.key("writer"), tmp_path / "spool", service="shop")
    log = logger_for(handler)
    emit_timed(log, range(1000))
    log.warning(
        "pushed %s",
        "team/app:v1",
        extra={
            "action": "image.push",
            "outcome": "success",
            "actor": "alice",
            "target": {"type": "image", "id": "r/team/app:v1", "registry": "r", "repository": "a"},
            "request_id": "req-77",
        },
    )
    assert handler.flush(30)
    auditor = server.key("auditor")
    assert delivered(server.url, auditor) == list(range(1000))
    with Client(server.url, auditor) as client:
        first = next(client.query(action="log.record", order="oldest"))
        push = next(client.query(action="image.push"))
    assert first["message"] == "record 0"
    assert (first["severity"], first["outcome"]) == ("info", "unknown")
    assert first["actor"] == {"id": "shop", "type": "service"}
    assert first["details"]["logger"].startswith("sdk.")
    age = datetime.now(UTC) - datetime.fromisoformat(first["time"])
    assert 0 <= age.total_seconds() < 60
    assert push["message"] == "pushed team/app:v1"
    assert (push["severity"], push["outcome"], push["request_id"]) == (
        "warning",
        "success",
        "req-77",
    )
    assert push["actor"] == {"id": "alice", "type": "user"}
    assert push["target"]["repository"] == "a"


def test_emit_never_waits_for_a_server_that_hangs(
    make_handler: MakeHandler, tmp_path: Path
) -> None:
    with socket.socket() as hole:  # accepts connections, never answers
        hole.bind(("127.0.0.1", 0))
        hole.listen(1)
        url = f"http://127.0.0.1:{hole.getsockname()[1]}"
        handler = make_handler(url, "key", tmp_path / "spool", timeout=1.0, close_timeout=1.0)
        durations = emit_timed(logger_for(handler), range(500))
        assert max(durations) < 0.5  # waiting for the server would take the 1 s timeout
        assert sum(durations) < 2.0
        started = time.monotonic()
        handler.close()
        assert time.monotonic() - started < 10
    assert [e["details"]["marker"] for e in spooled(tmp_path / "spool")] == list(range(500))


def test_an_outage_loses_nothing_and_duplicates_nothing(
    server: RunningServer,
    restart: Callable[[], RunningServer],
    make_handler: MakeHandler,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    writer, auditor = server.key("writer"), server.key("auditor")
    address = Follow(server.url)
    handler = make_handler(
        server.url, writer, tmp_path / "spool", transport=address, max_backoff=0.5
    )
    log = logger_for(handler)
    emit_timed(log, range(200))
    server.stop()  # mid-stream: the shipper is likely still sending
    during = emit_timed(log, range(200, 400))
    assert max(during) < 0.5
    address.url = restart().url
    emit_timed(log, range(400, 600))
    assert handler.flush(30)
    assert delivered(address.url, auditor) == list(range(600))  # once each, in order
    assert not list((tmp_path / "spool").glob("segment-*"))
    err = capsys.readouterr().err
    assert "cannot deliver" in err
    assert "delivering to" in err


def test_a_new_handler_delivers_what_a_closed_one_spooled(
    server: RunningServer,
    restart: Callable[[], RunningServer],
    make_handler: MakeHandler,
    tmp_path: Path,
) -> None:
    writer, auditor = server.key("writer"), server.key("auditor")
    server.stop()
    old = make_handler(server.url, writer, tmp_path / "spool")
    emit_timed(logger_for(old), range(300))
    started = time.monotonic()
    old.close()
    assert time.monotonic() - started < 10
    assert len(spooled(tmp_path / "spool")) == 300
    running = restart()
    new = make_handler(running.url, writer, tmp_path / "spool")
    assert new.flush(30)
    assert delivered(running.url, auditor) == list(range(300))


def test_one_spool_serves_one_handler_at_a_time(make_handler: MakeHandler, tmp_path: Path) -> None:
    make_handler("http://127.0.0.1:9", "key", tmp_path / "spool")
    with pytest.raises(Conflict, match="in use"):
        make_handler("http://127.0.0.1:9", "key", tmp_path / "spool")


def test_a_full_spool_drops_its_oldest_events_and_says_so(
    server: RunningServer,
    restart: Callable[[], RunningServer],
    make_handler: MakeHandler,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    writer, auditor = server.key("writer"), server.key("auditor")
    server.stop()
    spool = tmp_path / "spool"
    handler = make_handler(server.url, writer, spool, spool_bytes=8192)
    emit_timed(logger_for(handler), range(200), pad=200)
    handler.close()
    held = sum(p.stat().st_size for p in spool.glob("segment-*.jsonl"))
    kept = len(spooled(spool))
    assert held <= 8192
    assert handler.dropped > 0
    assert kept + handler.dropped == 200
    assert "dropped" in capsys.readouterr().err
    running = restart()
    assert make_handler(running.url, writer, spool).flush(30)
    assert delivered(running.url, auditor) == list(range(200 - kept, 200))


def test_events_the_server_refuses_are_set_aside(
    server: RunningServer,
    make_handler: MakeHandler,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = make_handler(server.url, server.key("writer"), tmp_path / "spool")
    log = logger_for(handler)
    emit_timed(log, range(4))
    log.info("bad", extra={"action": "Not An Action", "details": {"marker": 4}})
    emit_timed(log, range(5, 10))
    assert handler.flush(30)
    assert delivered(server.url, server.key("auditor")) == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert handler.rejected == 1
    (kept,) = (tmp_path / "spool" / "rejected.jsonl").read_text().splitlines()
    rejected = orjson.loads(kept)
    assert rejected["event"]["details"]["marker"] == 4
    assert "action" in rejected["error"]
    assert "refused" in capsys.readouterr().err


def test_the_handler_does_not_ship_its_own_http_logging(
    server: RunningServer, make_handler: MakeHandler, tmp_path: Path
) -> None:
    handler = make_handler(server.url, server.key("writer"), tmp_path / "spool")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        for marker in range(3):
            logging.getLogger("sdk.root").info("record", extra={"details": {"marker": marker}})
            assert handler.flush(30)  # one request (and httpx log line) per record
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert delivered(server.url, server.key("auditor")) == [0, 1, 2]
