"""What the gateway writes to the ledger, and the refusals it decides before forwarding.

Every method blocks on the store (the proxy runs them in worker threads). Refusals are decided
from the tag index of the immutability policies (``TagIndex.refuse``, which changes nothing)
before anything reaches the upstream; the index records the denied ``tag.move``/``tag.delete``
naming the policy, and raises ``Denied``. Accepted pushes and deletes are recorded after the
upstream accepted them, the ``image.*`` event in the same commit as the tag changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sealtrail.errors import NotFound, ValidationError
from sealtrail.gateway.records import Call
from sealtrail.ledger.log import Ledger
from sealtrail.policies.records import TagState
from sealtrail.policies.tagindex import TagIndex

__all__ = ["Trail"]


class Trail:
    """The gateway's side of one ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.index = TagIndex(ledger)

    def now(self) -> datetime:
        return self.ledger.clock.now()

    def writable(self) -> bool:
        """Whether the store takes writes now (asked before forwarding a change)."""
        return self.ledger.store.writable()

    def record(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Store ``events`` durably (group commit with every other request)."""
        self.ledger.append_many(events)

    def _state(self, call: Call) -> TagState | None:
        try:
            return self.index.tag(call.repository, call.reference, call.registry)
        except (NotFound, ValidationError):
            return None

    def refuse_push(self, call: Call, digest: str) -> None:
        """``Denied``, recorded, when ``call``'s tag is immutable and points elsewhere."""
        state = self._state(call)
        if state is not None and state.immutable and state.digest != digest:
            self.index.refuse(
                call.registry, call.repository, call.actor, tag=call.reference, digest=digest
            )

    def pushed(self, call: Call, tag: str | None, digest: str, event: Mapping[str, Any]) -> None:
        """A push the upstream accepted: ``event`` and, for a tag, its create or move."""
        if tag is None:
            self.record([event])
            return
        try:
            self.index.record_push(
                call.registry, call.repository, tag, digest, call.actor, also=[event]
            )
        except ValidationError:
            self.record([event])  # a name the index cannot hold: the push is still on record

    def refuse_delete(self, call: Call, tag: str | None) -> None:
        """``Denied``, recorded, when the tag, or a tag of the manifest, is immutable."""
        if tag is not None:
            state = self._state(call)
            if state is not None and state.immutable:
                self.index.refuse(call.registry, call.repository, call.actor, tag=tag)
            return
        try:
            tags = self.index.tags_at(call.registry, call.repository, call.reference)
        except ValidationError:
            return
        if any(state.immutable for state in tags):
            self.index.refuse(call.registry, call.repository, call.actor, digest=call.reference)

    def deleted(self, call: Call, tag: str | None, event: Mapping[str, Any]) -> None:
        """A delete the upstream accepted: ``event`` with the tags it removed from the index."""
        try:
            if tag is not None:
                self.index.record_delete(
                    call.registry, call.repository, tag, call.actor, also=[event]
                )
            else:
                self.index.record_manifest_delete(
                    call.registry, call.repository, call.reference, call.actor, also=[event]
                )
        except (NotFound, ValidationError):
            self.record([event])  # a tag the index never saw
