"""The CLI contract other tools depend on, run as a user runs it: the installed command."""

from __future__ import annotations

import base64
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import orjson
import pytest

from sealtrail.ledger.note import Verifier, open_checkpoint
from sealtrail.ledger.proofs import ConsistencyProof, InclusionProof
from tests.ledger.conftest import pull_event

SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
ORIGIN = "cli.test.example/log"
ENGINE: dict[str, str] = {}  # the environment of the engine this test runs on


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every CLI test runs once per engine: PostgreSQL through SEALTRAIL_DATABASE_URL."""
    ENGINE.clear()
    if request.param == "postgresql":
        ENGINE["SEALTRAIL_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    yield str(request.param)
    ENGINE.clear()


def run(
    *args: str, cwd: Path, stdin: bytes = b"", ok: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SEALTRAIL_DIR"} | ENGINE
    result = subprocess.run(
        [SEALTRAIL, *args],
        cwd=cwd,
        input=stdin.decode(),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def change_record(workdir: Path, seq: int, old: str, new: str) -> None:
    """Edit a stored record behind sealtrail's back, in whichever engine holds it."""
    url = ENGINE.get("SEALTRAIL_DATABASE_URL")
    if url is None:
        with closing(sqlite3.connect(workdir / "sealtrail-data" / "ledger.db")) as conn, conn:
            sql = "UPDATE records SET leaf = replace(leaf, ?, ?) WHERE seq = ?"
            conn.execute(sql, (old, new, seq))
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "UPDATE records SET leaf = convert_to(replace(convert_from(leaf, 'UTF8'), %s, %s),"
            " 'UTF8') WHERE seq = %s",
            [old, new, seq],
        )


def jsonl(events: list[dict[str, object]]) -> bytes:
    return b"".join(orjson.dumps(e) + b"\n" for e in events)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    run("init", "--origin", ORIGIN, cwd=tmp_path)
    return tmp_path


