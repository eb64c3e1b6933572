"""The search language of ``GET /v1/events?q=``, the console's search box and ``sealtrail query``.

The qualifier syntax of GitHub's audit log: terms separated by whitespace, every term required.

    action:image.pull         that action; several ``action:`` terms are alternatives (any of)
    action:image              no dot, or ``action:image.*``: the category, as ``category:image``
    category:auth             the category: the action up to its first dot
    outcome:failure           success, failure, not_found, denied or unknown
    actor:alice               the actor id; ``actor:"alice smith"``: quotes keep spaces
    target:ID                 the target id (``target_type:image``: the target type)
    repository:team/app       the repository; ``digest:sha256:...``: the digest
    time:2026-01-31           that whole UTC day; a full RFC 3339 time: that instant
    time:2026-01-01..2026-01-31   both ends inclusive (whole days); ``*`` leaves an end open
    time:>=D  time:>D  time:<D  time:<=D   D a day or an instant; ``>D`` is after all of day D
    -outcome:success          excludes; ``-`` works on action, category, outcome, actor and
                              repository; records without a repository (or actor) stay
    pulled  "team/app:v1"     free words and quoted phrases: text in the message or the details,
                              matched as substrings, case-insensitively

Qualifiers other than ``action:`` and ``time:`` hold one value (an event has one actor): two
different values are an error; several ``time:`` terms must all hold. Anything else is a
``ValidationError`` whose message names the problem, the term and its character position: an
unknown qualifier (quote ``"sha256:abc"`` to search it as text), an empty value, a bad time, a
stray or unbalanced quote, a negated free word, a control character, more than ``MAX_TERMS``
terms or ``MAX_QUERY_CHARS`` characters. Phrases cannot hold a double quote; there is no OR/NOT.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sealtrail.errors import ValidationError
from sealtrail.events import OUTCOMES, format_time, parse_time
from sealtrail.store.base import Query

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "QUALIFIERS", "SearchQuery", "parse_search"]

MAX_QUERY_CHARS = 1024
MAX_TERMS = 32

_ACTION_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+", re.ASCII)
_CATEGORY_RE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_QUALIFIER_RE = re.compile(r"(-?)([A-Za-z_][A-Za-z0-9_]*):(.*)", re.ASCII | re.DOTALL)
_DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_SPACE = " \t\n\r"
_MICROSECOND = timedelta(microseconds=1)

#: The ``Query`` fields with one value, and the fields with many (alternatives or exclusions).
_SINGLE = ("category", "outcome", "actor_id", "target_type", "target_id", "repository", "digest")
_EXCLUDED_FIELD = {
    "actions": "excluded_actions",
    "actor_id": "excluded_actor_ids",
    "category": "excluded_categories",
    "outcome": "excluded_outcomes",
    "repository": "excluded_repositories",
}


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed search: filters named as in ``Query``; ``apply`` adds them to one."""

    actions: tuple[str, ...] = ()
    category: str | None = None
    outcome: str | None = None
    actor_id: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    repository: str | None = None
    digest: str | None = None
    since: str | None = None  # canonical event time, inclusive
    until: str | None = None  # canonical event time, exclusive
    excluded_actions: tuple[str, ...] = ()
    excluded_categories: tuple[str, ...] = ()
    excluded_outcomes: tuple[str, ...] = ()
    excluded_actor_ids: tuple[str, ...] = ()
    excluded_repositories: tuple[str, ...] = ()
    text: tuple[str, ...] = ()

    def apply(self, query: Query) -> Query:
        """``query`` narrowed by this search: every filter of both must hold; it never widens.

        Cursor, order and limit stay as they are. Filters that contradict each other (``actor:bob``
        on a query for ``alice``'s events) give a query that matches nothing: ``before_seq=0``.
        """
        changes: dict[str, Any] = {}
        empty = False
        for name in _SINGLE:
            mine, theirs = getattr(self, name), getattr(query, name)
            empty |= None not in (mine, theirs) and mine != theirs
            changes[name] = mine if theirs is None else theirs
        actions = query.actions
        if self.actions:
            actions = tuple(a for a in actions if a in self.actions) if actions else self.actions
            empty |= not actions
        changes["actions"] = actions or query.actions
        for name in _EXCLUDED_FIELD.values():
            changes[name] = _union(getattr(query, name), getattr(self, name))
        changes["since"] = max(_present(query.since, self.since), default=None)
        changes["until"] = min(_present(query.until, self.until), default=None)
        changes["text"] = query.text + self.text
        if empty:
            changes["before_seq"] = 0
        return replace(query, **changes)


