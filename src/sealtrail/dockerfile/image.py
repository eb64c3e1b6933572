"""Auditing a built image from its configuration: user, ports, health check, environment,
labels, and the Dockerfile rules its build history allows.

An image carries no Dockerfile, but its configuration says how it runs (``config.User``,
``ExposedPorts``, ``Env``, ``Labels``, Docker's ``Healthcheck``) and its ``history`` keeps each
build step's ``created_by`` (``/bin/sh -c apt-get install -y curl``, BuildKit's
``RUN /bin/sh -c … # buildkit``, ``|1 NPM_TOKEN=… /bin/sh -c …`` for steps that saw build
arguments). The history is rewritten as Dockerfile instructions and audited with the command and
variable checks; base-image rules do not apply (an image has no FROM). A finding's line is the
history step (1-based).

    report = audit_image(ImageConfig.from_json(config), "registry.example.com/app:1", digest)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sealtrail.dockerfile import check_commands, check_packages
from sealtrail.dockerfile.audit import AuditConfig
from sealtrail.dockerfile.check_commands import secret_literal, tls_off_variable
from sealtrail.dockerfile.check_image import ADMIN_PORTS, DEBUG_PORTS, METRICS_PORTS, secret_name
from sealtrail.dockerfile.context import AuditContext, Hit
from sealtrail.dockerfile.model import AuditReport, Finding, Strength
from sealtrail.dockerfile.parse import Dockerfile, Instruction
from sealtrail.dockerfile.rules import RULES
from sealtrail.errors import ValidationError

__all__ = ["ImageConfig", "audit_image", "history_dockerfile"]

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SHELL = re.compile(r"^(?:RUN\s+)?/bin/(?:ba)?sh -c\s+")
_BUILD_ARGS = re.compile(r"^\|(\d+)\s+")
_BUILDKIT = re.compile(r"\s*# buildkit$")
_HISTORY_CHECKS = (*check_packages.CHECKS, *check_commands.CHECKS)
_HARMLESS = frozenset({"", "true", "false", "yes", "no", "0", "1"})
_DEFAULT_CONFIG = AuditConfig()


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an OCI / Docker image configuration that an audit reads."""

    user: str
    exposed_ports: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    labels: Mapping[str, str]
    healthcheck: tuple[str, ...] | None  # Docker's Healthcheck.Test, None when absent
    history: tuple[str, ...]  # created_by of every step, oldest first
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ImageConfig:
        """Read an image configuration; a ValidationError names a field of the wrong type."""
        config = _mapping(body.get("config"), "config")
        env = tuple(_env_pair(item) for item in _strings(config.get("Env"), "Env"))
        health = config.get("Healthcheck")
        test = (
            _strings(health.get("Test"), "Healthcheck.Test")
            if isinstance(health, Mapping)
            else None
        )
        history = body.get("history", [])
        if history is None:
            history = []
        if not isinstance(history, list):
            raise ValidationError("image config: history is not a list")
        return cls(
            user=str(config.get("User") or ""),
            exposed_ports=tuple(sorted(_mapping(config.get("ExposedPorts"), "ExposedPorts"))),
            env=env,
            labels={str(k): str(v) for k, v in _mapping(config.get("Labels"), "Labels").items()},
            healthcheck=tuple(test) if test is not None else None,
            history=tuple(
                str(h.get("created_by") or "") for h in history if isinstance(h, Mapping)
            ),
            entrypoint=tuple(_strings(config.get("Entrypoint"), "Entrypoint")),
            cmd=tuple(_strings(config.get("Cmd"), "Cmd")),
        )


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError(f"image config: {name} is not an object")
    return value


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"image config: {name} is not a list of strings")
    return list(value)


def _env_pair(item: str) -> tuple[str, str]:
    name, _, value = item.partition("=")
    return name, value


def history_dockerfile(history: Sequence[str]) -> tuple[str, dict[int, int]]:
    """The history as a Dockerfile (after ``FROM scratch``) and, for each of its lines, the
    history step (1-based) it came from."""
    lines = ["FROM scratch"]
    steps: dict[int, int] = {}
    for step, created_by in enumerate(history, 1):
        for line in _instructions(created_by):
            lines.append(line)
            steps[len(lines)] = step
    return "\n".join(lines) + "\n", steps


def _instructions(created_by: str) -> list[str]:
    text = _BUILDKIT.sub("", created_by.strip())
    if not text:
        return []
    found: list[str] = []
    args = _BUILD_ARGS.match(text)
    if args:
        words = text[args.end() :].split(" ")
        count = int(args.group(1))
        found.extend(f"ARG {word}" for word in words[:count])
        text = " ".join(words[count:])
    if _NOP.match(text):
        found.append(_NOP.sub("", text))
    elif _SHELL.match(text):
        found.append("RUN " + _SHELL.sub("", text))
    elif text.split(" ", 1)[0].isupper():
        found.append(text)
    else:
        found.append(f"RUN {text}")
    return [" ".join(line.splitlines()) if not line.startswith("RUN") else line for line in found]


