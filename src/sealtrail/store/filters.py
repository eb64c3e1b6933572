"""What both engines share to query records: the filter clauses and the searchable text.

``where`` turns a ``Query`` into one SQL condition with ``?`` parameters (the PostgreSQL engine
rewrites them); each engine supplies how free-text terms match (``TextMatch``). ``searchable``
gives a record's message and its details flattened to ``dotted.path: value`` lines, the text
that free-text search looks in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from sealtrail.errors import ValidationError
from sealtrail.events import flatten_details
from sealtrail.store.base import Query

__all__ = ["TextMatch", "check_term", "record_text", "searchable", "where"]

#: Clauses and parameters requiring every (non-empty, checked) term in a record's text.
TextMatch = Callable[[Sequence[str]], tuple[list[str], list[object]]]

_EQUALS = ("outcome", "actor_id", "target_type", "target_id", "repository", "digest")
_EXCLUDED = (
    ("action", "excluded_actions"),
    ("category", "excluded_categories"),
    ("actor_id", "excluded_actor_ids"),
    ("repository", "excluded_repositories"),
)


def where(query: Query, text: TextMatch) -> tuple[str, list[object]]:
    """The SQL condition and ``?`` parameters of a query; columns come from code, values are
    bound. ``text`` turns the free-text terms into the engine's clauses."""
    clauses = ["1 = 1"]
    params: list[object] = []
    if query.actions:
        clauses.append(f"action IN ({','.join('?' * len(query.actions))})")
        params.extend(query.actions)
    if query.category is not None:  # a category is an action prefix: a range of the action index
        clauses.append("action >= ? AND action < ?")
        params.extend([f"{query.category}.", f"{query.category}/"])
    for column in _EQUALS:
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if query.excluded_outcomes:
        clauses.append(f"outcome NOT IN ({','.join('?' * len(query.excluded_outcomes))})")
        params.extend(query.excluded_outcomes)
    for column, values in _EXCLUDED:
        excluded = getattr(query, values)
        if excluded:
            marks = ",".join("?" * len(excluded))
            clauses.append(f"({column} IS NULL OR {column} NOT IN ({marks}))")
            params.extend(excluded)
    if query.text:
        for term in query.text:
            check_term(term)
        text_clauses, text_params = text([term for term in query.text if term])
        clauses.extend(text_clauses)
        params.extend(text_params)
    for clause, value in (
        ("time >= ?", query.since),
        ("time < ?", query.until),
        ("seq < ?", query.before_seq),
        ("seq > ?", query.after_seq),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params


def searchable(leaf: bytes) -> tuple[str, str]:
    """A record's message, and its details flattened to ``dotted.path: value`` lines."""
    if b'"message":' not in leaf and b'"details":' not in leaf:
        return "", ""  # canonical JSON has no spaces: no need to decode
    try:
        event = orjson.loads(leaf)
    except orjson.JSONDecodeError:
        return "", ""  # a damaged record: verify names it, search passes it by
    return record_text(event) if isinstance(event, dict) else ("", "")


def record_text(record: Mapping[str, Any]) -> tuple[str, str]:
    """``searchable`` of a record already decoded from its leaf."""
    message, details = record.get("message"), record.get("details")
    return (
        message if isinstance(message, str) else "",
        flatten_details(details) if isinstance(details, dict) else "",
    )


def check_term(term: str) -> None:
    """A term both engines can search for: FTS5 reads up to the first NUL, PostgreSQL text
    holds no NUL, and both take UTF-8 only."""
    if "\0" in term:
        raise ValidationError("text: a search term must not contain NUL")
    try:
        term.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("text: a search term must not contain a lone surrogate") from None
