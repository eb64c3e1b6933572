"""The events a forge delivery becomes, built the same way for every platform.

``Context`` holds what every event of one delivery shares (platform, delivery id, when it was
received, the budget for unmapped fields); its ``event`` builds one sealtrail event and adds the
payload's unread fields by the rule of ``sealtrail.vcs.payload``. The builders here
(``commit_event``, ``ref_event``, ``user``, ``when``…) are what the platform modules share.

Conventions of every ``vcs.*`` event:
- ``actor.id`` is the platform user name (``login``/``username``) when the payload has one, else
  the e-mail address, else the display name; a name ending in ``[bot]`` is a ``service``.
- ``target.repository`` is the repository's full name (``owner/name``, GitLab's
  ``path_with_namespace``); git refs are full (``refs/heads/main``, ``refs/tags/v1``).
- ``request_id`` is the delivery id, so the events of one delivery are found together.
- ``details.platform`` names the forge; long texts are cut to a fixed length, ending in ``…``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from sealtrail.access import printable
from sealtrail.errors import ValidationError
from sealtrail.events import DEFAULT_LIMITS, LEDGER_RESERVE, format_time, parse_time
from sealtrail.vcs.payload import Payload, unmapped

__all__ = [
    "FILES_BUDGET",
    "MAX_MESSAGE",
    "Context",
    "comment_event",
    "commit_event",
    "cut",
    "file_change",
    "first_line",
    "full_ref",
    "is_zero",
    "merge_event",
    "person",
    "ref_event",
    "ref_target",
    "user",
    "when",
]

MAX_MESSAGE = 4096  # characters of a commit message, comment or description kept
FILES_BUDGET = 16384  # bytes of file names kept per commit
_ZERO_SHA = re.compile(r"0+")
_MARGIN = 256  # bytes kept free under the event limit for encoding differences


@dataclass(frozen=True)
class Context:
    """What the events of one delivery share."""

    platform: str
    delivery: str
    received: str  # RFC 3339, the server's clock
    host: str | None = None
    budget: int = 8192
    max_event_bytes: int = DEFAULT_LIMITS.max_event_bytes

    def event(
        self,
        action: str,
        *,
        actor: dict[str, str],
        target: dict[str, Any] | None,
        message: str,
        details: Mapping[str, Any],
        payload: Payload | None = None,
        time: str | None = None,
        outcome: str = "success",
    ) -> dict[str, Any]:
        """One event; ``payload``'s unread fields go to ``details`` within the budget."""
        source = {"service": self.platform, **({"host": self.host} if self.host else {})}
        event: dict[str, Any] = {
            "time": time or self.received,
            "action": action,
            "outcome": outcome,
            "actor": actor,
            "source": source,
            "request_id": self.delivery,
            "message": printable(message, 1024),
            "details": {"platform": self.platform, **details},
        }
        if target is not None:
            event["target"] = target
        if payload is not None:
            room = self.max_event_bytes - LEDGER_RESERVE - _MARGIN - len(orjson.dumps(event))
            event["details"].update(unmapped(payload, max(0, min(self.budget, room))).details())
        return event


def user(name: str | None, **client: str) -> dict[str, str]:
    """The actor for a platform user name (``[bot]`` names are services)."""
    if not name:
        return {"id": "unknown", "type": "anonymous", **client}
    kind = "service" if name.endswith("[bot]") else "user"
    return {"id": printable(name, 256), "type": kind, **client}


def person(payload: Payload, path: str) -> dict[str, str]:
    """A commit's author or committer: name, email, username, those present."""
    found = {key: payload.optional_text(f"{path}.{key}") for key in ("name", "email", "username")}
    return {key: value for key, value in found.items() if value}


