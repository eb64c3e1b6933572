"""Export then verify-export, offline, in every format and layout; tampering is caught."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from sealtrail.errors import Conflict, ValidationError, VerificationError
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.note import Verifier
from sealtrail.sinks.export import plan_export, write_daily, write_export
from sealtrail.sinks.formats import FORMATS
from sealtrail.sinks.verify import bundle_path, verify_export
from sealtrail.store.base import Query

FORMAT_NAMES = list(FORMATS)


def export_to(ledger: Ledger, path: Path, fmt: str, **options: object) -> int:
    plan = plan_export(ledger, fmt, **options)  # type: ignore[arg-type]
    with path.open("w", newline="") as out, bundle_path(path).open("w") as bundle:
        return write_export(ledger, plan, out, bundle)


def verify(path: Path, key: str) -> object:
    return verify_export(path, [Verifier.from_text(key)])


def data_lines(path: Path, fmt: str) -> tuple[list[bytes], list[bytes]]:
    lines = path.read_bytes().split(b"\n")[:-1]
    cut = 1 if FORMATS[fmt].header else 0
    return lines[:cut], lines[cut:]


def rewrite(path: Path, head: list[bytes], rows: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in [*head, *rows]))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_whole_log_export_verifies_as_a_range(
    ledger: Ledger, verifier_key: str, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"all.{fmt}"
    assert export_to(ledger, path, fmt) == 40
    report = verify(path, verifier_key)
    assert (report.kind, report.count, report.start, report.end) == ("range", 40, 0, 40)  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_filtered_export_verifies_record_by_record(
    ledger: Ledger, verifier_key: str, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"pulls.{fmt}"
    filters = Query(actions=("image.pull",), outcome="success")
    count = export_to(ledger, path, fmt, filters=filters)
    assert count == sum(1 for i in range(40) if i % 2 == 1 and i % 5)
    report = verify(path, verifier_key)
    assert (report.kind, report.count) == ("records", count)  # type: ignore[attr-defined]


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("filtered", [False, True])
@pytest.mark.parametrize("tamper", ["changed", "dropped", "reordered"])
def test_tampered_export_is_caught(
    ledger: Ledger, verifier_key: str, tmp_path: Path, fmt: str, filtered: bool, tamper: str
) -> None:
    path = tmp_path / f"x.{fmt}"
    filters = Query(actions=("image.pull",)) if filtered else Query()
    export_to(ledger, path, fmt, filters=filters)
    head, rows = data_lines(path, fmt)
    if tamper == "changed":
        rows[3] = rows[3].replace(b"user", b"usex", 1)
    elif tamper == "dropped":
        del rows[4]
    else:
        rows[2], rows[5] = rows[5], rows[2]
    rewrite(path, head, rows)
    with pytest.raises(VerificationError):
        verify(path, verifier_key)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_a_changed_display_field_is_caught_though_the_record_is_intact(
    ledger: Ledger, verifier_key: str, tmp_path: Path, fmt: str
) -> None:
    path = tmp_path / f"x.{fmt}"
    export_to(ledger, path, fmt)
    head, rows = data_lines(path, fmt)
    old, new = {
        "jsonl": (b'"n":0', b'"n":1'),  # a jsonl line is the record itself
        "csv": (b",auth.login,", b",auth.logout,"),
        "cef": (b"act=auth.login", b"act=auth.logout"),
        "ecs": (b'"action":"auth.login"', b'"action":"auth.logout"'),
        "splunk-hec": (b'"host":"ci-host"', b'"host":"elsewhere"'),
    }[fmt]
    assert old in rows[0]
    rows[0] = rows[0].replace(old, new, 1)
    rewrite(path, head, rows)
    with pytest.raises(VerificationError) as caught:
        verify(path, verifier_key)
    assert caught.value.reason == "record_changed"


def test_range_export_names_the_first_missing_record(
    ledger: Ledger, verifier_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "range.jsonl"
    assert export_to(ledger, path, "jsonl", start=10, end=30) == 20
    assert verify(path, verifier_key).count == 20  # type: ignore[attr-defined]
    head, rows = data_lines(path, "jsonl")
    rewrite(path, head, rows[:7] + rows[8:])
    with pytest.raises(VerificationError) as caught:
        verify(path, verifier_key)
    assert (caught.value.reason, caught.value.index) == ("record_missing", 17)


def test_truncated_range_export_is_caught(
    ledger: Ledger, verifier_key: str, tmp_path: Path
) -> None:
    path = tmp_path / "range.jsonl"
    export_to(ledger, path, "jsonl")
    head, rows = data_lines(path, "jsonl")
    rewrite(path, head, rows[:-1])
    with pytest.raises(VerificationError, match="records"):
        verify(path, verifier_key)


def test_another_logs_key_refuses_the_bundle(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "all.jsonl"
    export_to(ledger, path, "jsonl")
    with Ledger.create(tmp_path / "other", origin="other.example/log") as other:
        foreign = other.keyring.signer.verifier().to_text()
    with pytest.raises(VerificationError) as caught:
        verify(path, foreign)
    assert caught.value.reason == "signature_invalid"


def test_daily_files_split_by_day_and_verify_together(
    ledger: Ledger, verifier_key: str, tmp_path: Path
) -> None:
    days = tmp_path / "days"
    plan = plan_export(ledger, "jsonl")
    assert write_daily(ledger, plan, days) == 40
    names = sorted(p.name for p in days.iterdir())
    assert names == ["2026-01-01.jsonl", "2026-01-02.jsonl", "2026-01-03.jsonl", "export.bundle"]
    for path in days.glob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            assert orjson.loads(line)["time"].startswith(path.stem)
    assert verify(days, verifier_key).count == 40  # type: ignore[attr-defined]
    moved = days / "2026-01-02.jsonl"
    _first, *rest = moved.read_bytes().split(b"\n")
    moved.write_bytes(b"\n".join(rest))
    with pytest.raises(VerificationError):
        verify(days, verifier_key)


def test_daily_export_refuses_a_used_directory_and_other_formats(
    ledger: Ledger, tmp_path: Path
) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.jsonl").write_text("")
    with pytest.raises(Conflict):
        write_daily(ledger, plan_export(ledger, "jsonl"), tmp_path / "used")
    with pytest.raises(ValidationError, match="JSON Lines"):
        write_daily(ledger, plan_export(ledger, "csv"), tmp_path / "new")


@pytest.mark.parametrize(("start", "end"), [(5, 5), (30, 41), (-1, 3)])
def test_bad_seq_ranges_are_named(ledger: Ledger, start: int, end: int) -> None:
    with pytest.raises(ValidationError, match="seq range"):
        plan_export(ledger, "jsonl", start=start, end=end)


def test_unknown_format_names_the_choices(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="jsonl, csv, cef, ecs, splunk-hec"):
        plan_export(ledger, "xml")
