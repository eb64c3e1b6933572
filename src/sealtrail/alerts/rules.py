"""Alert rules: the built-in ones and those of ``[alerts.rules.NAME]`` in ``sealtrail.toml``.

    [alerts]
    timezone = "Europe/Berlin"          # business hours are local time there (DST included)
    registries = ["registry.example.com", "*.corp.example"]   # the pull allow-list
    webhook_url = "https://hooks.example.com/sealtrail"
    webhook_secret = "..."              # X-Sealtrail-Signature: sha256=HMAC-SHA256(secret, body)

    [alerts.rules.failed-logins-per-actor]   # a built-in: change what you need
    threshold = 3
    window = 600

    [alerts.rules.prod-deletes]              # a rule of your own
    kind = "threshold"
    actions = ["image.delete", "tag.delete"]
    group_by = "actor"
    threshold = 20
    window = 3600

Four kinds: ``threshold`` (at least ``threshold`` matching events for one ``group_by`` value —
``actor``, ``ip``, ``repository`` or ``none`` — whose times lie within ``window`` seconds),
``off_hours`` (each matching event outside ``days`` and ``hours`` in ``timezone``), ``allow_list``
(each matching event whose ``field`` matches none of ``allowed``, shell patterns) and ``match``
(each matching event). ``actions`` are names or ``category.*``; ``outcomes`` narrows them.
Values from ``SEALTRAIL_ALERTS__...`` variables arrive as strings (lists comma-separated) and are
converted here; in a rule name an underscore is read as a hyphen, so variables can name rules.
A bad key or value is a ``ValidationError`` naming ``alerts.rules.NAME.KEY``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sealtrail.errors import ValidationError
from sealtrail.events import OUTCOMES, SEVERITIES

__all__ = ["BUILT_IN", "KINDS", "AlertRule", "AlertsConfig", "parse_alerts"]

KINDS = ("threshold", "off_hours", "allow_list", "match")
GROUPS = ("actor", "ip", "repository", "none")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}", re.ASCII)
_ACTION = re.compile(r"[a-z][a-z0-9_]*\.(?:\*|[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)", re.ASCII)
_HOURS = re.compile(r"([0-2][0-9]):([0-5][0-9])-([0-2][0-9]):([0-5][0-9])", re.ASCII)
_FIELDS = ("target.registry", "target.repository", "target.id", "actor.id", "actor.ip")


@dataclass(frozen=True)
class AlertRule:
    """One rule. Which fields matter depends on ``kind`` (see the module's docstring)."""

    id: str
    kind: str
    actions: tuple[str, ...]
    outcomes: tuple[str, ...] = ()  # any outcome when empty
    severity: str = "warning"
    description: str = ""
    enabled: bool = True
    group_by: str = "actor"  # threshold
    threshold: int = 1  # threshold: events needed within the window
    window: float = 300.0  # threshold: seconds
    timezone: str = "UTC"  # off_hours
    days: tuple[str, ...] = DAYS[:5]  # off_hours: business days
    hours: str = "09:00-18:00"  # off_hours: business hours, local time, end exclusive
    field: str = "target.registry"  # allow_list: the field checked
    allowed: tuple[str, ...] = ()  # allow_list: shell patterns (``*.example.com``)

    def __post_init__(self) -> None:
        where = f"alerts.rules.{self.id}"
        if not _RULE_ID.fullmatch(self.id):
            raise ValidationError(f"{where}: a rule name is 1-64 of a-z, 0-9 and -")
        _check(self.kind in KINDS, where, "kind", f"one of {', '.join(KINDS)}")
        _check(bool(self.actions), where, "actions", "at least one action")
        for action in self.actions:
            _check(bool(_ACTION.fullmatch(action)), where, "actions", "category.verb or category.*")
        _check(set(self.outcomes) <= OUTCOMES, where, "outcomes", f"of {', '.join(OUTCOMES)}")
        _check(self.severity in SEVERITIES, where, "severity", f"of {', '.join(SEVERITIES)}")
        _check(self.group_by in GROUPS, where, "group_by", f"one of {', '.join(GROUPS)}")
        _check(1 <= self.threshold <= 100_000, where, "threshold", "1 to 100000")
        _check(0 < self.window <= 31 * 86400, where, "window", "seconds, up to 31 days")
        _check(set(self.days) <= set(DAYS) and bool(self.days), where, "days", ", ".join(DAYS))
        _check(self.field in _FIELDS, where, "field", f"one of {', '.join(_FIELDS)}")
        self.business_hours()  # checks hours
        self.zone()  # checks timezone

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"alerts.rules.{self.id}.timezone: {self.timezone!r} is not an IANA time zone"
            ) from None

    def business_hours(self) -> tuple[time, time]:
        """Start and end (exclusive) of business hours; an end before the start spans midnight."""
        found = _HOURS.fullmatch(self.hours)
        if found is None or int(found[1]) > 24 or int(found[3]) > 24:
            raise ValidationError(f"alerts.rules.{self.id}.hours: HH:MM-HH:MM, got {self.hours!r}")
        start, end = (_clock(found[1], found[2]), _clock(found[3], found[4]))
        if start == end:
            raise ValidationError(f"alerts.rules.{self.id}.hours: start and end are equal")
        return start, end

    def fingerprint(self) -> str:
        """What the rule's stored windows depend on: when it changes, they are dropped."""
        basis = repr((self.kind, self.actions, self.outcomes, self.group_by, self.window))
        return hashlib.sha256(basis.encode()).hexdigest()[:32]

    def describe(self) -> str:
        """One line saying what fires the rule."""
        what = " or ".join(self.actions) + (
            f" ({'/'.join(self.outcomes)})" if self.outcomes else ""
        )
        if self.kind == "threshold":
            per = "" if self.group_by == "none" else f" per {self.group_by}"
            return f"{self.threshold} x {what}{per} within {self.window:g} s"
        if self.kind == "off_hours":
            days = ",".join(self.days)
            return f"{what} outside {days} {self.hours} {self.timezone}"
        if self.kind == "allow_list":
            return f"{what} whose {self.field} is not in {', '.join(self.allowed) or '(empty)'}"
        return f"each {what}"


