"""A real OCI registry (Debian's ``docker-registry``, distribution 2.8) and real images.

``start_registry(directory)`` serves a registry on a free loopback port, optionally with htpasswd
users and with notifications posted to a URL with a bearer token; ``stop()`` and ``start()`` take
it down and bring it back on the same port with the same storage. ``ImageBuilder`` makes small OCI
images with ``umoci`` (a user, files of a chosen size, exposed ports, labels, env) and ``push``
copies one to the registry with ``skopeo``, answering the digest the registry serves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, missing_component

__all__ = ["ImageBuilder", "Registry", "image_builder", "registry", "start_registry"]

TOOLS = ("docker-registry", "umoci", "skopeo")


def require_tools(*tools: str) -> None:
    """Skip (fail under CI=true) unless every named program is installed."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        missing_component(f"{', '.join(missing)} not installed (Debian packages)")


@dataclass
class Registry:
    """One ``docker-registry serve``: its port, storage, users and notification endpoint."""

    directory: Path
    port: int
    users: Mapping[str, str] = field(default_factory=dict)
    notify_url: str | None = None
    notify_token: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> None:
        config = self.directory / "config.yml"
        config.write_text(json.dumps(self._config(), indent=2))  # JSON is YAML
        with (self.directory / "registry.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["docker-registry", "serve", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log()[-2000:]}")
            try:
                httpx.get(f"{self.url}/v2/", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"docker-registry did not answer on {self.url}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        return (self.directory / "registry.log").read_text(errors="replace")

    def credentials(self) -> list[str]:
        """``skopeo`` options for the first user, if the registry has users."""
        if not self.users:
            return []
        user, password = next(iter(self.users.items()))
        return ["--dest-creds", f"{user}:{password}"]

    def _config(self) -> dict[str, object]:
        config: dict[str, object] = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(self.directory / "storage")},
                "delete": {"enabled": True},
            },
            "http": {"addr": self.host},
        }
        if self.users:
            config["auth"] = {
                "htpasswd": {"realm": "sealtrail-test", "path": str(self._htpasswd())}
            }
        if self.notify_url:
            headers = (
                {"Authorization": [f"Bearer {self.notify_token}"]} if self.notify_token else {}
            )
            endpoint = {
                "name": "sealtrail",
                "url": self.notify_url,
                "headers": headers,
                "timeout": "2s",
                "threshold": 3,
                "backoff": "200ms",
            }
            config["notifications"] = {"endpoints": [endpoint]}
        return config

    def _htpasswd(self) -> Path:
        import bcrypt  # the registry reads only bcrypt htpasswd entries

        path = self.directory / "htpasswd"
        path.write_text(
            "".join(
                f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
                for user, password in self.users.items()
            )
        )
        return path


def start_registry(
    directory: Path,
    *,
    users: Mapping[str, str] | None = None,
    notify_url: str | None = None,
    notify_token: str | None = None,
) -> Registry:
    """A started registry keeping its storage and log under ``directory``."""
    require_tools("docker-registry")
    directory.mkdir(parents=True, exist_ok=True)
    registry = Registry(directory, free_port(), dict(users or {}), notify_url, notify_token)
    registry.start()
    return registry


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """An open registry (no auth, no notifications) for one test."""
    started = start_registry(tmp_path / "registry")
    yield started
    started.stop()


@dataclass
class ImageBuilder:
    """Small OCI images in one layout, made with ``umoci``."""

    layout: Path

    def build(
        self,
        tag: str,
        *,
        user: str = "1000",
        files: Mapping[str, bytes] | None = None,
        config: Mapping[str, str] | None = None,
    ) -> str:
        """Make image ``tag`` in the layout with ``files`` (path → content) in one layer and
        ``config`` as extra ``umoci config`` options (``{"--config.exposedports": "22/tcp"}``);
        answers the ``oci:LAYOUT:TAG`` source for skopeo."""
        if not (self.layout / "index.json").exists():
            _run("umoci", "init", "--layout", str(self.layout))
        image = f"{self.layout}:{tag}"
        _run("umoci", "new", "--image", image)
        options = [item for pair in (config or {}).items() for item in pair]
        _run("umoci", "config", "--image", image, "--config.user", user, *options)
        if files:
            self._add_layer(image, files)
        return f"oci:{image}"

    def _add_layer(self, image: str, files: Mapping[str, bytes]) -> None:
        bundle = self.layout.parent / f"bundle-{os.getpid()}-{time.monotonic_ns()}"
        rootless = [] if os.geteuid() == 0 else ["--rootless"]
        _run("umoci", "unpack", *rootless, "--image", image, str(bundle))
        for name, content in files.items():
            path = bundle / "rootfs" / name.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        _run("umoci", "repack", "--image", image, str(bundle))
        shutil.rmtree(bundle)

    def push(self, source: str, registry: Registry, reference: str) -> str:
        """Copy ``source`` to ``registry`` as ``reference`` (``team/app:v1``); answers the
        manifest digest the registry now serves for it."""
        target = f"docker://{registry.host}/{reference}"
        _run(
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
            *registry.credentials(), source, target,
        )  # fmt: skip
        return inspect_digest(registry, reference)


def inspect_digest(registry: Registry, reference: str) -> str:
    """The digest ``skopeo inspect`` reads from the registry for ``reference``."""
    creds = []
    if registry.users:
        user, password = next(iter(registry.users.items()))
        creds = ["--creds", f"{user}:{password}"]
    output = _run(
        "skopeo", "inspect", "--tls-verify=false", *creds, f"docker://{registry.host}/{reference}"
    )
    return str(json.loads(output)["Digest"])


@pytest.fixture
def image_builder(tmp_path: Path) -> ImageBuilder:
    require_tools("umoci", "skopeo")
    return ImageBuilder(tmp_path / "layout")


def _run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}… failed: {result.stderr.strip()[-2000:]}")
    return result.stdout
