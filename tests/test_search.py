"""The search language (``sealtrail.search``) and free-text search in the SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sealtrail.store.sqlite as sqlite_store
import sealtrail.store.sqlite_index as sqlite_index
from sealtrail import search
from sealtrail.clock import FixedClock
from sealtrail.errors import ValidationError
from sealtrail.ledger.log import DATABASE, Ledger
from sealtrail.search import MAX_QUERY_CHARS, MAX_TERMS, QUALIFIERS, SearchQuery, parse_search
from sealtrail.store.base import Query
from tests.ledger.conftest import pull_event

DAY = "T00:00:00.000000Z"

# ---------------------------------------------------------------------------------------------
# The parser

VALID = [
    ("", SearchQuery()),
    (" \t\n ", SearchQuery()),
    ("action:image.pull", SearchQuery(actions=("image.pull",))),
    (
        "action:image.pull action:image.push action:image.pull",
        SearchQuery(actions=("image.pull", "image.push")),
    ),
    ("action:image", SearchQuery(category="image")),
    ("action:image.*", SearchQuery(category="image")),
    ("action:registry.repo.delete", SearchQuery(actions=("registry.repo.delete",))),
    ("category:auth category:auth", SearchQuery(category="auth")),
    ("-action:image.pull", SearchQuery(excluded_actions=("image.pull",))),
    ("-action:auth -category:http", SearchQuery(excluded_categories=("auth", "http"))),
    ("-action:auth.*", SearchQuery(excluded_categories=("auth",))),
    ("outcome:failure", SearchQuery(outcome="failure")),
    ("-outcome:success -outcome:unknown", SearchQuery(excluded_outcomes=("success", "unknown"))),
    ("actor:alice", SearchQuery(actor_id="alice")),
    ('actor:"alice smith"', SearchQuery(actor_id="alice smith")),
    ("actor:-bob", SearchQuery(actor_id="-bob")),
    ("-actor:bob -actor:carol -actor:bob", SearchQuery(excluded_actor_ids=("bob", "carol"))),
    (
        "target:registry.example.com/team/app:v1",
        SearchQuery(target_id="registry.example.com/team/app:v1"),
    ),
    ("target_type:image", SearchQuery(target_type="image")),
    ("repository:team/app", SearchQuery(repository="team/app")),
    ("-repository:team/app", SearchQuery(excluded_repositories=("team/app",))),
    ("digest:sha256:abc", SearchQuery(digest="sha256:abc")),
    ("actor:ünïcödé", SearchQuery(actor_id="ünïcödé")),
    ("time:2026-01-31", SearchQuery(since="2026-01-31" + DAY, until="2026-02-01" + DAY)),
    ("time:2024-02-29", SearchQuery(since="2024-02-29" + DAY, until="2024-03-01" + DAY)),
    (
        "time:2026-01-01..2026-01-31",
        SearchQuery(since="2026-01-01" + DAY, until="2026-02-01" + DAY),
    ),
    (
        "time:2026-01-01T10:00:00Z..2026-01-01T12:00:00Z",
        SearchQuery(since="2026-01-01T10:00:00.000000Z", until="2026-01-01T12:00:00.000001Z"),
    ),
    (
        "time:2026-01-01T10:00:00.5+02:00",
        SearchQuery(since="2026-01-01T08:00:00.500000Z", until="2026-01-01T08:00:00.500001Z"),
    ),
    ("time:>=2026-01-01", SearchQuery(since="2026-01-01" + DAY)),
    ("time:>2026-01-01", SearchQuery(since="2026-01-02" + DAY)),
    ("time:<2026-01-01", SearchQuery(until="2026-01-01" + DAY)),
    ("time:<=2026-01-01", SearchQuery(until="2026-01-02" + DAY)),
    ("time:>2026-01-01T10:00:00Z", SearchQuery(since="2026-01-01T10:00:00.000001Z")),
    ("time:<=2026-01-01T10:00:00Z", SearchQuery(until="2026-01-01T10:00:00.000001Z")),
    ("time:2026-01-01..*", SearchQuery(since="2026-01-01" + DAY)),
    ("time:*..2026-01-31", SearchQuery(until="2026-02-01" + DAY)),
    ("time:*..*", SearchQuery()),
    ("time:9999-12-31", SearchQuery(since="9999-12-31" + DAY)),
    (
        "time:2026-01-01..2026-03-31 time:2026-02-01..2026-12-31",
        SearchQuery(since="2026-02-01" + DAY, until="2026-04-01" + DAY),
    ),
    ('pulled "team/app:v1"', SearchQuery(text=("pulled", "team/app:v1"))),
    ('"OR" NEAR(x) * ( ) \'', SearchQuery(text=("OR", "NEAR(x)", "*", "(", ")", "'"))),
    ("10:30 :x", SearchQuery(text=("10:30", ":x"))),
    ("émile\tbuild\nfailed", SearchQuery(text=("émile", "build", "failed"))),
    (
        "action:image.pull actor:alice -outcome:success repository:team/app "
        'time:2026-01-01..2026-01-31 "some phrase" freeword',
        SearchQuery(
            actions=("image.pull",),
            actor_id="alice",
            excluded_outcomes=("success",),
            repository="team/app",
            since="2026-01-01" + DAY,
            until="2026-02-01" + DAY,
            text=("some phrase", "freeword"),
        ),
    ),
]


@pytest.mark.parametrize(("q", "expected"), VALID, ids=[q for q, _ in VALID])
def test_parse_search_reads_qualifiers_and_text(q: str, expected: SearchQuery) -> None:
    assert parse_search(q) == expected


INVALID = [
    ("foo:bar", 'unknown qualifier "foo"', '"foo:bar" at character 1'),
    ("pulled sha256:abc", 'unknown qualifier "sha256"', "at character 8"),
    ("ACTION:image.pull", 'unknown qualifier "ACTION"', "at character 1"),
    ("actor:", "empty value", '"actor:" at character 1'),
    ('x actor:""', "empty value", "at character 3"),
    ('""', "empty phrase", "at character 1"),
    ('x " "', "empty phrase", "at character 3"),
    ('actor:" "', "empty value", "at character 1"),
    ('"abc', "unbalanced quote", '"\\"abc" at character 1'),
    ('actor:"alice', "unbalanced quote", "at character 7"),
    ('ab"c', "unbalanced quote", "at character 3"),
    ('a"b"', "quote must enclose", '"a\\"b\\"" at character 1'),
    ('actor:a"b"', "quote must enclose", "at character 1"),
    ('"a"b', "quote must enclose", "at character 1"),
    ('"a""b"', "quote must enclose", "at character 1"),
    ("x -word", "only qualifiers can be negated", '"-word" at character 3'),
    ('-"some phrase"', "only qualifiers can be negated", "at character 1"),
    ("-", "only qualifiers can be negated", "at character 1"),
    ("-time:2026-01-01", '"time:" cannot be negated', "at character 1"),
    ("-target:x", '"target:" cannot be negated', "at character 1"),
    ("-target_type:image", '"target_type:" cannot be negated', "at character 1"),
    ("-digest:sha256:abc", '"digest:" cannot be negated', "at character 1"),
    ("time:2026-02-30", "no such day 2026-02-30", '"time:2026-02-30"'),
    ("time:2026-13-01", "no such day", "at character 1"),
    ("time:0000-01-01", "no such day", "at character 1"),
    ("time:yesterday", "YYYY-MM-DD", '"time:yesterday"'),
    ("time:2026-01-01T10:00:00", "RFC 3339 with an offset", "at character 1"),
    ("time:2026-1-1", "YYYY-MM-DD", "at character 1"),
    ("time:2026-01-31..2026-01-01", "ends before it starts", "at character 1"),
    ("time:2026-01-01..2026-01-02..2026-01-03", "YYYY-MM-DD", "at character 1"),
    ("time:>=2026-01-01..2026-01-03", "YYYY-MM-DD", "at character 1"),
    ("time:..", "YYYY-MM-DD", "at character 1"),
    ("time:>", "YYYY-MM-DD", "at character 1"),
    ("time:>9999-12-31", "no time is later", "at character 1"),
    ("outcome:yes", "outcome must be one of", '"outcome:yes"'),
    ("-outcome:Success", "outcome must be one of", "at character 1"),
    ("action:Image.Pull", "not an action", "at character 1"),
    ("action:image..pull", "not an action", "at character 1"),
    ("action:image.pull.*", "not an action", "at character 1"),
    ("action:*", "not an action", "at character 1"),
    ("category:image.pull", "not a category", "at character 1"),
    ("actor:alice actor:bob", '"actor:" given two values (alice, bob)', "at character 13"),
    ("action:image category:auth", "given two values (image, auth)", "at character 14"),
    ("outcome:success outcome:failure", "given two values", "at character 17"),
    ("x" * (MAX_QUERY_CHARS + 1), f"at most {MAX_QUERY_CHARS} characters", "got 1025"),
    (" ".join(["w"] * (MAX_TERMS + 1)), f"more than {MAX_TERMS} terms", "at character 65"),
    ("a\x00b", "control character U+0000", "at character 2"),
    ("ok \x1b[31m", "control character U+001B", "at character 4"),
    ("actor:\x7f", "control character U+007F", "at character 7"),
    ("\ud800", "control character U+D800", "at character 1"),
]


@pytest.mark.parametrize(("q", "problem", "where"), INVALID, ids=[q[:40] for q, *_ in INVALID])
def test_parse_search_error_names_problem_and_term(q: str, problem: str, where: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_search(q)
    message = str(raised.value)
    assert message.startswith("q: ")
    assert problem in message
    assert where in message


def test_error_shortens_a_long_term() -> None:
    with pytest.raises(ValidationError, match=r'"foo:xxx+\.\.\." at character 1$') as raised:
        parse_search("foo:" + "x" * 500)
    assert len(str(raised.value)) < 300


def test_the_largest_query_is_accepted() -> None:
    terms = ["w" * 30] * MAX_TERMS
    q = " ".join(terms).ljust(MAX_QUERY_CHARS)
    assert parse_search(q).text == tuple(terms)


def test_all_is_sorted_and_complete() -> None:
    assert search.__all__ == sorted(search.__all__)
    defined = {
        name
        for name, value in vars(search).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == search.__name__
    }
    constants = {"MAX_QUERY_CHARS", "MAX_TERMS", "QUALIFIERS"}
    assert defined | constants == set(search.__all__)


def test_qualifiers_are_listed_sorted() -> None:
    assert list(QUALIFIERS) == sorted(QUALIFIERS)
    assert "time" in QUALIFIERS
    assert "action" in QUALIFIERS


def test_search_query_fields_are_query_fields() -> None:
    assert {f.name for f in fields(SearchQuery)} <= {f.name for f in fields(Query)}


_PIECES = st.sampled_from(
    [
        *[f"{key}:" for key in QUALIFIERS],
        "-",
        '"',
        " ",
        "\t",
        "..",
        "*",
        ">=",
        "<",
        ">",
        ":",
        ".",
        "2026-01-31",
        "T10:00:00Z",
        "+02:00",
        "image.pull",
        "image",
        "success",
        "alice",
        "NEAR(",
        ")",
        "\x00",
        "\ud800",
        "é",
    ]
)
_QUERIES = st.one_of(
    st.text(max_size=1100),
    st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=60).map("".join),
)


@settings(max_examples=600, deadline=None)
@given(_QUERIES)
def test_parse_search_raises_nothing_but_validation_error(q: str) -> None:
    try:
        parsed = parse_search(q)
    except ValidationError as error:
        message = str(error)
    else:
        message = "q: "
        assert isinstance(parsed.apply(Query()), Query)
    assert message.startswith("q: ")


# ---------------------------------------------------------------------------------------------
# SearchQuery.apply: AND with the filters a query has already


def test_apply_copies_the_terms_into_an_empty_query() -> None:
    search = parse_search('action:image.pull -actor:bob time:2026-01-31 "a b" c')
    query = search.apply(Query(limit=7, oldest_first=True, after_seq=3))
    assert query == Query(
        actions=("image.pull",),
        excluded_actor_ids=("bob",),
        since="2026-01-31" + DAY,
        until="2026-02-01" + DAY,
        text=("a b", "c"),
        limit=7,
        oldest_first=True,
        after_seq=3,
    )


def test_apply_keeps_the_narrower_of_both_filters() -> None:
    base = Query(
        actions=("image.pull", "image.push"),
        actor_id="alice",
        since="2026-01-10" + DAY,
        until="2026-03-01" + DAY,
        excluded_outcomes=("denied",),
        text=("x",),
        before_seq=50,
    )
    search = parse_search(
        "action:image.push action:image.delete actor:alice -outcome:failure -outcome:denied "
        "time:2026-01-01..2026-01-31 y"
    )
    assert search.apply(base) == Query(
        actions=("image.push",),
        actor_id="alice",
        since="2026-01-10" + DAY,
        until="2026-02-01" + DAY,
        excluded_outcomes=("denied", "failure"),
        text=("x", "y"),
        before_seq=50,
    )


@pytest.mark.parametrize(
    ("base", "q"),
    [
        (Query(actor_id="alice"), "actor:bob"),
        (Query(category="auth"), "action:image"),
        (Query(outcome="success"), "outcome:failure"),
        (Query(repository="team/app"), "repository:team/other"),
        (Query(target_id="a"), "target:b"),
        (Query(target_type="image"), "target_type:tag"),
        (Query(digest="sha256:a"), "digest:sha256:b"),
        (Query(actions=("image.pull",)), "action:image.push"),
    ],
)
def test_apply_with_contradicting_filters_matches_nothing(base: Query, q: str) -> None:
    applied = parse_search(q).apply(base)
    assert applied.before_seq == 0
    assert {f.name: getattr(applied, f.name) for f in fields(Query) if f.name != "before_seq"} == {
        f.name: getattr(base, f.name) for f in fields(Query) if f.name != "before_seq"
    }


# ---------------------------------------------------------------------------------------------
# Free text and the new filters in the SQLite store

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _event(i: int, **changes: Any) -> dict[str, Any]:
    event = pull_event(i)
    event.update(changes)
    return event


#: Events 0..7, oldest first; each test searches them through the parser, as users do.
EVENTS = [
    _event(0, message="pulled team/app:v0", time="2026-11-18T23:59:59.999999Z"),
    _event(1, message="Cache MISS for team/app", details={"cache": "miss", "tries": 2}),
    _event(
        2,
        action="image.push",
        actor={"id": "alice", "type": "user"},
        message="pushed by Émile",
        details={"layers": [{"digest": "sha256:aa", "size": 12}, {"size": 7}], "ok": True},
        time="2026-11-19T00:00:00.000000Z",
    ),
    _event(3, outcome="failure", message='denied: "quota" OR NEAR(limit) * 100%_done\\x'),
    _event(4, action="auth.login", target=None, message="login ok", details=None),
    _event(5, actor={"id": "bob", "type": "user"}, message=None, details={"note": "no message"}),
    _event(6, message=None, details=None, time="2026-11-21T00:00:00.000000Z"),
    _event(7, target=None, action="auth.logout", message="bye, v7", details={"k": None}),
]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def searched(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ledger]:
    """The sample events in a ledger on each engine: search means the same on both."""
    directory = tmp_path_factory.mktemp("search") / "d"
    url = request.getfixturevalue("postgres_schemas")() if request.param == "postgresql" else None
    with Ledger.create(directory, origin="t/log", clock=FixedClock(T0), database_url=url) as ledger:
        for event in EVENTS:  # one batch each, so text rows of several transactions mix
            ledger.append({k: v for k, v in event.items() if v is not None})
        yield ledger


def _seqs(ledger: Ledger, q: str, base: Query | None = None) -> list[int]:
    query = parse_search(q).apply(base or Query())
    return [record.seq for record in ledger.query(query)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("pulled", [0]),
        ("PULLED", [0]),  # case-insensitive
        ("ulle", [0]),  # any substring of three characters or more
        ("team/app", [1, 0]),  # newest first
        ("miss", [1]),  # in the message and in the details: once
        ("cache: miss", [1]),  # a detail as `key: value`
        ("downloaded", [3, 0]),  # pull_event's details: {"cache": "downloaded", ...}
        ("layers.size: 12", [2]),  # nested keys, joined by dots; list items keep the key
        ("layers.size: 7", [2]),
        ("layers.digest: sha256:aa", [2]),
        ("ok: true", [2]),  # JSON scalars as JSON
        ("tries: 2", [1]),
        ("k: null", [7]),
        ("émile", [2]),
        ("ÉMILE", [2]),
        ("no message", [5]),
        ("message", [5]),
        ("v7", [7]),  # shorter than a trigram: scanned
        ("V7", [7]),
        ("ok", [4, 2]),
        ("zq", []),
        ("%", [3]),
        ("_", [3, 0]),  # a literal underscore (duration_s), not a LIKE wildcard
        ("\\", [3]),
    ],
)
def test_free_text_finds_substrings_of_message_and_details(
    searched: Ledger, q: str, expected: list[int]
) -> None:
    assert _seqs(searched, f'"{q}"' if " " in q else q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"pulled team"', [0]),
        ('"team pulled"', []),
        ("pulled team", [0]),
        ("team miss", [1]),  # both terms in one record: message and details
        ("pulled miss", []),  # each in a different record: nothing
        ("team/app v0", [0]),
        ("team/app v0 zz", []),  # a short term is required too
    ],
)
def test_every_text_term_is_required(searched: Ledger, q: str, expected: list[int]) -> None:
    assert _seqs(searched, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("-actor:dicom-processor", [5, 2]),
        ("-actor:dicom-processor -actor:bob", [2]),
        ("-action:image.pull", [7, 4, 2]),
        ("-action:image.pull -action:image.push", [7, 4]),
        ("-action:image", [7, 4]),
        ("-category:auth", [6, 5, 3, 2, 1, 0]),
        ("-repository:team/app", [7, 4]),  # records without a repository stay
        ("-outcome:success", [3]),
        ("action:image -outcome:failure -actor:bob downloaded", [0]),
        ("category:auth -action:auth.login", [7]),
    ],
)
def test_negated_qualifiers_exclude(searched: Ledger, q: str, expected: list[int]) -> None:
    assert _seqs(searched, q) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("time:2026-11-18", [0]),
        ("time:2026-11-19", [2]),
        ("time:2026-11-21", [6]),
        ("time:2026-11-18..2026-11-19", [2, 0]),  # the end day is included
        ("time:2026-11-19..2026-11-20", [7, 5, 4, 3, 2, 1]),
        ("time:>2026-11-18", [7, 6, 5, 4, 3, 2, 1]),
        ("time:>=2026-11-21", [6]),
        ("time:<2026-11-19", [0]),
        ("time:<=2026-11-19", [2, 0]),
        ("time:2026-11-18T23:59:59.999999Z", [0]),
        ("time:2026-11-18T23:59:59.999999Z..2026-11-19T00:00:00Z", [2, 0]),
        ("time:<2026-11-19T00:00:00Z", [0]),
        ("time:2026-11-19T01:00:00+01:00", [2]),
        ("time:2026-11-19..* time:*..2026-11-19", [2]),
        ("time:2026-11-22..*", []),
    ],
)
def test_time_ranges_are_utc_days_with_inclusive_ends(
    searched: Ledger, q: str, expected: list[int]
) -> None:
    assert _seqs(searched, q) == expected


def test_text_search_pages_newest_first_with_cursors(searched: Ledger) -> None:
    first = _seqs(searched, "cache", Query(limit=2))
    rest = _seqs(searched, "cache", Query(limit=2, before_seq=first[-1]))
    oldest = _seqs(searched, "cache", Query(limit=2, oldest_first=True))
    later = _seqs(searched, "cache", Query(limit=2, oldest_first=True, after_seq=oldest[-1]))
    assert (first, rest, oldest, later) == ([3, 1], [0], [0, 1], [3])


def test_text_search_narrows_counts(searched: Ledger) -> None:
    query = parse_search("ok").apply(Query())
    assert searched.store.count_by("action", query) == {"auth.login": 1, "image.push": 1}


def test_user_restriction_is_never_widened(searched: Ledger) -> None:
    own = Query(actor_id="bob")
    assert _seqs(searched, "", own) == [5]
    assert _seqs(searched, "actor:alice", own) == []
    assert _seqs(searched, "-actor:bob", own) == []
    assert _seqs(searched, "message", own) == [5]
    assert _seqs(searched, "pulled", own) == []


ALL = [7, 6, 5, 4, 3, 2, 1, 0]
HOSTILE = [
    ('"', [3]),
    ('""', []),
    ('"""', []),
    ("'", []),
    ('"quota"', [3]),
    ("NEAR(limit)", [3]),
    ("NEAR(a b)", []),
    ("a OR b", []),
    ("OR", [3, 1]),  # "for"
    ("NOT", [5]),  # "note"
    ("AND", []),
    ("*", [3]),
    ("* 100%", [3]),
    ("100%_done\\x", [3]),
    ("^pulled", []),
    ("pulled*", []),
    ("(", [3]),
    (")", [3]),
    ("{message}: x", []),
    ("message: pulled", []),
    ("message:pulled", []),
    ("- x", []),
    ("+", []),
    ("'; DROP TABLE records; --", []),
    ("%%%", []),
    ("___", []),
    ("\\%", []),
    ("x" * 100_000, []),
    ("é" * 3000, []),
    ("\ufffd", []),
    ("\U0001f600", []),
    (" ", [7, 5, 4, 3, 2, 1, 0]),
    ("", ALL),  # occurs in every text
]


