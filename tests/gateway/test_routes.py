"""Which distribution endpoint a path names, and back."""

from __future__ import annotations

import pytest

from sealtrail.gateway.routes import Endpoint, Route, is_digest

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("path", "endpoint", "repository", "reference"),
    [
        ("/v2/", Endpoint.PING, "", ""),
        ("/v2/_catalog", Endpoint.CATALOG, "", ""),
        ("/v2/team/app/manifests/v1", Endpoint.MANIFEST, "team/app", "v1"),
        (f"/v2/org/team/app/manifests/{DIGEST}", Endpoint.MANIFEST, "org/team/app", DIGEST),
        ("/v2/team/app/blobs/uploads/", Endpoint.UPLOAD, "team/app", ""),
        ("/v2/team/app/blobs/uploads/3f2a-11", Endpoint.UPLOAD, "team/app", "3f2a-11"),
        (f"/v2/team/app/blobs/{DIGEST}", Endpoint.BLOB, "team/app", DIGEST),
        ("/v2/team/app/tags/list", Endpoint.TAGS, "team/app", ""),
        (f"/v2/team/app/referrers/{DIGEST}", Endpoint.REFERRERS, "team/app", DIGEST),
        ("/v2/a/manifests/b/manifests/v1", Endpoint.MANIFEST, "a/manifests/b", "v1"),
        ("/v2/a/blobs/uploads/b/blobs/uploads/", Endpoint.UPLOAD, "a/blobs/uploads/b", ""),
    ],
)
def test_a_path_names_its_endpoint_and_round_trips(
    path: str, endpoint: Endpoint, repository: str, reference: str
) -> None:
    route = Route.from_path(path)
    assert (route.endpoint, route.repository, route.reference) == (endpoint, repository, reference)
    assert route.to_path() == path
    assert Route.from_path(route.to_path()) == route


def test_an_unknown_path_is_other_and_kept() -> None:
    route = Route.from_path("/v2/team/app/something/else")
    assert route.endpoint is Endpoint.OTHER
    assert route.to_path() == "/v2/team/app/something/else"


def test_a_manifest_reference_is_a_tag_or_a_digest() -> None:
    assert Route.from_path("/v2/team/app/manifests/v1").tag == "v1"
    assert Route.from_path(f"/v2/team/app/manifests/{DIGEST}").tag is None
    assert Route.from_path(f"/v2/team/app/blobs/{DIGEST}").tag is None
    assert is_digest(DIGEST)
    assert not is_digest("latest")
