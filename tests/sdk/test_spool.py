"""The handler's on-disk spool on its own: order, resumption, the cap, torn writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sealtrail.errors import Conflict, ValidationError
from sealtrail.loghandler import Spool


def lines(start: int, stop: int, pad: int = 0) -> list[bytes]:
    return [b'{"n":%d,"pad":"%s"}' % (i, b"x" * pad) for i in range(start, stop)]


@pytest.fixture
def warnings() -> list[str]:
    return []


@pytest.fixture
def spool(tmp_path: Path, warnings: list[str]) -> Iterator[Spool]:
    opened = Spool(tmp_path / "spool", 8192, warnings.append)
    yield opened
    opened.close()


def drain(spool: Spool, count: int = 7) -> list[bytes]:
    out = []
    while batch := spool.peek(count):
        out += batch
        spool.advance(batch)
    return out


def test_lines_come_back_in_the_order_written(spool: Spool) -> None:
    spool.write(lines(0, 5))
    spool.write(lines(5, 40))
    assert drain(spool) == lines(0, 40)
    assert spool.empty()
    assert not list(spool.directory.glob("segment-*"))


def test_a_reopened_spool_resumes_after_what_was_delivered(
    tmp_path: Path, spool: Spool, warnings: list[str]
) -> None:
    spool.write(lines(0, 30))
    spool.advance(spool.peek(4))
    spool.close()
    reopened = Spool(tmp_path / "spool", 8192, warnings.append)
    try:
        reopened.write(lines(30, 35))
        assert drain(reopened) == lines(4, 35)
    finally:
        reopened.close()


def test_the_cap_drops_whole_oldest_segments_and_counts_their_events(spool: Spool) -> None:
    dropped = sum(spool.write(lines(i, i + 1, pad=100)) for i in range(200))
    assert spool.held_bytes() <= 8192
    remaining = drain(spool)
    assert dropped + len(remaining) == 200
    assert remaining == lines(200 - len(remaining), 200, pad=100)


def test_a_torn_last_line_of_an_old_segment_is_skipped_and_reported(
    tmp_path: Path, spool: Spool, warnings: list[str]
) -> None:
    spool.write(lines(0, 3))
    spool.close()
    (segment,) = (tmp_path / "spool").glob("segment-*.jsonl")
    with segment.open("ab") as handle:
        handle.write(b'{"n":3,"pa')  # the process died in the middle of a write
    reopened = Spool(tmp_path / "spool", 8192, warnings.append)
    try:
        assert drain(reopened) == lines(0, 3)
    finally:
        reopened.close()
    assert any("never completed" in w for w in warnings)


def test_a_spool_has_one_user_and_a_sane_cap(tmp_path: Path, spool: Spool) -> None:
    with pytest.raises(Conflict):
        Spool(tmp_path / "spool", 8192, print)
    with pytest.raises(ValidationError, match="spool_bytes"):
        Spool(tmp_path / "other", 100, print)
