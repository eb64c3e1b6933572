"""Tests for sealtrail.events: validation, normalisation, canonical encoding, sealing, UUIDv7."""

from __future__ import annotations

import copy
import itertools
import re
import struct
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from enum import IntEnum, StrEnum
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from sealtrail import canonical, events
from sealtrail.errors import ValidationError
from sealtrail.events import (
    ACTIONS,
    ACTOR_TYPES,
    LEDGER_RESERVE,
    OUTCOMES,
    SEVERITIES,
    IndexedFields,
    Limits,
    UUID7Generator,
    canonical_json,
    format_time,
    indexed_fields,
    parse_time,
    prepare_event,
    uuid7,
    validate_event,
)
from sealtrail.store.filters import searchable

DIGEST = "sha256:" + "4d" * 32
EVENT_ID = "01946b2c-3f80-7a3b-8c1d-2e3f4a5b6c7d"
RECEIVED_AT = "2025-01-20T14:32:19.000001Z"


def image_pull(**changes: Any) -> dict[str, Any]:
    """A successful pull, as the container-image-download seed logs it, sent as JSON."""
    event: dict[str, Any] = {
        "time": "2025-01-20T16:32:18.123456+02:00",
        "action": "image.pull",
        "outcome": "success",
        "actor": {"id": "mercure-processor", "type": "service", "ip": "2001:DB8:0:0::17"},
        "target": {
            "type": "image",
            "id": f"registry-1.docker.io/micsi/mercure-module@{DIGEST}",
            "registry": "registry-1.docker.io",
            "repository": "micsi/mercure-module",
            "tag": "v1.2.3",
            "digest": DIGEST,
            "full_digest": f"micsi/mercure-module@{DIGEST}",
        },
        "source": {"service": "mercure", "host": "worker-1", "version": "0.3.1"},
        "message": "Pulled micsi/mercure-module:v1.2.3",
        "details": {"duration_ms": 3200},
    }
    event.update(changes)
    return event


# --------------------------------------------------------------------------------------------
# Valid events


def test_image_pull_validates_and_normalises() -> None:
    event = validate_event(image_pull())
    assert event["time"] == "2025-01-20T14:32:18.123456Z"
    assert event["severity"] == "info"
    assert event["actor"] == {"id": "mercure-processor", "type": "service", "ip": "2001:db8::17"}
    assert event["target"]["digest"] == DIGEST
    assert event["details"] == {"duration_ms": 3200}
    assert set(event) == {
        "time", "action", "outcome", "severity", "actor", "target", "source", "message", "details",
    }  # fmt: skip


def test_failed_image_pull_may_have_a_null_digest() -> None:
    target = {**image_pull()["target"], "digest": None, "full_digest": None, "tag": "latest"}
    details = {"error": "APIError", "reason": "Connection timeout to registry-1.docker.io"}
    raw = image_pull(outcome="failure", severity="error", target=target, details=details)
    event = validate_event(raw)
    assert event["target"]["digest"] is None
    assert event["severity"] == "error"
    assert indexed_fields(event).digest is None


def test_tag_immutability_change_validates() -> None:
    raw = {
        "time": "2026-03-06T10:00:00Z",
        "action": "tag.immutability_change",
        "outcome": "success",
        "actor": {"id": "admin", "type": "user"},
        "target": {
            "type": "tag",
            "id": "myorg/app:v1.0.0",
            "repository": "myorg/app",
            "tag": "v1.0.0",
        },
        "details": {
            "immutable": True,
            "previous_immutable": False,
            "trigger": "policy",
            "policy": {"uuid": "4b1e", "pattern": "^v.*$", "scope": "namespace"},
        },
    }
    event = validate_event(raw)
    assert event["time"] == "2026-03-06T10:00:00.000000Z"
    assert event["details"]["policy"]["pattern"] == "^v.*$"


def test_auth_login_failed_needs_no_target() -> None:
    raw = {
        "time": "2025-01-20T14:32:18.5-05:30",
        "action": "auth.login_failed",
        "outcome": "denied",
        "severity": "warning",
        "actor": {"id": "mallory", "type": "anonymous", "ip": "203.0.113.9", "user_agent": ""},
        "request_id": "req-1",
    }
    event = validate_event(raw)
    assert event["time"] == "2025-01-20T20:02:18.500000Z"
    assert event["actor"]["user_agent"] == ""
    assert "target" not in event


