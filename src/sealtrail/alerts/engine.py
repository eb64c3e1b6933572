"""Evaluating alert rules over records as they arrive: pure, in memory, no I/O.

``AlertEngine.observe(seq, record)`` takes one sealed record (or a validated event) and returns
the hits it causes. Records come in seq order; each is looked at once, never re-scanned. The only
state is the sliding windows of the ``threshold`` rules, one per rule and group value: the
``(time in µs, seq)`` of the matching events whose times lie within ``window`` seconds of the
newest one. A window is half-open: an event ``window`` seconds or more older than the newest no
longer counts, so ``threshold`` events fire only when first and last are less than ``window``
seconds apart. When a window reaches ``threshold`` events the rule fires with their seqs and the
window starts empty again (the next alert needs ``threshold`` new events). Times are the events'
own (``time``); one that arrives late is put in its place, and one already outside the window is
dropped. The engine records which windows changed (``take_changes``), so its owner stores only
those.

``alert.raised`` records are never evaluated, whatever a rule's actions say: an alert cannot set
off alerts.
"""

from __future__ import annotations

import bisect
import fnmatch
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sealtrail.alerts.rules import DAYS, AlertRule
from sealtrail.events import format_time

__all__ = ["ALERT_ACTION", "AlertEngine", "Hit", "alert_event", "event_micros"]

ALERT_ACTION = "alert.raised"
ALERTS_ACTOR = {"id": "sealtrail-alerts", "type": "system"}
MAX_SEQS = 1000  # seqs listed in one alert.raised event; ``count`` gives them all
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_ROUTES = 10_000

Entry = tuple[int, int]  # (event time in µs since the epoch, seq)
Record = Mapping[str, Any]
Changed = set[tuple[str, str]]  # (rule, group) of the windows changed


@dataclass(frozen=True, slots=True)
class Hit:
    """One firing of a rule: the records that set it off, oldest first."""

    rule: AlertRule
    group: str | None  # the actor, address or repository counted, when the rule groups
    seqs: tuple[int, ...]
    first_time: str
    last_time: str
    reason: str

    @property
    def count(self) -> int:
        return len(self.seqs)


_minutes: dict[str, int] = {}  # "YYYY-MM-DDTHH:MM:" -> µs since the epoch


def event_micros(text: str) -> int:
    """A canonical record time (``YYYY-MM-DDTHH:MM:SS.ffffffZ``) as µs since the epoch."""
    minute = _minutes.get(text[:17])
    if minute is None:
        minute = _minute_micros(text)
    return minute + int(text[17:19]) * 1_000_000 + int(text[20:26])


def _minute_micros(text: str) -> int:
    if len(_minutes) > 4096:
        _minutes.clear()
    days = date.fromisoformat(text[:10]).toordinal() - _EPOCH_ORDINAL
    minutes = (days * 24 + int(text[11:13])) * 60 + int(text[14:16])
    _minutes[text[:17]] = minutes * 60_000_000
    return minutes * 60_000_000


def _time_text(micros: int) -> str:
    return format_time(_EPOCH + timedelta(microseconds=micros))


def _who(record: Mapping[str, Any]) -> str:
    who: str = record["actor"]["id"]
    return who


_GROUPS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    "actor": _who,
    "ip": lambda record: record["actor"].get("ip"),
    "repository": lambda record: (record.get("target") or {}).get("repository"),
    "none": lambda record: "*",
}


class _Rule:
    """A rule's evaluator: ``observe`` one matching record (its time in µs), maybe a hit."""

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self.outcomes = frozenset(rule.outcomes)

    def observe(self, seq: int, record: Record, micros: int, changed: Changed) -> Hit | None:
        raise NotImplementedError

    def _single(self, seq: int, record: Mapping[str, Any], reason: str) -> Hit:
        when = record["time"]
        return Hit(self.rule, None, (seq,), when, when, reason)


