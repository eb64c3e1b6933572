"""Forge audit logs: clones, fetches, pushes and sign-ins, streamed or imported from a file.

GitHub's audit log (streamed, or exported as JSON) has one entry per action; these become events:

| GitHub ``action`` | event |
|---|---|
| ``git.clone``, ``git.fetch``, ``git.push`` | ``vcs.clone``, ``vcs.fetch``, ``vcs.push`` (target: the repository) |
| ``user.login`` | ``auth.login`` |
| ``user.failed_login``, ``user.two_factor_challenge_failure`` | ``auth.login_failed`` |
| ``user.logout`` | ``auth.logout`` |

GitLab streams its audit events one per request; ``repository_git_operation`` (``git-upload-pack``
is a fetch, or a clone when ``custom_message.verb`` says so; ``git-receive-pack`` a push) and its
sign-in events (an event type with ``login_failed`` or a ``details.failed_login`` is a failed
sign-in, its actor the account tried; ``user_logged_out`` a sign-out; ``user_logged_in``, ``user_authenticated`` or an
``authenticated_with_*`` type, or ``details.with``, a sign-in) become events. Gitea publishes no
audit-log stream. Other entries are skipped, with the reason counted.

Each entry's key is its platform's own id (``_document_id``, GitLab's ``id``), or the SHA-256 of
its canonical JSON when it has none, so a re-streamed or re-imported entry adds nothing; the
events also carry it as ``request_id``. Unused entry fields are kept in ``details.unmapped`` by
the rule of ``sealtrail.vcs.payload``.
"""  # noqa: E501

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from sealtrail.access import client_fields
from sealtrail.errors import ValidationError
from sealtrail.importers import ImportedEvent, SkippedLine
from sealtrail.vcs.config import DEFAULT_UNMAPPED_BYTES
from sealtrail.vcs.payload import Payload
from sealtrail.vcs.records import Context, user, when

__all__ = [
    "STREAMING_PLATFORMS",
    "Skip",
    "entry_events",
    "entry_key",
    "github_event",
    "gitlab_event",
    "parse",
    "read_entries",
]

STREAMING_PLATFORMS = ("github", "gitlab")
_GITHUB = {
    "git.clone": "vcs.clone",
    "git.fetch": "vcs.fetch",
    "git.push": "vcs.push",
    "user.login": "auth.login",
    "user.failed_login": "auth.login_failed",
    "user.two_factor_challenge_failure": "auth.login_failed",
    "user.logout": "auth.logout",
}
_GIT_OPERATIONS = {"git-upload-pack": "vcs.fetch", "git-receive-pack": "vcs.push"}
_VERBS = {"clone": "vcs.clone", "pull": "vcs.fetch", "fetch": "vcs.fetch", "push": "vcs.push"}
_DONE = {
    "vcs.clone": "cloned",
    "vcs.fetch": "fetched",
    "vcs.push": "pushed to",
    "auth.login": "signed in",
    "auth.logout": "signed out",
    "auth.login_failed": "failed to sign in",
}
_NOT_JSON = object()
_SIGN_INS = {"user_logged_in", "user_authenticated", "user_signed_in"}


class Skip(Exception):
    """An entry that is no event, for a short reason the same for entries alike."""