@pytest.mark.parametrize(("term", "expected"), HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_searched_literally(
    searched: Ledger, term: str, expected: list[int]
) -> None:
    query = Query(text=(term,))
    assert [record.seq for record in searched.query(query)] == expected
    assert sum(searched.store.count_by("outcome", query).values()) == len(expected)


@pytest.mark.parametrize("term", ["\x00", "a\x00b", "\ud800", "ok\udfff"])
def test_text_the_store_cannot_hold_is_a_validation_error(searched: Ledger, term: str) -> None:
    with pytest.raises(ValidationError, match=r"^text: "):
        searched.query(Query(text=(term,)))


def test_many_text_terms_are_fine(searched: Ledger) -> None:
    terms = tuple(f"{i:04d}" for i in range(2000))
    assert searched.query(Query(text=terms)) == []
    assert _seqs(searched, " ".join(["team"] * MAX_TERMS)) == [1, 0]


def test_unknown_qualifier_in_text_is_an_error_until_quoted(searched: Ledger) -> None:
    with pytest.raises(ValidationError, match='unknown qualifier "sha256"'):
        parse_search("pushed sha256:aa")
    assert _seqs(searched, 'layers "sha256:aa"') == [2]


_ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates too


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_ANY_CHARACTER, max_size=12), min_size=1, max_size=4))
def test_store_text_never_fails_but_with_validation_error(
    searched: Ledger, terms: list[str]
) -> None:
    unstorable = any("\x00" in t or any("\ud800" <= c <= "\udfff" for c in t) for t in terms)
    try:
        found = searched.query(Query(text=tuple(terms)))
    except ValidationError:
        assert unstorable
    else:
        assert not unstorable
        assert all(0 <= record.seq < len(EVENTS) for record in found)


