"""Synthetic streams for the alert tests: events at chosen times, normalised like records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sealtrail.events import format_time, validate_event

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def event(
    action: str,
    at: datetime | float = 0.0,
    *,
    actor: str = "alice",
    ip: str | None = "192.0.2.7",
    outcome: str = "failure",
    registry: str = "registry.example.com",
    message: str | None = None,
) -> dict[str, Any]:
    """An event ``at`` a time (or that many seconds after ``T0``), validated as the ledger would."""
    when = at if isinstance(at, datetime) else T0 + timedelta(seconds=at)
    raw: dict[str, Any] = {
        "time": format_time(when),
        "action": action,
        "outcome": outcome,
        "actor": {"id": actor, "type": "user", **({"ip": ip} if ip else {})},
        "source": {"service": "tests"},
    }
    if action.startswith(("image.", "tag.")):
        raw["target"] = {"type": "image", "id": "team/app:v1", "registry": registry,
                         "repository": "team/app", "tag": "v1"}  # fmt: skip
    if message:
        raw["message"] = message
    return validate_event(raw)


def login_failed(at: datetime | float, **more: Any) -> dict[str, Any]:
    return event("auth.login_failed", at, **more)
