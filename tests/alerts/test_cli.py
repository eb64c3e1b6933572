"""``sealtrail alerts list|test|status`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson

from sealtrail.ledger.log import Ledger
from tests.alerts.conftest import event, login_failed
from tests.conftest import SEALTRAIL


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SEALTRAIL, "alerts", *args], capture_output=True, text=True,
                          env=os.environ | env)  # fmt: skip


def test_list_shows_built_in_and_configured_rules(tmp_path: Path) -> None:
    (tmp_path / "sealtrail.toml").write_text(
        '[alerts]\nregistries = ["registry.example.com"]\n'
        '[alerts.rules.deletes]\nkind = "match"\nactions = ["image.delete"]\n'
    )
    done = run("list", "--dir", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    rules = {row["id"]: row for row in map(orjson.loads, done.stdout.splitlines())}
    assert rules["pulls-outside-allow-list"]["enabled"]
    assert rules["deletes"]["fires_on"] == "each image.delete"
    assert "verify-failed" in run("list", "--dir", str(tmp_path)).stdout


def test_test_runs_the_rules_over_a_file_offline(tmp_path: Path) -> None:
    stream = [login_failed(t) for t in (0, 100, 200, 299.999999)] + [
        event("audit.verify", 400, actor="cli"),
    ]
    path = tmp_path / "stream.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in stream))
    env = {"SEALTRAIL_ALERTS__RULES__FAILED_LOGINS_PER_ACTOR__THRESHOLD": "4"}
    done = run("test", str(path), "--dir", str(tmp_path), "--json", **env)
    assert done.returncode == 0, done.stderr
    alerts = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(a["target"]["id"], a["details"]["seqs"]) for a in alerts] == [
        ("failed-logins-per-actor", [0, 1, 2, 3]),
        ("verify-failed", [4]),
    ]
    said = run("test", str(path), "--dir", str(tmp_path), **env).stdout
    assert "2 alert(s)" in said


def test_a_bad_line_is_one_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"action": "auth.login"}\n')
    done = run("test", str(path), "--dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"error: {path}:1: ")
    assert "Traceback" not in done.stderr


def test_status_reports_the_stored_position(tmp_path: Path) -> None:
    Ledger.create(tmp_path / "d", origin="cli.test/log").close()
    done = run("status", "--dir", str(tmp_path / "d"), "--json")
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout) == {
        "evaluated": None, "lag": 0, "open_windows": {}, "webhook_delivered": None,
    }  # fmt: skip
