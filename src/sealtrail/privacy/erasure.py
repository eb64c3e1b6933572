"""Erasure: destroy one subject's key, so its sealed personal fields read ``[erased]`` for ever.

``erase_subject`` runs in one write transaction: it deletes the key row (SQLite with
``secure_delete`` on, so the freed bytes are zeroed in the pages written), moves the subject's
records from its pseudonym to ``erased`` in the actor index, and appends the ``audit.erase``
event that records it. Then ``Store.scrub`` removes the earlier page images that still hold the
key (SQLite: WAL checkpoint with TRUNCATE; PostgreSQL: ``VACUUM FULL subject_keys``).

The event names neither the id nor its pseudonym (the pseudonym would let whoever holds the
privacy key confirm that a given person was erased): its target is the destroyed key's random
id, which the erased records' envelopes carry, so an auditor can still tell which records were
erased, and how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sealtrail.errors import NotFound
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.privacy.sealing import ERASED_ACTOR, check_erasable
from sealtrail.store.base import Query, WriteView

__all__ = ["Erasure", "erase_subject"]


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: the destroyed key's id, the records it sealed, the event's seq."""

    key_id: str
    records: int
    seq: int
    scrubbed: bool  # False: a reader kept SQLite's WAL from being reset; run scrub again


def erase_subject(
    ledger: Ledger, actor_id: str, by: Mapping[str, str], wait: float = 30.0
) -> Erasure:
    """Destroy the key of ``actor_id`` (given as the id, or as its pseudonym), recorded as done
    by the actor ``by``; ``NotFound`` when it has no key (never sealed, or erased already).
    ``wait``: how long ``Store.scrub`` may wait for older readers."""
    policy = check_erasable(ledger.privacy)
    subject = ledger.actor_index(actor_id)
    sqlite = type(ledger.store).__name__ == "SQLiteStore"
    found: dict[str, Any] = {}

    def work(view: WriteView, size: int) -> list[dict[str, Any]]:
        rows = view.execute("SELECT key_id FROM subject_keys WHERE subject = ?", (subject,))
        if not rows:
            raise NotFound("no key for that actor: nothing sealed for it, or erased already")
        if sqlite:
            view.execute("PRAGMA secure_delete = ON")
        view.execute("DELETE FROM subject_keys WHERE subject = ?", (subject,))
        if ledger.store.indexes_leaves:  # relabelled when the index takes in the audit.erase record
            count = ledger.store.count_by("actor_id", Query(actor_id=subject)).get(subject, 0)
        else:
            sql = "SELECT COUNT(*) FROM records WHERE actor_id = ?"
            (count,) = view.execute(sql, (subject,))[0]
            sql = "UPDATE records SET actor_id = ? WHERE actor_id = ?"
            view.execute(sql, (ERASED_ACTOR, subject))
        found.update(key_id=rows[0][0], records=int(count))
        return [_event(ledger, found["key_id"], int(count), policy.sealed_fields, by)]

    (receipt,) = ledger.append_in_transaction(work)
    if ledger.sealer is not None:
        ledger.sealer.forget()
    scrubbed = ledger.store.scrub(("subject_keys",), wait)
    return Erasure(found["key_id"], found["records"], receipt.seq, scrubbed)


def _event(
    ledger: Ledger, key_id: str, count: int, fields: tuple[str, ...], by: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "time": format_time(ledger.clock.now()),
        "action": "audit.erase",
        "outcome": "success",
        "actor": dict(by),
        "target": {"type": "subject_key", "id": key_id},
        "source": {"service": "sealtrail"},
        "message": f"erased the sealed personal fields of one subject ({count} records)",
        "details": {"records": count, "fields": list(fields)},
    }
