"""``SealtrailHandler``: a ``logging.Handler`` that ships records to a sealtrail server as events.

    handler = SealtrailHandler(url, key, "/var/spool/myapp-audit")
    logging.getLogger("audit").addHandler(handler)
    log.info("pushed %s", tag, extra={"action": "image.push", "outcome": "success",
                                      "target": {...}, "details": {...}})

``emit`` never waits for the network or the disk: it turns the record into an event (``event``)
and hands it to a ``Shipper`` (``sealtrail.shipping``), which delivers in order, spools on disk
while the server is away, and counts what it could not keep (``rejected``, ``dropped``,
``overflowed``).
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from sealtrail.client import Client
from sealtrail.events import format_time
from sealtrail.shipping import Shipper, Spool

__all__ = ["SealtrailHandler", "Spool"]

_MAX_TEXT = 16_000
"""Messages and tracebacks are cut to this many characters (the server takes 16,384)."""


class SealtrailHandler(logging.Handler):
    """Ships log records as events, never blocking the caller; spools them while the server is away.

    An event's ``action``, ``outcome``, ``actor`` (a mapping, or a user id), ``target``,
    ``request_id`` and ``details`` come from the record's ``extra=``; the rest from the record
    (see ``event``). ``spool`` is a directory only this handler uses while it is open.
    """

    def __init__(
        self,
        url: str,
        key: str,
        spool: str | Path,
        *,
        level: int = logging.NOTSET,
        action: str = "log.record",
        outcome: str = "unknown",
        service: str | None = None,
        batch_size: int = 1000,
        max_queue: int = 10_000,
        spool_bytes: int = 64 << 20,
        timeout: float = 30.0,
        close_timeout: float = 5.0,
        max_backoff: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(level)
        self.action, self.outcome = action, outcome
        service = service or Path(sys.argv[0]).name or "python"
        self.actor = {"id": service, "type": "service"}
        self.source = {"service": service, **({"host": h} if (h := socket.gethostname()) else {})}
        client = Client(url, key, timeout=timeout, transport=transport, retries=0)
        self.shipper = Shipper(
            client,
            spool,
            batch_size=batch_size,
            max_queue=max_queue,
            spool_bytes=spool_bytes,
            close_timeout=close_timeout,
            max_backoff=max_backoff,
        )

    @property
    def spool(self) -> Spool:
        return self.shipper.spool

    @property
    def rejected(self) -> int:
        """Events the server refused as invalid (kept in the spool's ``rejected.jsonl``)."""
        return self.shipper.rejected

    @property
    def dropped(self) -> int:
        """Events lost to the spool's byte cap or an unwritable spool."""
        return self.shipper.dropped

    @property
    def overflowed(self) -> int:
        """Records dropped because the queue was full or the handler closed."""
        return self.shipper.overflowed

    # the caller's side

    def emit(self, record: logging.LogRecord) -> None:
        """Queue the record as an event. Never blocks.

        A record is dropped, and counted in ``overflowed``, when the queue is full (reported on
        stderr) or the handler is closed.
        """
        if threading.get_ident() == self.shipper.thread_ident:
            return  # our own shipping logs (httpx): shipping them would never end
        try:
            line = orjson.dumps(self.event(record), default=str, option=orjson.OPT_NON_STR_KEYS)
        except Exception:
            self.handleError(record)
            return
        self.shipper.send_line(line)

    def event(self, record: logging.LogRecord) -> dict[str, Any]:
        """The event for ``record``; override to map records differently."""
        extra = record.__dict__
        details: dict[str, Any] = {"logger": record.name, "level": record.levelname}
        if record.exc_info:
            details["exception"] = _cut(_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            details["stack"] = _cut(record.stack_info)
        if isinstance(extra.get("details"), Mapping):
            details.update(extra["details"])
        event = {
            "time": format_time(datetime.fromtimestamp(record.created, UTC)),
            "action": extra.get("action") or self.action,
            "outcome": extra.get("outcome") or self.outcome,
            "severity": _severity(record.levelno),
            "actor": _actor(extra.get("actor")) or self.actor,
            "source": self.source,
            "message": _cut(record.getMessage()),
            "details": details,
        }
        for name in ("target", "request_id"):
            if extra.get(name) is not None:
                event[name] = extra[name]
        return event

    def flush(self, timeout: float | None = None) -> bool:  # type: ignore[override]  # adds a result
        """Wait until every record emitted so far is delivered (or rejected); False on timeout.

        ``timeout`` defaults to ``close_timeout``. Events not delivered stay queued or spooled.
        """
        return self.shipper.flush(timeout)

    def close(self) -> None:
        """Deliver what is queued if the server answers, spool the rest, stop the thread."""
        self.shipper.close()
        super().close()


_FORMATTER = logging.Formatter()
_SEVERITIES = (
    (logging.CRITICAL, "critical"),
    (logging.ERROR, "error"),
    (logging.WARNING, "warning"),
)


def _severity(levelno: int) -> str:
    return next((name for level, name in _SEVERITIES if levelno >= level), "info")


def _actor(value: object) -> dict[str, Any] | None:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str) and value:
        return {"id": value, "type": "user"}
    return None


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"
