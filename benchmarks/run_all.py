"""Run every ``benchmarks/bench_*.py`` in turn (what ``make bench`` runs) and print a summary.

Each script runs as its own process with the flags given here passed through (``--quick``); its
output is shown as it comes, and its ``RESULT`` line (see ``common.py``) becomes a row of the
closing Markdown table, ready to paste into the README. A script that fails or prints no ``RESULT``
line gets a row saying so; a failure makes the exit status 1 (a missed target does not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from common import BENCH_DIR, BUILD_KEY_VARIABLE, arguments, figure, fingerprint, verdict

ROOT = BENCH_DIR.parent
KEY = fingerprint()  # one build of the large stores per run, see common.fingerprint


def run(script: str, flags: list[str]) -> dict[str, Any]:
    """Run one benchmark, echoing its output; its ``RESULT`` or a row saying what went wrong."""
    argv = [os.path.relpath(sys.executable, ROOT), f"benchmarks/{script}", *flags]
    print(f"\n$ {' '.join(argv)}", flush=True)
    env = os.environ | {BUILD_KEY_VARIABLE: KEY}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    result: dict[str, Any] = {"claim": f"{script}: no RESULT line"}
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith("RESULT "):
            result = json.loads(line.removeprefix("RESULT "))
    if process.wait() != 0:
        result = {"claim": f"{script}: failed with status {process.returncode}", "failed": True}
    return result


def row(result: dict[str, Any]) -> str:
    unit = result.get("unit", "")
    ratio = result.get("ratio")
    cells = [
        result["claim"],
        figure(result.get("peer"), unit),
        figure(result.get("ours"), unit) if "ours" in result else "n/a",
        "n/a" if ratio is None else f"{ratio:.2f}x",
        result.get("target", "n/a"),
        verdict(result.get("met")),
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    args = arguments(__doc__ or "").parse_args()
    flags = ["--quick"] if args.quick else []
    scripts = sorted(path.name for path in BENCH_DIR.glob("bench_*.py"))
    results = [run(script, flags) for script in scripts]
    print("\n| claim | peer | ours | ratio | target | met? |")
    print("|---|---|---|---|---|---|")
    for result in results:
        print(row(result))
    print(f"\n{' '.join([os.path.relpath(sys.executable, ROOT), 'benchmarks/run_all.py', *flags])}")
    print("ratio: ours/peer speed (>1: sealtrail faster); for disk, peer/ours size (>1: smaller)")
    sys.exit(1 if any(result.get("failed") for result in results) else 0)


if __name__ == "__main__":
    main()