def test_init_prints_the_verifier_key_and_refuses_to_overwrite(tmp_path: Path) -> None:
    key = run("init", "--origin", ORIGIN, cwd=tmp_path).stdout.strip()
    assert Verifier.from_text(key).name == ORIGIN
    assert (tmp_path / "sealtrail-data" / "signing.key").exists()
    again = run("init", cwd=tmp_path, ok=False)
    assert again.returncode == 1
    assert again.stderr.startswith("error: ")
    assert "exists already" in again.stderr
    assert "Traceback" not in again.stderr
    assert run("verifier-key", cwd=tmp_path).stdout.strip() == key


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # two ledgers: two SQLite files
def test_dir_option_and_environment_choose_the_data_directory(tmp_path: Path) -> None:
    run("init", "--dir", str(tmp_path / "a"), cwd=tmp_path)
    env = {**os.environ, "SEALTRAIL_DIR": str(tmp_path / "b")}
    subprocess.run([SEALTRAIL, "init"], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert (tmp_path / "a" / "ledger.db").exists()
    assert (tmp_path / "b" / "ledger.db").exists()


def test_append_reports_counts_and_positions(workdir: Path) -> None:
    first = run("append", "-", cwd=workdir, stdin=jsonl([pull_event(i) for i in range(3)]))
    assert orjson.loads(first.stdout) == {"appended": 3, "first_seq": 0, "size": 3}
    (workdir / "more.jsonl").write_bytes(jsonl([pull_event(9)]) + b"\n")
    second = run("append", "more.jsonl", cwd=workdir)
    assert orjson.loads(second.stdout) == {"appended": 1, "first_seq": 3, "size": 4}


def test_an_invalid_line_rejects_the_whole_input(workdir: Path) -> None:
    bad = pull_event(2)
    bad["outcome"] = "maybe"
    result = run("append", cwd=workdir, stdin=jsonl([pull_event(1), bad]), ok=False)
    assert result.returncode == 1
    assert "line 2" in result.stderr
    assert "outcome" in result.stderr
    broken = run("append", cwd=workdir, stdin=jsonl([pull_event(1)]) + b"{nope\n", ok=False)
    assert "line 2: invalid JSON" in broken.stderr
    stats = orjson.loads(run("stats", "--json", cwd=workdir).stdout)
    assert stats["size"] == 0


def test_checkpoint_prints_a_signed_note_that_opens_with_the_verifier_key(workdir: Path) -> None:
    run("append", cwd=workdir, stdin=jsonl([pull_event(i) for i in range(10)]))
    note = run("checkpoint", cwd=workdir).stdout
    key = Verifier.from_text(run("verifier-key", cwd=workdir).stdout.strip())
    checkpoint = open_checkpoint(note, [key], origin=ORIGIN)
    assert checkpoint.size == 10
    assert run("checkpoint", cwd=workdir).stdout == note


def test_proofs_are_json_that_checks(workdir: Path) -> None:
    run("append", cwd=workdir, stdin=jsonl([pull_event(i) for i in range(37)]))
    inclusion = orjson.loads(run("prove", "inclusion", "5", cwd=workdir).stdout)
    assert set(inclusion) == {"index", "size", "root", "entry", "leaf_hash", "proof"}
    assert orjson.loads(base64.b64decode(inclusion["entry"]))["seq"] == 5
    InclusionProof.from_json(inclusion).check()
    at_size = orjson.loads(run("prove", "inclusion", "5", "--size", "20", cwd=workdir).stdout)
    assert at_size["size"] == 20
    InclusionProof.from_json(at_size).check()
    consistency = orjson.loads(run("prove", "consistency", "11", cwd=workdir).stdout)
    assert set(consistency) == {"old_size", "size", "old_root", "root", "proof"}
    ConsistencyProof.from_json(consistency).check()


def test_verify_exits_1_and_names_the_index_when_tampered(workdir: Path) -> None:
    run("append", cwd=workdir, stdin=jsonl([pull_event(i) for i in range(30)]))
    assert "ok: 30 records" in run("verify", cwd=workdir).stdout
    change_record(workdir, 17, "node-3", "node-9")
    result = run("verify", cwd=workdir, ok=False)
    assert result.returncode == 1
    assert "index 17" in result.stderr
    assert "record_changed" in result.stderr


def test_query_filters_and_prints_json_lines(workdir: Path) -> None:
    events = [
        pull_event(
            i, actor="alice" if i % 2 else "bob", outcome="failure" if i % 3 == 0 else "success"
        )
        for i in range(12)
    ]
    run("append", cwd=workdir, stdin=jsonl(events))
    lines = run("query", "--actor", "alice", "--outcome", "failure", "--json", cwd=workdir).stdout
    found = [orjson.loads(line) for line in lines.splitlines()]
    assert [e["seq"] for e in found] == [9, 3]
    assert all(e["actor"]["id"] == "alice" and e["outcome"] == "failure" for e in found)
    limited = run("query", "--limit", "2", "--json", "--since", "2026-11-20T09:00:05Z", cwd=workdir)
    assert [orjson.loads(x)["seq"] for x in limited.stdout.splitlines()] == [11, 10]
    table = run("query", "--action", "image.pull", "--limit", "1", cwd=workdir).stdout
    assert "image.pull" in table
    bad = run("query", "--since", "yesterday", cwd=workdir, ok=False)
    assert bad.returncode == 1
    assert "--since" in bad.stderr


def test_stats_counts_by_action_and_outcome(workdir: Path) -> None:
    run("append", cwd=workdir, stdin=jsonl([pull_event(i, outcome="not_found") for i in range(4)]))
    run("checkpoint", cwd=workdir)
    stats = orjson.loads(run("stats", "--json", cwd=workdir).stdout)
    assert stats["size"] == 4
    assert stats["by_action"] == {"image.pull": 4}
    assert stats["by_outcome"] == {"not_found": 4}
    assert stats["latest_checkpoint"]["size"] == 4
    for path in (workdir / "sealtrail-data").glob("ledger.index.db*"):
        path.unlink()  # SQLite's query index is lost: query and stats rebuild it first
    assert orjson.loads(run("stats", "--json", cwd=workdir).stdout) == stats
    assert len(run("query", "--json", cwd=workdir).stdout.splitlines()) == 4


def test_commands_without_a_ledger_fail_in_one_line(tmp_path: Path) -> None:
    result = run("verify", cwd=tmp_path, ok=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "sealtrail init" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["init"],
        ["append"],
        ["verifier-key"],
        ["checkpoint"],
        ["prove", "inclusion"],
        ["prove", "consistency"],
        ["verify"],
        ["query"],
        ["stats"],
    ],
)
def test_every_command_documents_itself_with_an_example(command: list[str], tmp_path: Path) -> None:
    help_text = run(*command, "--help", cwd=tmp_path).stdout
    assert "Example: sealtrail " + command[0] in help_text


