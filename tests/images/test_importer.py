"""Importing the seed's download lines: plain, after a syslog header, or as journalctl JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from sealtrail.images.importer import parse
from sealtrail.importers import ImportedEvent, SkippedLine, import_events
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from tests.images.test_cli import run

DIGEST = "sha256:" + "abc123def456" * 5 + "abcd"
SUCCESS = (
    "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18.123456 | "
    "registry=registry-1.docker.io | repository=micsi/mercure-module | tag=v1.2.3 | "
    f"digest={DIGEST} | full_digest=micsi/mercure-module@{DIGEST} | duration=3.2s | "
    "status=SUCCESS"
)
FAILURE = (
    "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:35:42.987654 | "
    "registry=registry-1.docker.io | repository=micsi/mercure-module | tag=latest | "
    "digest=N/A | duration=30.5s | status=FAILURE | error=APIError | "
    "details=Connection timeout to registry-1.docker.io"
)
NOT_FOUND = (
    "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:38:01.456789 | "
    "registry=registry-1.docker.io | repository=local-dev-module | tag=latest | digest=N/A | "
    "duration=2.1s | status=NOT_FOUND | note=local_or_unpublished_image"
)


def events(items: list[ImportedEvent | SkippedLine]) -> list[dict[str, Any]]:
    return [dict(item.event) for item in items if isinstance(item, ImportedEvent)]


def test_the_seeds_three_lines_become_pull_events() -> None:
    success, failure, missing = events(list(parse([SUCCESS, FAILURE, NOT_FOUND])))
    assert success["outcome"] == "success"
    assert success["target"]["repository"] == "micsi/mercure-module"
    assert success["target"]["id"] == "docker.io/micsi/mercure-module"
    assert success["target"]["full_digest"] == f"micsi/mercure-module@{DIGEST}"
    assert success["time"] == "2025-01-20T14:32:18.123456Z"
    assert failure["outcome"] == "failure"
    assert failure["details"]["error"]["type"] == "APIError"
    assert failure["details"]["error"]["message"] == "Connection timeout to registry-1.docker.io"
    assert failure["details"]["duration_ms"] == 30500
    assert (missing["outcome"], missing["target"]["repository"]) == (
        "not_found",
        "local-dev-module",
    )


def test_syslog_headers_and_journal_json_give_the_source_and_the_same_key() -> None:
    plain = f"Jan 20 14:32:18 node7 mercure_processor[812]: {SUCCESS}"
    journal = orjson.dumps(
        {"MESSAGE": SUCCESS, "_HOSTNAME": "node7", "_SYSTEMD_UNIT": "mercure_processor.service"}
    ).decode()
    binary = orjson.dumps({"MESSAGE": list(SUCCESS.encode()), "_HOSTNAME": "node8"}).decode()
    first, second, third = (item for item in parse([plain, journal, binary]))
    assert isinstance(first, ImportedEvent)
    assert isinstance(second, ImportedEvent)
    assert isinstance(third, ImportedEvent)
    assert first.event["source"] == {"service": "mercure_processor", "host": "node7"}
    assert second.event["source"] == {"service": "mercure_processor.service", "host": "node7"}
    assert first.key == second.key == third.key


def test_other_lines_are_skipped_with_a_reason() -> None:
    items = list(
        parse(
            [
                "",
                "Jan 20 14:32:18 node7 sshd[1]: Accepted publickey",
                "{not json",
                '{"_HOSTNAME": "x"}',
                "CONTAINER IMAGE DOWNLOAD: timestamp=yesterday | registry=r | repository=a | "
                "status=SUCCESS",
                "CONTAINER IMAGE DOWNLOAD: timestamp=2025-01-20T14:32:18 | registry=r | "
                "repository=a | status=SUCCESS | evil=yes",
            ]
        )
    )
    assert [item.reason for item in items if isinstance(item, SkippedLine)] == [
        "blank line",
        "not a download line",
        "not JSON",
        "journal entry without a MESSAGE",
        "malformed download line: invalid timestamp in download line",
        "malformed download line: unknown field in download line",
    ]


def test_importing_the_same_lines_twice_adds_nothing(tmp_path: Path) -> None:
    with Ledger.create(tmp_path / "trail", origin="images.test/log") as ledger:
        first = import_events(ledger, parse([SUCCESS, FAILURE, NOT_FOUND, "noise"]))
        second = import_events(ledger, parse([SUCCESS, FAILURE, NOT_FOUND, "noise"]))
        assert (first.imported, first.duplicates) == (3, 0)
        assert (second.imported, second.duplicates) == (0, 3)
        assert second.skipped == {"not a download line": 1}
        assert len(ledger.query(Query(actions=("image.pull",)))) == 3


def test_the_cli_imports_journalctl_json_from_standard_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run("init", "--dir", str(data))
    journal = "\n".join(
        orjson.dumps({"MESSAGE": line, "_HOSTNAME": "node7"}).decode()
        for line in (SUCCESS, FAILURE, NOT_FOUND, "something else")
    )
    command = ["import", "--format", "image-download-lines", "-", "--dir", str(data), "--json"]
    for imported, duplicates in ((3, 0), (0, 3)):
        result = run(*command, stdin=journal)
        assert result.returncode == 0, result.stderr
        summary = orjson.loads(result.stdout)
        assert (summary["imported"], summary["duplicates"]) == (imported, duplicates)
        assert summary["skipped"] == {"not a download line": 1}