def parse_search(q: str) -> SearchQuery:
    """Parse a search (grammar in the module docstring); ``ValidationError`` names the bad term."""
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationError(f"q: at most {MAX_QUERY_CHARS} characters, got {len(q)}")
    _check_characters(q)
    parsed = _Parsed()
    for count, term in enumerate(_terms(q), 1):
        if count > MAX_TERMS:
            raise term.error(f"more than {MAX_TERMS} terms")
        parsed.add(term)
    return parsed.result()


@dataclass(frozen=True, slots=True)
class _Term:
    """One whitespace-separated term as written, and where it starts (0-based)."""

    raw: str
    start: int
    key: str | None = None  # None for free text
    value: str = ""
    negated: bool = False

    def error(self, problem: str) -> ValidationError:
        shown = json.dumps(self.raw if len(self.raw) <= 64 else self.raw[:61] + "...")
        return ValidationError(f"q: {problem}: {shown} at character {self.start + 1}")


def _check_characters(q: str) -> None:
    for i, char in enumerate(q):
        if char not in _SPACE and unicodedata.category(char) in ("Cc", "Cs"):
            raise ValidationError(f"q: control character U+{ord(char):04X} at character {i + 1}")


def _terms(q: str) -> Iterator[_Term]:
    """Split at unquoted whitespace; a quote runs to the next quote, spaces and all."""
    i = 0
    while i < len(q):
        if q[i] in _SPACE:
            i += 1
            continue
        start = i
        while i < len(q) and q[i] not in _SPACE:
            if q[i] == '"':
                close = q.find('"', i + 1)
                if close < 0:
                    raise _Term(q[i:], i).error("unbalanced quote")
                i = close
            i += 1
        yield _classify(q[start:i], start)


def _classify(raw: str, start: int) -> _Term:
    term = _Term(raw, start)
    if found := _QUALIFIER_RE.fullmatch(raw):
        sign, key, value = found.groups()
        term = _Term(raw, start, key, _unquote(term, value), sign == "-")
    elif raw.startswith("-"):
        raise term.error('only qualifiers can be negated; quote "-word" to search for it')
    else:
        term = _Term(raw, start, None, _unquote(term, raw))
    if not term.value.strip(_SPACE):
        raise term.error("empty phrase" if term.key is None else "empty value")
    return term


def _unquote(term: _Term, value: str) -> str:
    """``value`` without its quotes; a quote may only enclose the whole value or phrase."""
    if '"' not in value:
        return value
    if len(value) >= 2 and value[0] == value[-1] == '"' and '"' not in value[1:-1]:
        return value[1:-1]
    raise term.error("a quote must enclose the whole value or phrase")


