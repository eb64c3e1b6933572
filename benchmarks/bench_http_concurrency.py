"""Claim: single-event POSTs from 64 concurrent clients — sealtrail's throughput and p50/p99
latency next to a bare FastAPI endpoint that does nothing (the ceiling; no target).

Ours: ``sealtrail serve`` on loopback, ``POST /v1/events`` with one event per request, acknowledged
once committed and fsynced. Peer: a FastAPI app whose POST endpoint returns 201 ``{}`` without
reading the body, run by ``uvicorn.run`` with the same options as ``sealtrail serve``. Both get the
same request bodies from 64 client threads, each with its own keep-alive connection of its process's
``httpx.Client`` and sending one request after another, until the requests or the seconds run out.
The threads are spread over ``--processes`` client processes (2: on a small machine more processes
take the CPU the server needs). ``httpx.AsyncClient`` loaded the servers far less here: its pool
slows down as connections are added (about 100 requests/s with 64 connections on 2 CPUs).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import fastapi
import httpx
import orjson
import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response

from common import (
    SERVER_ENVIRONMENT,
    Result,
    arguments,
    free_port,
    pull_event,
    report,
    scratch,
    sealtrail_server,
    served,
)

CLIENTS = 64
PROCESSES = 2  # client processes sharing the CLIENTS connections
JSON = {"Content-Type": "application/json"}


# --- the ceiling ---


def ceiling_app() -> FastAPI:
    """A POST endpoint that does nothing, and the ``/healthz`` that ``served`` waits for."""
    app = FastAPI()

    @app.post("/v1/events", status_code=201)
    async def accept() -> Response:
        return Response(b"{}", status_code=201, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return app


def serve_ceiling(port: int) -> None:
    """Serve ``ceiling_app`` as ``sealtrail serve`` serves its app."""
    uvicorn.run(ceiling_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the load ---


@dataclass(frozen=True)
class Plan:
    """What one client process sends: requests ``start`` to ``start + count`` on ``clients``
    connections, for at most ``seconds`` after all processes have connected."""

    url: str
    key: str | None
    start: int
    count: int
    clients: int
    seconds: float


@dataclass(frozen=True)
class Load:
    """What one client process measured: each request's seconds, its clock span, failures."""

    latencies: list[float]
    began: float
    ended: float
    failures: list[str]


def drive(plan: Plan, barrier: Barrier) -> Load:
    """Open ``plan.clients`` connections, wait for the other processes, then send the requests."""
    bodies = [orjson.dumps(pull_event(i)) for i in range(plan.start, plan.start + plan.count)]
    headers = {"Authorization": f"Bearer {plan.key}"} if plan.key else {}
    limits = httpx.Limits(max_connections=plan.clients, max_keepalive_connections=plan.clients)
    start = threading.Barrier(plan.clients + 1, timeout=60)
    latencies: list[float] = []
    failures: list[str] = []
    deadline = [0.0]  # set by this thread just before the clients start

    def one_client(mine: list[bytes]) -> None:
        client.get("/healthz")  # opens this client's connection
        start.wait()  # connected
        start.wait()  # go
        for body in mine:
            if time.monotonic() > deadline[0]:
                return
            sent = time.perf_counter()
            try:
                response = client.post("/v1/events", content=body, headers=JSON)
            except httpx.HTTPError as error:
                failures.append(repr(error))
                continue
            latencies.append(time.perf_counter() - sent)
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.text[:200]}")

    with httpx.Client(base_url=plan.url, headers=headers, limits=limits, timeout=60) as client:
        threads = [
            threading.Thread(target=one_client, args=(bodies[n :: plan.clients],))
            for n in range(plan.clients)
        ]
        for thread in threads:
            thread.start()
        start.wait()
        barrier.wait(60)  # every process has its connections open
        began = time.monotonic()
        deadline[0] = began + plan.seconds
        start.wait()
        for thread in threads:
            thread.join()
        return Load(latencies, began, time.monotonic(), failures)


def client_process(plan: Plan, barrier: Barrier, results: Queue[Load]) -> None:
    results.put(drive(plan, barrier))