def when(value: object, fallback: str) -> str:
    """A forge's timestamp as RFC 3339 UTC: RFC 3339 with any offset, GitLab's
    ``2013-12-03 17:23:34 UTC`` or ``… +0200``, or epoch seconds or milliseconds; ``fallback``
    (the time received) when there is none or it cannot be read."""
    if isinstance(value, bool) or value is None:
        return fallback
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return format_time(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return fallback
    if isinstance(value, str):
        try:
            return format_time(parse_time(value))
        except ValidationError:
            pass
        for pattern in ("%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S %z"):
            try:
                parsed = datetime.strptime(value, pattern)
            except ValueError:
                continue
            return format_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    return fallback


def cut(text: str | None, limit: int = MAX_MESSAGE) -> str | None:
    """``text`` cut to ``limit`` characters, the last becoming ``…`` when it was longer."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0][:200]


def full_ref(ref: str, kind: str) -> str:
    """``main`` as ``refs/heads/main`` (``kind`` branch) or ``refs/tags/main`` (tag)."""
    if ref.startswith("refs/"):
        return ref
    return f"refs/{'tags' if kind == 'tag' else 'heads'}/{ref}"


def is_zero(sha: str | None) -> bool:
    """The all-zero object id a forge sends for a ref that did not exist (or no longer does)."""
    return bool(sha) and _ZERO_SHA.fullmatch(sha or "") is not None


def ref_target(repository: str, ref: str) -> dict[str, Any]:
    return {"type": "git_ref", "id": f"{repository}@{ref}", "repository": repository, "ref": ref}


def ref_event(
    ctx: Context,
    verb: str,
    repository: str,
    ref: str,
    actor: dict[str, str],
    payload: Payload | None,
    **details: Any,
) -> dict[str, Any]:
    """``vcs.branch_create|branch_delete|tag_create|tag_delete`` for a full ``ref``."""
    kind = "tag" if ref.startswith("refs/tags/") else "branch"
    name = ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
    done = "created" if verb == "create" else "deleted"
    return ctx.event(
        f"vcs.{kind}_{verb}",
        actor=actor,
        target=ref_target(repository, ref),
        message=f"{actor['id']} {done} {kind} {name} in {repository}",
        details=details,
        payload=payload,
    )


def comment_event(
    ctx: Context,
    comment: Payload,
    payload: Payload,
    actor: dict[str, str],
    target: dict[str, Any],
    details: dict[str, Any],
) -> list[dict[str, Any]]:
    """One ``vcs.comment`` by ``actor`` on ``target`` (its ``type`` is what was commented on),
    at the comment's last change; ``details`` without its empty (None) values."""
    on = target["type"]
    return [
        ctx.event(
            "vcs.comment",
            time=when(comment.get("updated_at") or comment.get("created_at"), ctx.received),
            actor=actor,
            target=target,
            message=f"{actor['id']} {details['action']} a comment on {on.replace('_', ' ')} "
            f"{target['id']}",
            details={key: value for key, value in details.items() if value is not None},
            payload=payload,
        )
    ]


def merge_event(
    ctx: Context,
    actor: dict[str, str],
    target: dict[str, Any],
    time: str,
    **details: Any,
) -> dict[str, Any]:
    """``vcs.merge`` of the pull or merge request ``target`` into its ``ref``, by ``actor``."""
    return ctx.event(
        "vcs.merge",
        time=time,
        actor=actor,
        target=target,
        message=f"{actor['id']} merged {target['id']} into {target['ref']}",
        details=details,
    )


def commit_event(ctx: Context, commit: Payload, repository: str, ref: str) -> dict[str, Any]:
    """``vcs.commit`` for one commit of a push, its files as ``details.file_change``."""
    sha = commit.text("id")
    author, committer = person(commit, "author"), person(commit, "committer")
    who = author.get("username") or author.get("email") or author.get("name")
    text = commit.optional_text("message")
    commit.get("title")  # GitLab's first line of the message: the message is kept whole
    details: dict[str, Any] = {
        "message": cut(text),
        "author": author,
        "committer": committer or None,
        "timestamp": commit.optional_text("timestamp"),
        "file_change": file_change(commit),
    }
    return ctx.event(
        "vcs.commit",
        time=when(commit.get("timestamp"), ctx.received),
        actor=user(who),
        target={"type": "git_commit", "id": sha, "repository": repository, "ref": ref},
        message=f"{who or 'someone'} committed {sha[:12]} to {repository}: {first_line(text)}",
        details={key: value for key, value in details.items() if value is not None},
        payload=commit,
    )


def file_change(commit: Payload) -> dict[str, Any]:
    """The commit's ``added``, ``modified`` and ``removed`` paths, in that order, until their
    names take ``FILES_BUDGET`` bytes; the number of paths left out is ``omitted``."""
    change: dict[str, Any] = {}
    left, omitted = FILES_BUDGET, 0
    for kind in ("added", "modified", "removed"):
        kept = []
        for path in commit.get(kind) or []:
            size = len(orjson.dumps(path)) + 1
            if isinstance(path, str) and size <= left:
                kept.append(path)
                left -= size
            else:
                omitted += 1
        change[kind] = kept
    if omitted:
        change["omitted"] = omitted
    return change
