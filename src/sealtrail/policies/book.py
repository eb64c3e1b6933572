"""Immutability policies: create, update, delete, list; each change on the record, whole.

``create`` and ``update`` store the policy, its version, a ``policy.create``/``policy.update``
event carrying the whole policy before and after, and a run record for the retroactive
application, in one transaction; ``apply`` then runs it (``sealtrail.policies.apply``).

Deleting or weakening a policy (a narrower pattern, or flipping ``tag_pattern_matches``) does not
make any tag mutable: immutability is never lifted silently. The tags earlier versions made
immutable stay immutable, still citing the version that did it; the ``policy.update`` and
``policy.delete`` events say so (``existing_immutable_tags: kept_immutable`` and the count).
An admin lifts immutability tag by tag with a manual toggle, which is recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sealtrail.errors import NotFound, ValidationError
from sealtrail.events import format_time
from sealtrail.ids import uuid7
from sealtrail.ledger.log import Ledger
from sealtrail.policies.apply import BATCH, Applied, Progress, pending_runs, run_policy, start_run
from sealtrail.policies.model import ImmutabilityPolicy, Scope, compile_pattern, scope_of
from sealtrail.policies.records import policy_event
from sealtrail.policies.rows import list_policies, load_policy, save_policy
from sealtrail.store.base import WriteView

__all__ = ["ImmutabilityPolicies"]

_MAX_AUTHOR = 256


def _author(actor: Mapping[str, Any]) -> str:
    author = actor.get("id")
    if not isinstance(author, str) or not 0 < len(author) <= _MAX_AUTHOR:
        raise ValidationError("actor.id: the policy's author must be 1 to 256 characters")
    return author


def _kept(view: WriteView, uuid: str) -> int:
    sql = (
        "SELECT COUNT(*) FROM tags"
        " WHERE immutable = 1 AND immutable_by = 'policy' AND policy_uuid = ?"
    )
    return int(view.execute(sql, (uuid,))[0][0])


class ImmutabilityPolicies:
    """The policies kept in a ledger's store."""

    def __init__(self, ledger: Ledger, *, batch: int = BATCH) -> None:
        self.ledger = ledger
        self.batch = batch

    def _now(self) -> str:
        return format_time(self.ledger.clock.now())

    def create(
        self,
        *,
        tag_pattern: str,
        tag_pattern_matches: bool = True,
        actor: Mapping[str, Any],
        namespace: str | None = None,
        repository: str | None = None,
    ) -> ImmutabilityPolicy:
        """A new policy for a namespace or a repository (exactly one); its retroactive run is
        recorded but not run: call ``apply``."""
        scope, namespace, repository = scope_of(namespace, repository)
        compile_pattern(tag_pattern)
        now = self._now()
        policy = ImmutabilityPolicy(
            uuid7(), scope, namespace, repository, tag_pattern, tag_pattern_matches,
            1, _author(actor), now, now,
        )  # fmt: skip

        def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
            return self._write(view, size, "policy.create", actor, None, policy)

        self.ledger.append_in_transaction(work)
        return policy

    def update(
        self,
        uuid: str,
        *,
        actor: Mapping[str, Any],
        tag_pattern: str | None = None,
        tag_pattern_matches: bool | None = None,
    ) -> ImmutabilityPolicy:
        """The next version of a live policy; a new retroactive run for it (call ``apply``)."""
        if tag_pattern is not None:
            compile_pattern(tag_pattern)
        author, changed = _author(actor), []

        def change(before: ImmutabilityPolicy) -> ImmutabilityPolicy:
            changed.append(
                before.updated(
                    tag_pattern=tag_pattern, tag_pattern_matches=tag_pattern_matches,
                    by=author, at=self._now(),
                )
            )  # fmt: skip
            return changed[-1]

        self._change("policy.update", uuid, actor, change)
        return changed[-1]

    def delete(self, uuid: str, *, actor: Mapping[str, Any]) -> ImmutabilityPolicy:
        """Mark a policy deleted (kept for history); the tags it made immutable stay so."""
        author, deleted = _author(actor), []

        def change(before: ImmutabilityPolicy) -> ImmutabilityPolicy:
            deleted.append(before.deleted(by=author, at=self._now()))
            return deleted[-1]

        self._change("policy.delete", uuid, actor, change)
        return deleted[-1]

    def _change(
        self,
        action: str,
        uuid: str,
        actor: Mapping[str, Any],
        change: Callable[[ImmutabilityPolicy], ImmutabilityPolicy],
    ) -> None:
        def work(view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
            before = load_policy(view.execute, uuid)
            if before.deleted_at is not None:
                raise NotFound(f"immutability policy {uuid} was deleted at {before.deleted_at}")
            after = change(before)
            return self._write(view, size, action, actor, before, after)

        self.ledger.append_in_transaction(work)

    def _write(
        self,
        view: WriteView,
        size: int,
        action: str,
        actor: Mapping[str, Any],
        before: ImmutabilityPolicy | None,
        after: ImmutabilityPolicy,
    ) -> list[dict[str, Any]]:
        kept = 0 if before is None else _kept(view, after.uuid)
        save_policy(view.execute, after, size)
        if action != "policy.delete":
            start_run(view, after, size, after.updated_at)
        shown = None if action == "policy.delete" else after
        return [policy_event(action, self._now(), dict(actor), before, shown, kept)]

    # applying

    def apply(self, policy: ImmutabilityPolicy, progress: Progress | None = None) -> Applied | None:
        """Run the retroactive application of this policy version to its end."""
        return run_policy(
            self.ledger, policy.uuid, policy.version, batch=self.batch, progress=progress
        )

    def resume(
        self, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> list[Applied]:
        """Finish every interrupted application, oldest first; their summaries."""
        done = []
        for run in pending_runs(self.ledger.store.read):
            applied = run_policy(
                self.ledger, run.policy_uuid, run.version, batch=self.batch,
                progress=progress, resumed=run.batches > 0, stop=stop,
            )  # fmt: skip
            if applied is None:
                break
            done.append(applied)
        return done

    def pending(self) -> int:
        return len(pending_runs(self.ledger.store.read))

    # reading

    def get(self, uuid: str) -> ImmutabilityPolicy:
        return load_policy(self.ledger.store.read, uuid)

    def list(
        self,
        *,
        namespace: str | None = None,
        repository: str | None = None,
        deleted: bool = False,
    ) -> list[ImmutabilityPolicy]:
        _, namespace, repository = scope_of(namespace, repository)
        return list_policies(self.ledger.store.read, namespace, repository, deleted=deleted)

    def in_scope(self, policy: ImmutabilityPolicy, scope: Scope, name: str) -> ImmutabilityPolicy:
        """``policy`` when it belongs to that scope; ``NotFound`` otherwise (API paths)."""
        if policy.scope is not scope or policy.scope_name != name:
            raise NotFound(f"no immutability policy {policy.uuid} for {scope} {name}")
        return policy
