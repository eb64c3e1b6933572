"""``sealtrail gateway``: help with an example, one-line errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import SEALTRAIL


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SEALTRAIL, *args], capture_output=True, text=True, timeout=60)


def test_help_shows_an_example() -> None:
    shown = run("gateway", "--help")
    assert shown.returncode == 0
    assert "Example: sealtrail gateway --upstream" in shown.stdout


def test_no_upstream_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    failed = run("gateway", "--dir", str(tmp_path))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: gateway: no upstream (give --upstream or gateway.upstream)"
    ]


def test_a_bad_upstream_or_a_missing_ledger_is_one_line(tmp_path: Path) -> None:
    bad = run("gateway", "--dir", str(tmp_path), "--upstream", "registry:5000")
    assert bad.returncode == 1
    assert "gateway.upstream: must be an http(s) URL" in bad.stderr
    missing = run("gateway", "--dir", str(tmp_path), "--upstream", "http://127.0.0.1:5000")
    assert missing.returncode == 1
    assert "sealtrail init" in missing.stderr
    assert "Traceback" not in missing.stderr