def test_unknown_actions_of_the_right_shape_are_allowed() -> None:
    event = validate_event(image_pull(action="registry.garbage_collect", target=None))
    assert event["action"] == "registry.garbage_collect"
    assert "target" not in event


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("2025-01-20T14:32:18.123456Z", "2025-01-20T14:32:18.123456Z"),
        ("2025-01-20T14:32:18Z", "2025-01-20T14:32:18.000000Z"),
        ("2025-01-20T14:32:18.1Z", "2025-01-20T14:32:18.100000Z"),
        ("2025-01-20T14:32:18.123Z", "2025-01-20T14:32:18.123000Z"),
        ("2025-01-20T14:32:18.123456789Z", "2025-01-20T14:32:18.123456Z"),
        ("2025-01-20T16:32:18.123456+02:00", "2025-01-20T14:32:18.123456Z"),
        ("2025-01-20T16:32:18+02:00", "2025-01-20T14:32:18.000000Z"),
        ("2025-01-20T14:32:18.123456+00:00", "2025-01-20T14:32:18.123456Z"),
        ("2025-01-20T14:32:18.123456-00:00", "2025-01-20T14:32:18.123456Z"),
        ("2025-01-01T01:00:00.5+02:00", "2024-12-31T23:00:00.500000Z"),
        ("2024-12-31T20:15:00-04:45", "2025-01-01T01:00:00.000000Z"),
        ("2025-01-20t14:32:18z", "2025-01-20T14:32:18.000000Z"),
    ],
)
def test_time_is_normalised_to_utc_microseconds(text: str, normal: str) -> None:
    assert validate_event(image_pull(time=text))["time"] == normal


def test_null_optional_fields_are_dropped_and_severity_defaults() -> None:
    raw = image_pull(severity=None, source=None, message=None, details=None, request_id=None)
    raw["actor"] = {"id": "a", "type": "user", "ip": None, "user_agent": None}
    event = validate_event(raw)
    assert event["severity"] == "info"
    assert event["actor"] == {"id": "a", "type": "user"}
    assert not {"source", "message", "details", "request_id"} & set(event)


def test_validation_returns_a_new_dict_that_does_not_share_containers() -> None:
    raw = image_pull(details={"layers": [{"size": 1}]})
    event = validate_event(raw)
    raw["details"]["layers"][0]["size"] = 2
    raw["target"]["tag"] = "changed"
    raw["actor"]["id"] = "changed"
    assert event["details"] == {"layers": [{"size": 1}]}
    assert event["target"]["tag"] == "v1.2.3"
    assert event["actor"]["id"] == "mercure-processor"


def test_validation_is_idempotent() -> None:
    event = validate_event(image_pull(details={"ratio": 0.5, "😀": [1, "x"]}))
    assert validate_event(copy.deepcopy(event)) == event


def test_enum_and_mapping_subclasses_become_plain_json() -> None:
    class Outcome(StrEnum):
        SUCCESS = "success"

    class Code(IntEnum):
        OK = 200

    raw = image_pull(
        outcome=Outcome.SUCCESS, details=OrderedDict(code=Code.OK, kind=Outcome.SUCCESS)
    )
    event = validate_event(raw)
    assert type(event["outcome"]) is str
    assert type(event["details"]["code"]) is int
    assert type(event["details"]["kind"]) is str
    assert canonical_json(event) == rfc8785.dumps(event)


def test_target_keeps_type_specific_fields() -> None:
    target = {"type": "package", "id": "pypi:requests==2.32.3", "size": 1024, "yanked": False}
    event = validate_event(image_pull(action="package.download", target=target))
    assert event["target"] == target


def test_vocabularies_match_the_design() -> None:
    assert sorted(OUTCOMES) == ["denied", "failure", "not_found", "success", "unknown"]
    assert sorted(SEVERITIES) == ["critical", "error", "info", "warning"]
    assert sorted(ACTOR_TYPES) == ["anonymous", "service", "system", "user"]


def test_catalog_holds_every_designed_action_with_its_category() -> None:
    designed = [
        "image.pull", "image.push", "image.delete", "image.mount", "tag.create", "tag.move",
        "tag.delete", "tag.immutability_change", "policy.create", "policy.update",
        "policy.delete", "policy.apply", "package.download", "package.sync", "vcs.commit",
        "vcs.push", "vcs.pull_request", "vcs.file_change", "vcs.clone", "vcs.fetch", "vcs.merge",
        "vcs.comment", "auth.login", "auth.logout", "auth.login_failed", "auth.key_used",
        "auth.key_created", "auth.key_revoked", "auth.denied", "http.request", "config.change",
        "dockerfile.audit", "image.audit", "alert.raised", "audit.verify", "audit.export",
        "audit.retention",
    ]  # fmt: skip
    assert set(designed) <= set(ACTIONS)
    for name, spec in ACTIONS.items():
        assert spec.name == name
        assert spec.category == name.split(".")[0]
        assert spec.description
        assert events._ACTION_RE.fullmatch(name)
    assert ACTIONS["image.pull"].required_target == ("registry", "repository")
    assert ACTIONS["tag.move"].required_target == ("repository", "tag")
    assert ACTIONS["auth.login"].required_target == ()
    assert ACTIONS["vcs.commit"].required_target == ("repository",)
    assert ACTIONS["vcs.branch_create"].required_target == ("repository", "ref")


def test_dunder_all_is_complete_and_isort_sorted() -> None:
    public = {n for n, v in vars(events).items() if not n.startswith("_") and _defined_here(v)}
    reexported = {"ACTIONS", "ActionSpec", "UUID7Generator", "uuid7"}  # the event's vocabulary
    imported = {"MAX_SAFE_INT"}  # canonical.py's, used here, not part of the event API
    assert set(events.__all__) == (public - imported) | reexported

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert events.__all__ == sorted(events.__all__, key=kind)