def _clock(hour: str, minute: str) -> time:
    return time.max if (int(hour), int(minute)) >= (24, 0) else time(int(hour), int(minute))


def _check(ok: bool, where: str, key: str, what: str) -> None:
    if not ok:
        raise ValidationError(f"{where}.{key}: must be {what}")


_LOGINS = ("auth.login_failed", "auth.denied")
_CHANGES = ("policy.*", "auth.key_created", "auth.key_revoked", "config.change")
#: The built-in rules, before ``[alerts]`` adjusts them.
BUILT_IN: tuple[AlertRule, ...] = (
    AlertRule("failed-logins-per-actor", "threshold", _LOGINS, threshold=5, window=300,
              description="repeated failed logins or denials of one actor"),
    AlertRule("failed-logins-per-address", "threshold", _LOGINS, group_by="ip", threshold=10,
              window=300, description="repeated failed logins or denials from one address"),
    AlertRule("changes-outside-business-hours", "off_hours", _CHANGES,
              description="policy, key or configuration changes outside business hours"),
    AlertRule("downloads-per-actor", "threshold", ("image.pull", "package.download"),
              threshold=1000, window=3600, description="high-volume downloads by one actor"),
    AlertRule("mass-immutability-changes", "threshold", ("tag.immutability_change",),
              group_by="none", threshold=50, window=600,
              description="many tags made mutable or immutable in a short time"),
    AlertRule("pulls-outside-allow-list", "allow_list", ("image.pull",), enabled=False,
              description="pulls from registries outside the allow-list ([alerts] registries)"),
    AlertRule("verify-failed", "match", ("audit.verify",), outcomes=("failure",),
              severity="critical", description="a verification of the log failed"),
)  # fmt: skip


