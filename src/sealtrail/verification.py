"""A full verification that is itself on the record.

``verify_and_record`` runs ``Ledger.verify``, keeps the outcome in the store's metadata (the
console shows it) and appends an ``audit.verify`` event, whatever the outcome: the trail records
what is done to the trail. A failure is re-raised after it is recorded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson

from sealtrail.errors import SealtrailError, VerificationError
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.ledger.verify import ProgressCallback, VerifyReport
from sealtrail.store.base import Store

__all__ = ["LAST_VERIFICATION", "last_verification", "verify_and_record"]

log = logging.getLogger("sealtrail.verification")
LAST_VERIFICATION = "last_verification"  # store meta key: JSON of the last full verification


def verify_and_record(
    ledger: Ledger, actor: Mapping[str, str], progress: ProgressCallback | None = None
) -> VerifyReport:
    """Verify the whole log, record the result, return the report or raise the failure."""
    started, size = time.perf_counter(), ledger.size()
    result: dict[str, Any] = {"time": format_time(ledger.clock.now()), "by": actor["id"]}
    failure: SealtrailError | None = None
    report = None
    try:
        report = ledger.verify(progress)
        result.update(ok=True, size=report.size, reason=None, index=None, message=None)
    except VerificationError as error:
        failure = error
        result.update(
            ok=False, size=size, reason=error.reason, index=error.index, message=str(error)
        )
    except SealtrailError as error:
        failure = error
        result.update(ok=False, size=size, reason="error", index=None, message=str(error))
    result["seconds"] = round(time.perf_counter() - started, 3)
    try:
        ledger.store.set_meta(LAST_VERIFICATION, orjson.dumps(result).decode())
        ledger.append(_verify_event(ledger, actor, result))
    except SealtrailError:
        log.exception("the verification result could not be recorded")
    if failure is not None:
        raise failure
    assert report is not None
    return report


def _verify_event(ledger: Ledger, actor: Mapping[str, str], result: Mapping[str, Any]) -> Any:
    ok = result["ok"]
    if ok:
        message = f"verified the whole log: {result['size']} records, consistent and signed"
    else:
        message = f"verification failed ({result['reason']}): {result['message']}"[:1000]
    keys = ("size", "reason", "index", "seconds")
    details = {k: result[k] for k in keys if result[k] is not None}
    return {
        "time": result["time"],
        "action": "audit.verify",
        "outcome": "success" if ok else "failure",
        "severity": "info" if ok else "critical",
        "actor": dict(actor),
        "target": {"type": "ledger", "id": ledger.origin},
        "source": {"service": "sealtrail"},
        "message": message,
        "details": details,
    }


def last_verification(store: Store) -> dict[str, Any] | None:
    """The last recorded verification result, or None."""
    text = store.get_meta(LAST_VERIFICATION)
    if text is None:
        return None
    try:
        found = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None
