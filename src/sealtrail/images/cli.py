"""``sealtrail pull``: an audited image pull from the command line, over the library call."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console

from sealtrail.config import from_environment, open_ledger
from sealtrail.images import pull as pull_image
from sealtrail.images.config import ImagesConfig
from sealtrail.images.puller import LOGGER, EventSink
from sealtrail.images.registry import DEFAULT_DOCKER_CONFIG
from sealtrail.images.throttle import Throttle

__all__ = ["pull"]

out = Console(highlight=False, soft_wrap=True)


EngineOption = Annotated[
    str,
    typer.Option(help="oci: from the registry into --output; docker: through DOCKER_HOST."),
]
PlatformOption = Annotated[
    str | None, typer.Option(help="os/arch or os/arch/variant, e.g. linux/arm64.")
]
OutputOption = Annotated[Path | None, typer.Option(help="OCI layout directory (oci engine).")]
ServiceOption = Annotated[str, typer.Option(help="The producing service, as recorded.")]
ServerOption = Annotated[
    str | None,
    typer.Option(envvar="SEALTRAIL_URL", help="Record on this server, not the local ledger."),
]
KeyOption = Annotated[str | None, typer.Option(envvar="SEALTRAIL_KEY", help="Key for --server.")]
DirOption = Annotated[
    Path, typer.Option("--dir", envvar="SEALTRAIL_DIR", help="Data directory of the ledger.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the recorded event as JSON.")]


def pull(
    image: Annotated[str, typer.Argument(help="Image reference, e.g. ghcr.io/org/app:v1.")],
    engine: EngineOption = "oci",
    platform: PlatformOption = None,
    output: OutputOption = None,
    service: ServiceOption = "sealtrail-cli",
    server: ServerOption = None,
    key: KeyOption = None,
    directory: DirOption = Path("sealtrail-data"),
    as_json: JsonOption = False,
) -> None:
    """Pull an image and record the attempt (success, failure or not found) in the trail.

    The CONTAINER IMAGE DOWNLOAD line goes to standard error, the digest to standard output.

    Example: sealtrail pull ghcr.io/org/app:v1 --output images/app
    """
    settings = from_environment(dir=directory)
    images = ImagesConfig.from_section(settings.section("images"))
    throttle = Throttle(images.throttle_path(settings.dir), images.throttle_seconds)
    _show_lines()
    with _sink(directory, server, key) as sink:
        result = pull_image(
            image, ledger_or_client=sink, engine=engine, output=output, platform=platform,
            throttle=throttle, service=service, docker_host=os.environ.get("DOCKER_HOST"),
            docker_config=_docker_config(),
        )  # fmt: skip
    if as_json:
        out.print(orjson.dumps(result.record.to_event()).decode(), markup=False)
    else:
        out.print(f"{result.record.reference.familiar()} {result.digest}", markup=False)


@contextmanager
def _sink(directory: Path, server: str | None, key: str | None) -> Iterator[EventSink]:
    if server:
        from sealtrail.client import Client

        with Client(server, key or "") as client:
            yield client
        return
    with open_ledger(directory) as ledger:
        yield ledger


def _show_lines() -> None:
    """The download line on standard error, as a service's journal would keep it."""
    if not any(isinstance(h, logging.StreamHandler) for h in LOGGER.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)


def _docker_config() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else DEFAULT_DOCKER_CONFIG