def test_query_accepts_the_qualifier_syntax(workdir: Path) -> None:
    events = [
        pull_event(
            i, actor="alice" if i % 2 else "bob", outcome="failure" if i % 3 == 0 else "success"
        )
        for i in range(12)
    ]
    run("append", cwd=workdir, stdin=jsonl(events))
    lines = run("query", "actor:alice -outcome:success v9", "--json", cwd=workdir).stdout
    assert [orjson.loads(line)["seq"] for line in lines.splitlines()] == [9]
    bad = run("query", "colour:blue", cwd=workdir, ok=False)
    assert bad.returncode == 1
    assert "colour" in bad.stderr


def test_verify_is_itself_recorded_as_audit_verify(workdir: Path) -> None:
    run("append", cwd=workdir, stdin=jsonl([pull_event(i) for i in range(5)]))
    run("verify", cwd=workdir)
    found = run("query", "--action", "audit.verify", "--json", cwd=workdir).stdout.splitlines()
    assert [orjson.loads(line)["outcome"] for line in found] == ["success"]
    change_record(workdir, 2, "node-3", "node-9")
    assert run("verify", cwd=workdir, ok=False).returncode == 1
    found = run("query", "--action", "audit.verify", "--json", cwd=workdir).stdout.splitlines()
    failure = orjson.loads(found[0])
    assert failure["outcome"] == "failure"
    assert failure["details"] == {
        "size": 6,
        "reason": "record_changed",
        "index": 2,
        "seconds": failure["details"]["seconds"],
    }


def test_import_adds_each_line_once_and_says_what_it_skipped(tmp_path: Path) -> None:
    run("init", "--dir", "data", "--origin", ORIGIN, cwd=tmp_path)
    lines = [orjson.dumps(pull_event(i)).decode() for i in range(3)]
    lines[1:1] = ["", "not json", "[1, 2]", orjson.dumps({"action": "Bad"}).decode()]
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(lines) + "\n")
    first = run("import", str(source), "--format", "jsonl", "--dir", "data", "--json", cwd=tmp_path)
    summary = orjson.loads(first.stdout)
    assert summary["imported"] == 3
    assert summary["duplicates"] == 0
    assert summary["skipped"]["blank line"] == 1
    assert summary["skipped"]["not JSON"] == 1
    assert summary["skipped"]["not a JSON object"] == 1
    assert [reason for reason in summary["skipped"] if reason.startswith("invalid event")]
    again = run(
        "import",
        "-",
        "--format",
        "jsonl",
        "--dir",
        "data",
        "--json",
        cwd=tmp_path,
        stdin=source.read_bytes(),
    )
    assert orjson.loads(again.stdout) | {"skipped": {}} == {
        "lines": 7,
        "imported": 0,
        "duplicates": 3,
        "skipped": {},
    }
    run("verify", "--dir", "data", cwd=tmp_path)


def test_import_names_the_known_formats_when_given_an_unknown_one(tmp_path: Path) -> None:
    run("init", "--dir", "data", "--origin", ORIGIN, cwd=tmp_path)
    result = run("import", "-", "--format", "nope", "--dir", "data", cwd=tmp_path, ok=False)
    assert result.returncode == 1
    assert "unknown import format 'nope'; known: " in result.stderr
    assert "image-download-lines" in result.stderr
    assert "jsonl" in result.stderr
    assert "github-audit-log" in result.stderr
