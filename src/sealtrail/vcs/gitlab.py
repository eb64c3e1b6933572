"""GitLab webhook deliveries as events, by the payload's ``object_kind``.

| ``object_kind`` | events |
|---|---|
| ``push`` | ``vcs.push``, one ``vcs.commit`` per commit; a new branch also ``vcs.branch_create``, a removed one ``vcs.branch_delete`` (GitLab has no separate create/delete hook) |
| ``tag_push`` | ``vcs.push`` and ``vcs.tag_create`` or ``vcs.tag_delete`` |
| ``merge_request`` | ``vcs.pull_request`` (``details.action``: opened, reopened, closed, synchronized when ``oldrev`` says new commits came, updated, approved, unapproved, merged); a merge also ``vcs.merge`` |
| ``note`` | ``vcs.comment`` on a merge request, issue, commit or snippet |

GitLab does not say whether a push was forced: ``details.forced`` is null (unknown). A merge
request's id is ``group/project!iid``, an issue's ``group/project#iid``.
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sealtrail.vcs.payload import Payload
from sealtrail.vcs.records import (
    Context,
    comment_event,
    commit_event,
    cut,
    first_line,
    full_ref,
    is_zero,
    merge_event,
    ref_event,
    ref_target,
    user,
    when,
)

__all__ = ["HANDLERS", "merge_request", "note", "push"]

Handler = Callable[[Payload, Context], list[dict[str, Any]]]
_VERBS = {
    "open": "opened",
    "reopen": "reopened",
    "close": "closed",
    "update": "updated",
    "approved": "approved",
    "approval": "approved",
    "unapproved": "unapproved",
    "unapproval": "unapproved",
    "merge": "merged",
}
_NOTEABLE = {
    "MergeRequest": ("pull_request", "merge_request", "!"),
    "Issue": ("issue", "issue", "#"),
    "Snippet": ("snippet", "snippet", "$"),
}


def _repository(p: Payload) -> str:
    return p.text("project.path_with_namespace")


def push(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """``push`` and ``tag_push``: the push, its commits, and the ref it made or removed."""
    repository, ref = _repository(p), p.text("ref")
    before, after = p.text("before"), p.text("after")
    commits = p.items("commits")
    actor = user(p.optional_text("user_username") or p.optional_text("user_name"))
    count = p.get("total_commits_count")
    count = count if isinstance(count, int) else len(commits)
    event = ctx.event(
        "vcs.push",
        actor=actor,
        target=ref_target(repository, ref),
        message=f"{actor['id']} pushed {count} commit{'s' * (count != 1)} to {repository} {ref}",
        details={
            "before": before,
            "after": after,
            "forced": None,
            "created": is_zero(before),
            "deleted": is_zero(after),
            "pusher": {k: v for k in ("name", "email") if (v := p.optional_text(f"user_{k}"))},
            "commits": count,
            "checkout_sha": p.optional_text("checkout_sha"),
        },
        payload=p,
    )
    events = [event]
    if is_zero(before) or is_zero(after):
        verb = "create" if is_zero(before) else "delete"
        sha = {"sha": after if verb == "create" else before}
        events.append(ref_event(ctx, verb, repository, ref, actor, None, **sha))
    events.extend(commit_event(ctx, commit, repository, ref) for commit in commits)
    return events


def merge_request(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """A merge request's change; ``update`` with ``oldrev`` is new commits (synchronized)."""
    repository, mr = _repository(p), p.child("object_attributes")
    p.get("object_attributes")
    verb = _verb(mr)
    iid = mr.get("iid")
    target = {
        "type": "pull_request",
        "id": f"{repository}!{iid}",
        "repository": repository,
        "number": iid,
        "ref": full_ref(mr.text("target_branch"), "branch"),
    }
    actor = user(p.optional_text("user.username") or p.optional_text("user.name"))
    title = mr.optional_text("title")
    head = {"ref": mr.optional_text("source_branch"), "sha": mr.optional_text("last_commit.id")}
    details = {
        "action": verb,
        "title": cut(title, 512),
        "state": mr.optional_text("state"),
        "head": head,
        "base": {"ref": mr.optional_text("target_branch")},
        "oldrev": mr.optional_text("oldrev"),
        "web_url": mr.optional_text("url"),
    }
    time = when(mr.get("updated_at"), ctx.received)
    message = f"{actor['id']} {verb} merge request {target['id']}: {first_line(title)}"
    kept = {key: value for key, value in details.items() if value is not None}
    pull_request = ctx.event(
        "vcs.pull_request", time=time, actor=actor, target=target, message=message, details=kept,
        payload=p,
    )  # fmt: skip
    events = [pull_request]
    if verb == "merged":
        commit = mr.optional_text("merge_commit_sha")
        events.append(merge_event(ctx, actor, target, time, merge_commit=commit, head=head))
    return events


def _verb(mr: Payload) -> str:
    """The request's action as sealtrail says it: ``update`` with ``oldrev`` is new commits."""
    action = mr.optional_text("action") or "updated"
    verb = _VERBS.get(action, action)
    return "synchronized" if verb == "updated" and mr.get("oldrev") else verb


def note(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """A comment (``note``) on a merge request, issue, snippet or commit."""
    repository, n = _repository(p), p.child("object_attributes")
    p.get("object_attributes")
    kind = n.optional_text("noteable_type") or "Commit"
    if kind in _NOTEABLE:
        on, field, mark = _NOTEABLE[kind]
        number = p.get(f"{field}.iid") or p.get(f"{field}.id")
        target_id = f"{repository}{mark}{number}"
    else:
        on, number = "commit", None
        target_id = f"{repository}@{n.optional_text('commit_id') or p.optional_text('commit.id')}"
    actor = user(p.optional_text("user.username") or p.optional_text("user.name"))
    action = n.optional_text("action") or "created"
    action = {"create": "created", "update": "edited"}.get(action, action)
    details = {
        "action": action,
        "on": on,
        "comment_id": n.get("id"),
        "body": cut(n.optional_text("note")),
        "commit": n.optional_text("commit_id"),
        "line_code": n.optional_text("line_code"),
        "system": n.get("system") if isinstance(n.get("system"), bool) else None,
        "web_url": n.optional_text("url"),
    }
    target = {"type": on, "id": target_id, "repository": repository, "number": number}
    return comment_event(ctx, n, p, actor, target, details)


HANDLERS: dict[str, Handler] = {
    "push": push,
    "tag_push": push,
    "merge_request": merge_request,
    "note": note,
}
