"""Container images: references, a registry client, audited pulls and registry notifications.

``pull(reference, engine=..., ledger_or_client=...)`` is the call for services that pull images:

    from sealtrail import Client
    from sealtrail.images import pull

    with Client("https://trail.example", key) as trail:
        pull("ghcr.io/org/module:v1.2", engine="oci", output=Path("images/module"),
             ledger_or_client=trail, service="dicom-processor")
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sealtrail.clock import Clock
from sealtrail.errors import ValidationError
from sealtrail.images.manifest import Platform
from sealtrail.images.puller import EventSink, Puller, PullResult, default_source
from sealtrail.images.reference import ImageReference
from sealtrail.images.registry import DEFAULT_DOCKER_CONFIG, RegistryClient
from sealtrail.images.throttle import Throttle

__all__ = ["ImageReference", "Platform", "PullResult", "Puller", "Throttle", "pull"]

ENGINES = ("oci", "docker")


def pull(
    reference: str | ImageReference,
    *,
    ledger_or_client: EventSink,
    engine: str = "oci",
    output: Path | None = None,
    platform: str | Platform | None = None,
    throttle: Throttle | None = None,
    service: str = "sealtrail",
    actor: Mapping[str, Any] | None = None,
    docker_host: str | None = None,
    docker_config: Path | None = DEFAULT_DOCKER_CONFIG,
    registry_scheme: str | None = None,
    clock: Clock | None = None,
) -> PullResult:
    """Pull ``reference`` with ``engine`` (``oci`` into the layout ``output``, or ``docker``
    through the engine at ``docker_host``), recording the attempt; raises its error if it fails."""
    image = ImageReference.parse(reference) if isinstance(reference, str) else reference
    chosen = Platform.from_text(platform) if isinstance(platform, str) else platform
    puller = Puller(ledger_or_client, throttle, default_source(service), actor)
    if clock is not None:
        puller.clock = clock
    if engine == "oci":
        if output is None:
            raise ValidationError("the oci engine needs an output directory for the layout")
        from sealtrail.images.oci import OciEngine

        with RegistryClient(
            image.registry, docker_config=docker_config, scheme=registry_scheme
        ) as client:
            return puller.pull(image, OciEngine(client, output), chosen or Platform.host())
    if engine == "docker":
        from sealtrail.images.dockerengine import DockerEngine

        docker = DockerEngine(docker_host, docker_config=docker_config)
        try:
            return puller.pull(image, docker, chosen)
        finally:
            docker.close()
    raise ValidationError(f"unknown engine {engine!r}: {', '.join(ENGINES)}")
