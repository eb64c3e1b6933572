"""Claim: batch ingest over HTTP keeps at least half the speed of in-process ``append_many``
(target ≥ 0.5x).

Ours: one httpx client POSTs ``/v1/events:batch`` to ``sealtrail serve`` on loopback, 1,000 events
at a time, one batch after another; each response arrives once its batch is durable. Peer (the
ceiling): ``Ledger.append_many`` of the same batches in this process on a fresh ledger, with the
checkpointer signing every second as the server runs it. The request bodies are encoded before the
clock starts, as the peer's events are built before its clock starts.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import (
    ORIGIN,
    SERVER_ENVIRONMENT,
    Result,
    arguments,
    events,
    report,
    scratch,
    sealtrail_server,
)
from sealtrail.ledger.log import Ledger

BATCH = 1_000
TIMEOUT = 120  # seconds for one batch, at most


def in_process(directory: Path, batches: list[list[dict[str, Any]]]) -> float:
    """Seconds for ``Ledger.append_many`` to append ``batches`` one after another."""
    with Ledger.create(directory, origin=ORIGIN) as ledger:
        ledger.start_checkpointer()
        started = time.perf_counter()
        for batch in batches:
            ledger.append_many(batch)
        return time.perf_counter() - started


def over_http(directory: Path, batches: list[list[dict[str, Any]]]) -> float:
    """Seconds for one client to POST ``batches`` to a fresh server, one after another."""
    bodies = [orjson.dumps({"events": batch}) for batch in batches]
    appended = 0
    with sealtrail_server(directory) as server:
        headers = {"Authorization": f"Bearer {server.writer_key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=TIMEOUT) as client:
            client.get("/healthz").raise_for_status()  # the connection is open before the clock
            started = time.perf_counter()
            for body in bodies:
                response = client.post(
                    "/v1/events:batch", content=body, headers={"Content-Type": "application/json"}
                )
                if response.status_code != 201:
                    raise RuntimeError(f"batch refused: {response.status_code} {response.text}")
                appended += orjson.loads(response.content)["appended"]
            elapsed = time.perf_counter() - started
    assert appended == sum(map(len, batches)), "the server must have appended every event"
    return elapsed


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    count = 5_000 if args.quick else 50_000
    batches = [events(start, BATCH) for start in range(0, count, BATCH)]
    with scratch("http-ingest") as tmp:
        peer = in_process(tmp / "in-process", batches)
        ours = over_http(tmp / "http", batches)
    settings = " ".join(f"{name}={value}" for name, value in SERVER_ENVIRONMENT.items())
    result = Result(
        claim=f"HTTP batch ingest: {count:,} image.pull events in batches of {BATCH:,}",
        unit="events/s",
        ours=count / ours,
        ours_label=f"sealtrail serve, POST /v1/events:batch from one httpx {httpx.__version__} "
        "client",
        peer=count / peer,
        peer_label="in-process Ledger.append_many, same batches (the ceiling)",
        ratio=peer / ours,
        target="≥ 0.5x",
        met=peer / ours >= 0.5,
        notes=(
            "each batch is durable (one fsynced commit) before its response or return",
            "over HTTP the server also parses and validates the JSON body, checks the key, "
            "records auth.key_used and http.request events per request, and answers with "
            f"{BATCH:,} receipts",
            "both sides run the 1 s checkpointer; the HTTP connection is opened before timing",
            f"server environment: {settings} (no JSON log line per request on stdout)",
        ),
        figures={"ours_seconds": ours, "peer_seconds": peer},
    )
    report(result)


if __name__ == "__main__":
    main()