class _Threshold(_Rule):
    def __init__(self, rule: AlertRule) -> None:
        super().__init__(rule)
        self.windows: dict[str, deque[Entry]] = {}
        self.span = round(rule.window * 1_000_000)
        self.group = _GROUPS[rule.group_by]
        self.id, self.threshold = rule.id, rule.threshold

    def observe(self, seq: int, record: Record, micros: int, changed: Changed) -> Hit | None:
        key = self.group(record)
        if key is None:
            return None
        entries = self.windows.get(key)
        if entries is None:
            entries = self.windows[key] = deque()
        if not entries or entries[-1][0] <= micros:
            entries.append((micros, seq))
        elif micros > entries[-1][0] - self.span:  # late, but inside: into its place
            entries.insert(bisect.bisect_right(entries, (micros, seq)), (micros, seq))
        else:  # too late to count
            return None
        horizon = entries[-1][0] - self.span
        while entries[0][0] <= horizon:
            entries.popleft()
        changed.add((self.id, key))
        if len(entries) < self.threshold:
            return None
        hit = self._hit(key, entries)
        entries.clear()
        return hit

    def _hit(self, key: str, entries: deque[Entry]) -> Hit:
        rule = self.rule
        first, last = _time_text(entries[0][0]), _time_text(entries[-1][0])
        per = "" if rule.group_by == "none" else f" by {rule.group_by} {key!r}"
        reason = (
            f"{len(entries)} {' or '.join(rule.actions)} events{per} within {rule.window:g} s"
            f" ({first} to {last})"
        )
        group = None if rule.group_by == "none" else key
        return Hit(rule, group, tuple(seq for _, seq in entries), first, last, reason)


class _OffHours(_Rule):
    def __init__(self, rule: AlertRule) -> None:
        super().__init__(rule)
        self.zone = rule.zone()
        self.start, self.end = rule.business_hours()
        self.days = frozenset(DAYS.index(day) for day in rule.days)

    def observe(self, seq: int, record: Record, micros: int, changed: Changed) -> Hit | None:
        utc = _EPOCH + timedelta(microseconds=micros)
        local = utc.astimezone(self.zone)
        if self.business(local):
            return None
        rule = self.rule
        reason = (
            f"{record['action']} by {_who(record)} at {local:%Y-%m-%d %H:%M %Z} ({local:%A}),"
            f" outside business hours {','.join(rule.days)} {rule.hours} {rule.timezone}"
        )
        return self._single(seq, record, reason)

    def business(self, local: datetime) -> bool:
        """Whether a local time is inside business hours (``end`` exclusive)."""
        if local.weekday() not in self.days:
            return False
        at = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


class _AllowList(_Rule):
    def __init__(self, rule: AlertRule) -> None:
        super().__init__(rule)
        self.path = rule.field.split(".")
        self.exact = frozenset(p.lower() for p in rule.allowed if not _pattern(p))
        self.patterns = tuple(p.lower() for p in rule.allowed if _pattern(p))

    def observe(self, seq: int, record: Record, micros: int, changed: Changed) -> Hit | None:
        part: Any = record
        for name in self.path:
            part = part.get(name) if isinstance(part, dict) else None
        if not isinstance(part, str) or self.allowed(part.lower()):
            return None
        reason = f"{record['action']} by {_who(record)}: {self.rule.field} {part!r} is not allowed"
        return self._single(seq, record, reason)

    def allowed(self, value: str) -> bool:
        return value in self.exact or any(fnmatch.fnmatchcase(value, p) for p in self.patterns)


def _pattern(text: str) -> bool:
    return any(char in text for char in "*?[")


class _Match(_Rule):
    def observe(self, seq: int, record: Record, micros: int, changed: Changed) -> Hit | None:
        said = f": {record['message']}" if record.get("message") else ""
        reason = f"{record['action']} {record['outcome']} by {_who(record)}{said}"
        return self._single(seq, record, reason[:1000])


