"""What the alerts have done: the follower's position and open windows, the latest alerts."""

from __future__ import annotations

from typing import Any

import orjson

from sealtrail.alerts.engine import ALERT_ACTION
from sealtrail.alerts.follower import CURSOR, WEBHOOK_FORWARDER
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query

__all__ = ["alert_status", "recent_alerts"]


def alert_status(ledger: Ledger) -> dict[str, Any]:
    """The stored position, lag and open windows of the alert follower, and the webhook's."""
    size = ledger.size()
    rows = ledger.store.read("SELECT evaluated FROM alert_cursor WHERE name = ?", (CURSOR,))
    evaluated = int(rows[0][0]) if rows else None
    windows = ledger.store.read("SELECT rule, COUNT(*) FROM alert_windows GROUP BY rule")
    delivered = ledger.store.get_meta(f"forwarder.{WEBHOOK_FORWARDER}.delivered")
    return {
        "evaluated": evaluated,
        "lag": size - 1 - (evaluated if evaluated is not None else -1),
        "open_windows": {rule: int(count) for rule, count in windows},
        "webhook_delivered": int(delivered) if delivered is not None else None,
    }


def recent_alerts(ledger: Ledger, limit: int = 50) -> list[dict[str, Any]]:
    """The latest ``alert.raised`` records, newest first, summarised for people."""
    return [
        _summary(r.seq, r.leaf) for r in ledger.query(Query(actions=(ALERT_ACTION,), limit=limit))
    ]


def _summary(seq: int, leaf: bytes) -> dict[str, Any]:
    event = orjson.loads(leaf)
    details = event.get("details") or {}
    seqs = [s for s in details.get("seqs", []) if isinstance(s, int)]
    return {
        "seq": seq,
        "time": event.get("time", ""),
        "rule": details.get("rule", (event.get("target") or {}).get("id", "")),
        "severity": event.get("severity", ""),
        "count": details.get("count", len(seqs)),
        "seqs": seqs,
        "message": event.get("message", ""),
    }
