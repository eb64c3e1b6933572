"""The Docker engine: an image pulled by a Docker Engine API (Docker, or podman's service).

The engine at ``base_url`` (what ``DOCKER_HOST`` says; the CLI passes it) pulls the image into
its own store; the digest recorded is the one it lists in ``RepoDigests`` for the name pulled.
The engine's errors become those of ``sealtrail.images.failures`` (the original stays as
``__cause__``, so the download line names its type, as the seed's ``error=APIError`` does). An
image that was not there before the pull is removed again by ``discard`` when the pull cannot be
recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sealtrail.images.failures import (
    DigestMismatch,
    EngineUnavailable,
    ImageNotFound,
    RegistryDenied,
    RegistryError,
    RegistryTimeout,
    RegistryUnreachable,
)
from sealtrail.images.oci import Fetched
from sealtrail.images.reference import DOCKER_HUB, ImageReference
from sealtrail.images.registry import DEFAULT_DOCKER_CONFIG, docker_credentials

if TYPE_CHECKING:
    from sealtrail.images.manifest import Platform

__all__ = ["DEFAULT_DOCKER_HOST", "DockerEngine"]

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
#: Words in an engine's error message → the failure they mean (the first that matches wins).
_MESSAGES: tuple[tuple[tuple[str, ...], type[RegistryError]], ...] = (
    (("digest", "mismatch"), DigestMismatch),
    (("does not match",), DigestMismatch),
    (("manifest unknown",), ImageNotFound),
    (("name unknown",), ImageNotFound),
    (("unauthorized",), RegistryDenied),
    (("authentication required",), RegistryDenied),
    (("denied",), RegistryDenied),
    (("timeout",), RegistryTimeout),
    (("deadline exceeded",), RegistryTimeout),
    (("connection refused",), RegistryUnreachable),
    (("no such host",), RegistryUnreachable),
    (("connection reset",), RegistryUnreachable),
)


class DockerEngine:
    """Pulls through the Docker Engine API at ``base_url``."""

    name = "docker"

    def __init__(
        self,
        base_url: str | None = None,
        timeout: float = 600,
        docker_config: Path | None = DEFAULT_DOCKER_CONFIG,
    ) -> None:
        self.base_url = base_url or DEFAULT_DOCKER_HOST
        self.timeout = timeout
        self.docker_config = docker_config
        self._client: Any = None
        self._added: str | None = None

    @property
    def _docker(self) -> Any:
        """The engine's client, connected on first use (so that failing to connect is part of
        the recorded attempt)."""
        if self._client is None:
            import docker  # only this engine needs the package (nor is it imported before)

            _check_socket(self.base_url)

            with _translated("the Docker engine"):
                self._client = docker.DockerClient(
                    base_url=self.base_url, timeout=int(self.timeout)
                )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def cached(self, reference: ImageReference) -> str | None:
        """The digest of the image the engine holds as ``reference``, if it holds it."""
        import docker.errors

        try:
            with _translated("the Docker engine"):
                image = self._docker.images.get(_engine_name(reference, with_reference=True))
        except ImageNotFound:
            return None
        except docker.errors.NotFound:
            return None
        return _repo_digest(image.attrs, reference)

    def fetch(self, reference: ImageReference, platform: Platform | None) -> Fetched:
        from docker.utils.json_stream import json_stream

        present = self.cached(reference) is not None
        with _translated(reference.registry):
            progress = self._docker.api.pull(
                _engine_name(reference),
                tag=reference.reference,
                platform=platform.to_text() if platform else None,
                auth_config=self._auth(reference),
            )  # read whole, so that the connection is released whatever it says
            for item in json_stream([progress]):
                _raise_reported(item)
            image = self._docker.images.get(_engine_name(reference, with_reference=True))
        digest = _repo_digest(image.attrs, reference)
        if digest is None:
            raise RegistryError(f"the engine pulled {reference} but names no registry digest")
        self._added = None if present else _engine_name(reference, with_reference=True)
        return Fetched(digest, digest, 0)

    def commit(self) -> None:
        self._added = None

    def _auth(self, reference: ImageReference) -> dict[str, str] | None:
        """The credentials to send (the engine keeps none of its own, as ``docker pull``
        sends those of ``config.json``)."""
        if self.docker_config is None:
            return None
        found = docker_credentials(reference.registry, self.docker_config)
        if found is None:
            return None
        return {"username": found.username, "password": found.password}

    def discard(self) -> None:
        if self._added is not None:
            with contextlib.suppress(Exception):
                self._docker.images.remove(self._added)
            self._added = None


def _check_socket(base_url: str) -> None:
    """Fail before the docker package tries a unix socket that is not there (it would leak
    the socket it opened)."""
    for prefix in ("unix://", "http+unix://"):
        if base_url.startswith(prefix):
            path = base_url.removeprefix(prefix)
            if not Path(path).is_socket():
                raise EngineUnavailable(f"cannot reach the Docker engine: no socket at {path}")


def _engine_name(reference: ImageReference, *, with_reference: bool = False) -> str:
    name = reference.repository if reference.domain == DOCKER_HUB else reference.name
    if not with_reference:
        return name
    return f"{name}@{reference.digest}" if reference.digest else f"{name}:{reference.tag}"


def _repo_digest(attrs: dict[str, Any], reference: ImageReference) -> str | None:
    names = {_engine_name(reference), reference.name, f"{reference.domain}/{reference.repository}"}
    for entry in attrs.get("RepoDigests") or []:
        name, _, digest = str(entry).partition("@")
        if name in names and digest:
            return digest
    return None


@contextlib.contextmanager
def _translated(where: str) -> Iterator[None]:
    """The docker package's errors as ours, the original kept as the cause."""
    import docker.errors
    import requests

    try:
        yield
    except docker.errors.ImageNotFound as error:
        raise ImageNotFound(_explanation(error)) from error
    except docker.errors.APIError as error:
        raise _classified(_explanation(error)) from error
    except requests.exceptions.Timeout as error:
        raise RegistryTimeout(f"timed out waiting for {where}: {error}") from error
    except (requests.exceptions.ConnectionError, docker.errors.DockerException) as error:
        raise EngineUnavailable(f"cannot reach the Docker engine: {error}") from error


def _raise_reported(item: Any) -> None:
    """Raise the error an engine reports in its pull progress (as Docker's API does)."""
    if not isinstance(item, dict) or not item.get("error"):
        return
    import docker.errors

    detail = item.get("errorDetail")
    message = str(detail.get("message") if isinstance(detail, dict) else None or item["error"])
    raise docker.errors.APIError(message)


def _classified(message: str) -> RegistryError:
    lowered = message.lower()
    for words, kind in _MESSAGES:
        if all(word in lowered for word in words):
            return kind(message)
    return RegistryError(message)


def _explanation(error: Any) -> str:
    explanation = getattr(error, "explanation", None)
    return str(explanation or error)
