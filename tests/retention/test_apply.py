"""Retention on both engines: expiry by rule and age, legal holds, the seal kept, archives."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import zstandard

from sealtrail.clock import FixedClock
from sealtrail.errors import NotFound, VerificationError
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.note import Verifier
from sealtrail.retention import RetentionSettings, apply_retention, verify_archive
from sealtrail.sinks.export import plan_export, write_export
from sealtrail.sinks.forwarding import Forwarding
from sealtrail.sinks.verify import bundle_path, verify_export
from sealtrail.store.base import Query, WriteView
from tests.retention.conftest import actions_kept, event, settings
from tests.sinks.test_http_forwarding import (  # the receiver of the forwarding tests
    SECRET,
    Receiver,
    first_seen_in_order,
    settings_for,
)


def in_transaction(ledger: Ledger, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Run one statement on the store's write connection, whichever the engine."""

    def work(view: WriteView, _: int) -> list[dict[str, Any]]:
        view.execute(sql, params)
        return []

    ledger.append_in_transaction(work)


def mixed(ledger: Ledger) -> None:
    """Seqs 0-5 expire under RULES at NOW; 6-11 do not."""
    ledger.append_many(
        [
            event("http.request", 100),  # 0  expired (90d)
            event("auth.login", 400),  # 1  expired (1y)
            event("http.request", 91),  # 2  expired
            event("auth.logout", 366),  # 3  expired (auth.*)
            event("http.request", 95, actor="bob"),  # 4  expired
            event("auth.login_failed", 800),  # 5  expired
            event("http.request", 10),  # 6  kept: young
            event("auth.login", 200),  # 7  kept: young
            event("image.pull", 400),  # 8  kept: 7y
            event("vcs.push", 5000),  # 9  kept: no rule
            event("http.request", 89),  # 10 kept
            event("image.pull", 2000),  # 11 kept
        ]
    )


def test_records_past_their_rules_age_are_archived_and_the_rest_kept(
    ledger: Ledger, directory: Path
) -> None:
    mixed(ledger)
    report = apply_retention(ledger, settings(directory))
    assert (report.expired, report.held, report.archived) == (6, 0, 6)
    assert report.ranges == [(0, 6)]
    assert [seq for seq, _ in actions_kept(ledger)] == [6, 7, 8, 9, 10, 11, 12]
    assert actions_kept(ledger)[-1] == (12, "audit.retention")


def test_the_clock_decides_what_has_expired(
    ledger: Ledger, directory: Path, clock: FixedClock
) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    clock.advance(days=2)  # seq 10 (89 days old) passes 90 days
    report = apply_retention(ledger, settings(directory))
    assert report.ranges == [(10, 11)]
    clock.advance(days=170)  # seq 7 (auth.login, 200 days) passes a year; seq 6, 90 days
    assert apply_retention(ledger, settings(directory)).ranges == [(6, 8)]


def test_a_record_under_legal_hold_is_never_removed(
    ledger: Ledger, directory: Path, clock: FixedClock
) -> None:
    mixed(ledger)
    held = settings(directory, holds={"case-17": "actor:bob", "logins": "action:auth.login"})
    for _ in range(3):
        report = apply_retention(ledger, held)
        clock.advance(days=3000)
    kept = dict(actions_kept(ledger))
    assert [kept.get(seq) for seq in (0, 1, 3, 4, 7)] == [
        None, "auth.login", None, "http.request", "auth.login",
    ]  # fmt: skip
    assert report.held == 3
    for segment in (directory / "archive").glob("*.zst"):
        assert b'"id":"bob"' not in zstandard.ZstdDecompressor().decompressobj().decompress(
            segment.read_bytes()
        )


def test_verify_passes_after_retention_and_counts_the_archived(
    ledger: Ledger, directory: Path
) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    report = ledger.verify()
    assert (report.size, report.removed) == (13, 6)


def test_each_segment_verifies_offline(
    ledger: Ledger, directory: Path, verifiers: list[Verifier]
) -> None:
    scattered_and_a_run(ledger)
    run = apply_retention(ledger, small_segments(directory))
    kinds = {}
    for segment in run.segments:
        archive = verify_archive(directory / "archive" / segment.name, verifiers)
        assert (archive.count, archive.sha256) == (segment.count, segment.sha256)
        kinds[archive.kind] = archive.ranges
    assert kinds == {"records": ((0, 1), (2, 3), (4, 5)), "range": ((6, 16),)}
    assert ledger.verify().removed == 13


@pytest.mark.parametrize("kind", ["range", "records"])
def test_a_changed_archived_record_is_named(
    ledger: Ledger, directory: Path, verifiers: list[Verifier], kind: str
) -> None:
    scattered_and_a_run(ledger)
    apply_retention(ledger, small_segments(directory))
    path, seq = {
        "records": (archive_of(ledger, directory, 0), 2),
        "range": (archive_of(ledger, directory, 6), 9),
    }[kind]
    rewrite(path, lambda lines: change_record(lines, seq))
    with pytest.raises(VerificationError, match=f"record {seq}") as failure:
        verify_archive(path, verifiers)
    assert failure.value.index == seq


def test_a_dropped_archived_record_is_caught(
    ledger: Ledger, directory: Path, verifiers: list[Verifier]
) -> None:
    scattered_and_a_run(ledger)
    apply_retention(ledger, small_segments(directory))
    path = archive_of(ledger, directory, 6)
    rewrite(path, lambda lines: lines.pop(-3))
    with pytest.raises(VerificationError):
        verify_archive(path, verifiers)