@dataclass(frozen=True)
class AlertsConfig:
    """The ``[alerts]`` section: the rules and how the server follows the log and delivers."""

    rules: tuple[AlertRule, ...] = BUILT_IN
    enabled: bool = True  # the server evaluates rules as events arrive
    start: str = "end"  # a new follower starts at the log's end (or its beginning)
    timezone: str = "UTC"  # default for off_hours rules
    registries: tuple[str, ...] = ()  # the allow-list of the built-in pull rule
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_ca_file: str = ""
    poll_interval: float = 0.5  # seconds between looks at the log when caught up
    batch: int = 2000  # records read per step
    save_interval: float = 5.0  # seconds between writes of the state when no alert fires

    def __post_init__(self) -> None:
        if self.start not in ("beginning", "end"):
            raise ValidationError("alerts.start: beginning or end")
        if self.webhook_url and not self.webhook_secret:
            raise ValidationError("alerts.webhook_secret: required with webhook_url (signing)")
        if min(self.poll_interval, self.save_interval) <= 0 or self.batch < 1:
            raise ValidationError("alerts: intervals must be positive, batch at least 1")

    def active(self) -> tuple[AlertRule, ...]:
        return tuple(rule for rule in self.rules if rule.enabled)


_SETTINGS = {f.name: f.type for f in dataclasses.fields(AlertsConfig) if f.name != "rules"}
_RULE_KEYS = {f.name: f.type for f in dataclasses.fields(AlertRule) if f.name != "id"}


def parse_alerts(section: Mapping[str, Any]) -> AlertsConfig:
    """The ``[alerts]`` section as read (``settings.section("alerts")``), checked."""
    unknown = sorted(set(section) - set(_SETTINGS) - {"rules"})
    if unknown:
        raise ValidationError(f"alerts: unknown key(s): {', '.join(unknown)}")
    values = {key: _coerce(f"alerts.{key}", _SETTINGS[key], v) for key, v in section.items()
              if key != "rules"}  # fmt: skip
    tables = section.get("rules", {})
    if not isinstance(tables, Mapping):
        raise ValidationError("alerts.rules: must be a table of rule tables")
    defaults = {"timezone": values.get("timezone", "UTC"), "allowed": values.get("registries", ())}
    rules = _rules({name.replace("_", "-"): table for name, table in tables.items()}, defaults)
    return AlertsConfig(rules=rules, **values)


def _rules(tables: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[AlertRule, ...]:
    rules = []
    for rule in BUILT_IN:
        changes = {k: v for k, v in defaults.items() if k in _applies(rule)}
        changes.update(_table(rule.id, tables, False))
        if rule.kind == "allow_list" and "enabled" not in changes:  # on once it has a list
            changes["enabled"] = bool(changes.get("allowed"))
        rules.append(dataclasses.replace(rule, **changes))
    built_in = {rule.id for rule in BUILT_IN}
    for name in sorted(set(tables) - built_in):
        values = _table(name, tables, True)
        rules.append(AlertRule(id=name, **{**_defaults_for(values, defaults), **values}))
    return tuple(rules)


def _applies(rule: AlertRule) -> tuple[str, ...]:
    return {"off_hours": ("timezone",), "allow_list": ("allowed",)}.get(rule.kind, ())


def _defaults_for(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    return {"timezone": defaults["timezone"]} if values.get("kind") == "off_hours" else {}


def _table(name: str, tables: Mapping[str, Any], new: bool) -> dict[str, Any]:
    table = tables.get(name, {})
    where = f"alerts.rules.{name}"
    if not isinstance(table, Mapping):
        raise ValidationError(f"{where}: must be a table")
    unknown = sorted(set(table) - set(_RULE_KEYS))
    if unknown:
        raise ValidationError(f"{where}: unknown key(s): {', '.join(unknown)}")
    for key in ("kind", "actions"):
        if new and key not in table:
            raise ValidationError(f"{where}.{key}: required for a rule of your own")
    if not new and "kind" in table:
        raise ValidationError(f"{where}.kind: a built-in rule's kind cannot change")
    return {key: _coerce(f"{where}.{key}", _RULE_KEYS[key], v) for key, v in table.items()}


def _coerce(where: str, kind: object, value: object) -> Any:
    """A value in its declared type; strings (from the environment) are parsed."""
    try:
        if kind == "bool":
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            return _typed(value, bool)
        if kind == "int":
            return int(value) if isinstance(value, str) else _typed(value, int)
        if kind == "float":
            if isinstance(value, str | int) and not isinstance(value, bool):
                return float(value)
            return _typed(value, float)
        if kind == "str":
            return _typed(value, str)
        if isinstance(value, str):  # a list from the environment: comma-separated
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        raise TypeError(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{where}: {value!r} is not a {kind}") from None


def _typed(value: object, kind: type) -> Any:
    if type(value) is not kind:
        raise TypeError(value)
    return value
