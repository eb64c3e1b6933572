"""Checks on the commands inside RUN: privileges, downloads, TLS, permissions, pipes."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from sealtrail.dockerfile.context import AuditContext, Check, Hit
from sealtrail.dockerfile.parse import Instruction
from sealtrail.dockerfile.shell import Command

__all__ = ["CHECKS", "chmod_modes"]

_DOWNLOADERS = frozenset({"curl", "wget", "fetch"})
_INTERPRETERS = re.compile(r"(ba|da|z|k|a)?sh|python[0-9.]*|perl|ruby|node|php|pwsh")
_LOCAL = re.compile(r"^https?://(localhost|127\.|\[::1\]|0\.0\.0\.0)")


def _sudo(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.sudo:
            yield Hit("DF011", instruction, f"sudo {command.name}")


def _sudoers(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        text = " ".join(command.args)
        groups = _group_option(command)
        if "NOPASSWD" in text:
            yield Hit("DF012", instruction, "NOPASSWD rule for sudo")
        elif groups & {"sudo", "wheel", "admin"}:
            yield Hit("DF012", instruction, f"user added to {', '.join(sorted(groups))}")
        elif command.name in ("adduser", "addgroup") and command.args[-1:] in (
            ("sudo",),
            ("wheel",),
        ):
            yield Hit("DF012", instruction, f"user added to {command.args[-1]}")


def _group_option(command: Command) -> set[str]:
    if command.name not in ("usermod", "useradd", "adduser"):
        return set()
    args = list(command.args)
    for n, arg in enumerate(args[:-1]):
        if arg in ("-G", "-aG", "--groups", "-g"):
            return set(args[n + 1].split(","))
    return set()


def _passwords(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.name == "chpasswd" or (command.name == "passwd" and "--stdin" in command.args):
            yield Hit("DF013", instruction, f"{command.name} sets a password")
        elif command.name in ("useradd", "usermod") and command.has("-p", "--password"):
            yield Hit("DF013", instruction, f"{command.name} -p sets a password")


def _pipe_to_shell(ctx: AuditContext) -> Iterator[Hit]:
    for stage in ctx.dockerfile.stages:
        for instruction in stage.of("RUN"):
            found = ctx.commands_of(instruction)
            for first, second in itertools.pairwise(found):
                if (
                    first.name in _DOWNLOADERS
                    and first.piped
                    and _INTERPRETERS.fullmatch(second.name)
                ):
                    yield Hit("DF040", instruction, f"{first.name} … | {second.name}")
            if re.search(r"(sh|bash)\s+(-c\s+)?[\"']?(\$\(|<\(|`)\s*(curl|wget)", instruction.text):
                yield Hit("DF040", instruction, "shell runs a downloaded script")


_TLS_OFF_ENV = {
    "NODE_TLS_REJECT_UNAUTHORIZED": {"0"},
    "PYTHONHTTPSVERIFY": {"0"},
    "GIT_SSL_NO_VERIFY": {"1", "true", "yes"},
    "CURL_INSECURE": {"1", "true"},
    "NPM_CONFIG_STRICT_SSL": {"false", "0"},
    "PIP_TRUSTED_HOST": None,  # any value: those hosts are trusted without TLS checks
}


def tls_off_variable(name: str, value: str) -> bool:
    """True when an environment variable ``name=value`` disables certificate verification."""
    allowed = _TLS_OFF_ENV.get(name.upper(), set())
    return (allowed is None and bool(value)) or (allowed is not None and value.lower() in allowed)


def _tls_reason(command: Command) -> str | None:
    text = " ".join(command.args).lower()
    if command.name == "curl" and command.has("-k", "--insecure"):
        return "curl --insecure"
    if command.name == "wget" and command.has("--no-check-certificate"):
        return "wget --no-check-certificate"
    if command.has("--trusted-host"):
        return f"{command.name} --trusted-host"
    if "sslverify" in text.replace("_", "") and re.search(r"sslverify\W*(false|0|no)", text):
        return f"{command.name}: sslVerify false"
    if "strict-ssl" in text and re.search(r"strict-ssl\W*(false|0)", text):
        return f"{command.name}: strict-ssl false"
    if command.has(
        "--insecure-skip-tls-verify", "--disable-tls-verification", "--tls-verify=false"
    ):
        return f"{command.name}: TLS verification skipped"
    if re.search(r"verify-peer\W*\"?false", text):
        return f"{command.name}: Acquire::https::Verify-Peer false"
    for assignment in command.env:
        name, _, value = assignment.partition("=")
        if tls_off_variable(name, value):
            return assignment
    return None


def _tls_disabled(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        reason = _tls_reason(command)
        if reason:
            yield Hit("DF041", instruction, reason)


def _plain_http(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.name not in _DOWNLOADERS and command.name != "git":
            continue
        for arg in command.args:
            url = ctx.expand(instruction, arg)
            if url.startswith("http://") and not _LOCAL.match(url):
                yield Hit("DF044", instruction, f"{command.name} {url}")


def _ssh_host_keys(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        text = " ".join((*command.args, *command.env))
        if re.search(r"StrictHostKeyChecking[\s=]+(no|off|accept-new)", text, re.IGNORECASE):
            yield Hit("DF045", instruction, "StrictHostKeyChecking disabled")


def chmod_modes(command: Command) -> list[tuple[str, list[str]]]:
    """(mode, paths) of a chmod, ``install -m`` or ``mkdir -m`` command."""
    args = list(command.args)
    if command.name == "chmod":
        words = [a for a in args if not re.fullmatch(r"-[RvcfH]+|--recursive|--verbose", a)]
        return [(words[0], words[1:])] if words else []
    if command.name in ("mkdir", "install"):
        for n, arg in enumerate(args[:-1]):
            if arg in ("-m", "--mode"):
                return [(args[n + 1], [a for a in args[n + 2 :] if not a.startswith("-")])]
            if arg.startswith("--mode="):
                return [
                    (arg.partition("=")[2], [a for a in args[n + 1 :] if not a.startswith("-")])
                ]
    return []


def _world_writable_mode(mode: str) -> bool:
    if re.fullmatch(r"[0-7]{3,4}", mode):
        return int(mode[-1]) & 2 == 2
    return any(
        re.fullmatch(r"[ao]*\+[rwxXst]*w[rwxXst]*", part) and part[0] in "ao"
        for part in mode.split(",")
    )


def _sticky_tmp(mode: str, paths: list[str]) -> bool:
    sticky = mode in ("1777", "+t", "a+rwxt") or (len(mode) == 4 and mode[0] in "13")
    return sticky and all("tmp" in p for p in paths)


def _world_writable(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        for mode, paths in chmod_modes(command):
            if _world_writable_mode(mode) and not _sticky_tmp(mode, paths):
                yield Hit("DF060", instruction, f"{command.name} {mode} {' '.join(paths)}".strip())
        if (
            command.name == "umask"
            and command.args
            and command.args[0].endswith(("0", "1", "4", "5"))
        ):
            yield Hit("DF060", instruction, f"umask {command.args[0]}")
    for instruction in ctx.dockerfile.instructions:
        flag = instruction.flag("chmod") if instruction.keyword in ("COPY", "ADD") else None
        if flag and _world_writable_mode(flag):
            yield Hit("DF060", instruction, f"{instruction.keyword} --chmod={flag}")


_SENSITIVE_DIR = re.compile(r"(^|/)(logs?|secrets?|private|keys|certs|credentials|\.ssh)/?$")


def _others_read(mode: str | None) -> bool:
    if mode is None:
        return True  # the default umask 022 gives 755
    if re.fullmatch(r"[0-7]{3,4}", mode):
        return int(mode[-1]) & 4 == 4
    return bool(re.search(r"(^|,)[ao]*[ao]\+[^,]*r", mode))


def _sensitive_dirs(ctx: AuditContext) -> Iterator[Hit]:
    """Sensitive directories made along the final lineage and left readable by others."""
    state: dict[str, tuple[str | None, Instruction]] = {}
    for instruction, command in ctx.runs(ctx.final_chain):
        if command.name == "mkdir":
            modes = chmod_modes(command)
            mode = modes[0][0] if modes else None
            for path in (p for p in command.operands() if _SENSITIVE_DIR.search(p)):
                if mode is not None or path not in state:
                    state[path] = (mode, instruction)
        for mode, paths in chmod_modes(command) if command.name == "chmod" else []:
            for path in paths:
                if _SENSITIVE_DIR.search(path.rstrip("/")):
                    state[path.rstrip("/")] = (mode, instruction)
    for path, (mode, instruction) in state.items():
        if _others_read(mode):
            shown = "default 755" if mode is None else mode
            yield Hit("DF061", instruction, f"{path} readable by others ({shown})")


def _setuid(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        for mode, paths in chmod_modes(command):
            numeric = re.fullmatch(r"[0-7]{4}", mode) and int(mode[0]) & 6
            symbolic = re.search(r"(^|,)[ugoa]*\+[rwxX]*s", mode)
            if numeric or symbolic:
                yield Hit("DF062", instruction, f"{command.name} {mode} {' '.join(paths)}".strip())


_SECRET_LITERALS = (
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), "a GitLab token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"), "a private key"),
    (
        re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@$]+:[^/\s@$]{3,}@", re.IGNORECASE),
        "a password in a URL",
    ),
    (
        re.compile(
            r"authorization:\s*(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE
        ),
        "an Authorization header",
    ),
    (
        re.compile(r"(--password|--passwd|--token|--api-key|--secret)[= ][\"']?[^\s$\"'{]{4,}"),
        "a password option",
    ),
)


def secret_literal(text: str) -> str | None:
    """What kind of credential ``text`` contains literally, or None."""
    for pattern, what in _SECRET_LITERALS:
        if pattern.search(text):
            return what
    return None


def _literal_secrets(ctx: AuditContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword not in ("RUN", "COPY", "ADD"):
            continue
        texts = [instruction.text if instruction.keyword == "RUN" else ""]
        texts += [h.content for h in instruction.heredocs]
        for text in texts:
            what = secret_literal(text)
            if what:
                yield Hit("DF053", instruction, f"{instruction.keyword} contains {what}")
                break


def _pipefail(ctx: AuditContext) -> Iterator[Hit]:
    for stage in ctx.dockerfile.stages:
        shell_has_pipefail = False
        for instruction in stage.instructions:
            if instruction.keyword == "SHELL":
                shell_has_pipefail = "pipefail" in instruction.text
            if instruction.keyword != "RUN" or instruction.json or shell_has_pipefail:
                continue
            found = ctx.commands_of(instruction)
            if any(c.piped for c in found) and "pipefail" not in instruction.text:
                yield Hit("DF081", instruction, "a pipe in sh without set -o pipefail")


def _insecure_security(ctx: AuditContext) -> Iterator[Hit]:
    for instruction in ctx.dockerfile.instructions:
        if instruction.keyword == "RUN" and instruction.flag("security") == "insecure":
            yield Hit("DF076", instruction, "RUN --security=insecure")


CHECKS: tuple[Check, ...] = (
    _sudo,
    _sudoers,
    _passwords,
    _pipe_to_shell,
    _tls_disabled,
    _plain_http,
    _ssh_host_keys,
    _world_writable,
    _sensitive_dirs,
    _setuid,
    _literal_secrets,
    _pipefail,
    _insecure_security,
)
