"""A Dockerfile as BuildKit reads it: stages, instructions, directives and ignore comments.

Parsing is BuildKit's own (the ``dockerfile`` package wraps its Go parser): line continuations,
``# escape=``, heredocs, JSON and shell forms are read exactly as ``docker build`` reads them.
Comments never reach that parser's output, so a second pass over the text reads what comments
say: the ``# syntax=`` / ``# escape=`` / ``# check=`` directives at the top, and sealtrail's ignore
comments::

    # sealtrail ignore=DF020,DF041 the mirror pins versions itself    (the next instruction)
    # sealtrail ignore-file=DF070 a sidecar does the health checking  (the whole file)

Variables: global ``ARG`` defaults are substituted into ``FROM``, and each stage's ``ARG``/``ENV``
values are kept so that rules can tell ``pkg=$VERSION`` (pinned through a variable) from ``pkg``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import dockerfile as buildkit

from sealtrail.errors import ValidationError

__all__ = ["MAX_BYTES", "Dockerfile", "Heredoc", "Instruction", "Stage", "substitute"]

MAX_BYTES = 4 * 1024 * 1024  # a Dockerfile larger than this is refused, not parsed
KEYWORDS = frozenset(
    {
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    }
)
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(\S.*?)\s*$")
_IGNORE = re.compile(r"^#\s*sealtrail:?\s+(ignore|ignore-file)=([A-Za-z0-9_,-]+)(?:\s+(.*))?$")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True)
class Heredoc:
    """One here-document: its delimiter name and its body."""

    name: str
    content: str


@dataclass(frozen=True)
class Instruction:
    """One instruction as BuildKit parsed it, with where it stands and what comments say of it.

    ``args`` are the words after the keyword and its ``--flags`` (for a shell-form ``RUN``, one
    string: the command line with its continuations joined); ``line``/``end_line`` are 1-based.
    """

    keyword: str
    args: tuple[str, ...]
    flags: tuple[str, ...]
    json: bool
    original: str
    line: int
    end_line: int
    stage: int
    heredocs: tuple[Heredoc, ...] = ()
    sub_keyword: str | None = None  # the instruction an ONBUILD carries
    ignored: frozenset[str] = frozenset()

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value`` (``""`` for a bare ``--name``), or None."""
        for item in self.flags:
            key, sep, value = item.removeprefix("--").partition("=")
            if key == name:
                return value if sep else ""
        return None

    @property
    def text(self) -> str:
        """The arguments as one string (the shell command of a shell-form RUN/CMD)."""
        return " ".join(self.args)


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` and the instructions up to the next; ``image`` has global ARGs substituted."""

    index: int
    image: str
    alias: str | None
    platform: str | None
    line: int
    instructions: tuple[Instruction, ...]
    variables: Mapping[str, str]  # ARG defaults and ENV values set in this stage (last wins)

    def of(self, *keywords: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword in keywords]


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile. ``from_text`` parses; the text and its SHA-256 are kept."""

    path: str
    text: str
    directives: Mapping[str, str]
    global_args: Mapping[str, str]
    stages: tuple[Stage, ...]
    preamble: tuple[Instruction, ...]  # instructions before the first FROM (ARGs)
    file_ignores: frozenset[str] = frozenset()
    comments: Mapping[int, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def source(self, instruction: Instruction, max_lines: int = 12) -> str:
        """The instruction's lines as written in the file (at most ``max_lines``)."""
        lines = self.text.splitlines()[instruction.line - 1 : instruction.end_line]
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], "..."]
        return "\n".join(lines).strip("\n")

    @property
    def final(self) -> Stage | None:
        """The stage ``docker build`` produces by default: the last one."""
        return self.stages[-1] if self.stages else None

    @property
    def instructions(self) -> list[Instruction]:
        return [*self.preamble, *(i for s in self.stages for i in s.instructions)]

    @classmethod
    def from_text(cls, text: str, path: str = "Dockerfile") -> Dockerfile:
        """Parse ``text``; a ValidationError names the line of anything BuildKit would refuse."""
        if len(text.encode()) > MAX_BYTES:
            raise ValidationError(f"{path}: larger than {MAX_BYTES} bytes")
        try:
            commands = [c for c in buildkit.parse_string(text) if c.cmd]
        except buildkit.GoParseError as error:
            raise ValidationError(f"{path}: {error}") from None
        if not commands:
            raise ValidationError(f"{path}: file with no instructions")
        lines = text.splitlines()
        comments = _comments(lines)
        ignores = _next_instruction_ignores(lines, comments)
        parsed = [_instruction(c, ignores.get(c.start_line, frozenset())) for c in commands]
        _check_keywords(parsed, path)
        preamble, stages, global_args = _stages(parsed, path)
        return cls(
            path=path,
            text=text,
            directives=MappingProxyType(_directives(lines)),
            global_args=MappingProxyType(global_args),
            stages=stages,
            preamble=preamble,
            file_ignores=_file_ignores(comments),
            comments=MappingProxyType(comments),
        )


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """``$NAME``, ``${NAME}`` and ``${NAME:-default}`` replaced where known; others left as is."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in variables:
            return variables[name]
        if match.group(2) is not None and "-" in match.group(0):
            return match.group(2)
        return match.group(0)

    return _VARIABLE.sub(replace, text)


def _instruction(command: buildkit.Command, ignored: frozenset[str]) -> Instruction:
    return Instruction(
        keyword=command.cmd.upper(),
        args=tuple(command.value),
        flags=tuple(command.flags),
        json=command.json,
        original=command.original,
        line=command.start_line,
        end_line=command.end_line,
        stage=-1,
        heredocs=tuple(Heredoc(h.name, h.content) for h in command.heredocs),
        sub_keyword=command.sub_cmd.upper() if command.sub_cmd else None,
        ignored=ignored,
    )


def _check_keywords(instructions: list[Instruction], path: str) -> None:
    for instruction in instructions:
        if instruction.keyword not in KEYWORDS:
            raise ValidationError(
                f"{path}:{instruction.line}: unknown instruction {instruction.keyword}"
            )


def _stages(
    instructions: list[Instruction], path: str
) -> tuple[tuple[Instruction, ...], tuple[Stage, ...], dict[str, str]]:
    """Split at each FROM; global ARG defaults are those before the first FROM."""
    preamble: list[Instruction] = []
    groups: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            groups.append([])
        target = groups[-1] if groups else preamble
        target.append(_with_stage(instruction, len(groups) - 1))
    bad = [i for i in preamble if i.keyword != "ARG"]
    if bad:
        raise ValidationError(f"{path}:{bad[0].line}: {bad[0].keyword} before the first FROM")
    global_args = _assignments(preamble, {})
    stages = tuple(_stage(n, group, global_args) for n, group in enumerate(groups))
    return tuple(preamble), stages, global_args


def _with_stage(instruction: Instruction, stage: int) -> Instruction:
    return Instruction(**{**instruction.__dict__, "stage": stage})


def _stage(index: int, group: list[Instruction], global_args: Mapping[str, str]) -> Stage:
    head = group[0]
    words = list(head.args)
    alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    image = substitute(words[0], global_args) if words else ""
    variables = _assignments(group[1:], global_args)
    platform = head.flag("platform")
    return Stage(index, image, alias, platform, head.line, tuple(group), variables)


def _assignments(group: list[Instruction], inherited: Mapping[str, str]) -> dict[str, str]:
    """The ARG defaults and ENV values set by ``group`` (ARG without default: the global one)."""
    values: dict[str, str] = {}
    for instruction in group:
        for name, value in pairs(instruction):
            if value is None:
                if name in inherited:
                    values[name] = inherited[name]
            else:
                values[name] = substitute(value, {**inherited, **values})
    return values


def pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    """The ``NAME=value`` pairs of an ARG, ENV or LABEL (value None: an ARG with no default)."""
    args = instruction.args
    if instruction.keyword == "ARG":
        return [
            (name, value if sep else None) for name, sep, value in (a.partition("=") for a in args)
        ]
    if instruction.keyword in ("ENV", "LABEL"):
        return [(_unquote(args[n]), _unquote(args[n + 1])) for n in range(0, len(args) - 1, 2)]
    return []


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _comments(lines: list[str]) -> dict[int, str]:
    """Comment lines by 1-based line number (heredoc bodies included: callers check context)."""
    return {n: line.strip() for n, line in enumerate(lines, 1) if line.lstrip().startswith("#")}


def _directives(lines: list[str]) -> dict[str, str]:
    """The parser directives: ``# name=value`` lines at the very top, before anything else."""
    found: dict[str, str] = {}
    for line in lines:
        match = _DIRECTIVE.match(line.strip())
        if not match or match.group(1).lower() in found:
            break
        found[match.group(1).lower()] = match.group(2)
    return found


def _next_instruction_ignores(
    lines: list[str], comments: Mapping[int, str]
) -> dict[int, frozenset[str]]:
    """For each line after a block of comments, the rule ids those comments ignore."""
    ignores: dict[int, frozenset[str]] = {}
    pending: set[str] = set()
    for number in range(1, len(lines) + 1):
        comment = comments.get(number)
        if comment is not None:
            match = _IGNORE.match(comment)
            if match and match.group(1) == "ignore":
                pending.update(_ids(match.group(2)))
            continue
        if pending and lines[number - 1].strip():
            ignores[number] = frozenset(pending)
            pending = set()
    return ignores


def _file_ignores(comments: Mapping[int, str]) -> frozenset[str]:
    found: set[str] = set()
    for comment in comments.values():
        match = _IGNORE.match(comment)
        if match and match.group(1) == "ignore-file":
            found.update(_ids(match.group(2)))
    return frozenset(found)


def _ids(text: str) -> set[str]:
    return {part.strip().upper() for part in text.split(",") if part.strip()}
