"""The benchmark corpus: every file parses and audits, and the audit tells them apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealtrail.dockerfile import audit_path

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
