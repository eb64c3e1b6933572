"""A real OCI registry (Debian's ``docker-registry``, distribution 2.8) and real images.

``start_podman(directory, insecure=[host])`` runs ``podman system service``, a Docker Engine API
on a unix socket, with its storage, configuration and runtime files all under ``directory`` and
the given registries marked insecure (plain HTTP); fixture ``podman_socket`` gives its
``unix://`` URL, trusting the ``registry`` fixture.

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
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, missing_component
from tests.fixtures_tokens import ISSUER as TOKEN_ISSUER
from tests.fixtures_tokens import SERVICE as TOKEN_SERVICE
from tests.fixtures_tokens import TokenService

__all__ = [
    "ImageBuilder",
    "PodmanService",
    "Registry",
    "image_builder",
    "podman_socket",
    "registry",
    "start_podman",
    "start_registry",
]

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
    token: TokenService | None = None  # Bearer auth from this token service instead of htpasswd

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
        if self.token is not None:
            config["auth"] = {
                "token": {
                    "realm": self.token.realm,
                    "service": TOKEN_SERVICE,
                    "issuer": TOKEN_ISSUER,
                    "rootcertbundle": str(self.token.certificate_path),
                }
            }
        elif self.users:
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
    token: TokenService | None = None,
) -> Registry:
    """A started registry keeping its storage and log under ``directory``; with ``token``, its
    users are the token service's and it asks for Bearer tokens from it."""
    require_tools("docker-registry")
    directory.mkdir(parents=True, exist_ok=True)
    users = token.users if token is not None else dict(users or {})
    registry = Registry(directory, free_port(), users, notify_url, notify_token)
    registry.token = token
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
        layers: Iterable[Mapping[str, bytes]] = (),
    ) -> str:
        """Make image ``tag`` in the layout with ``files`` (path → content) in one layer, each
        of ``layers`` in one more, and ``config`` as extra ``umoci config`` options
        (``{"--config.exposedports": "22/tcp"}``); answers the ``oci:LAYOUT:TAG`` source for
        skopeo."""
        if not (self.layout / "index.json").exists():
            _run("umoci", "init", "--layout", str(self.layout))
        image = f"{self.layout}:{tag}"
        _run("umoci", "new", "--image", image)
        options = [item for pair in (config or {}).items() for item in pair]
        _run("umoci", "config", "--image", image, "--config.user", user, *options)
        for layer in [files, *layers] if files else layers:
            self._add_layer(image, layer)
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


@dataclass
class PodmanService:
    """A running ``podman system service`` and its socket."""

    directory: Path
    socket: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        shutil.rmtree(self.socket.parent, ignore_errors=True)


def start_podman(directory: Path, insecure: Iterable[str] = ()) -> PodmanService:
    """A Docker Engine API served by podman, touching nothing outside ``directory``."""
    require_tools("podman")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "registries.conf").write_text(
        "unqualified-search-registries = []\n"
        + "".join(f'[[registry]]\nlocation = "{host}"\ninsecure = true\n' for host in insecure)
    )
    short = Path(tempfile.mkdtemp(prefix="podman-"))  # a socket and podman's runroot: short paths
    (directory / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\nrunroot = "{short}/run"\ngraphroot = "{directory}/root"\n'
    )
    (directory / "containers.conf").write_text(
        '[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n'
    )
    env = {
        **os.environ,
        "CONTAINERS_REGISTRIES_CONF": str(directory / "registries.conf"),
        "CONTAINERS_STORAGE_CONF": str(directory / "storage.conf"),
        "CONTAINERS_CONF": str(directory / "containers.conf"),
        "XDG_RUNTIME_DIR": str(directory / "xdg-run"),
        "XDG_CONFIG_HOME": str(directory / "xdg-config"),
        "XDG_DATA_HOME": str(directory / "xdg-data"),
        "TMPDIR": str(directory / "tmp"),
    }
    for name in ("xdg-run", "xdg-config", "xdg-data", "tmp"):
        (directory / name).mkdir(mode=0o700, exist_ok=True)
    command = [
        "podman", "--storage-driver", "vfs", "--root", str(directory / "root"),
        "--runroot", f"{short}/run", "system", "service", "--time=0",
        f"unix://{short}/podman.sock",
    ]  # fmt: skip
    with (directory / "podman.log").open("ab") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    service = PodmanService(directory, short / "podman.sock", process)
    _await_socket(service)
    return service


def _await_socket(service: PodmanService) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            log = (service.directory / "podman.log").read_text(errors="replace")
            raise RuntimeError(f"podman system service exited: {log[-2000:]}")
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(service.socket))
                return
        except OSError:
            time.sleep(0.05)
    service.stop()
    raise RuntimeError("podman system service did not open its socket")


@pytest.fixture
def podman_socket(tmp_path: Path, registry: Registry) -> Iterator[str]:
    """The ``unix://`` URL of a Docker Engine API (podman) that trusts the ``registry``."""
    service = start_podman(tmp_path / "podman", insecure=[registry.host])
    yield service.url
    service.stop()
