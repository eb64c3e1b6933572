"""A client of the OCI distribution API (https://github.com/opencontainers/distribution-spec).

``RegistryClient(endpoint)`` speaks to one registry over httpx: it answers the ``/v2/`` ping,
authenticates as the registry's ``WWW-Authenticate`` challenge asks (a Bearer token from the
named realm, or Basic), with credentials given or read from Docker's ``config.json``, and checks
every manifest and blob it returns against its digest. Errors are those of
``sealtrail.images.failures``, each with a short ``kind`` that a pull event records.

Loopback endpoints (``localhost``, ``127.0.0.0/8``, ``[::1]``) are spoken to over plain HTTP,
as Docker does for them; every other endpoint over HTTPS unless ``scheme`` says otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from sealtrail.errors import ValidationError
from sealtrail.images.failures import (
    DigestMismatch,
    ImageNotFound,
    RegistryDenied,
    RegistryError,
    RegistryTimeout,
    RegistryUnreachable,
)
from sealtrail.images.manifest import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Manifest,
    Platform,
    select_platform,
)
from sealtrail.images.reference import DOCKER_HUB_ENDPOINT

__all__ = [
    "DEFAULT_DOCKER_CONFIG",
    "Credentials",
    "RegistryAuth",
    "RegistryClient",
    "Resolved",
    "docker_credentials",
]

DEFAULT_DOCKER_CONFIG = Path("~/.docker/config.json")
MANIFEST_MAX = 4 * 1024 * 1024  # what registries are asked to accept; more is refused
CHUNK = 1024 * 1024
_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", DOCKER_HUB_ENDPOINT)
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Credentials:
    """A user name and password (or token) for one registry; the password is never shown."""

    username: str
    password: str = field(repr=False)

    def basic(self) -> str:
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def docker_credentials(registry: str, config: Path = DEFAULT_DOCKER_CONFIG) -> Credentials | None:
    """The credentials Docker's ``config.json`` keeps for ``registry`` (``auths`` entries, as
    ``docker login`` writes them), or None; credential helpers are not run."""
    path = config.expanduser()
    try:
        document = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as error:
        raise ValidationError(f"cannot read Docker credentials from {path}: {error}") from None
    auths = document.get("auths") if isinstance(document, dict) else None
    if not isinstance(auths, dict):
        return None
    keys = _HUB_KEYS if registry == DOCKER_HUB_ENDPOINT else (registry,)
    for key in keys:
        for candidate in (key, f"https://{key}", f"http://{key}"):
            entry = auths.get(candidate)
            if isinstance(entry, dict):
                return _entry_credentials(entry, path)
    return None


def _entry_credentials(entry: Mapping[str, Any], path: Path) -> Credentials | None:
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        return Credentials(entry["username"], entry["password"])
    encoded = entry.get("auth")
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        user, colon, password = base64.b64decode(encoded).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(
            f"a Docker credential in {path} is not base64 user:password"
        ) from None
    if not colon:
        raise ValidationError(f"a Docker credential in {path} is not user:password")
    return Credentials(user, password)


class RegistryAuth(httpx.Auth):
    """Answers a registry's 401 challenge: fetches a Bearer token from the challenge's realm
    (with Basic credentials, when there are some) or sends Basic credentials; remembers the
    answer per repository so that later requests do not need a challenge."""

    def __init__(self, credentials: Credentials | None) -> None:
        self._credentials = credentials
        self._answers: dict[str, str] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        key = _scope_key(request.url.path)
        if key in self._answers:
            request.headers["Authorization"] = self._answers[key]
        response = yield request
        if response.status_code != 401:
            return
        answer = yield from self._answer(response.headers.get("WWW-Authenticate", ""), key)
        if answer is None:
            return
        self._answers[key] = answer
        request.headers["Authorization"] = answer
        yield request

    def _answer(
        self, challenge: str, key: str
    ) -> Generator[httpx.Request, httpx.Response, str | None]:
        scheme, _, rest = challenge.strip().partition(" ")
        if scheme.lower() == "basic":
            return self._credentials.basic() if self._credentials else None
        if scheme.lower() != "bearer":
            return None
        params = dict(_CHALLENGE_PARAM.findall(rest))
        realm = params.pop("realm", None)
        if not realm:
            return None
        params.setdefault("scope", _default_scope(key))
        headers = {"Authorization": self._credentials.basic()} if self._credentials else {}
        query = urlencode({name: value for name, value in params.items() if value})
        response = yield httpx.Request("GET", f"{realm}?{query}", headers=headers)
        response.read()
        if response.status_code != 200:
            return None
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return None
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        return f"Bearer {token}" if isinstance(token, str) and token else None


def _scope_key(path: str) -> str:
    """The repository a ``/v2/…`` path is about, or ``_catalog`` / ``""``."""
    rest = path.removeprefix("/v2/")
    for marker in ("/manifests/", "/blobs/", "/tags/"):
        name, found, _ = rest.rpartition(marker)
        if found:
            return name
    return rest.rstrip("/")


def _default_scope(key: str) -> str:
    if key == "_catalog":
        return "registry:catalog:*"
    return f"repository:{key}:pull" if key else ""


@dataclass(frozen=True)
class Resolved:
    """An image manifest for one platform, and the index it was chosen from (if any)."""

    digest: str
    media_type: str
    content: bytes
    manifest: Manifest
    index_digest: str | None = None
    index_media_type: str | None = None
    index_content: bytes | None = None


class RegistryClient:
    """The distribution API of one registry endpoint (``127.0.0.1:5000``, ``ghcr.io``)."""

    def __init__(
        self,
        registry: str,
        *,
        credentials: Credentials | None = None,
        docker_config: Path | None = DEFAULT_DOCKER_CONFIG,
        scheme: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.registry = registry
        if credentials is None and docker_config is not None:
            credentials = docker_credentials(registry, docker_config)
        scheme = scheme or ("http" if _is_loopback(registry) else "https")
        self._http = httpx.Client(
            base_url=f"{scheme}://{registry}",
            auth=RegistryAuth(credentials),
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": "sealtrail"},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def ping(self) -> None:
        """Check that the endpoint speaks the distribution API and lets us in."""
        self._check(self._send("GET", "/v2/"), "the API root")

    def manifest(
        self, repository: str, reference: str, accept: Sequence[str] = MANIFEST_TYPES
    ) -> tuple[bytes, str, str]:
        """The manifest ``reference`` (tag or digest) as (content, media type, digest); the
        content is checked against the digest asked for, or else the one the registry names."""
        path = f"/v2/{repository}/manifests/{reference}"
        headers = {"Accept": ", ".join(accept)}
        with self._stream("GET", path, headers, f"manifest {repository}:{reference}") as response:
            content = _read_capped(response, MANIFEST_MAX, f"manifest {repository}:{reference}")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        digest = _verified_digest(content, reference, response.headers, f"{repository}")
        return content, media_type, digest

    def head_manifest(self, repository: str, reference: str) -> tuple[str, str]:
        """(digest, media type) of manifest ``reference`` without fetching it (a GET follows
        when the registry does not name the digest)."""
        path = f"/v2/{repository}/manifests/{reference}"
        response = self._send("HEAD", path, {"Accept": ", ".join(MANIFEST_TYPES)})
        self._check(response, f"manifest {repository}:{reference}")
        digest = response.headers.get("Docker-Content-Digest")
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if not digest:
            _, media_type, digest = self.manifest(repository, reference)
        return digest, media_type

    def blob(self, repository: str, digest: str, size: int | None = None) -> Iterator[bytes]:
        """The blob's content in chunks; DigestMismatch is raised after the last chunk (or as
        soon as it grows past ``size``) when the content is not what ``digest`` names."""
        algorithm, _, expected = digest.partition(":")
        hasher = _hasher(algorithm, digest)
        seen = 0
        with self._stream("GET", f"/v2/{repository}/blobs/{digest}", {}, f"blob {digest}") as got:
            for chunk in got.iter_bytes(CHUNK):
                seen += len(chunk)
                if size is not None and seen > size:
                    raise DigestMismatch(f"blob {digest} is larger than its {size} bytes")
                hasher.update(chunk)
                yield chunk
        if hasher.hexdigest() != expected or (size is not None and seen != size):
            raise DigestMismatch(
                f"blob of {repository} is not {digest}: got {algorithm}:{hasher.hexdigest()} "
                f"({seen} bytes)"
            )

    def catalog(self, page_size: int = 100) -> Iterator[str]:
        """Every repository of the registry, following the ``Link`` header page by page."""
        for page in self._pages("/v2/_catalog", {"n": str(page_size)}, "the catalog"):
            yield from _strings(page.get("repositories"), "catalog")

    def tags(self, repository: str, page_size: int | None = None) -> list[str]:
        """Every tag of ``repository``; ImageNotFound when the registry has no such name."""
        params = {"n": str(page_size)} if page_size else {}
        found: list[str] = []
        for page in self._pages(f"/v2/{repository}/tags/list", params, f"tags of {repository}"):
            found.extend(_strings(page.get("tags"), f"tags of {repository}"))
        return found

    def resolve(self, repository: str, reference: str, platform: Platform) -> Resolved:
        """The image manifest of ``reference`` for ``platform``: an index is followed to the
        platform's entry, whose manifest is fetched and checked against the entry's digest."""
        content, media_type, digest = self.manifest(repository, reference)
        if media_type not in INDEX_TYPES and _declared_type(content) not in INDEX_TYPES:
            return Resolved(digest, media_type, content, Manifest.from_bytes(content, media_type))
        entry = select_platform(content, platform)
        chosen, chosen_type, chosen_digest = self.manifest(repository, entry.digest)
        manifest = Manifest.from_bytes(chosen, chosen_type or entry.media_type)
        return Resolved(
            chosen_digest, manifest.media_type, chosen, manifest, digest, media_type, content
        )

    def config(
        self, repository: str, reference: str, platform: Platform | None = None
    ) -> dict[str, Any]:
        """The image configuration (``config.User``, ``config.ExposedPorts`` …) of
        ``reference`` for ``platform`` (this machine's when not given)."""
        resolved = self.resolve(repository, reference, platform or Platform.host())
        descriptor = resolved.manifest.config
        content = b"".join(self.blob(repository, descriptor.digest, descriptor.size))
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise RegistryError(f"the config of {repository}:{reference} is not JSON") from None
        if not isinstance(body, dict):
            raise RegistryError(f"the config of {repository}:{reference} is not a JSON object")
        return body

    def _pages(self, path: str, params: Mapping[str, str], what: str) -> Iterator[dict[str, Any]]:
        url: str | None = f"{path}?{urlencode(params)}" if params else path
        while url is not None:
            response = self._send("GET", url)
            self._check(response, what)
            try:
                page = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise RegistryError(f"{what}: the registry did not answer JSON") from None
            if not isinstance(page, dict):
                raise RegistryError(f"{what}: the registry did not answer a JSON object")
            yield page
            url = response.links.get("next", {}).get("url")

    def _send(
        self, method: str, url: str, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        with _translated(self.registry):
            return self._http.request(method, url, headers=headers)

    def _stream(
        self, method: str, url: str, headers: Mapping[str, str], what: str
    ) -> _CheckedStream:
        return _CheckedStream(self, method, url, headers, what)

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.status_code < 400:
            return
        detail = _error_detail(response)
        if response.status_code in (401, 403):
            raise RegistryDenied(f"{self.registry} denied access to {what}: {detail}")
        if response.status_code == 404:
            raise ImageNotFound(f"{what} not found on {self.registry}: {detail}")
        raise RegistryError(f"{self.registry} answered {response.status_code} for {what}: {detail}")


class _CheckedStream:
    """A streamed response whose status is checked, and whose errors are ours, on entry."""

    def __init__(
        self,
        client: RegistryClient,
        method: str,
        url: str,
        headers: Mapping[str, str],
        what: str,
    ) -> None:
        self._client, self._what = client, what
        self._request = client._http.build_request(method, url, headers=headers)
        self._response: httpx.Response | None = None

    def __enter__(self) -> _CheckedResponse:
        try:
            self._response = self._client._http.send(self._request, stream=True)
        except httpx.TimeoutException as error:
            raise RegistryTimeout(
                f"timed out talking to {self._client.registry}: {error}"
            ) from None
        except httpx.TransportError as error:
            raise RegistryUnreachable(f"cannot reach {self._client.registry}: {error}") from None
        if self._response.status_code >= 400:
            self._response.read()
            self._response.close()
            self._client._check(self._response, self._what)
        return _CheckedResponse(self._response, self._client.registry)

    def __exit__(self, *_: object) -> None:
        if self._response is not None:
            self._response.close()


@dataclass
class _CheckedResponse:
    """The body of a streamed response, with transport errors turned into ours."""

    response: httpx.Response
    registry: str

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    def iter_bytes(self, size: int) -> Iterator[bytes]:
        with _translated(self.registry):
            yield from self.response.iter_bytes(size)


@contextmanager
def _translated(registry: str) -> Iterator[None]:
    """httpx's transport errors as ours, naming the registry."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise RegistryTimeout(f"timed out talking to {registry}: {error}") from None
    except httpx.TransportError as error:
        raise RegistryUnreachable(f"cannot reach {registry}: {error}") from None


def _read_capped(response: _CheckedResponse, limit: int, what: str) -> bytes:
    parts, seen = [], 0
    for chunk in response.iter_bytes(CHUNK):
        seen += len(chunk)
        if seen > limit:
            raise RegistryError(f"{what} is larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _verified_digest(
    content: bytes, reference: str, headers: httpx.Headers, repository: str
) -> str:
    named = reference if ":" in reference else headers.get("Docker-Content-Digest")
    if not named:
        return "sha256:" + hashlib.sha256(content).hexdigest()
    algorithm, _, expected = named.partition(":")
    actual = _hasher(algorithm, named)
    actual.update(content)
    if actual.hexdigest() != expected:
        raise DigestMismatch(
            f"manifest of {repository} is not {named}: got {algorithm}:{actual.hexdigest()}"
        )
    return named


def _hasher(algorithm: str, digest: str) -> Any:
    if algorithm not in ("sha256", "sha384", "sha512"):
        raise DigestMismatch(f"cannot check digest {digest}: unsupported algorithm")
    return hashlib.new(algorithm)


def _declared_type(content: bytes) -> str | None:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    kind = body.get("mediaType") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else None


def _strings(value: Any, what: str) -> Iterable[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RegistryError(f"{what}: the registry answered something other than names")
    return value


def _error_detail(response: httpx.Response) -> str:
    try:
        body = orjson.loads(response.content)
        errors = body["errors"]
        return "; ".join(f"{item.get('code')}: {item.get('message')}" for item in errors)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return response.reason_phrase or f"HTTP {response.status_code}"


def _is_loopback(registry: str) -> bool:
    host = registry.rsplit(":", 1)[0] if not registry.endswith("]") else registry
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
