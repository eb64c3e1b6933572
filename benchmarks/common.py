"""What the sealtrail benchmarks share: the event, scratch space, the large build, the report.

Every ``bench_*.py`` states one claim, runs the peer (pymerkle) and sealtrail in the same process on
the same leaf bytes, and ends with ``report``, which prints the claim, both figures, the ratio, the
target and the command, then one machine-readable line for ``run_all.py``::

    RESULT {"claim": str, "unit": str, "peer": float | null, "ours": float,
            "ratio": float | null, "target": str, "met": bool | null, "command": str}

Scratch directories live under ``benchmarks/.data/`` (gitignored) and are removed afterwards. The
large ledger and pymerkle tree that ``bench_prove`` and ``bench_verify`` share are kept in
``benchmarks/.data/cache/``, keyed by size and by a fingerprint of the sealtrail sources, so one
``make bench`` builds them once and a library change rebuilds them.

The HTTP benchmarks start their servers as child processes on free loopback ports (``served``,
``sealtrail_server``) and stop them afterwards; sealtrail's runs with ``SERVER_ENVIRONMENT``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pymerkle
from pymerkle import SqliteTree

import sealtrail
from sealtrail.ledger.log import Ledger
from sealtrail.store.sqlite import SQLiteStore

__all__ = [
    "BENCH_DIR",
    "BUILD_KEY_VARIABLE",
    "DATA_DIR",
    "ORIGIN",
    "PEER",
    "SERVER_ENVIRONMENT",
    "Build",
    "Result",
    "SealtrailServer",
    "Served",
    "arguments",
    "cached_build",
    "command",
    "durability",
    "events",
    "figure",
    "fingerprint",
    "free_port",
    "pull_event",
    "report",
    "scratch",
    "sealtrail_server",
    "served",
    "verdict",
]

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / ".data"
ORIGIN = "bench.example/log"
PEER = f"pymerkle {pymerkle.__version__}"
BUILD_BATCH = 10_000
BUILD_KEY_VARIABLE = "SEALTRAIL_BENCH_BUILD_KEY"


def pull_event(i: int) -> dict[str, Any]:
    """A typical image.pull event (the shape of ``pull_event`` in tests/ledger/conftest.py)."""
    digest = f"sha256:{i:064x}"
    return {
        "time": f"2026-11-20T09:{i // 60 % 60:02d}:{i % 60:02d}.123456Z",
        "action": "image.pull",
        "outcome": "success",
        "actor": {
            "id": "dicom-processor",
            "type": "service",
            "ip": "192.0.2.80",
            "user_agent": "docker/27.3",
        },
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


def events(start: int, count: int) -> list[dict[str, Any]]:
    return [pull_event(i) for i in range(start, start + count)]


def index_caught_up(ledger: Ledger) -> float:
    """Seconds until the store's query index holds every record (SQLite builds it after the
    commits, in the background): counted in our time, so the rate is one the index sustains."""
    started = time.perf_counter()
    if isinstance(ledger.store, SQLiteStore):
        ledger.store.sync_index()
    return time.perf_counter() - started


def durability(tree: SqliteTree) -> str:
    """How durable the peer's commits are, read from its own connection, next to ours."""
    journal = tree.con.execute("PRAGMA journal_mode").fetchone()
    synchronous = tree.con.execute("PRAGMA synchronous").fetchone()
    level = ("OFF", "NORMAL", "FULL", "EXTRA")[synchronous]
    return (
        f"pymerkle sets no PRAGMA: SQLite defaults journal_mode={journal}, synchronous={level}, "
        "one transaction per call; sealtrail: journal_mode=wal, synchronous=FULL, one "
        "transaction per batch. Both fsync every commit."
    )


def arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the ``--quick`` flag every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smaller run, for a smoke test")
    return parser


def command() -> str:
    """The command line that is running, as one would type it from the repository root."""
    return shlex.join([os.path.relpath(sys.executable), *sys.argv])


@contextmanager
def scratch(name: str) -> Iterator[Path]:
    """A fresh directory under ``benchmarks/.data/``, removed afterwards."""
    path = DATA_DIR / f"{name}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Result:
    """One claim measured: ``ours`` and ``peer`` in ``unit``; ``ratio`` as ``ratio_means`` says."""

    claim: str
    unit: str
    ours: float
    ours_label: str
    peer: float | None
    peer_label: str
    ratio: float | None
    target: str
    met: bool | None
    ratio_means: str = "ours/peer speed; >1 means sealtrail is faster"
    notes: tuple[str, ...] = ()
    figures: dict[str, float] = field(default_factory=dict)  # more figures for the RESULT line


