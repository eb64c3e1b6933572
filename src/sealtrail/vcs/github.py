"""GitHub webhook deliveries as events (Gitea and Forgejo send the same shapes; see ``gitea``).

| ``X-GitHub-Event`` | events |
|---|---|
| ``push`` | ``vcs.push`` and one ``vcs.commit`` per commit |
| ``pull_request`` | ``vcs.pull_request`` (``details.action``: opened, synchronized, closed, merged, …); a merge also ``vcs.merge`` |
| ``pull_request_review`` | ``vcs.pull_request`` with ``details.action`` approved or reviewed |
| ``pull_request_review_comment``, ``issue_comment``, ``commit_comment`` | ``vcs.comment`` |
| ``create``, ``delete`` | ``vcs.branch_create``, ``vcs.branch_delete``, ``vcs.tag_create``, ``vcs.tag_delete`` |

Any other kind (``ping`` included) records nothing and is answered as ignored.
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
    merge_event,
    ref_event,
    ref_target,
    user,
    when,
)

__all__ = [
    "HANDLERS",
    "Handler",
    "comment",
    "pull_request",
    "pull_request_events",
    "push",
    "ref_change",
    "repository_name",
    "review",
    "sender",
]

Handler = Callable[[Payload, Context], list[dict[str, Any]]]
_PUSHER = ("name", "email", "login", "username")  # GitHub's pusher has the first two, Gitea's all
_VERBS = {"synchronize": "synchronized", "submitted": "reviewed"}


def repository_name(p: Payload) -> str:
    return p.text("repository.full_name")


def sender(p: Payload) -> dict[str, str]:
    return user(p.optional_text("sender.login") or p.optional_text("sender.username"))


def push(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """``vcs.push`` (ref, before, after, forced, pusher) and a ``vcs.commit`` per commit."""
    repository, ref = repository_name(p), p.text("ref")
    commits = p.items("commits")
    p.get("head_commit")  # one of the commits again
    forced = p.get("forced")
    actor = user(p.optional_text("sender.login") or p.optional_text("pusher.name"))
    count = len(commits)
    event = ctx.event(
        "vcs.push",
        actor=actor,
        target=ref_target(repository, ref),
        message=f"{actor['id']} pushed {count} commit{'s' * (count != 1)} to {repository} {ref}",
        details={
            "before": p.text("before"),
            "after": p.text("after"),
            "forced": forced if isinstance(forced, bool) else None,
            "created": bool(p.get("created", False)),
            "deleted": bool(p.get("deleted", False)),
            "pusher": {k: v for k in _PUSHER if (v := p.optional_text(f"pusher.{k}"))},
            "commits": count,
            "compare": p.optional_text("compare") or p.optional_text("compare_url"),
        },
        payload=p,
    )
    return [event, *(commit_event(ctx, commit, repository, ref) for commit in commits)]


def pull_request_events(
    p: Payload, ctx: Context, verb: str, extra: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """``vcs.pull_request`` for ``verb`` (and ``vcs.merge`` when merged) from a payload holding
    ``pull_request`` and ``repository``."""
    pr, target = _pull_request(p)
    merged = verb == "closed" and pr.get("merged") is True
    verb = "merged" if merged else verb
    actor, title = sender(p), pr.optional_text("title")
    details: dict[str, Any] = {
        "action": verb,
        "title": cut(title, 512),
        "state": pr.optional_text("state"),
        "author": pr.optional_text("user.login") or pr.optional_text("user.username"),
        "head": {"ref": pr.optional_text("head.ref"), "sha": pr.optional_text("head.sha")},
        "base": {"ref": pr.optional_text("base.ref"), "sha": pr.optional_text("base.sha")},
        "html_url": pr.optional_text("html_url"),
        **(extra or {}),
    }
    time = when(pr.get("updated_at"), ctx.received)
    message = f"{actor['id']} {verb} pull request {target['id']}: {first_line(title)}"
    events = [
        ctx.event(
            "vcs.pull_request",
            time=time,
            actor=actor,
            target=target,
            message=message,
            details=details,
            payload=p,
        )
    ]
    if merged:
        merger = user(pr.optional_text("merged_by.login") or actor["id"])
        merge_time = when(pr.get("merged_at"), time)
        commit = pr.optional_text("merge_commit_sha")
        extra = {"head": details["head"], "base": details["base"], "author": details["author"]}
        events.append(merge_event(ctx, merger, target, merge_time, merge_commit=commit, **extra))
    return events


def _pull_request(p: Payload) -> tuple[Payload, dict[str, Any]]:
    """The ``pull_request`` object and the target it makes."""
    repository, pr = repository_name(p), p.child("pull_request")
    p.get("pull_request")
    number = pr.get("number") or p.get("number")
    return pr, {
        "type": "pull_request",
        "id": f"{repository}#{number}",
        "repository": repository,
        "number": number,
        "ref": full_ref(pr.text("base.ref"), "branch"),
    }


def pull_request(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    action = p.text("action")
    return pull_request_events(p, ctx, _VERBS.get(action, action))


def review(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """A submitted review: approved, or reviewed with its state (changes_requested, commented)."""
    state = (p.optional_text("review.state") or "").lower()
    action = p.text("action")
    verb = "approved" if state == "approved" and action == "submitted" else "reviewed"
    if action == "dismissed":
        verb = "review_dismissed"
    extra = {
        "review": {
            "id": p.get("review.id"),
            "state": state or None,
            "body": cut(p.optional_text("review.body")),
            "commit": p.optional_text("review.commit_id"),
        }
    }
    return pull_request_events(p, ctx, verb, extra)


def comment(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """``vcs.comment`` on an issue, a pull request (its conversation or a diff line) or a
    commit; ``details.action`` is created, edited or deleted."""
    repository = repository_name(p)
    if p.get("pull_request") is not None:
        on, number = "pull_request", p.get("pull_request.number")
    elif p.get("issue") is not None:
        is_pr = p.get("issue.pull_request") is not None or p.get("is_pull") is True
        on, number = ("pull_request" if is_pr else "issue"), p.get("issue.number")
    else:
        on, number = "commit", None
    c = p.child("comment")
    p.get("comment")
    commit = c.optional_text("commit_id")
    target_id = f"{repository}#{number}" if number is not None else f"{repository}@{commit}"
    who = c.optional_text("user.login") or c.optional_text("user.username")
    actor = user(who) if who else sender(p)
    action = p.optional_text("action") or "created"
    details = {
        "action": action,
        "on": on,
        "comment_id": c.get("id"),
        "body": cut(c.optional_text("body")),
        "path": c.optional_text("path"),
        "line": c.get("line") if isinstance(c.get("line"), int) else None,
        "commit": commit,
        "html_url": c.optional_text("html_url"),
    }
    target = {"type": on, "id": target_id, "repository": repository, "number": number}
    return comment_event(ctx, c, p, actor, target, details)


def ref_change(verb: str) -> Handler:
    """``create``/``delete``: a branch or tag made or removed (``ref_type``, short ``ref``)."""

    def handle(p: Payload, ctx: Context) -> list[dict[str, Any]]:
        kind = p.text("ref_type")
        if kind not in ("branch", "tag"):
            return []
        ref = full_ref(p.text("ref"), kind)
        sha = p.optional_text("sha")
        extra = {"sha": sha} if sha else {}
        return [ref_event(ctx, verb, repository_name(p), ref, sender(p), p, **extra)]

    return handle


HANDLERS: dict[str, Handler] = {
    "push": push,
    "pull_request": pull_request,
    "pull_request_review": review,
    "pull_request_review_comment": comment,
    "issue_comment": comment,
    "commit_comment": comment,
    "create": ref_change("create"),
    "delete": ref_change("delete"),
}
