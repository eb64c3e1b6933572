"""``sealtrail gateway``: serve the OCI gateway in front of one registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from starlette.types import ASGIApp

from sealtrail.config import Settings, from_environment, open_ledger
from sealtrail.gateway.config import GatewayConfig
from sealtrail.gateway.proxy import Gateway
from sealtrail.gateway.trail import Trail
from sealtrail.ledger.log import Ledger

__all__ = ["gateway_command", "mounted_gateway"]

err = Console(stderr=True, highlight=False, soft_wrap=True)


def gateway_command(
    upstream: Annotated[
        str | None,
        typer.Option(help="The registry behind the gateway, e.g. http://127.0.0.1:5000."),
    ] = None,
    listen: Annotated[
        str | None, typer.Option(help="HOST:PORT to answer on [127.0.0.1:5080].")
    ] = None,
    registry: Annotated[
        str | None, typer.Option(help="The registry's name in events [the upstream's host].")
    ] = None,
    directory: Annotated[Path | None, typer.Option("--dir", envvar="SEALTRAIL_DIR")] = None,
) -> None:
    """Proxy the OCI distribution API to a registry, recording every pull, push and delete and
    refusing changes to immutable tags. Settings: the [gateway] section of sealtrail.toml.

    Example: sealtrail gateway --upstream http://127.0.0.1:5000 --listen 127.0.0.1:5080
    """
    import uvicorn

    settings = from_environment(dir=directory)
    config = GatewayConfig.from_section(
        settings.section("gateway"), upstream=upstream, listen=listen, registry=registry
    )
    host, port = config.address()
    with open_ledger(directory, checkpoint_interval=settings.checkpoint_interval) as ledger:
        ledger.start_checkpointer()
        app = Gateway(config, Trail(ledger)).app()
        err.print(f"gateway for {config.upstream} on http://{host}:{port}", markup=False)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def mounted_gateway(settings: Settings, ledger: Ledger, api: ASGIApp) -> ASGIApp:
    """``api`` with the gateway of the ``[gateway]`` settings answering under ``/v2/``."""
    config = GatewayConfig.from_section(settings.section("gateway"))
    return Gateway(config, Trail(ledger)).mounted(api)
