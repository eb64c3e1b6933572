"""Checks on instructions other than RUN: base images, USER, ports, health checks, labels,
ADD and COPY, secrets in ENV and ARG."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from sealtrail.dockerfile.check_commands import secret_literal, tls_off_variable
from sealtrail.dockerfile.context import AuditContext, Check, Hit
from sealtrail.dockerfile.parse import Instruction, Stage, pairs

__all__ = ["ADMIN_PORTS", "CHECKS", "DEBUG_PORTS", "METRICS_PORTS", "secret_name", "split_image"]

ADMIN_PORTS = {
    22: "SSH",
    23: "telnet",
    2375: "Docker API",
    2376: "Docker API (TLS)",
    3389: "RDP",
    5900: "VNC",
    5985: "WinRM",
    5986: "WinRM",
}
DEBUG_PORTS = {5005: "JDWP", 9229: "Node inspector", 5678: "debugpy", 2345: "delve", 6060: "pprof"}
METRICS_PORTS = frozenset({9090, 9091, 9100, 9102, 9113, 9121, 9187, 9216, 9404, 9464, 15090})
_SYSTEM_DIRS = frozenset(
    {
        "/",
        "/root",
        "/bin",
        "/sbin",
        "/usr",
        "/usr/bin",
        "/usr/sbin",
        "/usr/local/bin",
        "/etc",
        "/usr/local/sbin",
        "/lib",
        "/lib64",
        "/boot",
        "/dev",
        "/proc",
        "/sys",
        "/var/run",
        "/run",
    }
)
_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
_SECRET_NAME = re.compile(
    r"(^|_)(pass(word|wd)?|pwd|secret|token|api_?key|access_?key|private_?key|secret_?key|"
    r"credentials?|client_secret|auth)(_|$)",
    re.IGNORECASE,
)
_NOT_SECRET_SUFFIX = re.compile(
    r"_(file|path|dir|name|length|ttl|expiry|enabled|header|id|url|"
    r"user|username|type|mode|method|host|port)$",
    re.IGNORECASE,
)
_HARMLESS_VALUES = frozenset({"", "true", "false", "yes", "no", "0", "1", "none", "null"})
_KEY_FILES = re.compile(
    r"(^|/)(id_(rsa|dsa|ecdsa|ed25519)|\.env(\.[\w.-]+)?|\.npmrc|\.pypirc|\.netrc|"
    r"\.git-credentials|\.dockercfg|credentials(\.json)?|kubeconfig|\.ssh|\.aws|\.gnupg|"
    r"[\w.-]*\.(key|p12|pfx|jks|keystore)|[\w.-]*(private|priv)[\w.-]*\.pem)/?$",
    re.IGNORECASE,
)


def split_image(reference: str) -> tuple[str, str, str | None, str | None]:
    """(registry, repository, tag, digest) of an image reference; Docker Hub is docker.io."""
    rest, _, digest = reference.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    else:
        registry = "docker.io"
    name, colon, tag = rest.rpartition(":") if ":" in rest.rsplit("/", 1)[-1] else (rest, "", "")
    if registry == "docker.io" and "/" not in name:
        name = f"library/{name}"
    return registry, name, tag if colon else None, digest or None


def secret_name(name: str) -> bool:
    """True when a variable name says it holds a credential (``DB_PASSWORD``, ``API_TOKEN``)."""
    return bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_SUFFIX.search(name)


def _external(ctx: AuditContext, stage: Stage) -> bool:
    image = stage.image.lower()
    return image != "scratch" and ctx.parent(stage) is None and "$" not in image


def _base_images(ctx: AuditContext) -> Iterator[Hit]:
    for stage in ctx.dockerfile.stages:
        head = stage.instructions[0]
        if stage.platform and "$" not in stage.platform:
            yield Hit("DF003", head, f"--platform={stage.platform}")
        if not _external(ctx, stage):
            continue
        registry, repository, tag, digest = split_image(stage.image)
        if digest is None:
            yield Hit("DF001", head, f"{stage.image} is not pinned by digest")
            if tag in (None, "latest"):
                yield Hit("DF002", head, f"{stage.image} uses {'latest' if tag else 'no tag'}")
        trusted = ctx.trusted_registries
        if trusted and not any(
            f"{registry}/{repository}".startswith(t) or registry == t for t in trusted
        ):
            yield Hit("DF004", head, f"{registry} is not a trusted registry")


def _duplicate_aliases(ctx: AuditContext) -> Iterator[Hit]:
    seen: set[str] = set()
    for stage in ctx.dockerfile.stages:
        alias = (stage.alias or "").lower()
        if alias and alias in seen:
            yield Hit("DF005", stage.instructions[0], f"stage name {stage.alias} used again")
        seen.add(alias)


def _root_user(ctx: AuditContext) -> Iterator[Hit]:
    chain = ctx.final_chain
    if not chain:
        return
    users = ctx.final_instructions("USER")
    if users:
        last = users[-1]
        user = ctx.expand(last, last.text).split(":")[0].strip()
        if user in ("root", "0"):
            yield Hit("DF010", last, f"the last USER is {user}")
        return
    base = chain[0].image.lower()
    if "nonroot" not in base and "rootless" not in base:
        yield Hit(
            "DF014",
            chain[-1].instructions[0],
            f"no USER instruction: runs as {chain[0].image}'s user, root for most images",
        )


def _workdir(ctx: AuditContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword != "WORKDIR":
            continue
        path = ctx.expand(instruction, instruction.text.strip("\"'"))
        if not path.startswith(("/", "$")) and not re.match(r"[A-Za-z]:[\\/]", path):
            yield Hit("DF064", instruction, f"WORKDIR {path}")
        elif instruction.stage == ctx.final_chain[-1].index and path.rstrip("/") in _SYSTEM_DIRS | {
            ""
        }:
            yield Hit("DF063", instruction, f"WORKDIR {path}")


def _healthcheck(ctx: AuditContext) -> Iterator[Hit]:
    chain = ctx.final_chain
    checks = ctx.final_instructions("HEALTHCHECK")
    if not chain:
        return
    if not checks or checks[-1].args[:1] == ("NONE",):
        yield Hit("DF070", checks[-1] if checks else chain[-1].instructions[0], "no HEALTHCHECK")
        return
    last = checks[-1]
    words = list(last.args[1:]) if last.json else last.text.split()[1:]
    if words and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and len(words) > 1:
        words = words[1:] if words[1] != "-c" else words[2:3]
    program = words[0] if words else ""
    name = program.rsplit("/", 1)[-1]
    if name.endswith((".sh", ".bash", ".py", ".rb", ".pl")) or (
        program.startswith("/") and "health" in name
    ):
        yield Hit("DF071", last, f"runs the script {program}")


def _ports(instruction: Instruction, ctx: AuditContext) -> list[int]:
    found: list[int] = []
    for word in instruction.args:
        number = ctx.expand(instruction, word).split("/")[0]
        low, _, high = number.partition("-")
        if low.isdigit():
            found.extend(
                range(int(low), int(high or low) + 1)
                if int(high or low) - int(low) < 100
                else [int(low)]
            )
    return found


def _exposed(ctx: AuditContext) -> Iterator[Hit]:
    exposes = ctx.final_instructions("EXPOSE")
    every = {port for i in exposes for port in _ports(i, ctx)}
    for instruction in exposes:
        for port in _ports(instruction, ctx):
            if port in ADMIN_PORTS:
                yield Hit("DF072", instruction, f"port {port} ({ADMIN_PORTS[port]})")
            elif port in DEBUG_PORTS:
                yield Hit("DF074", instruction, f"port {port} ({DEBUG_PORTS[port]})")
            elif port in METRICS_PORTS and every - METRICS_PORTS:
                yield Hit(
                    "DF073", instruction, f"metrics port {port} beside {min(every - METRICS_PORTS)}"
                )


def _labels(ctx: AuditContext) -> Iterator[Hit]:
    chain = ctx.final_chain
    keys = {name.lower() for i in ctx.final_instructions("LABEL") for name, _ in pairs(i)}
    known = ("org.opencontainers.image.", "org.label-schema.", "maintainer", "security")
    if chain and not any(k.startswith(known) for k in keys):
        yield Hit("DF075", chain[-1].instructions[0], "no OCI or maintainer labels")


def _exec_form(ctx: AuditContext) -> Iterator[Hit]:
    for stage in ctx.dockerfile.stages:
        for keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            found = stage.of(keyword)
            if len(found) > 1:
                yield Hit("DF078", found[-1], f"{len(found)} {keyword} instructions in one stage")
            if found and keyword != "HEALTHCHECK" and not found[-1].json:
                yield Hit("DF077", found[-1], f"{keyword} in shell form")
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword == "MAINTAINER":
            yield Hit("DF079", instruction, "MAINTAINER")


def _sources(instruction: Instruction) -> list[str]:
    markers = {f"<<{h.name}" for h in instruction.heredocs} | {
        f"<<-{h.name}" for h in instruction.heredocs
    }
    return [a for a in instruction.args[:-1] if a.replace('"', "").replace("'", "") not in markers]


def _local_file(source: str) -> bool:
    return "$" not in source and not source.lower().endswith(_ARCHIVES)


def _add_copy(ctx: AuditContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in ("ADD", "COPY") or instruction.flag("from") is not None:
            continue
        for source in _sources(instruction):
            remote = re.match(r"(https?|git)://|git@", source) or source.endswith(".git")
            if instruction.keyword == "ADD" and remote and instruction.flag("checksum") is None:
                yield Hit("DF042", instruction, f"ADD {source}")
            elif instruction.keyword == "ADD" and not remote and _local_file(source):
                yield Hit("DF043", instruction, f"ADD {source}")
            if source in (".", "./") and ctx.has_dockerignore is False:
                yield Hit("DF080", instruction, f"{instruction.keyword} . with no .dockerignore")
            if _KEY_FILES.search(source.rstrip("/")) and "example" not in source.lower():
                yield Hit(
                    "DF052", instruction, f"{instruction.keyword} {PurePosixPath(source).name}"
                )


def _variables(ctx: AuditContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in ("ENV", "ARG"):
            continue
        for name, value in pairs(instruction):
            literal = value is not None and value.lower() not in _HARMLESS_VALUES
            literal = literal and not (value or "").startswith(("$", "/"))
            if instruction.keyword == "ENV" and tls_off_variable(name, value or ""):
                yield Hit("DF041", instruction, f"ENV {name}={value}")
            elif instruction.keyword == "ENV" and secret_name(name) and literal:
                yield Hit("DF050", instruction, f"ENV {name} holds a literal value")
            elif instruction.keyword == "ENV" and value and secret_literal(value):
                yield Hit("DF050", instruction, f"ENV {name} contains {secret_literal(value)}")
            elif instruction.keyword == "ARG" and secret_name(name):
                default = " with a default in the Dockerfile" if literal else ""
                yield Hit("DF051", instruction, f"ARG {name}{default}")


def _docker_socket(ctx: AuditContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword in ("VOLUME", "ENV") and "docker.sock" in instruction.text:
            yield Hit("DF082", instruction, f"{instruction.keyword} names docker.sock")


CHECKS: tuple[Check, ...] = (
    _base_images,
    _duplicate_aliases,
    _root_user,
    _workdir,
    _healthcheck,
    _exposed,
    _labels,
    _exec_form,
    _add_copy,
    _variables,
    _docker_socket,
)
