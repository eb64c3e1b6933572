"""Gitea and Forgejo webhook deliveries as events.

Their payloads follow GitHub's (``repository.full_name``, ``commits`` with ``added``/``modified``/
``removed``, ``pull_request`` with ``merged``), so the GitHub mapping reads them; what differs is
named here: reviews arrive as their own kinds (``pull_request_approved``,
``pull_request_rejected``, ``pull_request_comment``, or ``pull_request_review_*`` in
``X-Gitea-Event-Type``) with ``review.type`` and ``review.content``, a push says nothing about
being forced (``details.forced`` is null: unknown), and the ``synchronized`` action is spelled
out already.
"""

from __future__ import annotations

from typing import Any

from sealtrail.vcs import github
from sealtrail.vcs.payload import Payload
from sealtrail.vcs.records import Context, cut

__all__ = ["HANDLERS", "review"]

_REVIEWS = {"approved": ("approved", "approved"), "rejected": ("reviewed", "changes_requested")}


def review(p: Payload, ctx: Context, outcome: str) -> list[dict[str, Any]]:
    """A review of ``outcome`` approved, rejected or comment."""
    verb, state = _REVIEWS.get(outcome, ("reviewed", "commented"))
    extra = {
        "review": {
            "state": state,
            "type": p.optional_text("review.type"),
            "body": cut(p.optional_text("review.content")),
            "commit": p.optional_text("commit_id"),
        }
    }
    p.get("action")  # always "reviewed"
    return github.pull_request_events(p, ctx, verb, extra)


def _review(outcome: str) -> github.Handler:
    return lambda p, ctx: review(p, ctx, outcome)


def _comment_or_review(p: Payload, ctx: Context) -> list[dict[str, Any]]:
    """``pull_request_comment``: a review comment when it carries a review, else a comment."""
    if p.get("review") is not None:
        return review(p, ctx, "comment")
    return github.comment(p, ctx)


HANDLERS: dict[str, github.Handler] = {
    **github.HANDLERS,
    "pull_request_approved": _review("approved"),
    "pull_request_rejected": _review("rejected"),
    "pull_request_comment": _comment_or_review,
    "pull_request_review_approved": _review("approved"),
    "pull_request_review_rejected": _review("rejected"),
    "pull_request_review_comment": _comment_or_review,
}
