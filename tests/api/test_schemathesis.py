"""Property-based tests from the published OpenAPI document: for every operation, generated valid
and invalid requests (as the admin) never get a 5xx, and every documented response matches its
declared schema.

Each operation is its own test, run through Hypothesis directly: schemathesis' lazy pytest loader
(needed because the schema comes from a server started by a fixture) does not run on pytest 9.
"""

from __future__ import annotations

from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import RunningServer

OPERATIONS = [
    ("POST", "/v1/events"),
    ("GET", "/v1/events"),
    ("POST", "/v1/events:batch"),
    ("GET", "/v1/events/types"),
    ("GET", "/v1/events/stats"),
    ("GET", "/v1/events/{seq}"),
    ("GET", "/checkpoint"),
    ("GET", "/tile/{path}"),
    ("GET", "/v1/proofs/inclusion"),
    ("GET", "/v1/proofs/consistency"),
    ("GET", "/v1/keys"),
    ("POST", "/v1/keys"),
    ("DELETE", "/v1/keys/{key_id}"),
    ("GET", "/v1/export"),
    ("GET", "/v1/export/bundle"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    *(
        (method, f"/v1/{scope}/immutability-policies{suffix}")
        for scope in ("namespaces/{namespace}", "repositories/{repository}")
        for method, suffix in (
            ("GET", ""),
            ("POST", ""),
            ("GET", "/{uuid}"),
            ("PUT", "/{uuid}"),
            ("DELETE", "/{uuid}"),
        )
    ),
    ("GET", "/v1/repositories/{repository}/tags"),
    ("GET", "/v1/repositories/{repository}/tags/{tag}"),
    ("PUT", "/v1/repositories/{repository}/tags/{tag}/immutability"),
    ("POST", "/v1/hooks/github"),
    ("POST", "/v1/hooks/gitlab"),
    ("POST", "/v1/hooks/gitea"),
    ("POST", "/v1/hooks/audit-stream/{platform}"),
]
# Operations without a parameter or body that could be made invalid (any tile path is a string):
# negative generation has nothing to work with.
WITHOUT_INPUT = {
    ("GET", path)
    for path in (
        "/v1/events/types",
        "/checkpoint",
        "/tile/{path}",
        "/v1/keys",
        "/healthz",
        "/readyz",
    )
}
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or (method, path) not in WITHOUT_INPUT
]
EXAMPLES = 50  # per operation and mode: about 1,300 requests in all


@pytest.fixture(scope="module")
def api_schema(api: RunningServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{api.url}/openapi.json", timeout=30)


def test_every_documented_operation_is_fuzzed(api: RunningServer) -> None:
    paths = httpx.get(f"{api.url}/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, methods in paths.items() for method in methods}
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_server_errors_and_responses_match_the_schema(
    api_schema: schemathesis.BaseSchema,
    api: RunningServer,
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    admin = {"Authorization": f"Bearer {api.admin_key}"}

    @hypothesis.given(case=api_schema[path][method].as_strategy(mode))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests on every run: a failure reproduces
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def fuzz(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(
            headers=admin, checks=[not_a_server_error, response_schema_conformance], timeout=30
        )

    fuzz()
