"""The trimming rule for payload fields the mapping leaves unread."""

from __future__ import annotations

import orjson
import pytest

from sealtrail.errors import ValidationError
from sealtrail.vcs.payload import MAX_STRING, Payload, unmapped


def test_fields_read_and_everything_under_them_are_not_unmapped() -> None:
    p = Payload({"a": 1, "b": {"c": 2, "d": {"e": 3}}, "f": [{"g": 4}]})
    assert p.get("b.d") == {"e": 3}
    assert dict(p.unread()) == {"a": 1, "b.c": 2, "f.0.g": 4}


def test_missing_and_null_fields_read_as_the_default() -> None:
    p = Payload({"a": None, "b": "x"})
    assert p.get("a", 7) == 7
    assert p.get("b.c", 8) == 8
    assert p.get("z.y") is None


def test_a_required_text_names_its_path_when_missing() -> None:
    with pytest.raises(ValidationError, match=r"^payload.repository.full_name: required"):
        Payload({"repository": {}}).text("repository.full_name")


def test_unmapped_keeps_shallow_fields_first_then_in_path_order() -> None:
    p = Payload({"z": 1, "a": {"b": {"c": 3}}, "m": {"n": 2}})
    kept = unmapped(p, 10_000)
    assert list(kept.fields) == ["z", "m.n", "a.b.c"]
    assert kept.omitted == 0


def test_api_links_are_left_out_but_the_pages_people_open_are_kept() -> None:
    p = Payload({"url": "u", "hooks_url": "h", "html_url": "p", "project": {"web_url": "w"}})
    assert unmapped(p, 10_000).fields == {"html_url": "p", "url": "u", "project.web_url": "w"}


def test_long_strings_are_cut_to_a_fixed_length_ending_in_an_ellipsis() -> None:
    kept = unmapped(Payload({"body": "x" * 5000}), 10_000).fields
    assert kept["body"] == "x" * (MAX_STRING - 1) + "…"


def test_fields_over_the_budget_are_counted_and_a_later_small_one_still_fits() -> None:
    p = Payload({"a": "x" * 100, "b": "y" * 300, "c": 1})
    budget = len(orjson.dumps("a")) + len(orjson.dumps("x" * 100)) + 2 + 10
    kept = unmapped(p, budget)
    assert kept.fields == {"a": "x" * 100, "c": 1}
    assert kept.omitted == 1
    assert kept.details() == {"unmapped": {"a": "x" * 100, "c": 1}, "unmapped_omitted": 1}


def test_the_same_payload_is_always_trimmed_alike() -> None:
    data = {f"k{i}": {"v": "w" * (i * 7 % 50)} for i in range(200)}
    first = unmapped(Payload(data), 2000)
    again = unmapped(Payload(dict(reversed(list(data.items())))), 2000)
    assert first == again
    assert len(orjson.dumps(first.fields)) <= 2000


def test_a_zero_budget_keeps_nothing_and_says_how_much_was_left_out() -> None:
    assert unmapped(Payload({"a": 1, "b": 2}), 0).details() == {"unmapped_omitted": 2}