def figure(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{value:,.2f} {unit}"


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def machine() -> str:
    """What the figures were measured on, including how busy it was."""
    return (f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")  # fmt: skip


def report(result: Result) -> None:
    """Print the human report and the ``RESULT`` line."""
    ratio = "n/a" if result.ratio is None else f"{result.ratio:.2f}x ({result.ratio_means})"
    print(f"claim:   {result.claim}")
    print(f"peer:    {result.peer_label}: {figure(result.peer, result.unit)}")
    print(f"ours:    {result.ours_label}: {figure(result.ours, result.unit)}")
    print(f"ratio:   {ratio}")
    print(f"target:  {result.target}: {verdict(result.met)}")
    for note in result.notes:
        print(f"note:    {note}")
    print(f"machine: {machine()}")
    print(f"command: {command()}")
    line = {key: getattr(result, key) for key in ("claim", "unit", "peer", "ours", "ratio")}
    line |= {"target": result.target, "met": result.met, "command": command()}
    if result.figures:
        line["figures"] = result.figures
    print("RESULT " + json.dumps(line, ensure_ascii=False), flush=True)


# ---------------------------------------------------------------------------------------------
# The large build shared by bench_prove and bench_verify


@dataclass(frozen=True)
class Build:
    """A ledger of ``size`` pull events and a pymerkle tree of the same leaf bytes."""

    directory: str
    size: int
    ours_seconds: float
    peer_seconds: float
    built_at: str

    @property
    def ledger_dir(self) -> Path:
        return Path(self.directory) / "ledger"

    @property
    def peer_db(self) -> Path:
        return Path(self.directory) / "pymerkle.db"


def cached_build(size: int) -> tuple[Build, bool]:
    """The build of ``size`` entries, made now unless cached; and whether it was cached."""
    cache = DATA_DIR / "cache"
    directory = cache / f"size-{size}-{fingerprint()}"
    info = directory / "build.json"
    if info.exists():
        return Build(**json.loads(info.read_text())), True
    for stale in cache.glob(f"size-{size}-*"):
        shutil.rmtree(stale)
    directory.mkdir(parents=True)
    build = Build(str(directory), size, *_build(directory, size), datetime.now(UTC).isoformat())
    info.write_text(json.dumps(asdict(build)))  # written last: marks the build complete
    return build, False


def _build(directory: Path, size: int) -> tuple[float, float]:
    """Build both stores in batches of ``BUILD_BATCH``; the seconds each spent appending."""
    ours = 0.0
    with Ledger.create(directory / "ledger", origin=ORIGIN) as ledger:
        for start in range(0, size, BUILD_BATCH):
            batch = events(start, min(BUILD_BATCH, size - start))
            started = time.perf_counter()
            ledger.append_many(batch)
            ledger.checkpoint()
            ours += time.perf_counter() - started
            _progress("sealtrail", start + BUILD_BATCH, size)
        chunks = [
            [r.leaf for r in chunk] for chunk in ledger.store.iter_records(0, size, BUILD_BATCH)
        ]
    started = time.perf_counter()
    with SqliteTree(str(directory / "pymerkle.db")) as tree:
        for done, leaves in enumerate(chunks, 1):
            tree.append_entries(leaves)
            _progress("pymerkle", done * BUILD_BATCH, size)
    return ours, time.perf_counter() - started


def _progress(what: str, done: int, size: int) -> None:
    if done % (size // 10 or 1) < BUILD_BATCH or done >= size:
        print(f"  building {what}: {min(done, size):,}/{size:,}", file=sys.stderr, flush=True)


def fingerprint() -> str:
    """Changes whenever the sealtrail sources, this module (the event) or pymerkle change.

    ``run_all.py`` takes it once and passes it on in ``BUILD_KEY_VARIABLE``, so that an edit made
    while it runs does not make the next script build the large stores again.
    """
    if key := os.environ.get(BUILD_KEY_VARIABLE):
        return key
    digest = hashlib.sha256(PEER.encode() + Path(__file__).read_bytes())
    for path in sorted(Path(sealtrail.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# ---------------------------------------------------------------------------------------------
# Servers for the HTTP benchmarks

SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
SERVER_ENVIRONMENT = {"SEALTRAIL_LOG_REQUESTS": "false"}  # no JSON line per request on stdout
SERVER_START_SECONDS = 30


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A server process that answers on ``url``."""

    url: str
    pid: int


@contextmanager
def served(
    argv: list[str], port: int, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[Served]:
    """Run the server ``argv`` (listening on 127.0.0.1:``port``) until its ``/healthz`` answers
    200. It is stopped afterwards (SIGTERM, then SIGKILL after 15 s); its output is in ``log``.
    """
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, stdout=sink, stderr=subprocess.STDOUT, env=os.environ | dict(env or {})
        )
    try:
        _await_health(process, url, log)
        yield Served(url, process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _await_health(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"no answer from {url}/healthz in {SERVER_START_SECONDS} s")


@dataclass(frozen=True)
class SealtrailServer:
    """A running ``sealtrail serve`` and a writer key for it."""

    url: str
    pid: int
    writer_key: str


@contextmanager
def sealtrail_server(directory: Path) -> Iterator[SealtrailServer]:
    """``sealtrail init`` a fresh ledger in ``directory`` and serve it with ``SERVER_ENVIRONMENT``
    on a free loopback port; a writer key is made with the bootstrap admin key.
    """
    ledger = directory / "ledger"
    init = [SEALTRAIL, "init", "--dir", str(ledger), "--origin", ORIGIN]
    subprocess.run(init, check=True, capture_output=True)
    port = free_port()
    serve = [SEALTRAIL, "serve", "--dir", str(ledger), "--host", "127.0.0.1", "--port", str(port)]
    log = directory / "server.log"
    with served(serve, port, log, SERVER_ENVIRONMENT) as running:
        found = re.search(r"admin key \(shown only now\): (sealtrail_\S+)", log.read_text())
        if found is None:
            raise RuntimeError(f"sealtrail serve printed no admin key: {log.read_text()}")
        admin = {"Authorization": f"Bearer {found.group(1)}"}
        response = httpx.post(f"{running.url}/v1/keys", json={"role": "writer"}, headers=admin)
        response.raise_for_status()
        yield SealtrailServer(running.url, running.pid, response.json()["key"])
