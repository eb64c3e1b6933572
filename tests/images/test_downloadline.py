"""The seed's download line: its three forms exactly, escaping, reading back, and the events."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealtrail.errors import ValidationError
from sealtrail.events import validate_event
from sealtrail.images.downloadline import DownloadLine
from sealtrail.images.record import PullRecord, line_event
from sealtrail.images.reference import ImageReference

DIGEST = "sha256:" + "abc123def456" * 5 + "abcd"
WHEN = datetime(2025, 1, 20, 14, 32, 18, 123456, tzinfo=UTC)


def record(text: str, outcome: str, duration: float = 3.2, **fields: Any) -> PullRecord:
    return PullRecord(ImageReference.parse(text), WHEN, duration, outcome, **fields)


def test_a_success_line_is_the_seeds_form() -> None:
    line = record("micsi/mercure-module:v1.2.3", "success", digest=DIGEST).to_line()
    assert line.to_text() == (
        "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18.123456 | "
        "registry=registry-1.docker.io | repository=micsi/mercure-module | tag=v1.2.3 | "
        f"digest={DIGEST} | full_digest=micsi/mercure-module@{DIGEST} | duration=3.2s | "
        "status=SUCCESS"
    )


def test_a_failure_line_is_the_seeds_form() -> None:
    line = record(
        "micsi/mercure-module",
        "failure",
        duration=30.5,
        error_type="APIError",
        error_kind="timeout",
        error_message="Connection timeout to registry-1.docker.io",
    ).to_line()
    assert line.to_text() == (
        "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18.123456 | "
        "registry=registry-1.docker.io | repository=micsi/mercure-module | tag=latest | "
        "digest=N/A | duration=30.5s | status=FAILURE | error=APIError | "
        "details=Connection timeout to registry-1.docker.io"
    )


def test_a_not_found_line_is_the_seeds_form() -> None:
    line = record("local-dev-module", "not_found", duration=2.1).to_line()
    assert line.to_text() == (
        "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18.123456 | "
        "registry=registry-1.docker.io | repository=local-dev-module | tag=latest | "
        "digest=N/A | duration=2.1s | status=NOT_FOUND | note=local_or_unpublished_image"
    )


def test_a_digest_pull_has_no_tag_and_a_cache_hit_says_so() -> None:
    text = record(f"myimage@{DIGEST}", "success", digest=DIGEST, cache="hit").to_line().to_text()
    assert " | tag=N/A | " in text
    assert text.endswith(" | status=SUCCESS | cache=hit")


def test_values_cannot_split_the_line_or_forge_a_field() -> None:
    forged = "boom\nCONTAINER IMAGE DOWNLOAD: x | status=SUCCESS | 100%"
    line = record(
        "app", "failure", error_type="Err|or", error_kind="x", error_message=forged
    ).to_line()
    text = line.to_text()
    assert "\n" not in text
    assert re.findall(r"status=(\w+)", text) == ["FAILURE"]  # grep finds no second status
    assert text.count("|") == 8  # the separators of the nine fields, nothing else
    assert "details=boom%0ACONTAINER IMAGE DOWNLOAD: x %7C status%3DSUCCESS %7C 100%25" in text
    assert DownloadLine.from_text(text) == line


def test_the_seeds_own_parser_reads_our_lines() -> None:
    text = record("ghcr.io/org/image:v1.0", "success", digest=DIGEST).to_line().to_text()
    fields = {key.strip(): value.strip() for key, value in re.findall(r"(\w+)=([^|]+)", text)}
    assert fields["registry"] == "ghcr.io"
    assert fields["repository"] == "org/image"
    assert fields["digest"] == DIGEST
    assert fields["status"] == "SUCCESS"


def test_a_line_reads_back_after_a_syslog_header() -> None:
    line = record("alpine:3.18", "success", digest=DIGEST).to_line()
    journal = f"Jan 20 14:32:18 host mercure[42]: {line.to_text()}"
    assert DownloadLine.from_text(journal) == line


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("hello", "not a download line"),
        ("CONTAINER IMAGE DOWNLOAD: registry=x | status=SUCCESS", "without timestamp"),
        ("CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18 | registry=r | "
         "repository=a | status=DONE", "status must be"),
        ("CONTAINER IMAGE DOWNLOAD: timestamp=yesterday | registry=r | repository=a | "
         "status=SUCCESS", "invalid timestamp"),
        ("CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18 | registry=r | "
         "repository=a | duration=fast | status=SUCCESS", "invalid duration"),
        ("CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18 | registry=r | "
         "repository=a | status=SUCCESS | evil=1", "unknown field"),
        ("CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18 | status=SUCCESS | "
         "registry=r | repository=a", "out of order"),
    ],
)  # fmt: skip
def test_a_malformed_line_is_refused_saying_why(text: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        DownloadLine.from_text(text)


@given(
    st.text(max_size=60),
    st.sampled_from(["SUCCESS", "FAILURE", "NOT_FOUND"]),
    st.one_of(st.none(), st.text(min_size=1, max_size=60).filter(lambda t: t.strip() == t)),
)
def test_any_line_reads_back_as_itself(details: str, status: str, error: str | None) -> None:
    line = DownloadLine(
        WHEN, "127.0.0.1:5000", "team/app", "v1", None, 1.5, status, None, error, details or None
    )
    assert DownloadLine.from_text(line.to_text()) == line


def test_events_of_each_outcome_are_valid_and_carry_both_names() -> None:
    for outcome in ("success", "failure", "not_found"):
        event = record(
            "alpine:3.18",
            outcome,
            digest=DIGEST if outcome == "success" else None,
            error_type="RegistryUnreachable" if outcome == "failure" else None,
            error_kind="unreachable" if outcome == "failure" else None,
            error_message="refused" if outcome == "failure" else None,
            source={"service": "processor", "host": "node1"},
        ).to_event()
        validate_event(event)
        assert event["target"]["repository"] == "alpine"
        assert event["target"]["id"] == "docker.io/library/alpine"
        assert event["target"]["registry"] == "registry-1.docker.io"
        assert event["actor"] == {"id": "processor", "type": "service"}


def test_a_line_becomes_the_event_the_pull_would_have_recorded() -> None:
    pulled = record("ghcr.io/org/image:v1.0", "success", digest=DIGEST)
    event = line_event(pulled.to_line())
    assert event["target"] == pulled.to_event()["target"]
    assert event["time"] == "2025-01-20T14:32:18.123456Z"
    assert event["details"]["duration_ms"] == 3200
