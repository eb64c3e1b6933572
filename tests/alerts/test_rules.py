"""The [alerts] section: built-in rules adjusted, rules of one's own, values from the
environment, and errors that name the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from sealtrail.alerts.rules import BUILT_IN, AlertRule, parse_alerts
from sealtrail.config import Settings
from sealtrail.errors import ValidationError


def rules(section: Mapping[str, Any]) -> dict[str, AlertRule]:
    return {rule.id: rule for rule in parse_alerts(section).rules}


def test_without_configuration_the_built_in_rules_run_and_the_allow_list_waits_for_a_list() -> None:
    found = rules({})
    assert list(found) == [rule.id for rule in BUILT_IN]
    assert [r for r in found if not found[r].enabled] == ["pulls-outside-allow-list"]
    assert found["failed-logins-per-actor"].threshold == 5


def test_registries_and_timezone_reach_the_built_in_rules() -> None:
    found = rules({"registries": ["registry.example.com"], "timezone": "Europe/Berlin"})
    assert found["pulls-outside-allow-list"].enabled
    assert found["pulls-outside-allow-list"].allowed == ("registry.example.com",)
    assert found["changes-outside-business-hours"].timezone == "Europe/Berlin"


def test_environment_strings_adjust_a_built_in_and_define_a_rule() -> None:
    environ = {
        "SEALTRAIL_ALERTS__RULES__FAILED_LOGINS_PER_ACTOR__THRESHOLD": "3",
        "SEALTRAIL_ALERTS__RULES__FAILED_LOGINS_PER_ACTOR__WINDOW": "600",
        "SEALTRAIL_ALERTS__RULES__DOWNLOADS_PER_ACTOR__ENABLED": "false",
        "SEALTRAIL_ALERTS__RULES__DELETES__KIND": "threshold",
        "SEALTRAIL_ALERTS__RULES__DELETES__ACTIONS": "image.delete, tag.delete",
        "SEALTRAIL_ALERTS__RULES__DELETES__GROUP_BY": "repository",
    }
    found = rules(Settings.load(environ).section("alerts"))
    assert (found["failed-logins-per-actor"].threshold, found["failed-logins-per-actor"].window) \
        == (3, 600.0)  # fmt: skip
    assert not found["downloads-per-actor"].enabled
    assert found["deletes"].actions == ("image.delete", "tag.delete")
    assert found["deletes"].group_by == "repository"


def test_an_off_hours_rule_of_ones_own_takes_the_default_time_zone() -> None:
    section = {
        "timezone": "America/New_York",
        "rules": {"night-pushes": {"kind": "off_hours", "actions": ["image.push"]}},
    }
    assert rules(section)["night-pushes"].timezone == "America/New_York"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"nope": 1}, "alerts: unknown key(s): nope"),
        ({"rules": {"verify-failed": {"kind": "match"}}}, "verify-failed.kind: a built-in"),
        ({"rules": {"mine": {"actions": ["a.b"]}}}, "alerts.rules.mine.kind: required"),
        ({"rules": {"mine": {"kind": "match"}}}, "alerts.rules.mine.actions: required"),
        ({"rules": {"mine": {"kind": "sometimes", "actions": ["a.b"]}}}, "mine.kind: must be"),
        ({"rules": {"mine": {"kind": "match", "actions": ["A b"]}}}, "mine.actions: must be"),
        ({"rules": {"verify-failed": {"threshold": "many"}}}, "verify-failed.threshold: 'many'"),
        ({"rules": {"verify-failed": {"threshold": 0}}}, "verify-failed.threshold: must be 1"),
        ({"rules": {"verify-failed": {"colour": 0}}}, "verify-failed: unknown key(s): colour"),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not an IANA time zone"),
        ({"rules": {"changes-outside-business-hours": {"hours": "9-5"}}}, "hours: HH:MM-HH:MM"),
        ({"rules": {"changes-outside-business-hours": {"days": ["monday"]}}}, ".days: must be"),
        ({"webhook_url": "http://127.0.0.1:9/"}, "alerts.webhook_secret: required"),
        ({"rules": {"Bad Name": {"kind": "match", "actions": ["a.b"]}}}, "a rule name is"),
    ],
)
def test_bad_configuration_names_the_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_alerts(section)


def test_a_fingerprint_changes_with_what_windows_depend_on_only() -> None:
    rule = BUILT_IN[0]
    assert rule.fingerprint() == AlertRule(**{**rule.__dict__, "threshold": 9}).fingerprint()
    assert rule.fingerprint() != AlertRule(**{**rule.__dict__, "group_by": "ip"}).fingerprint()
