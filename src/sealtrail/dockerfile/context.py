"""What every check reads: the parsed file, the commands of each RUN, the final stage's lineage.

A check is a function ``(AuditContext) -> Iterable[Hit]``; it never reads files or the
environment. Stage lineage follows ``FROM <alias>``: the final image contains what its parent
stages did, but not what a separate build stage did, so "the final image runs as root" and
"build tools in the final image" look only along that line.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from sealtrail.dockerfile.parse import Dockerfile, Instruction, Stage, substitute
from sealtrail.dockerfile.shell import Command, commands

__all__ = ["AuditContext", "Check", "Hit"]

_SHELL_SHEBANGS = (
    "#!/bin/sh",
    "#!/bin/bash",
    "#!/usr/bin/env sh",
    "#!/usr/bin/env bash",
    "#!/bin/ash",
    "#!/bin/dash",
)


@dataclass(frozen=True)
class Hit:
    """A rule that fired at an instruction, with a message saying what exactly was seen."""

    rule: str
    instruction: Instruction
    message: str


Check = Callable[["AuditContext"], Iterable[Hit]]


@dataclass(frozen=True)
class AuditContext:
    """The parsed Dockerfile plus what the audit was told: trusted registries and whether a
    ``.dockerignore`` sits beside the file (None: unknown, e.g. read from stdin)."""

    dockerfile: Dockerfile
    trusted_registries: tuple[str, ...] = ()
    has_dockerignore: bool | None = None

    @cached_property
    def _scripts(self) -> dict[int, list[Command]]:
        return {
            i.line: commands(script)
            for i in self.dockerfile.instructions
            if i.keyword == "RUN" and (script := shell_script(i)) is not None
        }

    def commands_of(self, instruction: Instruction) -> list[Command]:
        """The shell commands a RUN instruction runs (empty for anything else)."""
        return self._scripts.get(instruction.line, [])

    def runs(self, stages: Iterable[Stage] | None = None) -> Iterator[tuple[Instruction, Command]]:
        """Every (RUN instruction, command) pair, in the given stages or in all."""
        for stage in self.dockerfile.stages if stages is None else stages:
            for instruction in stage.of("RUN"):
                for command in self.commands_of(instruction):
                    yield instruction, command

    @cached_property
    def final_chain(self) -> tuple[Stage, ...]:
        """The final stage and the stages it is built FROM, oldest first."""
        chain: list[Stage] = []
        stage = self.dockerfile.final
        while stage is not None and stage not in chain:
            chain.insert(0, stage)
            stage = self.parent(stage)
        return tuple(chain)

    def parent(self, stage: Stage) -> Stage | None:
        """The earlier stage this one is built FROM, or None for an external image."""
        for earlier in self.dockerfile.stages[: stage.index]:
            if earlier.alias and earlier.alias.lower() == stage.image.lower():
                return earlier
        return None

    def final_instructions(self, *keywords: str) -> list[Instruction]:
        return [i for s in self.final_chain for i in s.of(*keywords)]

    def variables(self, instruction: Instruction) -> dict[str, str]:
        """The ARG/ENV values in force in the instruction's stage (the whole stage, simply)."""
        stages = self.dockerfile.stages
        if 0 <= instruction.stage < len(stages):
            return {**self.dockerfile.global_args, **stages[instruction.stage].variables}
        return dict(self.dockerfile.global_args)

    def expand(self, instruction: Instruction, word: str) -> str:
        return substitute(word, self.variables(instruction)) if "$" in word else word


def shell_script(instruction: Instruction) -> str | None:
    """The shell script a RUN runs, or None when it is not shell (a Python heredoc, say).

    ``RUN <<EOF`` runs the heredoc body as the script; ``RUN python3 <<EOF`` runs the command
    line only, the body being the interpreter's input.
    """
    if instruction.json:
        return shlex.join(instruction.args)
    line = instruction.text
    markers = {f"<<{h.name}" for h in instruction.heredocs} | {
        f"<<-{h.name}" for h in instruction.heredocs
    }
    words = [w.replace('"', "").replace("'", "") for w in line.split()]
    if instruction.heredocs and words and all(w in markers for w in words):
        bodies = [h.content for h in instruction.heredocs]
        if any(b.startswith("#!") and not b.startswith(_SHELL_SHEBANGS) for b in bodies):
            return None
        return "\n".join(bodies)
    return line
