"""Forwarders: follow the log and deliver every record, in seq order, at least once.

Each forwarder keeps its position in the store's metadata, ``forwarder.NAME.delivered`` (the last
seq delivered; the store's meta table needs no schema of its own and both engines have it). It
reads the records after it, up to ``batch`` at a time, sends them through its transport, and only
then moves its position on, so a process killed at any moment sends the last batch again on
restart and nothing is skipped.

A forwarder whose ``actions`` are set forwards only the records of those actions (the alerts
webhook forwards ``alert.raised``); its position is then the last such record delivered.

Every forwarder is a ``LogFollower``: something that follows the log from a position it persists,
handles the records after it in seq order and moves the position on only once they are handled,
polling when caught up. The alert follower (``sealtrail.alerts``) is another; ``Followers`` runs
any of them in threads in the server.

A failed batch is sent again after a backoff that doubles from ``backoff_initial`` up to
``backoff_max``. After ``max_attempts`` failures the batch becomes a *dead letter*: kept in the
metadata (``forwarder.NAME.dead_letter``: its seq range, the attempts, the last error, since when),
logged, and shown by ``sealtrail forward status``. The forwarder does not skip it: later records
wait behind it (seq order), and it keeps retrying at ``backoff_max`` until the receiver takes the
batch, which clears the dead letter. Nothing is dropped; a stuck forwarder is visible, not silent.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

import orjson

from sealtrail.config import Settings
from sealtrail.errors import NotFound
from sealtrail.events import format_time
from sealtrail.ledger.log import Ledger
from sealtrail.sinks.config import ForwarderConfig, parse_forwarders
from sealtrail.sinks.transports import DeliveryFailed, Transport, make_transport
from sealtrail.store.base import Query

__all__ = ["Followers", "Forwarder", "Forwarding", "LogFollower", "forwarder_status"]

log = logging.getLogger("sealtrail.sinks")


def _delivered_key(name: str) -> str:
    return f"forwarder.{name}.delivered"


def _dead_letter_key(name: str) -> str:
    return f"forwarder.{name}.dead_letter"


class _Stopped(Exception):
    """The forwarder was asked to stop while waiting to retry."""


class LogFollower:
    """Follows one ledger's log from a persisted position: ``step`` handles the records after
    it (some of them, in seq order) and moves it on once they are handled; ``run`` steps until
    ``stopping`` is set, waiting ``poll_interval`` seconds whenever it is caught up."""

    name = "follower"
    poll_interval = 0.5

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.stopping = threading.Event()

    def step(self) -> int:
        """Handle the next records; how many (0: caught up)."""
        raise NotImplementedError

    def caught_up(self, handled: int) -> bool:
        """Whether a step that handled ``handled`` records reached the end of the log, so the
        next waits ``poll_interval``."""
        return handled == 0

    def close(self) -> None:
        """Release what the follower holds (called when ``run`` ends)."""

    def run(self) -> None:
        """Follow the log until ``stopping`` is set."""
        try:
            while not self.stopping.is_set():
                if self.caught_up(self.step()):
                    self.stopping.wait(self.poll_interval)
        except _Stopped:
            pass
        finally:
            self.close()


class Forwarder(LogFollower):
    """One forwarder over one ledger: its position, its transport, its retry loop."""

    def __init__(self, config: ForwarderConfig, ledger: Ledger, transport: Transport) -> None:
        super().__init__(ledger)
        self.config = config
        self.transport = transport
        self.name = f"forwarder-{config.name}"
        self.poll_interval = config.poll_interval

    def delivered(self) -> int:
        """The last seq delivered (-1: none); a new forwarder starting at the end begins there."""
        store = self.ledger.store
        text = store.get_meta(_delivered_key(self.config.name))
        if text is not None:
            return int(text)
        position = self.ledger.size() - 1 if self.config.start == "end" else -1
        store.set_meta(_delivered_key(self.config.name), str(position))
        return position

    def step(self) -> int:
        """Deliver the next batch, retrying until it is delivered; how many records it held."""
        batch = self._next_batch()
        if batch:
            self._deliver(batch)
            self._delivered(batch)
        return len(batch)

    def _next_batch(self) -> list[tuple[int, bytes]]:
        """The next records after the last delivered (of the chosen actions, when the forwarder
        has some); records retention removed are skipped."""
        after = Query(actions=self.config.actions, after_seq=self.delivered(), oldest_first=True,
                      limit=self.config.batch)  # fmt: skip
        return [(r.seq, r.leaf) for r in self.ledger.store.query(after)]

    def _delivered(self, batch: Sequence[tuple[int, bytes]]) -> None:
        self.ledger.store.set_meta(_delivered_key(self.config.name), str(batch[-1][0]))

    def _deliver(self, batch: Sequence[tuple[int, bytes]]) -> None:
        attempts = 0
        while True:
            try:
                self.transport.send(batch)
            except DeliveryFailed as error:
                attempts += 1
                if attempts >= self.config.max_attempts:
                    self._dead_letter(batch, attempts, str(error))
                log.warning(
                    "forwarder %s: attempt %d failed: %s", self.config.name, attempts, error
                )
                if self.stopping.wait(self._backoff(attempts)):
                    raise _Stopped from None
                continue
            if attempts >= self.config.max_attempts:
                self.ledger.store.set_meta(_dead_letter_key(self.config.name), "null")
            return

    def _backoff(self, attempts: int) -> float:
        delay: float = self.config.backoff_initial * 2.0 ** (attempts - 1)
        return min(delay, self.config.backoff_max)

    def _dead_letter(self, batch: Sequence[tuple[int, bytes]], attempts: int, error: str) -> None:
        key = _dead_letter_key(self.config.name)
        known = _json(self.ledger.store.get_meta(key))
        since = known["since"] if known else format_time(self.ledger.clock.now())
        letter = {
            "first_seq": batch[0][0],
            "last_seq": batch[-1][0],
            "attempts": attempts,
            "error": error[:1000],
            "since": since,
        }
        self.ledger.store.set_meta(key, orjson.dumps(letter).decode())
        if attempts == self.config.max_attempts:
            log.error("forwarder %s: dead letter, seq %d-%d waits: %s", self.config.name,
                      batch[0][0], batch[-1][0], error)  # fmt: skip

    def close(self) -> None:
        self.transport.close()

    def drain(self) -> None:
        """Deliver everything recorded now; a dead letter stops it with ``DeliveryFailed``."""
        size = self.ledger.size()
        try:
            while self.delivered() + 1 < size:
                batch = [(seq, leaf) for seq, leaf in self._next_batch() if seq < size]
                if not batch:
                    break
                self._deliver_or_fail(batch)
                self._delivered(batch)
        finally:
            self.transport.close()

    def _deliver_or_fail(self, batch: Sequence[tuple[int, bytes]]) -> None:
        for attempt in range(1, self.config.max_attempts + 1):
            try:
                self.transport.send(batch)
                return
            except DeliveryFailed as error:
                if attempt == self.config.max_attempts:
                    self._dead_letter(batch, attempt, str(error))
                    raise
                self.stopping.wait(self._backoff(attempt))


class Followers:
    """Log followers of one process, each in its own thread."""

    def __init__(self, followers: Sequence[LogFollower]) -> None:
        self.followers = list(followers)
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for follower in self.followers:
            thread = threading.Thread(
                target=follower.run, daemon=True, name=f"sealtrail-{follower.name}"
            )
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        for follower in self.followers:
            follower.stopping.set()
        for thread in self.threads:
            thread.join()
        self.threads = []


class Forwarding(Followers):
    """The configured forwarders of one process, each in its own thread."""

    def __init__(self, forwarders: Sequence[Forwarder]) -> None:
        super().__init__(forwarders)
        self.forwarders = list(forwarders)

    @classmethod
    def from_settings(
        cls, settings: Settings, ledger: Ledger, names: Sequence[str] | None = None
    ) -> Forwarding:
        """The enabled forwarders of ``settings`` (or those named); journald only if present."""
        configs = parse_forwarders(settings.section("forwarders"))
        unknown = set(names or ()) - {c.name for c in configs}
        if unknown:
            raise NotFound(f"no forwarder named {', '.join(sorted(unknown))} in the configuration")
        chosen = []
        for config in configs:
            if (names and config.name not in names) or not config.enabled:
                continue
            if config.kind == "journald" and not os.path.exists(config.socket):
                log.warning("forwarder %s: no journald at %s; not started", config.name,
                            config.socket)  # fmt: skip
                continue
            chosen.append(Forwarder(config, ledger, make_transport(config)))
        return cls(chosen)

    def drain(self) -> None:
        for forwarder in self.forwarders:
            forwarder.drain()


def forwarder_status(settings: Settings, ledger: Ledger) -> list[dict[str, Any]]:
    """Each configured forwarder: kind, last seq delivered, lag behind the log, dead letter."""
    size = ledger.size()
    rows = []
    for config in parse_forwarders(settings.section("forwarders")):
        text = ledger.store.get_meta(_delivered_key(config.name))
        delivered = int(text) if text is not None else None
        behind = size - 1 - (delivered if delivered is not None else -1)
        rows.append({
            "name": config.name,
            "kind": config.kind,
            "enabled": config.enabled,
            "delivered": delivered,
            "lag": behind,
            "dead_letter": _json(ledger.store.get_meta(_dead_letter_key(config.name))),
        })  # fmt: skip
    return rows


def _json(text: str | None) -> dict[str, Any] | None:
    value = orjson.loads(text) if text else None
    return value if isinstance(value, dict) else None