@settings(max_examples=300, deadline=None)
@given(_QUERIES)
def test_any_search_runs_or_is_a_validation_error(searched: Ledger, q: str) -> None:
    try:
        query = parse_search(q).apply(Query())
    except ValidationError:
        return
    assert all(0 <= record.seq < len(EVENTS) for record in searched.query(query))


# ---------------------------------------------------------------------------------------------
# The schema step that adds the index, and the unicode61 fallback


_SCHEMA_2_TABLES = {"meta", "tree", "records", "tiles", "checkpoints", "api_keys"}


def _tables_after_schema_2(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return [name for (name,) in rows if name not in _SCHEMA_2_TABLES]


def test_migration_to_schema_3_back_fills_the_text_index(tmp_path: Path) -> None:
    directory = tmp_path / "d"
    with Ledger.create(directory, origin="t/log") as ledger:
        ledger.append_many(pull_event(i) for i in range(30))
        ledger.append(_event(30, message="the needle", details={"deep": {"hay": "stack"}}))
    with sqlite3.connect(directory / DATABASE) as conn:
        conn.execute("DROP TABLE IF EXISTS records_text")  # moved to the index file since step 9
        for table in _tables_after_schema_2(conn):  # made by the steps after this one
            conn.execute(f"DROP TABLE {table}")
        conn.execute("UPDATE records SET leaf = x'7b6e6f74' WHERE seq = 3")  # damaged: '{not'
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Ledger.open(directory) as ledger:
        assert ledger.store.get_meta("schema_version") == str(sqlite_store.SCHEMA_VERSION)
        assert [r.seq for r in ledger.query(Query(text=("needle", "deep.hay: stack")))] == [30]
        assert len(ledger.query(Query(text=("team/app:v",), limit=100))) == 29
        ledger.append(_event(31, message="another needle"))
        assert [r.seq for r in ledger.query(Query(text=("needle",)))] == [31, 30]


def test_unicode61_fallback_finds_words_and_prefixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_index, "_TEXT_TOKENIZERS", ("unicode61",))
    with Ledger.create(tmp_path / "d", origin="t/log") as ledger:
        for event in EVENTS:
            ledger.append({k: v for k, v in event.items() if v is not None})
        for q, expected in [
            ("pulled", [0]),
            ("pull", [0]),  # a word prefix
            ('"pulled team"', [0]),
            ("cache miss", [1]),
            ("emile", [2]),  # unicode61 removes diacritics
            ("v7", [7]),
            ("%", [3]),  # no word at all: scanned
            ('"*"', [3]),
            ("NEAR(limit)", [3]),
        ]:
            assert _seqs(ledger, q) == expected, q
        for term, _ in HOSTILE:
            ledger.query(Query(text=(term,)))