def entry_key(platform: str, entry: Mapping[str, Any], own_id: object) -> str:
    if isinstance(own_id, str | int) and not isinstance(own_id, bool) and str(own_id):
        return f"audit:{platform}:{str(own_id)[:200]}"
    digest = hashlib.sha256(orjson.dumps(entry, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"audit:{platform}:sha256:{digest}"


def github_event(
    entry: Mapping[str, Any], budget: int = DEFAULT_UNMAPPED_BYTES
) -> tuple[str, dict[str, Any]]:
    """The key and event of one GitHub audit-log entry; ``Skip`` when it is not one we map."""
    p = Payload(entry, "entry")
    action = p.optional_text("action")
    if action not in _GITHUB:
        raise Skip("not a clone, fetch, push or sign-in")
    mapped = _GITHUB[action]
    key = entry_key("github", entry, p.get("_document_id"))
    moment = when(p.get("@timestamp") or p.get("created_at"), "")
    if not moment:
        raise Skip("no @timestamp")
    name = p.optional_text("actor") or p.optional_text("user")
    client = client_fields(p.optional_text("actor_ip"), p.optional_text("user_agent"))
    details = {
        "audit_action": action,
        "transport": p.optional_text("transport_protocol_name"),
        "org": p.optional_text("org"),
        "business": p.optional_text("business"),
        "country": p.optional_text("actor_location.country_code"),
        "document_id": p.optional_text("_document_id"),
    }
    return key, _event(
        Context("github", key.split(":", 2)[2], moment, budget=budget),
        mapped,
        user(name, **client),
        p.optional_text("repo") or p.optional_text("repository"),
        details,
        p,
    )


def gitlab_event(
    entry: Mapping[str, Any], budget: int = DEFAULT_UNMAPPED_BYTES
) -> tuple[str, dict[str, Any]]:
    """The key and event of one GitLab streamed audit event; ``Skip`` when it is not one we map."""
    p = Payload(entry, "entry")
    kind = p.optional_text("event_type") or ""
    mapped = _gitlab_action(p, kind)
    key = entry_key("gitlab", entry, p.get("id"))
    moment = when(p.get("created_at"), "")
    if not moment:
        raise Skip("no created_at")
    name = p.optional_text("author_name") or p.optional_text("details.author_name")
    if mapped == "auth.login_failed":  # the author is "An unauthenticated user": name the account
        name = p.optional_text("details.author_name") or p.optional_text("target_details") or name
    client = client_fields(p.optional_text("ip_address"), None)
    repository = p.optional_text("entity_path") if mapped.startswith("vcs.") else None
    details = {
        "audit_action": kind,
        "author_id": p.get("author_id"),
        "protocol": p.optional_text("details.custom_message.protocol"),
        "operation": p.optional_text("details.custom_message.action"),
        "target": p.optional_text("target_details"),
    }
    return key, _event(
        Context("gitlab", key.split(":", 2)[2], moment, budget=budget),
        mapped,
        user(name, **client),
        repository,
        details,
        p,
    )


def _gitlab_action(p: Payload, kind: str) -> str:
    if kind == "repository_git_operation":
        verb = p.optional_text("details.custom_message.verb")
        operation = p.optional_text("details.custom_message.action") or ""
        found = _VERBS.get(verb or "") or _GIT_OPERATIONS.get(operation)
        if found is None:
            raise Skip("a git operation that is not a clone, fetch or push")
        return found
    if "login_failed" in kind or p.get("details.failed_login") is not None:
        return "auth.login_failed"
    if kind == "user_logged_out":
        return "auth.logout"
    if kind in _SIGN_INS or kind.startswith("authenticated_with") or p.get("details.with"):
        return "auth.login"
    raise Skip("not a clone, fetch, push or sign-in")


def _event(
    ctx: Context,
    action: str,
    actor: dict[str, str],
    repository: str | None,
    details: dict[str, Any],
    p: Payload,
) -> dict[str, Any]:
    kept = {key: value for key, value in details.items() if value is not None}
    target: dict[str, Any] | None = None
    where = f"on {ctx.platform}"
    if action.startswith("vcs."):
        if not repository:
            raise Skip("no repository")
        target = {"type": "repository", "id": repository, "repository": repository}
        where = repository
    message = f"{actor['id']} {_DONE[action]} {where}"
    failed = action == "auth.login_failed"
    return ctx.event(
        action,
        time=ctx.received,
        actor=actor,
        target=target,
        message=message,
        details=kept,
        payload=p,
        outcome="failure" if failed else "success",
    )


def entry_events(
    platform: str, entries: Iterable[tuple[int, object]], budget: int = DEFAULT_UNMAPPED_BYTES
) -> Iterator[ImportedEvent | SkippedLine]:
    """The events of ``(position, entry)`` pairs of ``platform``'s audit log, keyed, or why not."""
    build = github_event if platform == "github" else gitlab_event
    for position, entry in entries:
        if entry is _NOT_JSON:
            yield SkippedLine(position, "not JSON")
            continue
        if isinstance(entry, Mapping) and isinstance(entry.get("event"), Mapping):
            entry = entry["event"]  # a Splunk HTTP Event Collector envelope
        if not isinstance(entry, Mapping):
            yield SkippedLine(position, "not a JSON object")
            continue
        try:
            key, event = build(entry, budget)
        except Skip as reason:
            yield SkippedLine(position, str(reason))
        except ValidationError as error:
            yield SkippedLine(position, f"malformed entry: {error}")
        else:
            yield ImportedEvent(position, key, event)


def read_entries(text: str) -> Iterator[tuple[int, object]]:
    """The JSON values in ``text``: one array of entries, or values one after another (JSON
    lines, or concatenated as a Splunk collector receives them), each with its position (1-based);
    ``ValidationError`` at the first that is not JSON."""
    decoder = json.JSONDecoder()
    position, index, end = 0, 0, len(text)
    while True:
        while index < end and text[index] in " \t\r\n":
            index += 1
        if index >= end:
            return
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            raise ValidationError(
                f"body: malformed JSON at character {error.pos}: {error.msg}"
            ) from None
        if isinstance(value, list) and position == 0:
            yield from enumerate(value, 1)
            position = len(value)
            continue
        position += 1
        yield position, value


def parse(lines: Iterable[str]) -> Iterator[ImportedEvent | SkippedLine]:
    """The ``github-audit-log`` import format: GitHub's audit log as JSON lines (a stream's
    files), or the JSON array an export holds; a line that is not JSON is skipped."""
    lines = iter(lines)
    head: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            break
    if head and head[-1].lstrip().startswith("["):
        yield from entry_events("github", read_entries("".join(head) + "".join(lines)))
        return
    yield from entry_events("github", _json_lines(head, lines))


def _json_lines(*parts: Iterable[str]) -> Iterator[tuple[int, object]]:
    number = 0
    for part in parts:
        for line in part:
            number += 1
            text = line.strip()
            if not text:
                continue
            try:
                yield number, orjson.loads(text)
            except orjson.JSONDecodeError:
                yield number, _NOT_JSON
