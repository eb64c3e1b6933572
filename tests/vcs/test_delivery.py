"""Verifying a delivery's sender, its kind and id, and the ``[hooks]`` configuration."""

from __future__ import annotations

import orjson
import pytest

from sealtrail.config import Settings
from sealtrail.errors import ValidationError
from sealtrail.vcs.config import HookConfig, VcsHooksConfig
from sealtrail.vcs.delivery import HookRefused, receive, verify
from tests.vcs.conftest import PREVIOUS, SECRETS, Sample, sample, signature

BOTH = VcsHooksConfig.from_section(
    {p: {"secret": SECRETS[p], "previous_secret": PREVIOUS[p]} for p in SECRETS}
)
PUSHES = ["github_push", "gitlab_push", "gitea_push"]


def lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def received(delivery: Sample, headers: dict[str, str]) -> str:
    return receive(BOTH.platform(delivery.platform), lower(headers), delivery.body).key


@pytest.mark.parametrize("name", PUSHES)
def test_the_current_and_the_previous_secret_are_both_accepted(name: str) -> None:
    delivery = sample(name)
    platform = delivery.platform
    assert received(delivery, delivery.signed())
    assert received(delivery, delivery.signed(PREVIOUS[platform]))


@pytest.mark.parametrize("name", PUSHES)
def test_a_wrong_secret_is_refused_naming_the_header(name: str) -> None:
    delivery = sample(name)
    with pytest.raises(HookRefused, match="does not match"):
        received(delivery, delivery.signed("not-the-secret"))


@pytest.mark.parametrize("name", PUSHES)
def test_a_missing_signature_is_refused(name: str) -> None:
    delivery = sample(name)
    with pytest.raises(HookRefused, match="no X-"):
        received(delivery, delivery.headers)


@pytest.mark.parametrize("name", ["github_push", "gitea_push"])
def test_a_signature_of_other_bytes_is_refused(name: str) -> None:
    delivery = sample(name)
    headers = {**delivery.headers, **signature(delivery.platform, delivery.body + b" ")}
    with pytest.raises(HookRefused, match="does not match"):
        received(delivery, headers)


def test_a_platform_without_a_secret_refuses_everything() -> None:
    delivery = sample("github_push")
    with pytest.raises(HookRefused, match="no secret is configured"):
        receive(HookConfig("github"), lower(delivery.signed()), delivery.body)


def test_forgejo_headers_are_read_like_giteas() -> None:
    delivery = sample("gitea_push")
    digest = signature("gitea", delivery.body)["X-Gitea-Signature"]
    headers = {"X-Forgejo-Signature": digest, "X-Forgejo-Event": "push", "X-Forgejo-Delivery": "f1"}
    found = receive(BOTH.platform("gitea"), lower(headers), delivery.body)
    assert (found.kind, found.key) == ("push", "hook:gitea:f1")


def test_the_delivery_id_makes_the_key_and_gitlab_prefers_the_idempotency_key() -> None:
    github, gitlab = sample("github_push"), sample("gitlab_push")
    assert received(github, github.signed()) == f"hook:github:{github.headers['X-GitHub-Delivery']}"
    assert received(gitlab, gitlab.signed()) == f"hook:gitlab:{gitlab.headers['Idempotency-Key']}"
    without = gitlab.with_headers()
    del without.headers["Idempotency-Key"]
    uuid = gitlab.headers["X-Gitlab-Event-UUID"]
    assert received(without, without.signed()) == f"hook:gitlab:{uuid}"


def test_a_delivery_without_an_id_is_keyed_by_its_body() -> None:
    delivery = sample("github_push")
    headers = delivery.signed()
    del headers["X-GitHub-Delivery"]
    assert received(delivery, headers) == received(delivery, headers)
    assert len(received(delivery, headers)) == len("hook:github:") + 64


def test_malformed_json_and_non_objects_are_errors_after_the_signature() -> None:
    for body, problem in ((b"{not json", "malformed JSON"), (b"[1]", "must be a JSON object")):
        delivery = Sample("github", {"X-GitHub-Event": "push"}, body)
        with pytest.raises(ValidationError, match=problem):
            received(delivery, delivery.signed())


def test_a_delivery_id_that_is_not_printable_is_an_error() -> None:
    delivery = sample("github_push").with_headers(**{"X-GitHub-Delivery": "x" * 300})
    with pytest.raises(ValidationError, match="delivery id"):
        received(delivery, delivery.signed())


def test_verify_compares_against_every_secret() -> None:
    body = b"{}"
    for secret in ("one", "two"):
        verify("github", ("one", "two"), lower(signature("github", body, secret)), body)


# --- configuration ---


def test_hooks_are_configured_from_the_environment_with_comma_separated_lists() -> None:
    settings = Settings.load(
        {
            "SEALTRAIL_DIR": "/nonexistent",
            "SEALTRAIL_HOOKS__GITHUB__SECRET": "s1",
            "SEALTRAIL_HOOKS__GITHUB__PREVIOUS_SECRET": "s0",
            "SEALTRAIL_HOOKS__GITHUB__REPOSITORIES": "acme/*, tools/ci",
            "SEALTRAIL_HOOKS__GITHUB__EVENTS": "push",
            "SEALTRAIL_HOOKS__UNMAPPED_BYTES": "1024",
        }
    )
    config = VcsHooksConfig.from_section(settings.section("hooks"))
    github = config.platform("github")
    assert github.secrets == ("s1", "s0")
    assert github.repositories == ("acme/*", "tools/ci")
    assert config.unmapped_bytes == 1024
    assert github.ignores("push", "acme/app") is None
    assert "not among the configured events" in (github.ignores("pull_request", "acme/app") or "")
    assert "not among the configured repositories" in (github.ignores("push", "other/x") or "")


def test_an_unknown_hook_key_is_an_error_naming_it() -> None:
    with pytest.raises(ValidationError, match=r"\[hooks.gitlab\]: unknown key\(s\): secrte"):
        VcsHooksConfig.from_section({"gitlab": {"secrte": "x"}})


def test_other_tables_of_the_hooks_section_are_left_to_their_features() -> None:
    config = VcsHooksConfig.from_section({"registry": {"token": "x"}})
    assert config.platform("github").secrets == ()


def test_a_form_encoded_delivery_carries_its_json_in_the_payload_field() -> None:
    from urllib.parse import urlencode

    delivery = sample("github_push")
    data = delivery.payload
    data["commits"][0]["message"] = "Grüße, 世界"
    form = Sample("github", delivery.headers, urlencode({"payload": orjson.dumps(data)}).encode())
    as_form = {"Content-Type": "application/x-www-form-urlencoded"}
    headers = form.signed() | as_form
    found = receive(BOTH.platform("github"), lower(headers), form.body)
    assert found.payload.data == data
    empty = Sample("github", delivery.headers, b"other=1")
    with pytest.raises(ValidationError, match="one payload field"):
        receive(BOTH.platform("github"), lower(empty.signed() | as_form), empty.body)
