"""What a Dockerfile does well: the "positive security implementations" of a review.

Each finder looks at the context and at which rules fired, and says what is done well and where.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sealtrail.dockerfile.check_packages import installed_packages, is_pip
from sealtrail.dockerfile.context import AuditContext
from sealtrail.dockerfile.model import Strength

__all__ = ["strengths"]

Finder = Callable[[AuditContext, set[str]], Iterator[Strength]]
_PIN_RULES = {"DF020", "DF021", "DF022", "DF023", "DF024", "DF025", "DF026"}
_NOLOGIN = ("/sbin/nologin", "/usr/sbin/nologin", "/bin/false")


def _multi_stage(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    copies = [i for i in ctx.final_instructions("COPY") if i.flag("from")]
    if len(ctx.dockerfile.stages) > 1 and copies and "DF030" not in fired:
        yield Strength(
            "multi-stage",
            "Multi-stage build",
            "build and runtime are separate stages; the final image copies only "
            "artefacts from the build stage",
            copies[0].line,
            ctx.dockerfile.source(copies[0]),
        )


def _digests(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    stages = ctx.dockerfile.stages
    if stages and not fired & {"DF001", "DF002"} and any("@sha256:" in s.image for s in stages):
        head = stages[0].instructions[0]
        yield Strength(
            "base-digest",
            "Base images pinned by digest",
            "every external base image is named by its SHA-256 digest",
            head.line,
            ctx.dockerfile.source(head),
        )


def _pinned(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    installs = [
        i for i, c in ctx.runs() if installed_packages(c) or (is_pip(c) or [""])[0] == "install"
    ]
    if installs and not fired & _PIN_RULES:
        yield Strength(
            "package-pins",
            "Package versions pinned",
            "no package install is left unpinned (exact versions, lock files or local sources)",
            installs[0].line,
        )


def _non_root(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    users = ctx.final_instructions("USER")
    if users and not fired & {"DF010", "DF014"}:
        yield Strength(
            "non-root",
            "Non-root execution",
            f"the final image runs as {users[-1].text}",
            users[-1].line,
            ctx.dockerfile.source(users[-1]),
        )


def _locked(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    for instruction, command in ctx.runs(ctx.final_chain):
        locks = command.name in ("usermod", "passwd") and command.has("-L", "-l", "--lock")
        no_login = command.name in ("useradd", "adduser") and any(
            a in _NOLOGIN for a in command.args
        )
        if locks or no_login:
            how = "locked" if locks else "given no login shell"
            yield Strength(
                "locked-account",
                "Locked service account",
                f"the service account is {how}",
                instruction.line,
            )
            return


def _minimal(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    for instruction, command in ctx.runs(ctx.final_chain):
        lean = command.has("--no-install-recommends", "--no-cache")
        cleans = command.name == "rm" and any("/var/lib/apt/lists" in a for a in command.args)
        if lean or cleans:
            yield Strength(
                "minimal",
                "Minimal package footprint",
                "recommended packages and package caches are kept out of the image",
                instruction.line,
            )
            return


def _labels(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    labels = ctx.final_instructions("LABEL")
    if labels and "DF075" not in fired:
        yield Strength(
            "labels",
            "Image metadata labels",
            "the image carries OCI / maintainer labels for traceability",
            labels[0].line,
        )


def _healthcheck(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    checks = ctx.final_instructions("HEALTHCHECK")
    if checks and "DF070" not in fired:
        yield Strength(
            "healthcheck",
            "Health check defined",
            "the runtime can detect a hung service",
            checks[-1].line,
            ctx.dockerfile.source(checks[-1]),
        )


def _secret_mounts(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    for instruction in ctx.dockerfile.instructions:
        if "type=secret" in (instruction.flag("mount") or ""):
            yield Strength(
                "secret-mounts",
                "Build secrets mounted, not copied",
                "RUN --mount=type=secret keeps credentials out of the layers",
                instruction.line,
            )
            return


def _setuid_stripped(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    for instruction, command in ctx.runs(ctx.final_chain):
        if command.name in ("chmod", "find") and any(
            a in ("a-s", "u-s,g-s", "ug-s") for a in command.args
        ):
            yield Strength(
                "setuid-stripped",
                "setuid/setgid bits removed",
                "special permission bits are stripped from the image's files",
                instruction.line,
            )
            return


def _dockerignore(ctx: AuditContext, fired: set[str]) -> Iterator[Strength]:
    if ctx.has_dockerignore:
        yield Strength(
            "dockerignore",
            ".dockerignore present",
            "the build context is filtered before it reaches the build",
        )


_FINDERS: tuple[Finder, ...] = (
    _digests,
    _multi_stage,
    _pinned,
    _non_root,
    _locked,
    _minimal,
    _labels,
    _healthcheck,
    _secret_mounts,
    _setuid_stripped,
    _dockerignore,
)


def strengths(ctx: AuditContext, fired: set[str]) -> list[Strength]:
    """What the file does well, given the rule ids that fired on it."""
    return [s for finder in _FINDERS for s in finder(ctx, fired)]
