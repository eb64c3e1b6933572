"""Deliveries that arrive together are appended together, each still exactly once.

Every delivery is appended under its key (``Ledger.append_once_each``), and concurrent ones share
a transaction: the first thread to find no commit running leads, takes every delivery queued so
far into one transaction, wakes their threads with their answers, then hands the lead to the next
queued delivery's thread, if any. One fsync thus serves many deliveries, as the ledger's own group
commit does for plain appends, and no leader waits on deliveries queued after its own. Events are
validated before they are queued, so one bad delivery never fails the others' transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sealtrail.errors import ValidationError
from sealtrail.ledger.log import MAX_IDEMPOTENCY_KEY

if TYPE_CHECKING:
    from sealtrail.ledger.log import Ledger, Receipt

__all__ = ["KeyedGroupCommit"]


@dataclass(eq=False)
class _Waiting:
    key: str
    events: list[Mapping[str, Any]]
    wake: threading.Event = field(default_factory=threading.Event)
    answered: bool = False
    receipts: list[Receipt] | None = None
    error: BaseException | None = None


class KeyedGroupCommit:
    """``append_once`` for many threads at once, sharing transactions (see the module)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._max_events = ledger.limits.max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._leading = False

    def append_once(self, key: str, events: Iterable[Mapping[str, Any]]) -> list[Receipt] | None:
        """As ``Ledger.append_once``: the receipts, or None when ``key`` was appended before."""
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            raise ValidationError(f"idempotency key: 1 to {MAX_IDEMPOTENCY_KEY} characters")
        mine = _Waiting(key, list(events))
        self._ledger.prepare(mine.events)  # a bad event is refused here, naming its position
        with self._lock:
            self._queue.append(mine)
            lead, self._leading = not self._leading, True
        if not lead:
            mine.wake.wait()
        if not mine.answered:  # leading from the start, or handed the lead: mine is first
            self._lead()
        if mine.error is not None:
            raise mine.error
        return mine.receipts

    def _lead(self) -> None:
        with self._lock:
            group = self._take()
        try:
            answers = self._ledger.append_once_each([(w.key, w.events) for w in group])
            for waiting, receipts in zip(group, answers, strict=True):
                waiting.receipts = receipts
        except BaseException as error:  # every waiter hears of the failure, none hangs
            for waiting in group:
                waiting.error = error
        for waiting in group:
            waiting.answered = True
            waiting.wake.set()
        with self._lock:
            if self._queue:
                self._queue[0].wake.set()  # not answered: its thread leads the next group
            else:
                self._leading = False

    def _take(self) -> list[_Waiting]:
        """The queued deliveries up to the batch limit in events (at least the first)."""
        count, taken = 0, 0
        for waiting in self._queue:
            if taken and count + len(waiting.events) > self._max_events:
                break
            count += len(waiting.events)
            taken += 1
        group, self._queue = self._queue[:taken], self._queue[taken:]
        return group