class _Parsed:
    """What the terms say so far, collected by qualifier."""

    def __init__(self) -> None:
        self.single: dict[str, str] = {}
        self.many: dict[str, list[str]] = {}
        self.since: list[datetime] = []
        self.until: list[datetime] = []

    def add(self, term: _Term) -> None:
        if term.key is None:
            self.many.setdefault("text", []).append(term.value)  # repeats are harmless
            return
        handler = _QUALIFIERS.get(term.key)
        if handler is None:
            known = ", ".join(QUALIFIERS)
            raise term.error(f'unknown qualifier "{term.key}" (known: {known})')
        if term.negated and term.key not in _NEGATABLE:
            raise term.error(f'"{term.key}:" cannot be negated')
        handler(self, term)

    def set(self, term: _Term, name: str, value: str) -> None:
        """One value of the ``Query`` field ``name``; negated, one value it excludes."""
        if term.negated:
            self.append(_EXCLUDED_FIELD[name], value)
        elif self.single.setdefault(name, value) != value:
            raise term.error(f'"{term.key}:" given two values ({self.single[name]}, {value})')

    def append(self, name: str, value: str) -> None:
        values = self.many.setdefault(name, [])
        values.extend(() if value in values else (value,))

    def action(self, term: _Term) -> None:
        value = term.value
        if value.endswith(".*") and _CATEGORY_RE.fullmatch(value[:-2]):
            value = value[:-2]
        if _CATEGORY_RE.fullmatch(value):
            self.set(term, "category", value)
        elif not _ACTION_RE.fullmatch(value):
            raise term.error("not an action (category.verb in lower case) or a category")
        elif term.negated:
            self.set(term, "actions", value)
        else:
            self.append("actions", value)  # alternatives: an event has one action

    def category(self, term: _Term) -> None:
        if not _CATEGORY_RE.fullmatch(term.value):
            raise term.error("not a category (lower case, no dot)")
        self.set(term, "category", term.value)

    def outcome(self, term: _Term) -> None:
        if term.value not in OUTCOMES:
            raise term.error(f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
        self.set(term, "outcome", term.value)

    def time(self, term: _Term) -> None:
        since, until = _time_bounds(term)
        self.since.extend(() if since is None else (since,))
        self.until.extend(() if until is None else (until,))

    def result(self) -> SearchQuery:
        found: dict[str, Any] = dict(self.single)
        found.update((name, tuple(values)) for name, values in self.many.items())
        if self.since:
            found["since"] = format_time(max(self.since))
        if self.until:
            found["until"] = format_time(min(self.until))
        return SearchQuery(**found)


def _plain(name: str) -> Callable[[_Parsed, _Term], None]:
    return lambda parsed, term: parsed.set(term, name, term.value)


_QUALIFIERS: dict[str, Callable[[_Parsed, _Term], None]] = {
    "action": _Parsed.action,
    "actor": _plain("actor_id"),
    "category": _Parsed.category,
    "digest": _plain("digest"),
    "outcome": _Parsed.outcome,
    "repository": _plain("repository"),
    "target": _plain("target_id"),
    "target_type": _plain("target_type"),
    "time": _Parsed.time,
}
#: The qualifiers a search understands, in alphabetical order.
QUALIFIERS = tuple(_QUALIFIERS)
_NEGATABLE = frozenset({"action", "actor", "category", "outcome", "repository"})


# ---------------------------------------------------------------------------------------------
# Time


def _time_bounds(term: _Term) -> tuple[datetime | None, datetime | None]:
    """The ``[since, until)`` a ``time:`` value means; ``None`` leaves that side open."""
    value = term.value
    for operator in (">=", "<=", ">", "<"):
        if value.startswith(operator):
            first, after = _span(term, value[len(operator) :])
            if operator == ">" and after is None:
                raise term.error("no time is later than that")
            bounds = {">=": (first, None), ">": (after, None), "<": (None, first)}
            return bounds.get(operator, (None, after))
    if ".." not in value:
        return _span(term, value)
    start, _, end = value.partition("..")
    since = None if start == "*" else _span(term, start)[0]
    until = None if end == "*" else _span(term, end)[1]
    if since is not None and until is not None and since >= until:
        raise term.error("the range ends before it starts")
    return since, until


def _span(term: _Term, text: str) -> tuple[datetime, datetime | None]:
    """The first instant of a UTC day or an RFC 3339 time, and the instant just after it."""
    if _DAY_RE.fullmatch(text):
        try:
            first = datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise term.error(f"no such day {text}") from None
        return first, _later(first, timedelta(days=1))
    try:
        instant = parse_time(text)
    except ValidationError:
        raise term.error("times are YYYY-MM-DD (a UTC day) or RFC 3339 with an offset") from None
    return instant, _later(instant, _MICROSECOND)


def _later(instant: datetime, step: timedelta) -> datetime | None:
    try:
        return instant + step
    except OverflowError:
        return None  # past 9999-12-31: no upper bound


# ---------------------------------------------------------------------------------------------


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    return first + tuple(value for value in second if value not in first)


def _present(*values: str | None) -> list[str]:
    return [value for value in values if value is not None]
