"""Forwarding to a real rsyslog over TCP and TLS: SIGKILL mid-stream and an rsyslog outage lose
nothing; every event arrives at least once, in seq order, without a gap."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sealtrail.ledger.log import Ledger
from tests.conftest import SEALTRAIL
from tests.fixtures_syslog import Rsyslog
from tests.sinks.conftest import sample_event

SEQ = re.compile(r'seq="(\d+)"')


def await_true(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def received(server: Rsyslog) -> list[int]:
    return [int(m.group(1)) for line in server.lines() if (m := SEQ.search(line))]


def configure(directory: Path, server: Rsyslog) -> None:
    tls = f'ca_file = "{server.ca_file}"\nserver_name = "localhost"\n' if server.tls else ""
    (directory / "sealtrail.toml").write_text(
        f'[forwarders.rsyslog]\nkind = "syslog"\ntransport = "{"tls" if server.tls else "tcp"}"\n'
        f"port = {server.port}\nbatch = 25\nbackoff_initial = 0.05\nbackoff_max = 0.5\n"
        f"poll_interval = 0.05\nmax_attempts = 3\n{tls}"
    )


def append(directory: Path, start: int, count: int) -> None:
    with Ledger.open(directory) as ledger:
        ledger.append_many([sample_event(i) for i in range(start, start + count)])


def forward(directory: Path) -> subprocess.Popen[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SEALTRAIL_")}
    with (directory / "forward.log").open("ab") as log:
        return subprocess.Popen(
            [SEALTRAIL, "forward", "run", "--dir", str(directory)],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=environ,
        )


def status(directory: Path) -> str:
    done = subprocess.run([SEALTRAIL, "forward", "status", "--json", "--dir", str(directory)],
                          check=True, capture_output=True, text=True)  # fmt: skip
    return done.stdout


def assert_complete_in_order(seqs: list[int], total: int) -> None:
    assert set(seqs) == set(range(total)), f"missing: {sorted(set(range(total)) - set(seqs))[:10]}"
    first_seen: list[int] = []
    seen: set[int] = set()
    for seq in seqs:
        if seq not in seen:
            seen.add(seq)
            first_seen.append(seq)
    assert first_seen == sorted(first_seen)


def test_sigkill_and_outage_lose_nothing(tmp_path: Path, rsyslog: Rsyslog) -> None:
    directory = tmp_path / "data"
    subprocess.run([SEALTRAIL, "init", "--dir", str(directory), "--origin", "t.example/log"],
                   check=True, capture_output=True)  # fmt: skip
    configure(directory, rsyslog)
    append(directory, 0, 3000)

    first = forward(directory)
    await_true(lambda: len(received(rsyslog)) >= 25, "the first deliveries")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert len(set(received(rsyslog))) < 3000  # killed mid-stream
    append(directory, 3000, 300)

    second = forward(directory)
    try:
        await_true(lambda: len(set(received(rsyslog))) == 3300, "delivery after the restart")
        rsyslog.stop()
        append(directory, 3300, 200)
        await_true(lambda: '"attempts"' in status(directory), "a dead letter while rsyslog is down")
        assert len(set(received(rsyslog))) == 3300  # the new events wait
        rsyslog.start()
        await_true(lambda: len(set(received(rsyslog))) == 3500, "delivery after the outage")
        await_true(lambda: '"dead_letter":null' in status(directory), "the dead letter cleared")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)
    assert_complete_in_order(received(rsyslog), 3500)
    assert '"delivered":3499,"lag":0' in status(directory)
