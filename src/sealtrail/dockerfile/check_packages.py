"""Package manager checks: version pinning, lone updates, removals that remove nothing, build
tools and SSH servers left in the final image, and disabled signature checks."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sealtrail.dockerfile.context import AuditContext, Check, Hit
from sealtrail.dockerfile.parse import Instruction
from sealtrail.dockerfile.shell import Command

__all__ = ["CHECKS", "installed_packages", "is_pip"]

_APT = frozenset({"apt-get", "apt", "aptitude"})
_RPM = frozenset({"dnf", "yum", "microdnf", "tdnf", "zypper"})
_APT_VALUED = {"-o", "-t", "-c", "--target-release", "--option", "--config-file"}
_APK_VALUED = {
    "-t",
    "--virtual",
    "-X",
    "--repository",
    "--root",
    "-p",
    "--repositories-file",
    "--keys-dir",
    "--arch",
    "--cache-dir",
}
_RPM_VALUED = {
    "-x",
    "--exclude",
    "--setopt",
    "--releasever",
    "--installroot",
    "-c",
    "--config",
    "--enablerepo",
    "--disablerepo",
    "--repo",
    "--nobest",
}
_PIP_VALUED = {
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--progress-bar",
    "--cache-dir",
    "--src",
    "--upgrade-strategy",
    "--only-binary",
    "--no-binary",
    "--timeout",
    "--retries",
    "--log",
    "--proxy",
    "--cert",
    "--client-cert",
    "--python",
}
_VALUED = _APT_VALUED | _APK_VALUED | _RPM_VALUED
_PIP_FILES = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable"}
_NPM_VALUED = {"--prefix", "--registry", "--cache", "--userconfig", "-w", "--workspace"}
BUILD_TOOLS = frozenset(
    {
        "build-essential",
        "gcc",
        "g++",
        "gcc-c++",
        "clang",
        "make",
        "cmake",
        "autoconf",
        "automake",
        "libtool",
        "gfortran",
        "musl-dev",
        "libc-dev",
        "libc6-dev",
        "golang",
        "rustc",
        "cargo",
    }
)
SSH_SERVERS = frozenset({"openssh-server", "dropbear", "openssh"})


def is_pip(command: Command) -> list[str] | None:
    """The pip arguments when ``command`` runs pip (``pip3 …``, ``python -m pip …``)."""
    if re.fullmatch(r"pip[0-9.]*", command.name):
        return list(command.args)
    if re.fullmatch(r"python[0-9.]*", command.name) and command.args[:2] == ("-m", "pip"):
        return list(command.args[2:])
    if command.name == "uv" and command.args[:1] == ("pip",):
        return list(command.args[1:])
    return None


def _operands(args: list[str] | tuple[str, ...], valued: set[str]) -> list[str]:
    """Arguments that are not options nor option values, after the subcommand."""
    found: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in valued
        else:
            found.append(arg)
    return found[1:]  # the first operand is the subcommand


def installed_packages(command: Command) -> tuple[str, list[str]] | None:
    """(manager, package words) when ``command`` installs packages with a system manager."""
    sub = command.subcommand
    if command.name in _APT and sub == "install":
        return "apt", _operands(command.args, _APT_VALUED)
    if command.name == "apk" and sub == "add":
        return "apk", _operands(command.args, _APK_VALUED)
    if command.name in _RPM and sub in ("install", "in"):
        return "rpm", _operands(command.args, _RPM_VALUED)
    return None


def _unpinned(manager: str, word: str) -> bool:
    if "$" in word or word.startswith((".", "/")) or word.endswith((".deb", ".rpm", ".apk")):
        return False
    if manager == "apt":
        return "=" not in word and not word.endswith("/")
    if manager == "apk":
        return "=" not in word
    return not re.search(r"-\d|=", word)


def _system_pins(ctx: AuditContext) -> Iterator[Hit]:
    rule = {"apt": "DF020", "apk": "DF021", "rpm": "DF022"}
    for instruction, command in ctx.runs():
        found = installed_packages(command)
        if found is None:
            continue
        manager, words = found
        loose = [w for w in words if _unpinned(manager, ctx.expand(instruction, w))]
        if loose:
            yield Hit(rule[manager], instruction, f"unpinned: {', '.join(loose)}")


def _pip_pins(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        args = is_pip(command)
        if not args or args[0] != "install" or "--require-hashes" in args:
            continue
        loose = [
            w for w in _pip_requirements(args[1:]) if not _pip_pinned(ctx.expand(instruction, w))
        ]
        if loose:
            yield Hit("DF023", instruction, f"unpinned: {', '.join(loose)}")


def _pip_requirements(args: list[str]) -> list[str]:
    found: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _PIP_FILES or arg in _PIP_VALUED:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def _pip_pinned(word: str) -> bool:
    if "$" in word or word.startswith((".", "/")) or word.endswith((".whl", ".tar.gz", ".zip")):
        return True
    if "://" in word or "@" in word:
        return bool(re.search(r"@[0-9a-f]{40}|\.whl|#sha256=", word))
    return bool(re.search(r"(===?|~=)\s*[0-9A-Za-z]", word))


def _npm_pins(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.name not in ("npm", "yarn", "pnpm") or command.subcommand not in (
            "install",
            "i",
            "add",
            "global",
        ):
            continue
        args = [a for a in command.args if a != "global"]
        loose = [
            w for w in _operands(args, _NPM_VALUED) if not _npm_pinned(ctx.expand(instruction, w))
        ]
        if loose:
            yield Hit("DF024", instruction, f"unpinned: {', '.join(loose)}")


def _npm_pinned(word: str) -> bool:
    if "$" in word or word.startswith((".", "/", "file:", "git+")) or word.endswith(".tgz"):
        return True
    _, _, version = word[1:].partition("@") if word.startswith("@") else word.partition("@")
    return bool(version) and version not in ("latest", "next", "*")


def _gem_pins(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.name != "gem" or command.subcommand != "install":
            continue
        if command.has("-v", "--version"):
            continue
        loose = [
            w
            for w in _operands(command.args, {"--source", "-s", "-i", "--install-dir"})
            if ":" not in w and "$" not in w and not w.endswith(".gem")
        ]
        if loose:
            yield Hit("DF025", instruction, f"unpinned: {', '.join(loose)}")


def _go_pins(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.name != "go" or command.subcommand not in ("install", "get"):
            continue
        for word in _operands(command.args, {"-o", "-C", "-tags", "-ldflags", "-gcflags"}):
            path, _, version = word.partition("@")
            remote = "." in path.split("/")[0] and not path.startswith(".")
            if version in ("latest", "master", "main", "HEAD") or (remote and not version):
                yield Hit("DF026", instruction, f"unpinned: {word}")


# Subcommands that read the index just updated, so an update before them in the same RUN is used.
_UPGRADES = frozenset({"upgrade", "dist-upgrade", "full-upgrade"})


def _update_alone(ctx: AuditContext) -> Iterator[Hit]:
    for stage in ctx.dockerfile.stages:
        for instruction in stage.of("RUN"):
            found = ctx.commands_of(instruction)
            updates = [c for c in found if c.subcommand == "update" and c.name in {*_APT, "apk"}]
            installs = [c for c in found if installed_packages(c) or c.subcommand in _UPGRADES]
            if updates and not installs:
                yield Hit("DF027", instruction, f"{updates[0].name} update without an install")


def _dist_upgrade(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        if command.name in _APT and command.subcommand in ("dist-upgrade", "full-upgrade"):
            yield Hit("DF028", instruction, f"{command.name} {command.subcommand}")


_REMOVALS = {
    **dict.fromkeys(_APT, ("remove", "purge")),
    "apk": ("del",),
    **dict.fromkeys(_RPM, ("remove", "erase", "rm")),
    "npm": ("uninstall", "rm", "remove"),
}


def _empty_removal(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        subs = _REMOVALS.get(command.name)
        pip = is_pip(command)
        if pip is not None and pip[:1] == ["uninstall"] and not _operands(pip, set()):
            yield Hit("DF029", instruction, "pip uninstall names no package")
        elif subs and command.subcommand in subs and not _operands(command.args, _VALUED):
            yield Hit("DF029", instruction, f"{command.name} {command.subcommand} names no package")


def _final_packages(ctx: AuditContext) -> dict[str, Instruction]:
    """Packages installed along the final stage's lineage and not removed, with where."""
    kept: dict[str, Instruction] = {}
    groups: dict[str, list[str]] = {}
    for instruction, command in ctx.runs(ctx.final_chain):
        found = installed_packages(command)
        if found is not None:
            names = [re.split(r"[=<>~]", w)[0] for w in found[1]]
            kept.update(dict.fromkeys(names, instruction))
            virtual = _virtual(command)
            if virtual:
                groups[virtual] = names
        elif command.subcommand in _REMOVALS.get(command.name, ()):
            for word in _operands(command.args, _APT_VALUED | _APK_VALUED):
                for name in groups.get(word, [word]):
                    kept.pop(name, None)
    return kept