@dataclass(frozen=True)
class Measured:
    """Requests per second over all processes, latency percentiles in milliseconds, and the
    server's CPU time while loaded (None where ``/proc`` cannot tell)."""

    requests: int
    throughput: float
    p50: float
    p99: float
    server_cpu: float | None = None

    def latency(self) -> str:
        return f"p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms"

    def cpu(self) -> str:
        if self.server_cpu is None:
            return "n/a"
        busy = self.server_cpu * self.throughput / self.requests  # CPU seconds per second
        return f"{busy:.0%} of one CPU, {self.server_cpu / self.requests * 1000:.2f} ms/request"


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds that process ``pid`` has used (Linux); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(
    url: str, pid: int, key: str | None, requests: int, seconds: float, processes: int
) -> Measured:
    """Send up to ``requests`` single-event POSTs from ``CLIENTS`` connections in ``processes``
    to the server ``pid`` at ``url``, and note the CPU time that server used meanwhile."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results: Queue[Load] = context.Queue()
    share = requests // processes
    clients = CLIENTS // processes
    plans = [Plan(url, key, n * share, share, clients, seconds) for n in range(processes)]
    workers = [
        context.Process(target=client_process, args=(plan, barrier, results)) for plan in plans
    ]
    cpu_before = cpu_seconds(pid)
    for worker in workers:
        worker.start()
    try:
        loads = [results.get(timeout=seconds + 120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    cpu_after = cpu_seconds(pid)
    failures = [failure for part in loads for failure in part.failures]
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, the first: {failures[0]}")
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return measured(loads, server_cpu)


def measured(loads: list[Load], server_cpu: float | None) -> Measured:
    latencies = sorted(seconds for part in loads for seconds in part.latencies)
    span = max(part.ended for part in loads) - min(part.began for part in loads)
    return Measured(
        len(latencies),
        len(latencies) / span,
        percentile(latencies, 50) * 1000,
        percentile(latencies, 99) * 1000,
        server_cpu,
    )


def percentile(ordered: list[float], p: int) -> float:
    """The nearest-rank ``p``-th percentile of ``ordered``."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[rank - 1]


# --- the claim ---


def options() -> argparse.Namespace:
    parser = arguments(__doc__ or "")
    parser.add_argument(
        "--processes",
        type=int,
        choices=[1, 2, 4],
        default=PROCESSES,
        help=f"client processes sharing the {CLIENTS} connections [{PROCESSES}]",
    )
    parser.add_argument("--serve-ceiling", type=int, metavar="PORT", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = options()
    if args.serve_ceiling:
        serve_ceiling(args.serve_ceiling)
        return
    requests, seconds = (2_000, 3.0) if args.quick else (20_000, 10.0)
    with scratch("http-concurrency") as tmp:
        port = free_port()
        argv = [sys.executable, str(Path(__file__).resolve()), "--serve-ceiling", str(port)]
        with served(argv, port, tmp / "ceiling.log") as ceiling:
            peer = load(ceiling.url, ceiling.pid, None, requests, seconds, args.processes)
        with sealtrail_server(tmp) as server:
            key = server.writer_key
            ours = load(server.url, server.pid, key, requests, seconds, args.processes)
    report(result(peer, ours, requests, seconds, args.processes))


def result(peer: Measured, ours: Measured, requests: int, seconds: float, processes: int) -> Result:
    settings = " ".join(f"{name}={value}" for name, value in SERVER_ENVIRONMENT.items())
    figures: dict[str, Any] = {"peer_requests": peer.requests, "ours_requests": ours.requests}
    for name, measure in (("peer", peer), ("ours", ours)):
        figures |= {f"{name}_p50_ms": measure.p50, f"{name}_p99_ms": measure.p99}
        if measure.server_cpu is not None:
            figures[f"{name}_server_cpu_s"] = measure.server_cpu
    return Result(
        claim=f"HTTP single-event POSTs from {CLIENTS} concurrent clients "
        f"(≤ {requests:,} requests or {seconds:g} s)",
        unit="requests/s",
        ours=ours.throughput,
        ours_label=f"sealtrail serve, POST /v1/events, durable ({ours.latency()}; "
        f"{ours.requests:,} requests)",
        peer=peer.throughput,
        peer_label=f"bare FastAPI {fastapi.__version__} POST → 201 {{}} on uvicorn "
        f"{uvicorn.__version__} ({peer.latency()}; {peer.requests:,} requests)",
        ratio=ours.throughput / peer.throughput,
        target="none: the peer is the ceiling",
        met=None,
        ratio_means="ours/ceiling throughput; 1 would be the ceiling",
        notes=(
            "each sealtrail POST authenticates its key (a SQLite read), validates and appends "
            "its event with a fsynced group commit before answering, and queues auth.key_used "
            "and http.request events, so three events are sealed per request",
            "the ceiling's endpoint is async and never reads or parses the body; sealtrail's "
            "key check and route are sync functions, which FastAPI runs in its thread pool "
            "(two hand-offs per request)",
            f"{CLIENTS} client threads, each with a keep-alive connection (httpx "
            f"{httpx.__version__} Client), in {processes} client process(es) on this machine, "
            "connected before timing; latency is from send to response at the client",
            f"server CPU while loaded (the rest of the {os.cpu_count()} CPUs ran the clients): "
            f"ceiling {peer.cpu()}; sealtrail {ours.cpu()}",
            f"server environment: {settings} (no JSON log line per request on stdout)",
        ),
        figures=figures,
    )


if __name__ == "__main__":
    main()
