"""Three `sealtrail serve` processes on one PostgreSQL log, appending at once while one of them is
killed with SIGKILL again and again: one log, every acknowledged event exactly once, verified."""

from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path

import httpx
import orjson

from sealtrail.ledger.log import Ledger
from tests.conftest import RunningServer, start_server
from tests.ledger.conftest import pull_event

SERVERS = 3
CLIENTS = 6
KILLS = 5


class Fleet:
    """The running servers; a client asks for any live one."""

    def __init__(self, directories: list[Path], env: dict[str, str]) -> None:
        self.env = env
        self.lock = threading.Lock()
        self.servers = [start_server(d, env=env) for d in directories]
        self.writer_key = self.servers[0].key("writer")

    def any(self, rng: random.Random) -> RunningServer:
        with self.lock:
            return rng.choice(self.servers)

    def kill_and_restart(self, index: int) -> None:
        with self.lock:
            victim = self.servers[index]
        victim.process.kill()  # SIGKILL: mid-request, maybe mid-transaction
        victim.process.wait()
        replacement = start_server(victim.directory, env=self.env)
        with self.lock:
            self.servers[index] = replacement

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _client_loop(fleet: Fleet, n: int, stop: threading.Event, acked: dict[str, int]) -> None:
    rng = random.Random(n)
    i = 0
    while not stop.is_set():
        server = fleet.any(rng)
        marker = f"client-{n}-{i}"
        i += 1
        try:
            response = httpx.post(
                f"{server.url}/v1/events",
                json=pull_event(i, actor=marker),
                headers={"Authorization": f"Bearer {fleet.writer_key}"},
                timeout=20,
            )
        except httpx.TransportError:
            continue  # the server died: this event may or may not be stored, never twice
        if response.status_code == 201:
            acked[marker] = response.json()["seq"]


def test_three_servers_share_one_log_while_they_are_killed(
    tmp_path: Path, postgres_url: str
) -> None:
    env = {"SEALTRAIL_DATABASE_URL": postgres_url, "SEALTRAIL_LOG_REQUESTS": "false"}
    directories = [tmp_path / f"host-{n}" for n in range(SERVERS)]
    Ledger.create(directories[0], origin="fleet.test/log", database_url=postgres_url).close()
    for directory in directories[1:]:  # every host signs with the same key
        shutil.copytree(directories[0], directory)
    fleet = Fleet(directories, env)
    stop = threading.Event()
    acked: dict[str, int] = {}
    clients = [
        threading.Thread(target=_client_loop, args=(fleet, n, stop, acked)) for n in range(CLIENTS)
    ]
    try:
        for client in clients:
            client.start()
        rng = random.Random(7)
        for kill in range(KILLS):
            time.sleep(rng.uniform(0.3, 1.0))
            fleet.kill_and_restart(kill % SERVERS)
        time.sleep(0.5)
    finally:
        stop.set()
        for client in clients:
            client.join()
        fleet.stop()
    assert len(acked) > 100, "the clients got work done"
    with Ledger.open(directories[0], database_url=postgres_url) as ledger:
        ledger.checkpoint()
        report = ledger.verify()
        seen: dict[str, int] = {}
        for chunk in ledger.store.iter_rows(0, report.size):
            for seq, leaf in chunk:
                actor = orjson.loads(leaf)["actor"]["id"]
                if actor.startswith("client-"):
                    assert actor not in seen, f"{actor} stored twice"
                    seen[actor] = seq
    for marker, seq in acked.items():
        assert seen.get(marker) == seq, (
            f"acknowledged {marker} at {seq}, stored at {seen.get(marker)}"
        )
