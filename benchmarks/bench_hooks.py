"""Claim: webhook ingestion keeps up with the batch API: GitHub push deliveries of 20 commits each
(21 events: the push and its commits), signed and sent to ``POST /v1/hooks/github``, are recorded
at at least half the events per second of ``POST /v1/events:batch`` given the same 21 events.

Both run against their own fresh ``sealtrail serve`` (SQLite, ``SERVER_ENVIRONMENT``), loaded in
alternating rounds (the same background load for both), from ``--clients`` client threads, each
with its own keep-alive connection, sending one request after another. Ours verifies the HMAC,
maps the payload and appends its events once under the delivery id (deliveries arriving together
share a transaction: ``sealtrail.vcs.groupcommit``); the peer appends the already-mapped events
(the same mapping, done before the clock starts) with a writer key, group-committed. Bodies and
signatures are made before the clock starts too, as GitHub makes them before sending.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import (
    ORIGIN,
    SEALTRAIL,
    SERVER_ENVIRONMENT,
    Result,
    arguments,
    free_port,
    report,
    scratch,
    served,
)

try:
    import sealtrail  # noqa: F401
except ModuleNotFoundError:  # run from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sealtrail.vcs.delivery import Delivery
from sealtrail.vcs.intake import map_delivery
from sealtrail.vcs.payload import Payload
from sealtrail.vcs.records import Context

SECRET = "bench-hook-secret"
COMMITS = 20
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "vcs" / "payloads" / "github_push.json"
Request = tuple[bytes, dict[str, str]]


def push_payload(n: int) -> dict[str, Any]:
    """Push ``n``: the documented GitHub push shape with 20 commits of its own."""
    body: dict[str, Any] = orjson.loads(FIXTURE.read_bytes())["body"]
    template = body["commits"][0]
    commits = []
    for i in range(COMMITS):
        sha = hashlib.sha1(f"{n}-{i}".encode()).hexdigest()
        files = {"added": [f"src/m{n}_{i}.py"], "modified": ["README.md"], "removed": []}
        commits.append(template | {"id": sha, "message": f"Change {i} of push {n}"} | files)
    body |= {"commits": commits, "head_commit": commits[-1], "after": commits[-1]["id"]}
    return body


def hook_requests(count: int) -> list[Request]:
    requests = []
    for n in range(count):
        body = orjson.dumps(push_payload(n))
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": f"bench-delivery-{n}",
            "X-Hub-Signature-256": f"sha256={signature}",
        }
        requests.append((body, headers))
    return requests


def batch_requests(count: int, key: str) -> list[Request]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    requests = []
    for n in range(count):
        delivery = Delivery("github", "push", f"bench-delivery-{n}", Payload(push_payload(n)))
        ctx = Context("github", delivery.id, "2026-11-23T12:00:00.000000Z", host="github.com")
        requests.append((orjson.dumps({"events": map_delivery(delivery, ctx)}), headers))
    return requests


@contextmanager
def server(directory: Path) -> Iterator[tuple[str, str]]:
    """A fresh ``sealtrail serve`` with the hook secret; its URL and a writer key."""
    ledger = directory / "ledger"
    init = [SEALTRAIL, "init", "--dir", str(ledger), "--origin", ORIGIN]
    subprocess.run(init, check=True, capture_output=True)
    port = free_port()
    serve = [SEALTRAIL, "serve", "--dir", str(ledger), "--host", "127.0.0.1", "--port", str(port)]
    env = SERVER_ENVIRONMENT | {"SEALTRAIL_HOOKS__GITHUB__SECRET": SECRET}
    log = directory / "server.log"
    with served(serve, port, log, env) as running:
        found = re.search(r"admin key \(shown only now\): (sealtrail_\S+)", log.read_text())
        assert found is not None, log.read_text()
        admin = {"Authorization": f"Bearer {found.group(1)}"}
        response = httpx.post(f"{running.url}/v1/keys", json={"role": "writer"}, headers=admin)
        response.raise_for_status()
        yield running.url, response.json()["key"]


def load(url: str, path: str, requests: list[Request], clients: int) -> float:
    """Send ``requests`` from ``clients`` threads; seconds from the first to the last answer."""
    pending = iter(requests)
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                response = http.post(path, content=item[0], headers=item[1])
                if response.status_code not in (200, 201):
                    failures.append(response.text)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, first: {failures[0]}")
    return elapsed


def measure(count: int, clients: int, rounds: int) -> tuple[float, float]:
    """Events per second of ours and of the peer, each on its own fresh server, loaded in
    alternating rounds so that both meet the same background load (these machines are shared)."""
    with (
        scratch("hooks-ours") as ours_dir,
        scratch("hooks-peer") as peer_dir,
        server(ours_dir) as (ours_url, _),
        server(peer_dir) as (peer_url, key),
    ):
        sides = [
            (ours_url, "/v1/hooks/github", hook_requests(count)),
            (peer_url, "/v1/events:batch", batch_requests(count, key)),
        ]
        warm = clients * 2
        for url, path, requests in sides:
            load(url, path, requests[:warm], clients)
        seconds = [0.0, 0.0]
        size = (count - warm) // rounds
        for round_ in range(rounds):
            part = slice(warm + round_ * size, warm + (round_ + 1) * size)
            for side, (url, path, requests) in enumerate(sides):
                seconds[side] += load(url, path, requests[part], clients)
        events = size * rounds * (COMMITS + 1)
        return events / seconds[0], events / seconds[1]


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    args = parser.parse_args()
    count, rounds = (60, 2) if args.quick else (408, 8)
    hooks, batch = measure(count, args.clients, rounds)
    ratio = hooks / batch
    report(
        Result(
            claim="push webhooks (20 commits each) vs the batch API with the same events",
            unit="events/s",
            ours=hooks,
            ours_label=f"POST /v1/hooks/github, {args.clients} clients",
            peer=batch,
            peer_label=f"POST /v1/events:batch, 21 events per request, {args.clients} clients",
            ratio=ratio,
            target=">= 0.5x the batch API",
            met=ratio >= 0.5,
            notes=(
                f"{count - 2 * args.clients} timed requests per side in {rounds} alternating "
                f"rounds, after {2 * args.clients} warm-up requests; each request is 21 events",
            ),
        )
    )


if __name__ == "__main__":
    main()
