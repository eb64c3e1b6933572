"""The privacy policy, field by field, before anything is sealed: pure functions, no store."""

from __future__ import annotations

import ipaddress
import stat
from pathlib import Path
from typing import Any

import pytest

from sealtrail.errors import ValidationError
from sealtrail.events import validate_event
from sealtrail.privacy.policy import (
    PRIVACY_KEY,
    REDACTED,
    PrivacyPolicy,
    load_privacy_key,
    truncate_ip,
)

KEY = bytes(range(32))


def login(actor: str = "alice@example.com", ip: str = "203.0.113.77", **details: Any) -> Any:
    return validate_event(
        {
            "time": "2026-01-01T00:00:00Z",
            "action": "auth.login",
            "outcome": "success",
            "actor": {"id": actor, "type": "user", "ip": ip, "user_agent": "curl/8.5"},
            "details": details,
        }
    )


@pytest.mark.parametrize(
    ("address", "truncated"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("10.1.2.3", "10.1.2.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::ffff:192.0.2.1", "::"),
        ("not an address", "not an address"),
    ],
)
def test_truncation_keeps_the_ipv4_24_and_the_ipv6_48(address: str, truncated: str) -> None:
    assert truncate_ip(address) == truncated


def test_actor_ip_is_truncated_when_the_policy_says_so() -> None:
    event = PrivacyPolicy(KEY, ip={"actor.ip": "truncate"}).apply(login())
    assert event["actor"]["ip"] == "203.0.113.0"
    assert event["actor"]["id"] == "alice@example.com"


def test_ip_pseudonyms_are_keyed_stable_addresses_in_fd00() -> None:
    policy = PrivacyPolicy(KEY, ip={"actor.ip": "pseudonymise", "details.client": "pseudonymise"})
    first = policy.apply(login(client="198.51.100.4"))
    again = policy.apply(login(client="198.51.100.4"))
    other = PrivacyPolicy(b"\x01" * 32, ip={"actor.ip": "pseudonymise"}).apply(login())
    pseudonym = ipaddress.ip_address(first["actor"]["ip"])
    assert pseudonym in ipaddress.ip_network("fd00::/8")
    assert first["actor"]["ip"] == again["actor"]["ip"] != other["actor"]["ip"]
    assert first["details"]["client"] != first["actor"]["ip"]
    assert ipaddress.ip_address(first["details"]["client"]) in ipaddress.ip_network("fd00::/8")


def test_the_same_person_gets_the_same_pseudonym_and_others_another() -> None:
    policy = PrivacyPolicy(KEY, pseudonymise_actor=True)
    alice = policy.apply(login("alice@example.com"))["actor"]["id"]
    assert alice == policy.apply(login("alice@example.com"))["actor"]["id"]
    assert alice == policy.pseudonym("alice@example.com") == policy.actor_index("alice@example.com")
    assert alice != policy.apply(login("bob@example.com"))["actor"]["id"]
    assert alice.startswith("psn-")
    assert "alice" not in alice
    assert alice != PrivacyPolicy(b"\x02" * 32, pseudonymise_actor=True).pseudonym(
        "alice@example.com"
    )


def test_named_detail_fields_are_redacted_at_any_depth_and_others_kept() -> None:
    policy = PrivacyPolicy(KEY, redact=("details.password", "details.session.token"))
    event = policy.apply(login(password="hunter2", session={"token": "t0k", "id": 7}, n=1))
    assert event["details"] == {
        "password": REDACTED,
        "session": {"token": REDACTED, "id": 7},
        "n": 1,
    }


def test_a_path_missing_from_the_event_changes_nothing() -> None:
    policy = PrivacyPolicy(KEY, ip={"details.client": "truncate"}, redact=("details.a.b",))
    assert policy.apply(login(a="flat"))["details"] == {"a": "flat"}


def test_the_callers_nested_objects_are_never_changed() -> None:
    raw_details: dict[str, Any] = {"session": {"token": "t0k"}}
    event = login(**raw_details)
    session = event["details"]["session"]
    actor = event["actor"]
    policy = PrivacyPolicy(
        KEY, ip={"actor.ip": "truncate"}, pseudonymise_actor=True, redact=("details.session.token",)
    )
    policy.apply(event)
    assert session == {"token": "t0k"}
    assert raw_details == {"session": {"token": "t0k"}}
    assert actor["id"] == "alice@example.com"
    assert actor["ip"] == "203.0.113.77"


def test_a_section_from_toml_or_environment_strings_gives_the_policy(tmp_path: Path) -> None:
    section = {
        "ip": {"actor.ip": "truncate", "details.client": "pseudonymise"},
        "actor_id": "pseudonymise",
        "redact": "details.password, details.token",  # as an environment variable gives it
        "erasable": "true",
        "erasable_fields": ["details.email", "message"],
    }
    policy = PrivacyPolicy.from_section(section, tmp_path)
    assert policy is not None
    assert policy.ip == {"actor.ip": "truncate", "details.client": "pseudonymise"}
    assert policy.redact == ("details.password", "details.token")
    assert policy.sealed_fields == (
        "actor.id", "actor.ip", "actor.user_agent", "details.email", "message"
    )  # fmt: skip
    assert PrivacyPolicy.from_section({"ip": "truncate"}, tmp_path).ip == {"actor.ip": "truncate"}  # type: ignore[union-attr]


def test_an_empty_section_is_no_policy_and_makes_no_key(tmp_path: Path) -> None:
    assert PrivacyPolicy.from_section({}, tmp_path) is None
    assert PrivacyPolicy.from_section({"ip": "keep", "actor_id": "keep"}, tmp_path) is None
    assert not (tmp_path / PRIVACY_KEY).exists()


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"ip": "scramble"}, "not one of"),
        ({"ip": {"target.id": "truncate"}}, "under details"),
        ({"actor_id": "hash"}, "keep or pseudonymise"),
        ({"redact": ["password"]}, "under details"),
        ({"redact": 3}, "list of dotted paths"),
        ({"erasable": "maybe"}, "true or false"),
        ({"erasable": True, "erasable_fields": ["target.id"]}, "under details"),
        ({"actor_id": "pseudonymise", "key": "zz"}, "not a hex key"),
        ({"actor_id": "pseudonymise", "key": "00ff"}, "at least 16 bytes"),
    ],
)
def test_a_bad_section_is_an_error_naming_the_problem(
    tmp_path: Path, section: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        PrivacyPolicy.from_section(section, tmp_path)


def test_the_key_file_is_made_owner_only_once_and_reused(tmp_path: Path) -> None:
    key = load_privacy_key(tmp_path)
    path = tmp_path / PRIVACY_KEY
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_privacy_key(tmp_path) == key


def test_a_key_given_as_hex_or_by_path_is_used(tmp_path: Path) -> None:
    assert load_privacy_key(tmp_path, key=KEY.hex()) == KEY
    elsewhere = tmp_path / "keys" / "p.key"
    elsewhere.parent.mkdir()
    elsewhere.write_text(KEY.hex() + "\n")
    assert load_privacy_key(tmp_path, key_file=elsewhere) == KEY
    with pytest.raises(ValidationError, match="no privacy key there"):
        load_privacy_key(tmp_path, key_file=tmp_path / "missing.key")
    assert not (tmp_path / PRIVACY_KEY).exists()


def test_show_describes_the_policy_without_its_key() -> None:
    described = PrivacyPolicy(KEY, pseudonymise_actor=True, erasable=True).described()
    assert described["actor_id"] == "pseudonymise"
    assert described["erasable"] is True
    assert KEY.hex() not in str(described)
    assert len(described["key_fingerprint"]) == 16
