"""Who a request is, from what the upstream authenticates; bearer realms moved only when needed."""

from __future__ import annotations

import base64

import orjson

from sealtrail.gateway.auth import actor_of, rewrite_challenge

UPSTREAM = "http://10.0.0.5:5000"
GATEWAY = "http://gateway.example:5080"


def _jwt(claims: dict[str, str]) -> str:
    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    return ".".join([part(b'{"alg":"ES256"}'), part(orjson.dumps(claims)), part(b"sig")])


def test_the_basic_user_is_the_actor_and_the_password_is_not_kept() -> None:
    header = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    actor = actor_of(header, "10.1.2.3", "skopeo/1.13")
    assert actor == {"id": "alice", "type": "user", "ip": "10.1.2.3", "user_agent": "skopeo/1.13"}


def test_the_token_subject_is_the_actor() -> None:
    assert actor_of(f"Bearer {_jwt({'sub': 'ci-bot'})}", None, None)["id"] == "ci-bot"


def test_an_opaque_token_is_named_by_a_hash_never_by_itself() -> None:
    actor = actor_of("Bearer opaque-secret-token", None, None)
    assert actor["id"].startswith("token:")
    assert "opaque" not in actor["id"]


def test_no_or_broken_credentials_are_anonymous() -> None:
    assert actor_of(None, None, None) == {"id": "anonymous", "type": "anonymous"}
    assert actor_of("Basic !!!", None, None)["type"] == "anonymous"


def test_a_realm_on_the_upstream_moves_to_the_gateway() -> None:
    challenge = f'Bearer realm="{UPSTREAM}/auth/token",service="registry",scope="repository:a:pull"'
    assert rewrite_challenge(challenge, UPSTREAM, GATEWAY) == (
        f'Bearer realm="{GATEWAY}/auth/token",service="registry",scope="repository:a:pull"'
    )


def test_a_realm_elsewhere_and_basic_challenges_are_left_alone() -> None:
    elsewhere = 'Bearer realm="https://auth.example/token",service="registry"'
    assert rewrite_challenge(elsewhere, UPSTREAM, GATEWAY) == elsewhere
    basic = 'Basic realm="http://10.0.0.5:5000"'
    assert rewrite_challenge(basic, UPSTREAM, GATEWAY) == basic
    lookalike = 'Bearer realm="http://10.0.0.5:50001/token"'
    assert rewrite_challenge(lookalike, UPSTREAM, GATEWAY) == lookalike


def test_a_client_address_that_is_no_ip_address_is_left_out() -> None:
    assert "ip" not in actor_of(None, "testclient", None)