def _virtual(command: Command) -> str | None:
    args = list(command.args)
    for n, arg in enumerate(args):
        if arg in ("-t", "--virtual") and n + 1 < len(args):
            return args[n + 1]
        if arg.startswith("--virtual="):
            return arg.partition("=")[2]
    return None


def _build_tools(ctx: AuditContext) -> Iterator[Hit]:
    kept = _final_packages(ctx)
    tools = sorted(name for name in kept if name in BUILD_TOOLS)
    if tools:
        yield Hit("DF030", kept[tools[0]], f"left in the final image: {', '.join(tools)}")


def _ssh_server(ctx: AuditContext) -> Iterator[Hit]:
    kept = _final_packages(ctx)
    for name in sorted(set(kept) & SSH_SERVERS):
        yield Hit("DF032", kept[name], f"{name} installed in the final image")


_UNVERIFIED = {
    "--allow-unauthenticated",
    "--force-yes",
    "--allow-insecure-repositories",
    "--allow-downgrades",
    "--allow-untrusted",
    "--nogpgcheck",
    "--nosignature",
    "--nodigest",
    "--no-gpg-checks",
    "--no-check-signature",
}


def _unverified_packages(ctx: AuditContext) -> Iterator[Hit]:
    for instruction, command in ctx.runs():
        bad = sorted(
            {a.split("=")[0] for a in command.args} & (_UNVERIFIED - {"--allow-downgrades"})
        )
        text = " ".join(command.args)
        if "[trusted=yes]" in text or re.search(r"gpgcheck\s*=\s*0", text):
            bad.append("[trusted=yes]" if "[trusted=yes]" in text else "gpgcheck=0")
        if re.search(r"AllowUnauthenticated\s*\"?\s*(true|1)", text, re.IGNORECASE):
            bad.append("APT::Get::AllowUnauthenticated")
        if bad:
            yield Hit("DF031", instruction, f"{command.name} {' '.join(bad)}")


CHECKS: tuple[Check, ...] = (
    _system_pins,
    _pip_pins,
    _npm_pins,
    _gem_pins,
    _go_pins,
    _update_alone,
    _dist_upgrade,
    _empty_removal,
    _build_tools,
    _ssh_server,
    _unverified_packages,
)