def _defined_here(value: object) -> bool:
    return getattr(value, "__module__", None) == events.__name__ or isinstance(
        value, frozenset | int | tuple | Limits | type(ACTIONS)
    )


# --------------------------------------------------------------------------------------------
# Rejections: every message starts with the path of the field at fault


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to an image_pull event: set (or, for ``...``, delete) the field at ``path``."""

    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = event
        for name in parents:
            node = node[name]
        if value is ...:
            del node[last]
        else:
            node[last] = value

    return change


NESTED = {"a": {"b": [0, 1, float("nan")]}}
DEEP: dict[str, Any] = {}
_node = DEEP
for _ in range(20):
    _node["d"] = {}
    _node = _node["d"]

REJECTIONS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown fields", lambda e: e.update(foo=1, bar=2), "unknown top-level field(s): bar, foo"),
    ("ledger seq", _set("seq", 4), "seq: added by the ledger, not sent by producers"),
    ("ledger id", lambda e: e.update(id="x", received_at="y"), "id, received_at: added by the"),
    ("time missing", _set("time", ...), "time: required"),
    ("time null", _set("time", None), "time: required"),
    ("time number", _set("time", 1737383538), "time: must be a string, got number"),
    ("time naive", _set("time", "2025-01-20T14:32:18.123456"), "time: needs a UTC offset"),
    ("time date only", _set("time", "2025-01-20"), "time: must be an RFC 3339 timestamp"),
    ("time space", _set("time", "2025-01-20 14:32:18Z"), "time: must be an RFC 3339 timestamp"),
    ("time comma", _set("time", "2025-01-20T14:32:18,5Z"), "time: must be an RFC 3339 timestamp"),
    ("time bad offset", _set("time", "2025-01-20T14:32:18+24:00"), "time: must be an RFC 3339"),
    ("time no date", _set("time", "2025-02-30T14:32:18.000000Z"), "time: day is out of range"),
    ("time leap second", _set("time", "2016-12-31T23:59:60Z"), "time: second must be in 0..59"),
    ("time arabic digits", _set("time", "٢٠٢٥-01-20T14:32:18Z"), "time: must be an RFC 3339"),
    ("time overflow", _set("time", "0001-01-01T00:30:00+01:00"), "time: "),
    ("action missing", _set("action", ...), "action: required"),
    ("action case", _set("action", "Image.Pull"), "action: must be category.verb"),
    ("action no verb", _set("action", "image"), "action: must be category.verb"),
    ("action dash", _set("action", "image.pull-through"), "action: must be category.verb"),
    ("action trailing dot", _set("action", "image.pull."), "action: must be category.verb"),
    ("action list", _set("action", ["image.pull"]), "action: must be category.verb"),
    ("outcome missing", _set("outcome", ...), "outcome: required"),
    (
        "outcome unknown",
        _set("outcome", "ok"),
        "outcome: must be one of success, failure, not_found, denied, unknown, got 'ok'",
    ),
    (
        "severity unknown",
        _set("severity", "debug"),
        "severity: must be one of info, warning, error, critical, got 'debug'",
    ),
    ("actor missing", _set("actor", ...), "actor: required"),
    ("actor string", _set("actor", "bob"), "actor: must be a JSON object, got string"),
    (
        "actor type",
        _set("actor.type", "robot"),
        "actor.type: must be one of user, service, system, anonymous, got 'robot'",
    ),
    ("actor type missing", _set("actor.type", ...), "actor.type: required"),
    ("actor id missing", _set("actor.id", ...), "actor.id: required"),
    ("actor id empty", _set("actor.id", ""), "actor.id: must not be empty"),
    ("actor id NUL", _set("actor.id", "a\0b"), "actor.id: must not contain NUL"),
    ("actor id number", _set("actor.id", 42), "actor.id: must be a string, got number"),
    ("actor ip", _set("actor.ip", "999.1.1.1"), "actor.ip: must be an IPv4 or IPv6 address"),
    ("actor ip zero", _set("actor.ip", "010.1.1.1"), "actor.ip: must be an IPv4 or IPv6 address"),
    ("actor ip int", _set("actor.ip", 3232235777), "actor.ip: must be an IPv4 or IPv6 address"),
    ("actor ua NUL", _set("actor.user_agent", "x\0"), "actor.user_agent: must not contain NUL"),
    (
        "actor extra",
        _set("actor.email", "a@b"),
        "actor.email: unknown field (allowed: id, type, ip, user_agent)",
    ),
    ("target list", _set("target", []), "target: must be a JSON object, got array"),
    ("target type", _set("target.type", ...), "target.type: required"),
    ("target id", _set("target.id", ...), "target.id: required"),
    ("target id empty", _set("target.id", ""), "target.id: must not be empty"),
    ("target digest", _set("target.digest", 5), "target.digest: must be a string, got number"),
    ("target tag NUL", _set("target.tag", "v1\0"), "target.tag: must not contain NUL"),
    (
        "target required",
        _set("target", ...),
        "target: required for action image.pull (with type, id, registry, repository)",
    ),
    (
        "target repository",
        _set("target.repository", ...),
        "target.repository: required for action image.pull",
    ),
    (
        "target registry null",
        _set("target.registry", None),
        "target.registry: required for action image.pull",
    ),
    ("target extra NaN", _set("target.size", float("inf")), "target.size: inf is not a JSON"),
    ("target bad key", _set("target", {"type": "t", "id": "i", 7: 1}), "target: object keys must"),
    (
        "source extra",
        _set("source.region", "eu"),
        "source.region: unknown field (allowed: service, host, version)",
    ),
    ("source number", _set("source.host", 5), "source.host: must be a string, got number"),
    ("request_id number", _set("request_id", 5), "request_id: must be a string, got number"),
    ("request_id empty", _set("request_id", ""), "request_id: must not be empty"),
    ("message number", _set("message", 5), "message: must be a string, got number"),
    (
        "message surrogate",
        _set("message", "bad \ud800 text"),
        "message: lone surrogate U+D800 is not valid Unicode",
    ),
    (
        "message long",
        _set("message", "x" * 16385),
        "message: string of 16385 characters, over the limit of 16384",
    ),
    ("details list", _set("details", [1]), "details: must be a JSON object, got array"),
    (
        "details big int",
        _set("details.big", 2**53),
        "details.big: integer 9007199254740992 is outside ±(2**53-1)",
    ),
    ("details small int", _set("details.n", -(2**53)), "details.n: integer -9007199254740992"),
    ("details nan", _set("details", NESTED), "details.a.b[2]: nan is not a JSON number"),
    ("details -inf", _set("details.x", [float("-inf")]), "details.x[0]: -inf is not a JSON"),
    ("details key", _set("details", {1: "x"}), "details: object keys must be strings, got number"),
    ("details set", _set("details.tags", {"a"}), "details.tags: must be a JSON value, got set"),
    ("details bytes", _set("details.raw", b"x"), "details.raw: must be a JSON value, got bytes"),
    (
        "details deep",
        _set("details", DEEP),
        "details" + ".d" * 15 + ": nested deeper than 16 levels",
    ),
    (
        "details odd key",
        _set("details", {"a.b": {"c d": [None, "\udfff"]}}),
        'details["a.b"]["c d"][1]: lone surrogate U+DFFF',
    ),
    (
        "details key surrogate",
        _set("details", {"x\ud800": 1}),
        'details: object key "x\\ud800": lone surrogate U+D800',
    ),
    (
        "event too big",
        _set("details", {f"k{i}": "x" * 16000 for i in range(5)}),
        "event: canonical encoding is ",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [pytest.param(change, message, id=name) for name, change, message in REJECTIONS],
)
def test_rejections_name_the_field(change: Callable[[dict[str, Any]], None], message: str) -> None:
    raw = image_pull()
    change(raw)
    with pytest.raises(ValidationError, match="^" + re.escape(message)):
        validate_event(raw)


@pytest.mark.parametrize(
    ("action", "target", "message"),
    [
        ("tag.move", {"type": "tag", "id": "a:b", "repository": "a"}, "target.tag: required for"),
        ("tag.delete", {"type": "tag", "id": "a:b", "tag": "b"}, "target.repository: required"),
        (
            "image.push",
            {"type": "image", "id": "x", "repository": "a"},
            "target.registry: required",
        ),
        ("image.mount", {"type": "image", "id": "x", "registry": "r"}, "target.repository: requ"),
    ],
)
def test_known_actions_name_their_missing_target_field(
    action: str, target: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match="^" + re.escape(message)):
        validate_event(image_pull(action=action, target=target))


@pytest.mark.parametrize(
    ("details", "message"),
    [
        ({"immutable": "yes"}, "details.immutable: must be true or false, got 'yes'"),
        ({"previous_immutable": 1}, "details.previous_immutable: must be true or false"),
        ({"trigger": "auto"}, "details.trigger: must be one of manual, policy, got 'auto'"),
    ],
)
def test_immutability_change_details_are_typed(details: dict[str, Any], message: str) -> None:
    target = {"type": "tag", "id": "a:b", "repository": "a", "tag": "b"}
    raw = image_pull(action="tag.immutability_change", target=target, details=details)
    with pytest.raises(ValidationError, match="^" + re.escape(message)):
        validate_event(raw)


def test_non_object_events_are_rejected() -> None:
    raws: list[object] = [[], "event", None, 3]
    for raw in raws:
        with pytest.raises(ValidationError, match=r"^event: must be a JSON object, got"):
            validate_event(raw)


def test_size_limit_keeps_room_for_the_ledger_fields() -> None:
    limits = Limits(max_event_bytes=2048)
    base = len(canonical_json(validate_event(image_pull(message=""))))
    fits = "m" * (2048 - LEDGER_RESERVE - base)
    validate_event(image_pull(message=fits), limits)
    with pytest.raises(ValidationError, match=r"^event: canonical encoding is 1921 bytes, over"):
        validate_event(image_pull(message=fits + "m"), limits)


def test_size_limit_counts_the_exact_encoding() -> None:
    limits = Limits(max_event_bytes=2048)
    raw = image_pull(message="", details={"f": [1.0] * 10})  # orjson would write "1.0", JCS "1"
    event = validate_event(raw, limits)
    assert b"[1,1,1,1,1,1,1,1,1,1]" in canonical_json(event)


def test_depth_and_string_limits_are_configurable() -> None:
    limits = Limits(max_depth=3, max_string=120)
    validate_event(image_pull(details={"a": {"b": 1}}, message="m" * 120), limits)
    with pytest.raises(ValidationError, match=r"^details\.a\.b: nested deeper than 3 levels"):
        validate_event(image_pull(details={"a": {"b": {}}}), limits)
    with pytest.raises(ValidationError, match=r"^message: string of 121 characters"):
        validate_event(image_pull(message="m" * 121), limits)
    with pytest.raises(ValidationError, match=r"^details\.k\[0\]: string of 121 characters"):
        validate_event(image_pull(details={"k": ["é" * 121]}), limits)


@pytest.mark.parametrize(
    "limits",
    [
        {"max_event_bytes": 65536},
        {"max_event_bytes": 100},
        {"max_depth": 1},
        {"max_depth": 300},
        {"max_batch": 0},
        {"max_string": 0},
    ],
)
def test_limits_refuse_values_the_formats_cannot_hold(limits: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match=r"^limits\."):
        Limits(**limits)


# --------------------------------------------------------------------------------------------
# Time helpers


def test_format_time_writes_utc_with_six_digits() -> None:
    local = datetime(2025, 1, 20, 16, 32, 18, tzinfo=timezone(timedelta(hours=2)))
    assert format_time(local) == "2025-01-20T14:32:18.000000Z"
    assert format_time(datetime(5, 1, 1, tzinfo=UTC)) == "0005-01-01T00:00:00.000000Z"


def test_format_time_rejects_naive_datetimes() -> None:
    with pytest.raises(ValidationError, match="naive"):
        format_time(datetime(2025, 1, 20))


def test_parse_time_names_the_option_it_was_given() -> None:
    with pytest.raises(ValidationError, match=r"^--since: needs a UTC offset"):
        parse_time("2025-01-20T14:00:00", "--since")
    assert parse_time("2025-01-20T16:00:00+02:00") == datetime(2025, 1, 20, 14, tzinfo=UTC)


@given(st.datetimes(timezones=st.timezones(), allow_imaginary=False))
def test_format_and_parse_time_round_trip(dt: datetime) -> None:
    try:
        text = format_time(dt)
    except (ValidationError, OverflowError):
        return  # an offset that moves it out of datetime's range, or a tz with no offset then
    assert parse_time(text) == dt.astimezone(UTC)  # PEP 495: folds never equal other zones
    assert format_time(parse_time(text)) == text
    assert validate_event(image_pull(time=text))["time"] == text


# --------------------------------------------------------------------------------------------
# Canonical JSON

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), RFC8785_NUMBERS)
def test_canonical_numbers_match_rfc8785_appendix_b(bits: str, text: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json(number) == text.encode()
    assert canonical_json({"n": [number]}) == b'{"n":[%s]}' % text.encode()


def test_canonical_json_matches_the_rfc8785_example() -> None:
    value = orjson.loads(
        r'{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        r' "string": "\u20ac$\u000F\u000aA\u0027\u0042\u0022\u005c\\\"\/",'
        r' "literals": [null, true, false]}'
    )
    expected = (
        r'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(value) == expected.encode()


def test_canonical_key_order_is_by_utf16_code_units() -> None:
    # RFC 8785 3.2.3: the astral U+1F600 sorts before U+FB33, unlike in code point order.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = list(orjson.loads(canonical_json(value)))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != canonical_json(value)


def test_canonical_strings_escape_only_what_jcs_escapes() -> None:
    text = "".join(map(chr, range(0x80))) + "\u2028\u2029\ufeff\U0001f600"
    encoded = canonical_json(text)
    assert encoded == rfc8785.dumps(text)
    assert b"\\u001f" in encoded
    assert b"\\b\\t\\n\\u000b\\f\\r" in encoded
    assert b"\\/" not in encoded
    assert b"\x7f" in encoded
    assert "\u2028".encode() in encoded


def test_every_character_encodes_alike_in_orjson_and_jcs() -> None:
    # The claim the fast path rests on, checked exhaustively, a chunk of code points at a time.
    for start in range(0, 0x110000, 0x1000):
        text = "".join(chr(c) for c in range(start, start + 0x1000) if not 0xD800 <= c <= 0xDFFF)
        assert orjson.dumps(text) == rfc8785.dumps(text), hex(start)


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**53, -(2**53), {1: 2}, "\ud800", {"k": b"x"}, {"\udc00": 1}],
)
def test_canonical_json_refuses_values_without_a_canonical_form(value: Any) -> None:
    with pytest.raises(ValidationError, match="no canonical JSON form"):
        canonical_json(value)


def test_canonical_json_handles_deep_nesting_and_subclasses() -> None:
    deep: list[Any] = []
    node = deep
    for _ in range(300):
        node.append([])
        node = node[0]
    assert canonical_json(deep) == rfc8785.dumps(deep)

    class Colour(StrEnum):
        RED = "red"

    value = OrderedDict(b=Colour.RED, a=(1, True, None))
    assert canonical_json(value) == b'{"a":[1,true,null],"b":"red"}' == rfc8785.dumps(value)


SPECIAL = '\x00\x08\x1f\x7f"\\/\u2028\u2029\ue000\uffff\U00010000\U0001f600\U0010ffff'
TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(SPECIAL), max_size=12)
BMP_KEYS = st.text(
    alphabet=st.characters(codec="utf-8", max_codepoint=0xFFFF) | st.sampled_from(SPECIAL[:11]),
    max_size=8,
)
SAFE_INTS = st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def json_trees(keys: st.SearchStrategy[str], floats: bool) -> st.SearchStrategy[Any]:
    scalars: st.SearchStrategy[Any] = st.none() | st.booleans() | SAFE_INTS | TEXT
    if floats:
        scalars = scalars | FLOATS
    return st.recursive(
        scalars,
        lambda kids: st.lists(kids, max_size=5) | st.dictionaries(keys, kids, max_size=5),
        max_leaves=25,
    )


FAST_TREES = json_trees(BMP_KEYS, floats=False)
ALL_TREES = json_trees(TEXT, floats=True)


@settings(max_examples=500, deadline=None)
@given(FAST_TREES)
def test_fast_path_is_byte_for_byte_jcs_over_its_whole_domain(value: Any) -> None:
    assert canonical.fast_path_safe(value)
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == rfc8785.dumps(value)
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=500, deadline=None)
@given(ALL_TREES)
def test_canonical_json_is_jcs_for_all_json_values(value: Any) -> None:
    expected = rfc8785.dumps(value)
    assert canonical_json(value) == expected
    if canonical.fast_path_safe(value):  # the predicate never lets a wrong encoding through
        assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == expected


# --------------------------------------------------------------------------------------------
# Sealing


NEAR_SEQ = st.sampled_from(["action", "r", "s", "se", "sep", "seq0", "sf", "severity", "zz"])
EVENT_KEYS = (TEXT | NEAR_SEQ).filter(lambda key: key not in events.LEDGER_FIELDS)
SEQS = st.integers(min_value=0, max_value=2**53 - 1) | st.integers(min_value=0, max_value=300)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(EVENT_KEYS, ALL_TREES, max_size=8), SEQS, st.datetimes(timezones=st.just(UTC))
)
def test_leaf_splice_equals_encoding_the_whole_record(
    event: dict[str, Any], seq: int, when: datetime
) -> None:
    received_at = format_time(when.replace(tzinfo=UTC))
    prepared = prepare_event(event, id=EVENT_ID, received_at=received_at)
    record = {**event, "id": EVENT_ID, "received_at": received_at, "seq": seq}
    assert prepared.record(seq) == record
    assert prepared.leaf(seq) == canonical_json(record) == rfc8785.dumps(record)


IMAGE_TARGET = {
    "type": st.just("image"),
    "id": st.just("x"),
    "registry": st.just("r"),
    "repository": st.just("a/b"),
    "tag": st.just("t"),
    "ref": st.just("refs/heads/main"),  # what vcs.branch_* and vcs.tag_* require
    "digest": st.just("sha256:" + "0" * 64),  # required by image.audit
    "path": st.just("Dockerfile"),  # path and sha256: required by dockerfile.audit
    "sha256": st.just("0" * 64),
}
TIMES = st.builds(
    lambda dt, minutes: dt.astimezone(timezone(timedelta(minutes=minutes))).isoformat(),
    st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=-1439, max_value=1439),
)
VALID_EVENTS = st.fixed_dictionaries(
    {
        "time": TIMES,
        "action": st.sampled_from(sorted(ACTIONS)),
        "outcome": st.sampled_from(sorted(OUTCOMES)),
        "actor": st.fixed_dictionaries(
            {"id": st.text(min_size=1).filter(lambda s: "\0" not in s), "type": st.just("user")}
        ),
        "target": st.fixed_dictionaries(IMAGE_TARGET, optional={"extra": ALL_TREES}),
    },
    optional={"message": TEXT, "details": st.dictionaries(TEXT, ALL_TREES, max_size=5)},
)


@settings(max_examples=300, deadline=None)
@given(VALID_EVENTS, SEQS)
def test_validated_events_seal_to_their_canonical_record(raw: dict[str, Any], seq: int) -> None:
    event = validate_event(raw)
    assert validate_event(event) == event
    assert canonical_json(event) == canonical_json(dict(event)) == rfc8785.dumps(event)
    prepared = prepare_event(event, id=uuid7(), received_at=RECEIVED_AT)
    assert prepared.leaf(seq) == rfc8785.dumps(prepared.record(seq))


@settings(max_examples=300, deadline=None)
@given(VALID_EVENTS)
def test_prepare_event_checks_the_size_validate_event_would(raw: dict[str, Any]) -> None:
    event = validate_event(raw, check_size=False)
    size = len(canonical_json(event))
    prepared = prepare_event(event, id=uuid7(), received_at=RECEIVED_AT)
    assert events._event_size(prepared.head, prepared.tail, prepared.id, RECEIVED_AT) == size
    fits = Limits(max_event_bytes=max(1024, size + events.LEDGER_RESERVE))
    prepare_event(event, id=uuid7(), received_at=RECEIVED_AT, limits=fits)
    if size + events.LEDGER_RESERVE > 1024:
        _refused_alike(raw, event, Limits(max_event_bytes=size + events.LEDGER_RESERVE - 1))


def _refused_alike(raw: dict[str, Any], event: dict[str, Any], limits: Limits) -> str:
    """``validate_event(raw)`` and ``prepare_event`` of its unchecked ``event`` both refuse, with
    one message, which is returned."""
    with pytest.raises(ValidationError) as by_validate:
        validate_event(raw, limits)
    with pytest.raises(ValidationError) as by_prepare:
        prepare_event(event, id=uuid7(), received_at=RECEIVED_AT, limits=limits)
    assert str(by_prepare.value) == str(by_validate.value)
    return str(by_prepare.value)


@pytest.mark.parametrize("padding", [2000, 5000])
def test_prepare_event_refuses_at_the_same_byte_as_validate_event(padding: int) -> None:
    raw = image_pull(message="é" * padding, details={"k": ["v" * 100, 1.5]})
    size = len(canonical_json(validate_event(raw)))
    event = validate_event(raw, check_size=False)
    at_limit = Limits(max_event_bytes=size + events.LEDGER_RESERVE)
    validate_event(raw, at_limit)
    prepare_event(event, id=uuid7(), received_at=RECEIVED_AT, limits=at_limit)
    over = Limits(max_event_bytes=size + events.LEDGER_RESERVE - 1)
    assert "over the limit" in _refused_alike(raw, event, over)


def test_leaf_of_a_typical_event_puts_seq_in_place() -> None:
    event = validate_event(image_pull())
    leaf = prepare_event(event, id=EVENT_ID, received_at=RECEIVED_AT).leaf(42)
    assert b'"received_at":"2025-01-20T14:32:19.000001Z","seq":42,"severity":"info"' in leaf
    assert orjson.loads(leaf)["seq"] == 42


@pytest.mark.parametrize(
    ("event", "kwargs", "message"),
    [
        ({"seq": 1}, {}, "seq: added by the ledger"),
        ({"id": "x"}, {}, "id: added by the ledger"),
        ({}, {"id": "not-a-uuid"}, "id: must be a lower-case UUID"),
        ({}, {"id": EVENT_ID.upper()}, "id: must be a lower-case UUID"),
        ({}, {"received_at": "2025-01-20T14:32:19Z"}, "received_at: must be"),
    ],
)
def test_prepare_event_refuses_bad_ledger_fields(
    event: dict[str, Any], kwargs: dict[str, str], message: str
) -> None:
    arguments = {"id": EVENT_ID, "received_at": RECEIVED_AT, **kwargs}
    with pytest.raises(ValidationError, match="^" + re.escape(message)):
        prepare_event(event, id=arguments["id"], received_at=arguments["received_at"])


def test_prepare_event_trusts_the_ledgers_own_id_and_time_but_not_the_events_fields() -> None:
    prepared = prepare_event({}, id=EVENT_ID, received_at=RECEIVED_AT, trusted=True)
    assert prepared == prepare_event({}, id=EVENT_ID, received_at=RECEIVED_AT)
    with pytest.raises(ValidationError, match=r"^seq: added by the ledger"):
        prepare_event({"seq": 1}, id=EVENT_ID, received_at=RECEIVED_AT, trusted=True)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, ALL_TREES, max_size=5), TEXT)
def test_prepared_text_is_what_search_takes_from_the_leaf(details: Any, message: str) -> None:
    event = validate_event(image_pull(message=message, details=details))
    prepared = prepare_event(event, id=EVENT_ID, received_at=RECEIVED_AT)
    assert prepared.text in (None, searchable(prepared.leaf(7)))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(BMP_KEYS, FAST_TREES, max_size=5))
def test_prepared_text_is_known_when_orjson_encodes_the_event(details: Any) -> None:
    event = validate_event(image_pull(details=details))
    prepared = prepare_event(event, id=EVENT_ID, received_at=RECEIVED_AT)
    assert prepared.text == searchable(prepared.leaf(7))


@pytest.mark.parametrize("details", [{"ratio": 1.0}, {"\U0001f600": 1, "\ue000": 2}])
def test_prepared_text_is_left_to_the_leaf_when_the_exact_encoder_writes_it(
    details: dict[str, Any],
) -> None:
    event = validate_event(image_pull(details=details))
    assert prepare_event(event, id=EVENT_ID, received_at=RECEIVED_AT).text is None


def test_prepared_text_without_message_or_details_is_empty() -> None:
    event = validate_event(image_pull(message=None, details=None))
    prepared = prepare_event(event, id=EVENT_ID, received_at=RECEIVED_AT)
    assert prepared.text == ("", "") == searchable(prepared.leaf(0))


@pytest.mark.parametrize("seq", [-1, 2**53, True, 1.0])
def test_leaf_refuses_impossible_seqs(seq: Any) -> None:
    prepared = prepare_event({}, id=EVENT_ID, received_at=RECEIVED_AT)
    with pytest.raises(ValidationError, match=r"^seq: "):
        prepared.leaf(seq)


def test_prepare_event_refuses_records_over_the_tile_entry_limit() -> None:
    with pytest.raises(ValidationError, match="over 65535"):
        prepare_event({"details": "x" * 65500}, id=EVENT_ID, received_at=RECEIVED_AT)


# --------------------------------------------------------------------------------------------
# Indexed fields


def test_indexed_fields_of_an_image_pull() -> None:
    fields = indexed_fields(validate_event(image_pull()))
    assert fields == IndexedFields(
        time="2025-01-20T14:32:18.123456Z",
        action="image.pull",
        category="image",
        outcome="success",
        severity="info",
        actor_id="mercure-processor",
        actor_type="service",
        target_type="image",
        target_id=f"registry-1.docker.io/micsi/mercure-module@{DIGEST}",
        repository="micsi/mercure-module",
        digest=DIGEST,
    )


def test_indexed_fields_without_a_target() -> None:
    raw = image_pull(action="auth.login", target=None)
    fields = indexed_fields(validate_event(raw))
    assert (fields.category, fields.target_type, fields.repository, fields.digest) == (
        "auth", None, None, None,
    )  # fmt: skip


def test_indexed_fields_ignore_non_string_repository() -> None:
    target = {"type": "x", "id": "y", "repository": None, "digest": None}
    fields = indexed_fields(validate_event(image_pull(action="x.y", target=target)))
    assert fields.repository is None
    assert fields.digest is None


# --------------------------------------------------------------------------------------------
# UUIDv7


def _timestamp_ms(text: str) -> int:
    return uuid.UUID(text).int >> 80


def test_uuid7_has_version_and_variant_bits() -> None:
    before = int(datetime.now(UTC).timestamp() * 1000)
    text = uuid7()
    parsed = uuid.UUID(text)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == text
    assert before - 1 <= _timestamp_ms(text) <= before + 1000


def test_uuid7_is_strictly_increasing_over_100k_calls() -> None:
    ids = [uuid7() for _ in range(100_000)]
    assert all(a < b for a, b in itertools.pairwise(ids))


def test_uuid7_is_thread_safe() -> None:
    per_thread: list[list[str]] = [[] for _ in range(8)]
    start = threading.Barrier(len(per_thread))

    def work(out: list[str]) -> None:
        start.wait()
        out.extend(uuid7() for _ in range(5_000))

    threads = [threading.Thread(target=work, args=(out,)) for out in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [text for out in per_thread for text in out]
    assert len(set(everything)) == len(everything) == 40_000
    for out in per_thread:
        assert out == sorted(out)


def test_uuid7_counts_within_a_millisecond_and_never_goes_back() -> None:
    generate = UUID7Generator()
    first = uuid.UUID(generate(1_000))
    second = uuid.UUID(generate(1_000))
    earlier = uuid.UUID(generate(999))  # the clock stepped back: reuse the last millisecond
    assert _timestamp_ms(str(first)) == _timestamp_ms(str(earlier)) == 1_000
    assert first.int < second.int < earlier.int
    assert (second.int >> 64) & 0xFFF == ((first.int >> 64) & 0xFFF) + 1
    assert uuid.UUID(generate(1_001)).int >> 80 == 1_001


def test_uuid7_many_gives_what_as_many_calls_would() -> None:
    generate = UUID7Generator()
    ids = [generate(1_000), *generate.many(3, 1_000), generate(1_000), *generate.many(5_000, 1_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    counters = [(uuid.UUID(text).int >> 64) & 0xFFF for text in ids[:5]]
    assert counters == list(range(counters[0], counters[0] + 5))
    assert all(uuid.UUID(text).version == 7 for text in ids)
    assert _timestamp_ms(ids[-1]) == 1_001  # 5,005 ids: past one millisecond's 4,096


def test_uuid7_counter_overflow_moves_to_the_next_millisecond() -> None:
    generate = UUID7Generator()
    ids = [generate(5_000) for _ in range(4_097)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert _timestamp_ms(ids[-1]) == 5_001


def test_uuid7_refuses_impossible_times() -> None:
    with pytest.raises(ValidationError, match=r"^now_ms: "):
        UUID7Generator()(-1)
