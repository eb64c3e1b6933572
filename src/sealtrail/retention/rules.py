"""Retention rules and legal holds, as configured in the ``[retention]`` section.

::

    [retention]
    archive = "archive"        # segment files, relative to the data directory
    interval = "1d"            # the server applies retention this often ("0": never, the default)
    vacuum = "incremental"     # "incremental", "full" or "none": how freed space is given back

    [retention.rules]          # action or glob = age; the most specific pattern wins
    "http.request" = "90d"
    "auth.*" = "1y"
    "image.*" = "7y"

    [retention.holds]          # name = search (the language of `sealtrail query`)
    case-2026-17 = "actor:alice repository:team/app"

An age is a whole number and a unit: ``s`` seconds, ``h`` hours, ``d`` days, ``w`` weeks,
``y`` years of 365 days (a bare number is days; for ``interval``, hours). A record expires when
its event ``time`` is older than its rule's age; a record that no rule matches is kept for ever,
and so is every ``audit.retention`` event (it vouches for what retention removed). A pattern is
an action (``http.request``), a category glob (``auth.*``) or any ``fnmatch`` glob; an exact
action beats any glob, and between globs the one with more literal characters wins
(``auth.login*`` beats ``auth.*``, which beats ``*``).
A record matching any hold is never removed, whatever its age.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sealtrail.errors import ValidationError
from sealtrail.search import SearchQuery, parse_search

__all__ = [
    "ALWAYS_KEPT",
    "LegalHold",
    "RetentionRule",
    "RetentionSettings",
    "parse_age",
]

#: Actions retention never removes.
ALWAYS_KEPT = frozenset({"audit.retention"})
VACUUM_MODES = ("incremental", "full", "none")
_AGE = re.compile(r"([0-9]{1,6})\s*([shdwy]?)", re.ASCII)
_UNIT = {"s": timedelta(seconds=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNIT["w"] = timedelta(weeks=1)
_UNIT |= {"": _UNIT["d"], "y": timedelta(days=365)}
_PATTERN = re.compile(r"[a-z0-9_.*?\[\]!-]+", re.ASCII)


def parse_age(text: object, what: str, bare: str = "d") -> timedelta:
    """``"90d"`` as 90 days (units in the module docstring); a bare number is in unit ``bare``."""
    found = _AGE.fullmatch(str(text).strip()) if isinstance(text, str | int) else None
    if found is None or isinstance(text, bool):
        raise ValidationError(f"{what}: {text!r} is not an age like 90d, 12h, 52w or 7y")
    number, unit = found.groups()
    return int(number) * _UNIT[unit or bare]


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Records whose action matches ``pattern`` are kept for ``age``."""

    pattern: str
    age: timedelta

    @property
    def specificity(self) -> tuple[bool, int]:
        """Sort key: exact actions first, then globs by their number of literal characters."""
        literal = sum(char not in "*?[]!" for char in self.pattern)
        return (not any(char in "*?[" for char in self.pattern), literal)

    def matches(self, action: str) -> bool:
        return fnmatch.fnmatchcase(action, self.pattern)


@dataclass(frozen=True, slots=True)
class LegalHold:
    """Records matching the search ``query`` are never removed while the hold is configured."""

    name: str
    query: str
    search: SearchQuery


@dataclass(frozen=True)
class RetentionSettings:
    """The ``[retention]`` section, parsed and checked."""

    rules: tuple[RetentionRule, ...] = ()
    holds: tuple[LegalHold, ...] = ()
    archive: Path = Path("archive")
    interval: float = 0.0  # seconds between the server's runs; 0: no schedule
    vacuum: str = "incremental"
    range_min: int = 4096  # consecutive records that make a range segment (one range proof)
    segment_records: int = 50_000  # records per segment at most

    @classmethod
    def from_section(cls, section: Mapping[str, Any], directory: Path) -> RetentionSettings:
        """The settings of a ``[retention]`` table; the archive is relative to ``directory``."""
        unknown = sorted(set(section) - {"rules", "holds", "archive", "interval", "vacuum"})
        if unknown:
            raise ValidationError(f"[retention]: unknown key(s): {', '.join(unknown)}")
        vacuum = str(section.get("vacuum", "incremental"))
        if vacuum not in VACUUM_MODES:
            raise ValidationError(f"[retention] vacuum: one of {', '.join(VACUUM_MODES)}")
        interval = parse_age(section.get("interval", "0"), "[retention] interval", bare="h")
        return cls(
            rules=_rules(_table(section, "rules")),
            holds=_holds(_table(section, "holds")),
            archive=directory / str(section.get("archive", "archive")),
            interval=interval.total_seconds(),
            vacuum=vacuum,
        )

    def rule_for(self, action: str) -> RetentionRule | None:
        """The most specific rule matching ``action``; None when it is kept for ever."""
        if action in ALWAYS_KEPT:
            return None
        matching = [rule for rule in self.rules if rule.matches(action)]
        return max(matching, key=lambda rule: rule.specificity, default=None)


def _table(section: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = section.get(key, {})
    if not isinstance(value, Mapping):
        raise ValidationError(f"[retention.{key}] must be a table")
    return value


def _rules(table: Mapping[str, Any]) -> tuple[RetentionRule, ...]:
    rules = []
    for pattern, age in table.items():
        if not _PATTERN.fullmatch(pattern):
            raise ValidationError(
                f"[retention.rules] {pattern!r}: not an action or a glob of actions"
            )
        rules.append(RetentionRule(pattern, parse_age(age, f"[retention.rules] {pattern}")))
    return tuple(rules)


def _holds(table: Mapping[str, Any]) -> tuple[LegalHold, ...]:
    holds = []
    for name, query in table.items():
        if not isinstance(query, str) or not query.strip():
            raise ValidationError(f"[retention.holds] {name}: a search such as 'actor:alice'")
        try:
            search = parse_search(query)
        except ValidationError as error:
            raise ValidationError(f"[retention.holds] {name}: {error}") from None
        holds.append(LegalHold(name, query, search))
    return tuple(holds)