def _history_hits(history: Sequence[str]) -> Iterator[tuple[Hit, int]]:
    """Hits of the command checks over the history, each with its step."""
    text, steps = history_dockerfile(history)
    try:
        dockerfile = Dockerfile.from_text(text, "history")
    except ValidationError:
        return  # a history BuildKit cannot read: the config checks still run
    ctx = AuditContext(dockerfile)
    for check in _HISTORY_CHECKS:
        for hit in check(ctx):
            yield hit, steps.get(hit.instruction.line, 0)
    for instruction in dockerfile.instructions:
        if instruction.keyword == "ARG":
            for word in instruction.args:
                name, _, value = word.partition("=")
                step = steps.get(instruction.line, 0)
                if secret_name(name) and value:
                    yield Hit("DF053", instruction, f"build argument {name}'s value"), step
                elif secret_name(name):
                    yield Hit("DF051", instruction, f"build argument {name}"), step


def _config_hits(image: ImageConfig) -> Iterator[tuple[str, str]]:
    """(rule, message) pairs from the configuration itself."""
    user = image.user.split(":")[0]
    if not user:
        yield "DF014", "no user in the image config: runs as root"
    elif user in ("root", "0"):
        yield "DF010", f"the image runs as {image.user}"
    ports = {int(p.split("/")[0]) for p in image.exposed_ports if p.split("/")[0].isdigit()}
    for port in sorted(ports):
        if port in ADMIN_PORTS:
            yield "DF072", f"port {port} ({ADMIN_PORTS[port]}) exposed"
        elif port in DEBUG_PORTS:
            yield "DF074", f"port {port} ({DEBUG_PORTS[port]}) exposed"
        elif port in METRICS_PORTS and ports - METRICS_PORTS:
            yield "DF073", f"metrics port {port} beside {min(ports - METRICS_PORTS)}"
    yield from _env_hits(image)
    yield from _health_hits(image)
    known = ("org.opencontainers.image.", "org.label-schema.", "maintainer")
    if not any(k.lower().startswith(known) for k in image.labels):
        yield "DF075", "no OCI or maintainer labels"


def _env_hits(image: ImageConfig) -> Iterator[tuple[str, str]]:
    for name, value in image.env:
        if tls_off_variable(name, value):
            yield "DF041", f"Env {name}={value}"
        elif secret_name(name) and value.lower() not in _HARMLESS and not value.startswith("/"):
            yield "DF050", f"Env {name} holds a literal value"
        elif secret_literal(value):
            yield "DF050", f"Env {name} contains {secret_literal(value)}"


def _health_hits(image: ImageConfig) -> Iterator[tuple[str, str]]:
    test = image.healthcheck
    if not test or test[0] == "NONE":
        yield "DF070", "no health check in the image config"
        return
    words = test[1:] if test[0] == "CMD" else test[1:2] if test[0] == "CMD-SHELL" else test
    program = (words[0].split() or [""])[0] if words else ""
    if program.endswith((".sh", ".bash", ".py")) or (
        program.startswith("/") and "health" in program
    ):
        yield "DF071", f"health check runs the script {program}"


def audit_image(
    image: ImageConfig, subject: str, digest: str, config: AuditConfig = _DEFAULT_CONFIG
) -> AuditReport:
    """Audit an image's configuration and history; findings worst first."""
    found: list[Finding] = []
    for rule_id, message in _config_hits(image):
        found.append(_finding(rule_id, 0, message, config))
    seen: set[tuple[str, int, str]] = set()
    for hit, step in _history_hits(image.history):
        key = (hit.rule, step, hit.message)
        if key not in seen:
            seen.add(key)
            found.append(_finding(hit.rule, step, f"history step {step}: {hit.message}", config,
                                  hit.instruction))  # fmt: skip
    kept = [f for f in found if f.rule_id not in config.ignore]
    kept.sort(key=lambda f: (-f.severity.rank, f.line, f.rule_id))
    return AuditReport(
        kind="image",
        subject=subject,
        digest=digest,
        findings=tuple(kept),
        strengths=tuple(_strengths(image, {f.rule_id for f in kept})),
        suppressed=tuple(f for f in found if f.rule_id in config.ignore),
        facts=_facts(image),
    )


def _facts(image: ImageConfig) -> dict[str, object]:
    return {
        "user": image.user,
        "exposed_ports": list(image.exposed_ports),
        "history_steps": len(image.history),
        "labels": len(image.labels),
    }


def _finding(
    rule_id: str, step: int, message: str, config: AuditConfig, at: Instruction | None = None
) -> Finding:
    rule = RULES[rule_id]
    severity = config.severity.get(rule_id, rule.severity)
    snippet = at.original.strip() if at is not None else ""
    return Finding(rule, severity, step, step, message, snippet)


def _strengths(image: ImageConfig, fired: set[str]) -> Iterator[Strength]:
    if image.user and not fired & {"DF010", "DF014"}:
        yield Strength("non-root", "Non-root execution", f"the image runs as {image.user}")
    if image.healthcheck and not fired & {"DF070"}:
        yield Strength(
            "healthcheck", "Health check defined", "the runtime can detect a hung service"
        )
    if "DF075" not in fired:
        yield Strength("labels", "Image metadata labels", "the image carries OCI labels")
    if not fired & {"DF050", "DF051", "DF053"}:
        yield Strength(
            "no-secrets",
            "No secrets in the configuration",
            "no credential in the environment, build arguments or history",
        )
