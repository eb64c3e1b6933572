"""Shell command lines as commands with arguments, the way ``sh`` would split them.

A RUN line is split into words (POSIX quoting, ``#`` comments) and then into commands at the
control operators ``&&``, ``||``, ``;``, ``|``, ``&``, newlines and the parentheses of subshells
and ``$(...)``. Each command remembers whether its output is piped into the next one, so
``curl … | sh`` is a fact about two commands rather than a substring. Wrappers are looked through:
``sudo``, ``env``, ``nice``, ``xargs`` … and ``VAR=value`` prefixes; the script of ``sh -c '…'`` is
split in turn.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

__all__ = ["Command", "commands"]

_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ";;", "(", ")", "$(", "`", "\n", "|&"})
_WRAPPERS = frozenset({"env", "nice", "nohup", "time", "exec", "command", "xargs", "stdbuf"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
_MAX_DEPTH = 4


@dataclass(frozen=True)
class Command:
    """One simple command: its name (basename of argv[0]) and arguments.

    ``piped`` is True when its output goes into the next command through ``|``; ``sudo`` when
    it ran through sudo (or su -c); ``env`` holds ``VAR=value`` prefixes.
    """

    name: str
    args: tuple[str, ...]
    piped: bool = False
    sudo: bool = False
    env: tuple[str, ...] = ()

    @property
    def argv(self) -> tuple[str, ...]:
        return (self.name, *self.args)

    def has(self, *options: str) -> bool:
        """True when any of ``options`` is an argument (``-k`` also inside ``-fsSLk``)."""
        for arg in self.args:
            if arg in options or any(
                arg.startswith(f"{o}=") for o in options if o.startswith("--")
            ):
                return True
            short = arg.startswith("-") and not arg.startswith("--") and len(arg) > 2
            if short and any(len(o) == 2 and o[0] == "-" and o[1] in arg[1:] for o in options):
                return True
        return False

    def operands(self) -> list[str]:
        """The arguments that are not options (crudely: those not starting with ``-``)."""
        return [a for a in self.args if not a.startswith("-")]

    @property
    def subcommand(self) -> str | None:
        """The first operand (``install`` of ``apt-get -y install x``)."""
        found = self.operands()
        return found[0] if found else None


def commands(script: str, depth: int = 0) -> list[Command]:
    """Every simple command in ``script``, in order; an unbalanced quote falls back to words."""
    text = script.replace("\\\n", " ")
    found: list[Command] = []
    for words, piped in _pipeline_parts(_words(text)):
        command = _command(words, piped)
        if command is None:
            continue
        inner = _inner_script(command)
        if inner is not None and depth < _MAX_DEPTH:
            nested = commands(inner, depth + 1)
            if nested and piped:
                last = nested[-1]
                nested[-1] = Command(last.name, last.args, True, last.sudo, last.env)
            found.extend(nested)
        else:
            found.append(command)
    return found


def _words(text: str) -> list[str]:
    lexer = shlex.shlex(_without_comments(text), posix=True, punctuation_chars=";&|()`\n")
    lexer.whitespace = " \t\r"
    lexer.commenters = ""
    lexer.whitespace_split = True
    try:
        return [_operator(w) for w in lexer]
    except ValueError:  # an unbalanced quote: sh would fail too; read the words plainly
        return text.replace("\n", " ; ").split()


def _without_comments(text: str) -> str:
    """``text`` less its comments: a ``#`` that starts a word outside quotes, to the line end."""
    out: list[str] = []
    quote = ""
    skipping = False
    previous = " "
    for char in text:
        if skipping:
            skipping = char != "\n"
            if skipping:
                continue
        elif quote:
            quote = "" if char == quote and previous != "\\" else quote
        elif char in "\"'" and previous != "\\":
            quote = char
        elif char == "#" and previous in " \t\n;&|(":
            skipping = True
            continue
        out.append(char)
        previous = char
    return "".join(out)


def _operator(word: str) -> str:
    if word.endswith("$(") or word == "$":
        return "$("
    return word


def _pipeline_parts(words: list[str]) -> list[tuple[list[str], bool]]:
    """The words of each simple command and whether ``|`` follows it."""
    parts: list[tuple[list[str], bool]] = []
    current: list[str] = []
    for word in words:
        if word in _OPERATORS or (set(word) <= set(";&|()`\n") and word):
            if current:
                parts.append((current, word in ("|", "|&")))
            current = []
        elif word.endswith("$("):
            if word[:-2]:
                current.append(word[:-2])
            if current:
                parts.append((current, False))
            current = []
        else:
            current.append(word)
    if current:
        parts.append((current, False))
    return parts


def _command(words: list[str], piped: bool) -> Command | None:
    env: list[str] = []
    sudo = False
    rest = list(words)
    while rest:
        head = rest[0]
        name = head.rsplit("/", 1)[-1]
        if _is_assignment(head):
            env.append(rest.pop(0))
        elif name in ("sudo", "doas"):
            sudo = True
            rest = _drop_options(rest[1:], takes_value={"-u", "-g", "-C", "-h", "-p"})
        elif name in _WRAPPERS:
            rest = _drop_options(rest[1:], takes_value={"-n", "-u", "-I", "-P", "-o", "-e"})
        elif name in ("!", "{", "}", "then", "do", "else", "if", "while", "until", "elif"):
            rest.pop(0)
        else:
            return Command(name, tuple(rest[1:]), piped, sudo, tuple(env))
    return None


def _is_assignment(word: str) -> bool:
    name, sep, _ = word.partition("=")
    return bool(sep) and name.replace("_", "a").isalnum() and not name[0].isdigit()


def _drop_options(words: list[str], takes_value: set[str]) -> list[str]:
    rest = list(words)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in takes_value and rest:
            rest.pop(0)
    return rest


def _inner_script(command: Command) -> str | None:
    """The script of ``sh -c 'script'`` or ``su -c 'script'``, if this is one."""
    if command.name not in _SHELLS and command.name != "su":
        return None
    args = list(command.args)
    for n, arg in enumerate(args):
        if arg == "-c" or (arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]):
            return args[n + 1] if n + 1 < len(args) else None
    return None
