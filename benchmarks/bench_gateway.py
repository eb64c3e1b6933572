"""Claim: pulling an image through ``sealtrail gateway`` is about as fast as pulling it straight
from the registry (target ≥ 0.9x the direct throughput, the issue's aim), and a recorded manifest
GET costs little.

One run, one machine: Debian's ``docker-registry`` on loopback holds an image of ``--megabytes``
(default 80; ``--quick``: 20) of incompressible layers, made with ``umoci`` and pushed with
``skopeo``. Peer: ``skopeo copy docker://REGISTRY/… dir:OUT``. Ours: the same copy through the
gateway (which streams the blobs and records one ``image.pull`` per manifest GET, fsynced, before
serving it). Runs alternate, best of ``--rounds``. Then manifest GETs by tag, one after another
on one keep-alive connection, direct and through the gateway: requests per second and p50/p99
latency, each gateway GET recorded durably in the SQLite ledger before the reply; and the same
GETs from 16 concurrent clients (the ledger's group commit shares one fsync among them).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from common import BENCH_DIR, Result, arguments, free_port, report, scratch, served

sys.path.insert(0, str(BENCH_DIR.parent))  # the registry and image fixtures of the tests
from tests.fixtures_registry import ImageBuilder, start_registry

SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
REFERENCE = "bench/big:v1"


def _image(builder: ImageBuilder, megabytes: int) -> str:
    """An image with ``megabytes`` of random bytes in files of at most 20 MB."""
    files: dict[str, bytes] = {}
    left = megabytes
    while left > 0:
        size = min(20, left)
        files[f"data/blob{len(files)}.bin"] = os.urandom(size * 1024 * 1024)
        left -= size
    return builder.build("big", files=files)


def _copy_seconds(host: str, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--src-tls-verify=false", f"docker://{host}/{REFERENCE}",
         f"dir:{out}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - started


def _stored_bytes(out: Path) -> int:
    return sum(path.stat().st_size for path in out.iterdir())


def _manifest_gets(url: str, count: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency (ms) of ``count`` sequential manifest GETs."""
    latencies = []
    with httpx.Client(headers={"Accept": MANIFEST}) as client:
        client.get(f"{url}/v2/bench/big/manifests/v1").raise_for_status()
        started = time.perf_counter()
        for _ in range(count):
            before = time.perf_counter()
            client.get(f"{url}/v2/bench/big/manifests/v1").raise_for_status()
            latencies.append((time.perf_counter() - before) * 1000)
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return count / elapsed, cuts[49], cuts[98]


def _concurrent_gets(url: str, count: int, threads: int = 16) -> float:
    """Manifest GETs per second from ``threads`` clients, each on its own connection."""

    def client(n: int) -> None:
        with httpx.Client(headers={"Accept": MANIFEST}) as session:
            for _ in range(n):
                session.get(f"{url}/v2/bench/big/manifests/v1").raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(client, [count // threads] * threads))
    return (count // threads * threads) / (time.perf_counter() - started)


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--megabytes", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    megabytes = args.megabytes or (20 if args.quick else 80)
    gets = 300 if args.quick else 2000
    with scratch("gateway") as work:
        registry = start_registry(work / "registry")
        try:
            builder = ImageBuilder(work / "layout")
            builder.push(_image(builder, megabytes), registry, REFERENCE)
            data = work / "ledger"
            subprocess.run([SEALTRAIL, "init", "--dir", str(data)], check=True, capture_output=True)
            port = free_port()
            argv = [SEALTRAIL, "gateway", "--dir", str(data), "--upstream", registry.url,
                    "--listen", f"127.0.0.1:{port}"]  # fmt: skip
            with served(argv, port, work / "gateway.log") as gateway:
                direct, through = [], []
                for _ in range(args.rounds):
                    direct.append(_copy_seconds(registry.host, work / "out"))
                    through.append(_copy_seconds(f"127.0.0.1:{port}", work / "out"))
                size = _stored_bytes(work / "out")
                direct_gets = _manifest_gets(registry.url, gets)
                gateway_gets = _manifest_gets(gateway.url, gets)
                direct_parallel = _concurrent_gets(registry.url, gets)
                gateway_parallel = _concurrent_gets(gateway.url, gets)
        finally:
            registry.stop()
    peer, ours = size / min(direct) / 1e6, size / min(through) / 1e6
    report(
        Result(
            claim=f"skopeo pull of a {size / 1e6:.0f} MB image through the gateway vs direct",
            unit="MB/s",
            ours=ours,
            ours_label="through sealtrail gateway (image.pull recorded)",
            peer=peer,
            peer_label="direct from docker-registry",
            ratio=ours / peer,
            target="≥ 0.9x the direct throughput",
            met=ours / peer >= 0.9,
            notes=(
                f"best of {args.rounds}: direct {min(direct):.2f} s, gateway {min(through):.2f} s",
                f"manifest GETs, sequential: direct {direct_gets[0]:,.0f}/s "
                f"(p50 {direct_gets[1]:.2f} ms, p99 {direct_gets[2]:.2f} ms); gateway "
                f"{gateway_gets[0]:,.0f}/s (p50 {gateway_gets[1]:.2f} ms, "
                f"p99 {gateway_gets[2]:.2f} ms), each recorded and fsynced",
                f"manifest GETs from 16 clients: direct {direct_parallel:,.0f}/s, gateway "
                f"{gateway_parallel:,.0f}/s (group commit)",
            ),
            figures={
                "direct_manifest_gets_per_s": round(direct_gets[0], 1),
                "direct_manifest_gets_16_clients_per_s": round(direct_parallel, 1),
                "gateway_manifest_gets_16_clients_per_s": round(gateway_parallel, 1),
                "gateway_manifest_gets_per_s": round(gateway_gets[0], 1),
                "direct_manifest_p50_ms": round(direct_gets[1], 3),
                "direct_manifest_p99_ms": round(direct_gets[2], 3),
                "gateway_manifest_p50_ms": round(gateway_gets[1], 3),
                "gateway_manifest_p99_ms": round(gateway_gets[2], 3),
            },
        )
    )


if __name__ == "__main__":
    main()
