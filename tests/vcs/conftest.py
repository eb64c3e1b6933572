"""Forge payloads shaped as the platforms document them (``payloads/*.json``: the headers they
send and the body), signed here with test secrets, and a server that knows those secrets."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from sealtrail.ledger.log import Ledger
from tests.api.conftest import GENEROUS
from tests.conftest import RunningServer, engine_env, start_server

PAYLOADS = Path(__file__).parent / "payloads"
SECRETS = {"github": "gh-test-secret-1", "gitlab": "gl-test-token-1", "gitea": "gt-test-secret-1"}
PREVIOUS = {"github": "gh-test-secret-0", "gitlab": "gl-test-token-0", "gitea": "gt-test-secret-0"}
STREAM_TOKENS = {"github": "splunk-hec-token-1", "gitlab": "gl-stream-token-1"}


@dataclass(frozen=True)
class Sample:
    """One delivery: the platform's headers and the body as bytes."""

    platform: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.body)
        return data

    def signed(self, secret: str | None = None) -> dict[str, str]:
        """The headers with the platform's signature made with ``secret`` (the test one)."""
        return {**self.headers, **signature(self.platform, self.body, secret)}

    def with_body(self, data: dict[str, Any]) -> Sample:
        return Sample(self.platform, self.headers, orjson.dumps(data))

    def with_headers(self, **changes: str) -> Sample:
        return Sample(self.platform, {**self.headers, **changes}, self.body)


def sample(name: str) -> Sample:
    """``payloads/<name>.json``; the platform is the part of the name before ``_``."""
    data = orjson.loads((PAYLOADS / f"{name}.json").read_bytes())
    return Sample(name.split("_")[0], data["headers"], orjson.dumps(data["body"]))


def signature(platform: str, body: bytes, secret: str | None = None) -> dict[str, str]:
    secret = secret or SECRETS[platform]
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if platform == "github":
        return {"X-Hub-Signature-256": f"sha256={digest}"}
    if platform == "gitlab":
        return {"X-Gitlab-Token": secret}
    return {"X-Gitea-Signature": digest}


def hook_env(**extra: str) -> dict[str, str]:
    """The environment of a server configured with the test secrets."""
    env = {**GENEROUS}
    for platform, secret in SECRETS.items():
        env[f"SEALTRAIL_HOOKS__{platform.upper()}__SECRET"] = secret
        env[f"SEALTRAIL_HOOKS__{platform.upper()}__PREVIOUS_SECRET"] = PREVIOUS[platform]
    for platform, token in STREAM_TOKENS.items():
        env[f"SEALTRAIL_HOOKS__{platform.upper()}__STREAM_TOKEN"] = token
    return env | extra


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hooks(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server with the test secrets, on each engine, shared by a module."""
    env = hook_env(**engine_env(request))
    running = start_server(tmp_path_factory.mktemp("hooks") / "data", env=env)
    yield running
    running.stop()


def deliver(server: RunningServer, sample: Sample, headers: dict[str, str]) -> httpx.Response:
    path = f"/v1/hooks/{sample.platform}"
    with server.client() as client:
        return client.post(path, content=sample.body, headers=headers)


_DELIVERY_HEADERS = {
    "github": "X-GitHub-Delivery",
    "gitlab": "Idempotency-Key",
    "gitea": "X-Gitea-Delivery",
}


def fresh(delivery: Sample, repository: str | None = None) -> Sample:
    """``delivery`` with a new delivery id, and about ``repository`` when given (so that a test
    on a shared server finds its own events by repository)."""
    data = delivery.payload
    if repository is not None:
        if delivery.platform == "gitlab":
            data["project"]["path_with_namespace"] = repository
        else:
            data["repository"]["full_name"] = repository
    changed = delivery.with_body(data)
    return changed.with_headers(**{_DELIVERY_HEADERS[delivery.platform]: str(uuid.uuid4())})


def new_repository() -> str:
    return f"acme/app-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """A fresh ledger on each engine."""
    url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    with Ledger.create(tmp_path / "ledger", origin="vcs.test/log", database_url=url) as opened:
        yield opened