def test_a_changed_tile_hash_of_a_removed_record_is_caught(ledger: Ledger, directory: Path) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    (data,) = ledger.store.read("SELECT data FROM tiles WHERE level = 0 AND n = 0")[0]
    changed = bytearray(data)
    changed[2 * 32] ^= 1  # record 2's hash: its body is gone, only the tile vouches for it
    in_transaction(ledger, "UPDATE tiles SET data = ? WHERE level = 0 AND n = 0", (bytes(changed),))
    with pytest.raises(VerificationError) as failure:
        ledger.verify()
    assert failure.value.reason == "record_changed"


def test_a_removal_no_retention_run_announced_is_caught(ledger: Ledger, directory: Path) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    (segment,) = ledger.store.read("SELECT name FROM retention_segments")[0]
    in_transaction(ledger, "DELETE FROM records WHERE seq = 9")
    in_transaction(ledger, "INSERT INTO retention_ranges VALUES (9, 10, ?)", (segment,))
    with pytest.raises(VerificationError) as failure:
        ledger.verify()
    assert (failure.value.reason, failure.value.index) == ("removal_unannounced", 0)


def test_a_removed_body_without_a_range_is_a_missing_record(
    ledger: Ledger, directory: Path
) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    in_transaction(ledger, "DELETE FROM records WHERE seq = 8")
    with pytest.raises(VerificationError) as failure:
        ledger.verify()
    assert (failure.value.reason, failure.value.index) == ("record_missing", 8)


def test_each_run_is_an_audit_retention_event(ledger: Ledger, directory: Path) -> None:
    mixed(ledger)
    report = apply_retention(ledger, settings(directory, holds={"bob": "actor:bob"}))
    announced = orjson.loads(ledger.entry(report.event_seq))  # type: ignore[arg-type]
    details = announced["details"]
    assert announced["action"] == "audit.retention"
    assert (details["expired"], details["held"], details["archived"]) == (6, 1, 5)
    assert details["ranges"] == [[0, 4], [5, 6]]
    assert [s["file"] for s in details["segments"]] == [s.name for s in report.segments]
    assert details["bytes_freed"] == details["bytes_before"] - details["bytes_after"]
    assert details["holds"] == ["bob"]
    again = apply_retention(ledger, settings(directory, holds={"bob": "actor:bob"}))
    assert (again.archived, again.event_seq) == (0, report.event_seq + 1)  # type: ignore[operator]


def test_a_dry_run_changes_nothing(ledger: Ledger, directory: Path) -> None:
    mixed(ledger)
    report = apply_retention(ledger, settings(directory), dry_run=True)
    assert (report.archived, report.event_seq, report.ranges) == (6, None, [(0, 6)])
    assert len(actions_kept(ledger)) == 12
    assert not list((directory / "archive").glob("*.zst"))


def test_archived_records_are_not_found_cleanly(
    ledger: Ledger, directory: Path, tmp_path: Path
) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    with pytest.raises(NotFound, match="archived by retention"):
        ledger.entry(3)
    with pytest.raises(NotFound):
        ledger.prove_inclusion(3)
    assert ledger.query(Query(actions=("auth.logout",))) == []
    assert ledger.store.count_by("action", Query())["http.request"] == 2
    export = tmp_path / "all.jsonl"
    plan = plan_export(ledger, "jsonl")
    with export.open("w") as out, bundle_path(export).open("w") as bundle:
        assert write_export(ledger, plan, out, bundle) == 7
    report = verify_export(export, list(ledger.keyring.verifiers))
    assert (report.kind, report.count) == ("records", 7)


# helpers


def small_segments(directory: Path) -> RetentionSettings:
    return dataclasses.replace(settings(directory), range_min=5)


def scattered_and_a_run(ledger: Ledger) -> None:
    """Expired: 0, 2, 4 (scattered) and 6-15 (a run); kept: 1, 3, 5, 16."""
    events = [event("http.request", 100 if i % 2 == 0 else 1) for i in range(6)]
    events += [event("http.request", 200 + i, actor=f"user{i}") for i in range(10)]
    ledger.append_many([*events, event("http.request", 1)])


def archive_of(ledger: Ledger, directory: Path, seq: int) -> Path:
    (name,) = ledger.store.read("SELECT segment FROM retention_ranges WHERE first_seq = ?", (seq,))[
        0
    ]
    return directory / "archive" / str(name)


def rewrite(path: Path, change: Callable[[list[bytes]], object]) -> None:
    lines = zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes()).split(b"\n")
    change(lines)
    path.write_bytes(zstandard.ZstdCompressor().compress(b"\n".join(lines)))


def change_record(lines: list[bytes], seq: int) -> None:
    for i, line in enumerate(lines):
        if line.startswith(b'{"action"') and f',"seq":{seq},'.encode() in line:
            lines[i] = line.replace(b"192.0.2.7", b"192.0.2.8")
            return
    raise AssertionError(f"record {seq} is not in the segment")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_every=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_forwarders_skip_archived_records(
    ledger: Ledger, directory: Path, receiver: Receiver
) -> None:
    mixed(ledger)
    apply_retention(ledger, settings(directory))
    hook = {"kind": "webhook", "url": receiver.url + "/hook", "secret": SECRET}
    Forwarding.from_settings(settings_for(hook=hook), ledger).drain()
    assert first_seen_in_order(receiver.webhook) == list(range(6, 13))


def test_scattered_records_across_whole_tiles_are_each_proved(
    ledger: Ledger, directory: Path, verifiers: list[Verifier]
) -> None:
    ledger.append_many([event("http.request", 100 if i % 3 else 1) for i in range(700)])
    run = apply_retention(ledger, settings(directory))
    (segment,) = run.segments
    report = verify_archive(directory / "archive" / segment.name, verifiers)
    assert (report.kind, report.count) == ("records", 466)
    assert ledger.verify().removed == 466
