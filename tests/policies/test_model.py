"""Names, RE2 tag patterns (full match), and the policy's JSON round trip."""

from __future__ import annotations

import pytest

from sealtrail.errors import ValidationError
from sealtrail.policies.model import (
    MAX_PATTERN,
    ImmutabilityPolicy,
    Scope,
    TagRef,
    check_repository,
    compile_pattern,
    namespace_of,
    pattern_decides,
)


@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        ("v.*", "v1.0", True),
        ("v.*", "xv1", False),  # the whole tag must match
        ("^v.*$", "v1.0", True),
        ("latest", "latest-rc", False),
        ("v[0-9]+", "v12", True),
    ],
)
def test_patterns_match_the_whole_tag(pattern: str, tag: str, matches: bool) -> None:
    assert pattern_decides(pattern, True, tag) is matches
    assert pattern_decides(pattern, False, tag) is not matches


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("(v", "invalid RE2 pattern '\\(v': missing \\)"),
        ("(a)\\1", "invalid RE2 pattern"),  # backreferences are not RE2
        ("x" * (MAX_PATTERN + 1), f"257 characters, over the limit of {MAX_PATTERN}"),
        ("", "must not be empty"),
        ("a{1000}{1000}", "invalid RE2 pattern"),
    ],
)
def test_bad_patterns_are_rejected_with_the_reason(pattern: str, error: str) -> None:
    with pytest.raises(ValidationError, match=f"tag_pattern: {error}"):
        compile_pattern(pattern)


def test_a_catastrophic_backtracking_pattern_is_linear_in_re2() -> None:
    assert not pattern_decides("(a+)+b", True, "a" * 5_000)


@pytest.mark.parametrize("name", ["org/team/app", "a", "my-org/app.v2", "a__b/c"])
def test_repository_paths(name: str) -> None:
    assert check_repository(name) == name
    assert namespace_of(name) == name.split("/")[0]


@pytest.mark.parametrize("name", ["Org/app", "/app", "org//app", "org/app/", "a" * 256, ""])
def test_bad_repository_paths_are_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="repository"):
        check_repository(name)


def test_tag_refs_round_trip() -> None:
    ref = TagRef.from_text("org/team/app:v1.0")
    assert (ref.repository, ref.tag) == ("org/team/app", "v1.0")
    assert TagRef.from_text(ref.to_text()) == ref
    for bad in ("org/app", "org/app:", "org/app:-x", "Org/app:v1"):
        with pytest.raises(ValidationError):
            TagRef.from_text(bad)


def test_policies_round_trip_through_json() -> None:
    policy = ImmutabilityPolicy(
        "u1", Scope.REPOSITORY, "org", "org/app", "v.*", False, 3, "alice", "t0", "t1"
    )
    assert ImmutabilityPolicy.from_json(policy.to_json()) == policy
    assert policy.makes_immutable("latest")
    assert not policy.makes_immutable("v1")