_KINDS: dict[str, type[_Rule]] = {
    "threshold": _Threshold,
    "off_hours": _OffHours,
    "allow_list": _AllowList,
    "match": _Match,
}


class AlertEngine:
    """The enabled rules over one stream of records, with their windows."""

    def __init__(self, rules: Iterable[AlertRule]) -> None:
        self.rules = [_KINDS[rule.kind](rule) for rule in rules if rule.enabled]
        self._thresholds = {r.rule.id: r for r in self.rules if isinstance(r, _Threshold)}
        self._routes: dict[str, tuple[_Rule, ...]] = {}
        self._changed: set[tuple[str, str]] = set()

    def routes(self, action: str) -> tuple[_Rule, ...]:
        """The rules an action concerns (none for ``alert.raised``); cached per action."""
        found = self._routes.get(action)
        if found is None:
            if len(self._routes) >= _MAX_ROUTES:
                self._routes.clear()
            category = action.partition(".")[0] + ".*"
            found = self._routes[action] = tuple(
                r
                for r in self.rules
                if action != ALERT_ACTION
                and (action in r.rule.actions or category in r.rule.actions)
            )
        return found

    def observe(
        self, seq: int, record: Mapping[str, Any], routes: tuple[_Rule, ...] | None = None
    ) -> list[Hit]:
        """The hits one record causes, in rule order (``routes``: its action's, when known)."""
        hits = []
        if routes is None:
            routes = self._routes.get(record["action"])
            if routes is None:
                routes = self.routes(record["action"])
        if routes:
            micros = event_micros(record["time"])
            for rule in routes:
                if rule.outcomes and record["outcome"] not in rule.outcomes:
                    continue
                hit = rule.observe(seq, record, micros, self._changed)
                if hit is not None:
                    hits.append(hit)
        return hits

    def take_changes(self) -> list[tuple[str, str, list[Entry]]]:
        """The windows changed since the last call: (rule, group, entries; empty: forget it)."""
        changes = [
            (rule, key, list(self._thresholds[rule].windows.get(key, ())))
            for rule, key in sorted(self._changed)
        ]
        self._changed.clear()
        for rule, key, entries in changes:
            if not entries:
                self._thresholds[rule].windows.pop(key, None)
        return changes

    def load(self, rule: str, key: str, entries: Sequence[Sequence[int]]) -> bool:
        """Restore a stored window; False when no enabled threshold rule has that name."""
        found = self._thresholds.get(rule)
        if found is None:
            return False
        found.windows[key] = deque((int(micros), int(seq)) for micros, seq in entries)
        return True

    def windows(self) -> dict[str, dict[str, list[Entry]]]:
        """Every non-empty window, by rule and group (for status and tests)."""
        return {
            rule: {key: list(entries) for key, entries in r.windows.items() if entries}
            for rule, r in self._thresholds.items()
        }


def alert_event(hit: Hit, raised_at: str) -> dict[str, Any]:
    """The ``alert.raised`` event recording a hit."""
    rule = hit.rule
    details: dict[str, Any] = {
        "rule": rule.id,
        "kind": rule.kind,
        "count": hit.count,
        "seqs": list(hit.seqs[:MAX_SEQS]),
        "first_time": hit.first_time,
        "last_time": hit.last_time,
    }
    if rule.kind == "threshold":
        window = int(rule.window) if rule.window == int(rule.window) else rule.window
        details.update(threshold=rule.threshold, window_seconds=window, group_by=rule.group_by)
    if hit.group is not None:
        details["group"] = hit.group
    return {
        "time": raised_at,
        "action": ALERT_ACTION,
        "outcome": "success",
        "severity": rule.severity,
        "actor": dict(ALERTS_ACTOR),
        "target": {"type": "alert_rule", "id": rule.id},
        "source": {"service": "sealtrail"},
        "message": f"alert {rule.id}: {hit.reason}"[:2000],
        "details": details,
    }
