"""The tag index: which tags each repository has, their digests, and whether they are immutable.

Every change goes through ``Ledger.append_in_transaction``: the tag row and the events recording
its change commit together or not at all. Entry points for producers (the gateway, registry
notifications, ``sealtrail tags sync``):

- ``record_push``: create or move a tag. The live policies in scope (the namespace's and the
  repository's, oldest first) are evaluated on every create and move; the first that makes the tag
  immutable is cited. A move of an immutable tag to another digest is refused: a ``tag.move`` with
  outcome ``denied`` naming the reason is recorded and ``Denied`` raised. Re-pushing the same
  digest changes nothing.
- ``record_delete``: delete a tag; refused the same way when it is immutable.
- ``refuse``: the refusal alone, deciding before a change is made (nothing changes when allowed).
- ``record_manifest_delete``: delete a manifest, and with it the tags pointing at it (as a
  registry does); refused, with a denied ``tag.delete``, when one of those tags is immutable.
- ``set_immutable``: a manual toggle (``tag.immutability_change`` with trigger ``manual``). This is
  the only way to make a tag mutable again; a later push that a policy matches makes it immutable
  again (policies are evaluated on every push).

The ``also`` events of a push or delete (the producer's own ``image.push``...) are appended in the
same transaction when the change is accepted, and not when it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from sealtrail.errors import Denied, NotFound, ValidationError
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.policies.model import (
    ImmutabilityPolicy,
    TagRef,
    check_digest,
    check_registry,
    check_repository,
    check_tag,
)
from sealtrail.policies.records import (
    TagKey,
    TagState,
    denied,
    immutability_change,
    reason_text,
    tag_event,
)
from sealtrail.policies.rows import (
    Read,
    ScopePolicies,
    ensure_repository,
    find_tag,
    policy_version,
    tag_rows,
    tags_at_digest,
)
from sealtrail.store.base import WriteView

__all__ = ["TagIndex"]

_TAG_AFTER = re.compile(r"[A-Za-z0-9_.-]{1,128}", re.ASCII)


def _check_registry(registry: str | None) -> None:
    if registry is not None:
        check_registry(registry)


Events = Iterable[Mapping[str, Any]]


class TagIndex:
    """The tag index kept in a ledger's store."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._policies = ScopePolicies.for_ledger(ledger)

    def _now(self) -> str:
        return format_time(self.ledger.clock.now())

    def record_push(
        self,
        registry: str,
        repository: str,
        tag: str,
        digest: str,
        actor: Mapping[str, Any],
        *,
        also: Events = (),
    ) -> TagState:
        """Create or move ``repository:tag`` to ``digest`` (see the module docstring)."""
        key = TagKey(check_registry(registry), check_repository(repository), check_tag(tag))
        check_digest(digest)
        extra, refusal = list(also), []

        def work(view: WriteView, size: int) -> Events:
            state = find_tag(view.execute, registry, repository, tag)
            if state is not None and state.digest == digest:
                return extra
            if state is not None and state.immutable:
                refusal.append(self._refusal(view.execute, "tag.move", actor, state, digest))
                return refusal[-1][0]
            return [*self._write_push(view, size, key, digest, dict(actor), state), *extra]

        self.ledger.append_in_transaction(work)
        if refusal:
            raise Denied(refusal[0][1])
        return self._state(key)

    def _write_push(
        self, view: WriteView, size: int, key: TagKey, digest: str, actor: dict[str, Any],
        state: TagState | None,
    ) -> list[dict[str, Any]]:  # fmt: skip
        now = self._now()
        policy = self._policies.deciding(view.execute, key.repository, key.tag)
        details: dict[str, Any] = {"immutable": policy is not None}
        if policy is not None:
            details["policy"] = policy.reference()
        if state is None:
            events = [tag_event("tag.create", now, actor, key, digest, details)]
            repo_id = ensure_repository(view.execute, key.registry, key.repository)
            view.execute(
                "INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (?, ?, ?, ?)",
                (repo_id, key.tag, digest, now),
            )
        else:
            details["previous_digest"] = state.digest
            events = [tag_event("tag.move", now, actor, key, digest, details)]
        self._set_digest(view, key, digest, now)
        if policy is not None:
            events.append(
                immutability_change(
                    now, actor, key, digest, immutable=True, previous=False, policy=policy
                )
            )
            self._set_reason(view, key, policy, size + len(events) - 1)
        return events

    def record_delete(
        self,
        registry: str,
        repository: str,
        tag: str,
        actor: Mapping[str, Any],
        *,
        also: Events = (),
    ) -> None:
        """Delete ``repository:tag``; ``Denied`` (and a denied ``tag.delete`` on the record) when
        it is immutable, ``NotFound`` when the index does not have it."""
        key = TagKey(check_registry(registry), check_repository(repository), check_tag(tag))
        extra, refusal = list(also), []

        def work(view: WriteView, size: int) -> Events:
            state = find_tag(view.execute, registry, repository, tag)
            if state is None:
                raise NotFound(f"no tag {key.text()} in registry {registry}")
            if state.immutable:
                refusal.append(self._refusal(view.execute, "tag.delete", actor, state, None))
                return refusal[-1][0]
            view.execute(
                "DELETE FROM tags WHERE name = ? AND repository_id ="
                " (SELECT id FROM repositories WHERE registry = ? AND name = ?)",
                (tag, registry, repository),
            )
            details = {"previous_digest": state.digest, "immutable": False}
            return [tag_event("tag.delete", self._now(), dict(actor), key, None, details), *extra]

        self.ledger.append_in_transaction(work)
        if refusal:
            raise Denied(refusal[0][1])

    def record_manifest_delete(
        self,
        registry: str,
        repository: str,
        digest: str,
        actor: Mapping[str, Any],
        *,
        also: Events = (),
    ) -> list[TagState]:
        """Remove the tags pointing at manifest ``digest`` from the index, recording a
        ``tag.delete`` for each; ``Denied`` (and a denied ``tag.delete`` on the record) when one of
        them is immutable. Answers the tags removed."""
        check_registry(registry)
        check_repository(repository)
        check_digest(digest)
        extra, refusal = list(also), []
        removed: list[TagState] = []

        def work(view: WriteView, size: int) -> Events:
            states = tags_at_digest(view.execute, registry, repository, digest)
            locked = [state for state in states if state.immutable]
            if locked:
                refusal.append(self._refusal(view.execute, "tag.delete", actor, locked[0], None))
                return refusal[-1][0]
            now, events = self._now(), []
            for state in states:
                view.execute(
                    "DELETE FROM tags WHERE name = ? AND repository_id ="
                    " (SELECT id FROM repositories WHERE registry = ? AND name = ?)",
                    (state.key.tag, registry, repository),
                )
                details = {"previous_digest": digest, "immutable": False, "with_manifest": True}
                events.append(tag_event("tag.delete", now, dict(actor), state.key, None, details))
            removed[:] = states
            return [*events, *extra]

        self.ledger.append_in_transaction(work)
        if refusal:
            raise Denied(f"manifest {digest} is tagged: {refusal[0][1]}")
        return removed

    def refuse(
        self,
        registry: str,
        repository: str,
        actor: Mapping[str, Any],
        *,
        tag: str | None = None,
        digest: str | None = None,
    ) -> None:
        """Decide before acting, change nothing: ``Denied`` (and the denied event recorded) when
        moving ``tag`` to ``digest``, deleting ``tag`` (no digest) or deleting manifest
        ``digest`` (no tag) would be refused. For producers that record the change itself only
        once it happened (the gateway: ``record_push`` / ``record_delete`` after the registry)."""
        refusal: list[tuple[list[dict[str, Any]], str]] = []

        def work(view: WriteView, size: int) -> Events:
            if tag is not None:
                state = find_tag(view.execute, registry, repository, tag)
                locked = [state] if state is not None and state.digest != digest else []
            else:
                assert digest is not None, "refuse: a tag, a digest or both"
                locked = tags_at_digest(view.execute, registry, repository, digest)
            locked = [state for state in locked if state.immutable]
            if not locked:
                return []
            action = "tag.move" if tag is not None and digest is not None else "tag.delete"
            refusal.append(
                self._refusal(view.execute, action, actor, locked[0], digest if tag else None)
            )
            return refusal[-1][0]

        self.ledger.append_in_transaction(work)
        if refusal:
            prefix = "" if tag is not None else f"manifest {digest} is tagged: "
            raise Denied(prefix + refusal[0][1])

    def tags_at(self, registry: str, repository: str, digest: str) -> list[TagState]:
        """The tags of ``repository`` in ``registry`` that point at manifest ``digest``."""
        return tags_at_digest(self.ledger.store.read, registry, repository, digest)

    def _refusal(
        self,
        read: Read,
        action: str,
        actor: Mapping[str, Any],
        state: TagState,
        digest: str | None,
    ) -> tuple[list[dict[str, Any]], str]:
        """The denied event of a refused move or delete, and the ``Denied`` message."""
        policy = self._policy_of(read, state)
        event = denied(action, self._now(), dict(actor), state, policy, digest)
        verb = "move" if action == "tag.move" else "delete"
        message = (
            f"tag {state.key.text()} is immutable and cannot be {verb}d: "
            f"{reason_text(state, policy)}"
        )
        return [event], message

    @staticmethod
    def _policy_of(read: Read, state: TagState) -> ImmutabilityPolicy | None:
        if state.policy_uuid is None or state.policy_version is None:
            return None
        return policy_version(read, state.policy_uuid, state.policy_version)

    def set_immutable(
        self,
        repository: str,
        tag: str,
        immutable: bool,
        actor: Mapping[str, Any],
        *,
        registry: str | None = None,
    ) -> TagState:
        """A manual toggle, recorded with trigger ``manual``; nothing is recorded when the tag is
        already in that state."""
        check_repository(repository)
        check_tag(tag)
        _check_registry(registry)
        found: list[TagState] = []

        def work(view: WriteView, size: int) -> Events:
            state = find_tag(view.execute, registry, repository, tag)
            if state is None:
                raise NotFound(f"no tag {repository}:{tag} in the index")
            found.append(state)
            if state.immutable == immutable:
                return []
            view.execute(
                "UPDATE tags SET immutable = ?, immutable_by = 'manual', policy_uuid = NULL,"
                " policy_version = NULL, reason_seq = ?, updated_at = ? WHERE name = ?"
                " AND repository_id = (SELECT id FROM repositories WHERE registry = ?"
                " AND name = ?)",
                (int(immutable), size, self._now(), tag, state.key.registry, repository),
            )
            return [
                immutability_change(
                    self._now(), dict(actor), state.key, state.digest,
                    immutable=immutable, previous=state.immutable, policy=None,
                )
            ]  # fmt: skip

        self.ledger.append_in_transaction(work)
        return self._state(found[0].key)

    def _set_digest(self, view: WriteView, key: TagKey, digest: str, now: str) -> None:
        view.execute(
            "UPDATE tags SET digest = ?, updated_at = ? WHERE name = ? AND repository_id ="
            " (SELECT id FROM repositories WHERE registry = ? AND name = ?)",
            (digest, now, key.tag, key.registry, key.repository),
        )

    @staticmethod
    def _set_reason(view: WriteView, key: TagKey, policy: ImmutabilityPolicy, seq: int) -> None:
        view.execute(
            "UPDATE tags SET immutable = 1, immutable_by = 'policy', policy_uuid = ?,"
            " policy_version = ?, reason_seq = ? WHERE name = ? AND repository_id ="
            " (SELECT id FROM repositories WHERE registry = ? AND name = ?)",
            (policy.uuid, policy.version, seq, key.tag, key.registry, key.repository),
        )

    # reading

    def _state(self, key: TagKey) -> TagState:
        state = find_tag(self.ledger.store.read, key.registry, key.repository, key.tag)
        if state is None:
            raise NotFound(f"no tag {key.text()} in registry {key.registry}")
        return state

    def tag(self, repository: str, tag: str, registry: str | None = None) -> TagState:
        _check_registry(registry)
        state = find_tag(self.ledger.store.read, registry, check_repository(repository), tag)
        if state is None:
            raise NotFound(f"no tag {repository}:{check_tag(tag)} in the index")
        return state

    def tags(
        self, repository: str, registry: str | None = None, *, after: str = "", limit: int = 1000
    ) -> list[TagState]:
        """A repository's tags by name, ``limit`` at a time after the tag named ``after``."""
        _check_registry(registry)
        if after and _TAG_AFTER.fullmatch(after) is None:
            raise ValidationError("after: must be a tag name (the last one of the previous page)")
        return tag_rows(
            self.ledger.store.read, check_repository(repository), registry, after=after, limit=limit
        )

    def reason(self, state: TagState) -> str:
        """Why the tag is (im)mutable, citing the event seq."""
        return reason_text(state, self._policy_of(self.ledger.store.read, state))

    def why(self, ref: TagRef, registry: str | None = None) -> str:
        """One line: whether ``ref`` is immutable and why, citing the event seq."""
        state = self.tag(ref.repository, ref.tag, registry)
        status = "immutable" if state.immutable else "mutable"
        by = None
        if state.immutable_by == "manual" and state.reason_seq is not None:
            by = self._actor_at(state.reason_seq)
        policy = self._policy_of(self.ledger.store.read, state)
        return f"{ref.to_text()} is {status}: {reason_text(state, policy, by)}"

    def _actor_at(self, seq: int) -> str:
        try:
            record = orjson.loads(self.ledger.entry(seq))
        except NotFound:  # archived by retention
            return f"the actor of event {seq} (archived)"
        return str(record["actor"]["id"])
