"""Retention rules from the [retention] section: ages, the most specific rule, bad input named."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from sealtrail.errors import ValidationError
from sealtrail.retention import RetentionSettings, parse_age


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("52w", timedelta(weeks=52)),
        ("7y", timedelta(days=7 * 365)),
        ("30", timedelta(days=30)),
        (30, timedelta(days=30)),
        (" 1 y ", timedelta(days=365)),
    ],
)
def test_ages_are_a_number_and_a_unit(text: object, age: timedelta) -> None:
    assert parse_age(text, "rule") == age


@pytest.mark.parametrize("text", ["", "d", "1.5d", "-3d", "3 months", True, None, "1e3"])
def test_a_bad_age_is_refused_naming_the_rule(text: object) -> None:
    with pytest.raises(ValidationError, match=r"http\.request"):
        parse_age(text, "http.request")


def test_the_most_specific_rule_wins(tmp_path: Path) -> None:
    rules = {
        "*": "10y",
        "auth.*": "1y",
        "auth.login*": "2y",
        "auth.login": "3y",
        "http.request": "90d",
    }
    chosen = RetentionSettings.from_section({"rules": rules}, tmp_path)
    assert chosen.rule_for("auth.login").pattern == "auth.login"  # type: ignore[union-attr]
    assert chosen.rule_for("auth.login_failed").pattern == "auth.login*"  # type: ignore[union-attr]
    assert chosen.rule_for("auth.logout").pattern == "auth.*"  # type: ignore[union-attr]
    assert chosen.rule_for("image.pull").pattern == "*"  # type: ignore[union-attr]


def test_events_matching_no_rule_and_retention_events_are_kept(tmp_path: Path) -> None:
    chosen = RetentionSettings.from_section({"rules": {"*": "1d", "http.*": "2d"}}, tmp_path)
    assert chosen.rule_for("audit.retention") is None
    narrow = RetentionSettings.from_section({"rules": {"http.*": "2d"}}, tmp_path)
    assert narrow.rule_for("image.pull") is None


def test_settings_read_archive_interval_and_holds(tmp_path: Path) -> None:
    section = {
        "archive": "cold",
        "interval": "6h",
        "vacuum": "full",
        "holds": {"case-17": "actor:alice repository:team/app"},
    }
    chosen = RetentionSettings.from_section(section, tmp_path)
    assert chosen.archive == tmp_path / "cold"
    assert chosen.interval == 6 * 3600
    assert chosen.vacuum == "full"
    (hold,) = chosen.holds
    assert (hold.name, hold.search.actor_id, hold.search.repository) == (
        "case-17", "alice", "team/app",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"rules": {"HTTP request": "90d"}}, "HTTP request"),
        ({"rules": {"http.request": "soon"}}, "http.request"),
        ({"rules": "90d"}, "retention.rules"),
        ({"holds": {"case": "nosuch:thing"}}, "case"),
        ({"holds": {"case": ""}}, "case"),
        ({"vacuum": "sometimes"}, "vacuum"),
        ({"interval": "often"}, "interval"),
        ({"keep": "forever"}, "keep"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(
    tmp_path: Path, section: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(named)):
        RetentionSettings.from_section(section, tmp_path)
