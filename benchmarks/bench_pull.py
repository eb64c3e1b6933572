"""Claim: an audited OCI-engine pull of a ~100 MB image is no slower than ``skopeo copy`` of the
same image from the same registry, and recording the pull costs little beside it.

Setup: Debian's ``docker-registry`` on a loopback port; an image of four 25 MB layers of random
bytes (incompressible, so the bytes on the wire are ~100 MB) built with ``umoci`` and pushed with
``skopeo``. Peer: ``skopeo copy docker://… oci:DIR:v1`` (the image to an OCI layout, digests
checked). Ours: ``sealtrail.images.pull(…, engine="oci", output=DIR)`` into a fresh layout,
recording the ``image.pull`` event in a SQLite ledger before publishing the layout. Each side runs
``--rounds`` times, alternating, into empty directories; the best round of each is compared.
The overhead of recording: ``Ledger.append`` of a pull's event plus its download line, the mean
over 200 pulls' events, beside the pull time.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from common import Result, arguments, report, scratch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the registry fixtures

from tests.fixtures_registry import ImageBuilder, Registry, start_registry

from sealtrail.images import pull
from sealtrail.ledger.log import Ledger

TARGET_RATIO = 1.0  # no slower than skopeo
LAYER_MB = 25


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--rounds", type=int, help="pulls per side (default 5, --quick 2)")
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    layers = 2 if args.quick else 4
    logging.getLogger("sealtrail.images").setLevel(logging.WARNING)  # no line per pull on stdout
    with scratch("pull") as directory:
        registry = start_registry(directory / "registry")
        try:
            size = _push_image(directory, registry, layers)
            peer, ours = _race(directory, registry, rounds)
        finally:
            registry.stop()
        overhead = _recording_overhead(directory)
    megabytes = size / 1e6
    report(
        Result(
            claim=f"audited OCI pull of a {megabytes:.0f} MB image vs skopeo copy",
            unit="MB/s",
            ours=megabytes / ours,
            ours_label="sealtrail.images.pull(engine='oci') into an OCI layout, recorded",
            peer=megabytes / peer,
            peer_label="skopeo copy docker://… oci:DIR (same registry, same image)",
            ratio=peer / ours,
            target=f"≥ {TARGET_RATIO:.1f}x skopeo's speed",
            met=peer / ours >= TARGET_RATIO,
            notes=(
                f"seconds per pull: sealtrail {ours:.2f}, skopeo {peer:.2f}",
                f"recording one pull (Ledger.append + line): {overhead * 1000:.2f} ms, "
                f"{overhead / ours:.2%} of the pull",
            ),
            figures={"ours_seconds": ours, "peer_seconds": peer, "record_ms": overhead * 1000},
        )
    )


def _push_image(directory: Path, registry: Registry, layers: int) -> int:
    builder = ImageBuilder(directory / "layout")
    contents = [{f"data/{n}.bin": os.urandom(LAYER_MB * 1024 * 1024)} for n in range(layers)]
    source = builder.build("v1", layers=contents)
    builder.push(source, registry, "bench/big:v1")
    blobs = directory / "registry" / "storage" / "docker" / "registry" / "v2" / "blobs"
    return sum(path.stat().st_size for path in blobs.rglob("data"))


def _race(directory: Path, registry: Registry, rounds: int) -> tuple[float, float]:
    peer, ours = [], []
    image = f"{registry.host}/bench/big:v1"
    with Ledger.create(directory / "trail", origin="bench.example/log") as ledger:
        for n in range(rounds):
            started = time.perf_counter()
            subprocess.run(
                ["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                 f"docker://{image}", f"oci:{directory}/skopeo-{n}:v1"],
                check=True,
            )  # fmt: skip
            peer.append(time.perf_counter() - started)
            started = time.perf_counter()
            pull(image, ledger_or_client=ledger, output=directory / f"ours-{n}")
            ours.append(time.perf_counter() - started)
    return min(peer), min(ours)


def _recording_overhead(directory: Path) -> float:
    from datetime import UTC, datetime

    from sealtrail.images.record import PullRecord
    from sealtrail.images.reference import ImageReference

    reference = ImageReference.parse("registry.example/bench/big:v1")
    records = [
        PullRecord(reference, datetime.now(UTC), 1.0, "success", digest=f"sha256:{n:064x}")
        for n in range(200)
    ]
    logger = logging.getLogger("sealtrail.images")
    with Ledger.create(directory / "overhead", origin="bench.example/log") as ledger:
        started = time.perf_counter()
        for record in records:
            ledger.append(record.to_event())
            logger.info("%s", record.to_line().to_text())
        return (time.perf_counter() - started) / len(records)


if __name__ == "__main__":
    main()
