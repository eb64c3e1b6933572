"""The benchmark corpus: every file parses and audits, and the audit tells them apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealtrail.dockerfile import Severity, audit_path
from sealtrail.errors import ValidationError

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*Dockerfile*"))


def test_corpus_is_large_and_varied() -> None:
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_every_corpus_file_audits(path: Path) -> None:
    report = audit_path(path)
    assert report.digest.startswith("sha256:")
    assert all(f.line >= 1 for f in report.findings)


def test_hardened_and_leaky_files_land_at_opposite_ends() -> None:
    corpus = Path(__file__).parent / "corpus"
    assert audit_path(corpus / "debian-hardened.Dockerfile").risk == "low"
    leaky = audit_path(corpus / "secrets-leaky.Dockerfile")
    assert leaky.risk == "high"
    assert {"DF051", "DF052", "DF050", "DF014"} <= {f.rule_id for f in leaky.findings}


def test_the_projects_own_dockerfile_passes_its_own_audit() -> None:
    root = Path(__file__).parents[2]
    report = audit_path(root / "Dockerfile")
    assert not report.fails(Severity.MEDIUM), [f.rule_id for f in report.findings]
    strengths = {s.id for s in report.strengths}
    assert {"base-digest", "multi-stage", "non-root", "healthcheck", "dockerignore"} <= strengths


PUBLIC = Path(__file__).parents[2] / "benchmarks" / "dockerfile-corpus"


def test_every_public_dockerfile_audits_or_is_refused_as_buildkit_refuses_it() -> None:
    """The 200+ real Dockerfiles of the benchmark: none crashes the audit; the one BuildKit
    refuses (every line commented out) is a ValidationError naming the problem."""
    refused = []
    files = sorted(PUBLIC.glob("*.Dockerfile"))
    for path in files:
        try:
            report = audit_path(path)
        except ValidationError as error:
            refused.append((path.name, str(error).rpartition(": ")[2]))
            continue
        assert all(f.line >= 1 for f in report.findings), path.name
    assert len(files) >= 200
    assert refused == [
        ("100kimch__lunchset-backend__Dockerfile.prod.Dockerfile", "file with no instructions")
    ]
