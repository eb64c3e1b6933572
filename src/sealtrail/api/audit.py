"""Events the server records about itself (auth.*, http.request), appended off the request path.

``AuditQueue.record`` returns at once; a background thread appends what has queued in one batch,
which the ledger's group commit shares with the requests' own appends. ``close`` drains the queue.
While the store is unavailable (database down, disk full) the batch waits and is retried with
backoff, so the server's own records of refused requests are kept for when it returns. An event
that fails validation is a bug in the server and is logged, never silently dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

from sealtrail.errors import SealtrailError, StoreUnavailable
from sealtrail.ledger.log import Ledger

__all__ = ["AuditQueue"]

log = logging.getLogger("sealtrail.audit")
_STOP = object()
_GIVE_UP_AFTER_CLOSE = 2.0  # the backoff reached before a closing server stops waiting


class AuditQueue:
    """A bounded queue of events and the thread that appends them."""

    def __init__(
        self, ledger: Ledger, *, max_batch: int = 1000, max_pending: int = 100_000
    ) -> None:
        self._ledger = ledger
        self._max_batch = max_batch
        self._queue: queue.Queue[object] = queue.Queue(max_pending)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sealtrail-audit", daemon=True)
        self._thread.start()

    def record(self, event: Mapping[str, Any]) -> None:
        """Queue one event; blocks only when ``max_pending`` events are already waiting."""
        self._queue.put(dict(event))

    def close(self) -> None:
        self._closing.set()
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            events = [e for e in batch if e is not _STOP]
            if events:
                self._append(events)
            if len(events) < len(batch):
                return

    def _append(self, events: list[Any]) -> None:
        delay = 0.05
        while True:
            try:
                self._ledger.append_many(events)
                return
            except StoreUnavailable as error:
                if self._closing.is_set() and delay >= _GIVE_UP_AFTER_CLOSE:
                    log.error("store unavailable at shutdown; %d audit events lost", len(events))
                    return
                log.warning("store unavailable, audit events wait: %s", error)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
            except SealtrailError:
                self._append_one_by_one(events)
                return

    def _append_one_by_one(self, events: list[Any]) -> None:
        for event in events:  # find and report the bad one, keep the others
            try:
                self._ledger.append(event)
            except SealtrailError as error:
                log.error("audit event not recorded: %s: %r", error, event)
