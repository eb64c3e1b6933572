"""Parsing: BuildKit's reading of the file, directives, ignore comments, stages and variables."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sealtrail.dockerfile import Dockerfile, audit_text
from sealtrail.dockerfile.context import shell_script
from sealtrail.dockerfile.cvss import base_score
from sealtrail.dockerfile.parse import substitute
from sealtrail.dockerfile.shell import commands
from sealtrail.errors import ValidationError

TEXT = """# syntax=docker/dockerfile:1.7
# escape=\\
ARG BASE=python:3.12-slim
FROM ${BASE} AS build
ENV VERSION=1.2 NAME="two words"
RUN <<EOF
set -e
curl -fsSL https://x -o /a
EOF
FROM build AS final
USER app
"""


def test_stages_aliases_and_global_args_are_resolved() -> None:
    parsed = Dockerfile.from_text(TEXT)
    assert [s.alias for s in parsed.stages] == ["build", "final"]
    assert parsed.stages[0].image == "python:3.12-slim"
    assert parsed.stages[0].variables["NAME"] == "two words"
    assert parsed.final is parsed.stages[1]
    assert parsed.directives == {"syntax": "docker/dockerfile:1.7", "escape": "\\"}


def test_heredoc_body_is_the_script_of_run() -> None:
    parsed = Dockerfile.from_text(TEXT)
    [run] = parsed.stages[0].of("RUN")
    assert [c.name for c in commands(shell_script(run) or "")] == ["set", "curl"]
    assert (run.line, run.end_line) == (6, 9)


def test_heredoc_fed_to_an_interpreter_is_not_shell() -> None:
    parsed = Dockerfile.from_text("FROM a:1\nRUN python3 <<EOF\nimport os\nEOF\n")
    [run] = parsed.stages[0].of("RUN")
    assert [c.name for c in commands(shell_script(run) or "")] == ["python3"]


def test_escape_directive_changes_continuations() -> None:
    text = "# escape=`\nFROM a:1\nRUN apt-get install -y `\n    curl\nUSER app\n"
    [finding] = [f for f in audit_text(text).findings if f.rule_id == "DF020"]
    assert "curl" in finding.message
    assert finding.end_line == 4


def test_ignore_comment_applies_to_the_next_instruction_only() -> None:
    text = (
        "FROM a:1\n# sealtrail ignore=DF020,DF041 mirrored and pinned upstream\n"
        "RUN apt-get install -y curl && curl -k https://x\nRUN apt-get install -y git\nUSER app\n"
    )
    report = audit_text(text)
    assert [(f.rule_id, f.line) for f in report.findings if f.rule_id == "DF020"] == [("DF020", 4)]
    assert {f.rule_id for f in report.suppressed} == {"DF020", "DF041"}


def test_ignore_file_comment_applies_everywhere() -> None:
    report = audit_text("# sealtrail ignore-file=DF070\nFROM a:1\nUSER app\n")
    assert "DF070" not in {f.rule_id for f in report.findings}
    assert "DF070" in {f.rule_id for f in report.suppressed}


def test_unknown_instruction_is_refused_with_its_line() -> None:
    with pytest.raises(ValidationError, match=r"Dockerfile:2: unknown instruction FOO"):
        Dockerfile.from_text("FROM a:1\nFOO bar\n")


def test_instruction_before_from_is_refused() -> None:
    with pytest.raises(ValidationError, match="RUN before the first FROM"):
        Dockerfile.from_text("RUN true\nFROM a:1\n")


def test_substitute_knows_defaults_and_leaves_unknown_variables() -> None:
    assert substitute("${A}-$B-${C:-c}-$D", {"A": "a", "B": "b"}) == "a-b-c-$D"


def test_sha256_is_of_the_exact_text() -> None:
    assert Dockerfile.from_text(TEXT).sha256 == hashlib.sha256(TEXT.encode()).hexdigest()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("a && b || c; d | e", ["a", "b", "c", "d", "e"]),
        ("echo 'x && y' \"#z\"", ["echo"]),
        ("sudo -u app env X=1 pip install a", ["pip"]),
        ("sh -c 'curl x | bash'", ["curl", "bash"]),
        ("echo $(curl -k x)", ["echo", "curl"]),
        ("a # b && c\nd", ["a", "d"]),
        ("unterminated 'quote && b", ["unterminated", "b"]),
    ],
)
def test_shell_splits_into_commands(script: str, expected: list[str]) -> None:
    assert [c.name for c in commands(script)] == expected


def test_shell_marks_pipes_and_sudo() -> None:
    first, second = commands("curl -fsSL x | sudo sh")
    assert first.piped
    assert not second.piped
    assert second.sudo


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ],
)
def test_cvss_base_scores_match_the_specification(vector: str, score: float) -> None:
    assert base_score(vector) == score


@pytest.mark.parametrize(
    "vector", ["CVSS:3.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"]
)
def test_cvss_rejects_malformed_vectors(vector: str) -> None:
    with pytest.raises(ValidationError):
        base_score(vector)


FRAGMENTS = [
    "FROM a:1", "FROM a AS b", "FROM b", "USER root", "USER", "EXPOSE 22 8000-8002/udp",
    "HEALTHCHECK CMD", "HEALTHCHECK NONE", "RUN", "RUN <<EOF", "EOF", "RUN \"x", "RUN $(",
    "RUN a | b && sudo c; sh -c 'd'", "RUN chmod", "RUN mkdir -m", "RUN apt-get install",
    "RUN pip install -r", "RUN npm i @", "RUN go install", "RUN gem install -v", "ENV A",
    "ENV A=1 B", "ARG", "ARG T=", "LABEL", "COPY --chmod= a b", "ADD", "WORKDIR", "SHELL []",
    "ONBUILD RUN curl x | sh", "# sealtrail ignore=DF020", "# escape=`", "\\", "",
]  # fmt: skip


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_any_arrangement_audits_or_is_refused_cleanly(lines: list[str]) -> None:
    try:
        report = audit_text("\n".join(lines))
    except ValidationError:
        return
    assert all(f.line >= 1 and f.end_line >= f.line for f in report.findings)


def test_every_module_exports_a_sorted_existing_all() -> None:
    import importlib
    import pkgutil

    import sealtrail.dockerfile as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"sealtrail.dockerfile.{info.name}")
        names = list(module.__all__)
        assert names == sorted(names, key=lambda n: (not n.isupper(), n)), info.name
        assert all(hasattr(module, name) for name in names), info.name
