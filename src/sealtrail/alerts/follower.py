"""The alert follower: evaluates the rules over each record once, as the log grows.

It is a ``LogFollower`` (``sealtrail.sinks.forwarding``), run by the server next to the
forwarders. Its position (the last seq evaluated) and the rules' sliding windows are kept in the
store (``alert_cursor``, ``alert_windows``), always together: a step that raises alerts writes the
position, the windows changed since the last write and the ``alert.raised`` events in one
transaction. Steps that raise nothing write at most every ``save_interval`` seconds, and when the
follower stops. A crash in between loses nothing: evaluation restarts from the stored position
with the stored windows and reads the records after it again, which changes the windows exactly
as before (records never change) and cannot repeat an alert (every alert was stored with the
state that includes it). So a restart in the middle of a window, clean or not, counts every
record once.

Each step reads the records after its position (up to ``batch``), takes each one's action from
the head of its leaf (``leaf_action``) and decodes only those some rule concerns. A step that
reached the end of the log waits ``poll_interval`` before the next, so a busy log costs at most
one write per interval, however many batches arrive. A second server on the same PostgreSQL log
runs its own follower; the stored position is compared inside the transaction, so only one of
them records a step, and the other reloads the stored state and goes on from there.

Alerts reach a webhook through a ``Forwarder`` that forwards only ``alert.raised`` records, signed
like every webhook forwarder (``X-Sealtrail-Signature: sha256=HMAC-SHA256(secret, body)``), with
its retries and dead letter.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import orjson

from sealtrail.alerts.engine import ALERT_ACTION, AlertEngine, Hit, alert_event
from sealtrail.alerts.rules import AlertRule, AlertsConfig
from sealtrail.errors import SealtrailError
from sealtrail.events import format_time, leaf_action
from sealtrail.ledger.log import Ledger
from sealtrail.privacy.policy import PSEUDONYM_PREFIX
from sealtrail.privacy.sealing import ERASED, SEALED_MARK
from sealtrail.sinks.config import ForwarderConfig
from sealtrail.sinks.forwarding import Forwarder, LogFollower
from sealtrail.sinks.transports import make_transport
from sealtrail.store.base import WriteView, as_bytes

__all__ = ["CURSOR", "WEBHOOK_FORWARDER", "AlertFollower", "alert_followers"]

log = logging.getLogger("sealtrail.alerts")

CURSOR = "alerts"
WEBHOOK_FORWARDER = "alerts-webhook"
_READ = "SELECT seq, leaf FROM records WHERE seq > ? AND seq <= ? ORDER BY seq"
_CURSOR = "SELECT evaluated FROM alert_cursor WHERE name = ?"
_SAVE_WINDOW = (
    "INSERT INTO alert_windows (rule, grp, entries) VALUES (?, ?, ?)"
    " ON CONFLICT (rule, grp) DO UPDATE SET entries = excluded.entries"
)
_SAVE_RULE = (
    "INSERT INTO alert_rules (rule, fingerprint) VALUES (?, ?)"
    " ON CONFLICT (rule) DO UPDATE SET fingerprint = excluded.fingerprint"
)


class _Moved(Exception):
    """Another process stored a step first: reload its state."""


class AlertFollower(LogFollower):
    """The rules of one ``AlertsConfig`` over one ledger's log."""

    name = "alerts"

    def __init__(self, config: AlertsConfig, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.config = config
        self.poll_interval = config.poll_interval
        self.rules = config.active()
        self.engine = AlertEngine(self.rules)
        self.position = -1  # last seq evaluated
        self.stored = -1  # last seq evaluated as stored
        self._stored_at = time.monotonic()
        self._lost = True  # the state is to be read from the store (at the first step)

    def restore(self) -> None:
        """Take the stored position and windows (the first step does, in the follower's thread,
        so a server starts without waiting for the write lock); the first time, store a position
        at the log's start or end. Windows of rules that changed or are gone are dropped."""
        found: dict[str, Any] = {}

        def work(view: WriteView, size: int) -> list[dict[str, Any]]:
            found["evaluated"] = _stored_position(view, self.config.start, size)
            _forget_changed_rules(view, self.rules)
            found["windows"] = view.execute("SELECT rule, grp, entries FROM alert_windows")
            return []

        self.ledger.append_in_transaction(work)
        self.engine = AlertEngine(self.rules)
        for rule, key, entries in found["windows"]:
            self.engine.load(rule, key, orjson.loads(entries))
        self.position = self.stored = int(found["evaluated"])
        self._lost = False

    def step(self) -> int:
        """Evaluate the next records (up to ``batch``); how many."""
        try:
            if self._lost:
                self.restore()
            return self._step()
        except SealtrailError as error:  # the store is away: try again from what it holds
            log.warning("alerts: evaluation paused: %s", error)
            self._lost = True
            self.stopping.wait(self.poll_interval)
            return 0

    def _step(self) -> int:
        start = self.position
        rows = self.ledger.store.read(_READ, (start, start + self.config.batch))
        hits = self.evaluate(rows) if rows else []
        if rows:
            self.position = int(rows[-1][0])
        if hits or (self.position > self.stored and self._due()):
            self._store(hits)
        return len(rows)

    def caught_up(self, handled: int) -> bool:
        return handled < self.config.batch

    def evaluate(self, rows: Sequence[tuple[Any, ...]]) -> list[Hit]:
        """The hits of ``(seq, leaf)`` rows; only leaves some rule concerns are decoded."""
        hits: list[Hit] = []
        routes, observe, loads = self.engine.routes, self.engine.observe, orjson.loads
        for seq, stored in rows:
            leaf = as_bytes(stored)
            if found := routes(leaf_action(leaf)):
                record = self._opened(leaf) if SEALED_MARK in leaf else loads(leaf)
                hits += observe(seq, record, found)
        return hits

    def _opened(self, leaf: bytes) -> dict[str, Any]:
        """A record with erasable (sealed) personal fields, opened so rules can count who and
        from where; an opened actor id or address is kept only as its keyed pseudonym, so an
        ``alert.raised`` event never carries plaintext that ``erase`` could not reach."""
        sealed = orjson.loads(leaf).get("actor") or {}
        record: dict[str, Any] = orjson.loads(self.ledger.open_leaves([leaf])[0])
        actor = record.get("actor") or {}
        privacy = self.ledger.privacy
        for name in ("id", "ip"):
            value = actor.get(name)
            if privacy is None or not isinstance(value, str) or value == sealed.get(name):
                continue  # not sealed: as the record holds it
            if value != ERASED and not value.startswith(PSEUDONYM_PREFIX):
                actor[name] = privacy.pseudonym(value)
        return record

    def _due(self) -> bool:
        return time.monotonic() - self._stored_at >= self.config.save_interval

    def _store(self, hits: Sequence[Hit]) -> None:
        """Store the position and changed windows, and append the alerts, in one transaction."""
        position, raised_at = self.position, format_time(self.ledger.clock.now())
        changes = self.engine.take_changes()  # lost with a failed write: ``restore`` then

        def work(view: WriteView, size: int) -> list[dict[str, Any]]:
            rows = view.execute(_CURSOR, (CURSOR,))
            if not rows or int(rows[0][0]) != self.stored:
                raise _Moved
            sql = "UPDATE alert_cursor SET evaluated = ?, updated_at = ? WHERE name = ?"
            view.execute(sql, (position, raised_at, CURSOR))
            kept = [(r, k, orjson.dumps(e).decode()) for r, k, e in changes if e]
            view.executemany(_SAVE_WINDOW, kept)
            gone = [(r, k) for r, k, e in changes if not e]
            view.executemany("DELETE FROM alert_windows WHERE rule = ? AND grp = ?", gone)
            return [alert_event(hit, raised_at) for hit in hits]

        try:
            self.ledger.append_in_transaction(work)
        except _Moved:
            log.info("alerts: another process evaluated the same records; taking its state")
            self._lost = True
            return
        except SealtrailError:
            self._lost = True
            raise
        for hit in hits:
            log.warning("alert %s: %s", hit.rule.id, hit.reason)
        self.stored, self._stored_at = position, time.monotonic()

    def close(self) -> None:
        """Store how far evaluation got, so a restart need not read those records again."""
        if self.position > self.stored and not self._lost:
            try:
                self._store([])
            except SealtrailError as error:
                log.warning("alerts: position not stored at stop: %s", error)


def _stored_position(view: WriteView, start: str, size: int) -> int:
    rows = view.execute(_CURSOR, (CURSOR,))
    if rows:
        return int(rows[0][0])
    evaluated = size - 1 if start == "end" else -1
    view.execute("INSERT INTO alert_cursor VALUES (?, ?, ?)", (CURSOR, evaluated, ""))
    return evaluated


def _forget_changed_rules(view: WriteView, rules: Sequence[AlertRule]) -> None:
    current = {rule.id: rule.fingerprint() for rule in rules if rule.kind == "threshold"}
    stored = dict(view.execute("SELECT rule, fingerprint FROM alert_rules"))
    for rule, fingerprint in stored.items():
        if current.get(rule) != fingerprint:
            view.execute("DELETE FROM alert_windows WHERE rule = ?", (rule,))
            view.execute("DELETE FROM alert_rules WHERE rule = ?", (rule,))
    view.executemany(_SAVE_RULE, [(r, f) for r, f in current.items() if stored.get(r) != f])


def _webhook(config: AlertsConfig, ledger: Ledger) -> Forwarder:
    hook = ForwarderConfig(
        name=WEBHOOK_FORWARDER,
        kind="webhook",
        url=config.webhook_url,
        secret=config.webhook_secret,
        ca_file=config.webhook_ca_file,
        actions=(ALERT_ACTION,),
        start="end",
        poll_interval=config.poll_interval,
    )
    forwarder = Forwarder(hook, ledger, make_transport(hook))
    forwarder.delivered()  # its start is fixed now, before the first alert of this process
    return forwarder


def alert_followers(config: AlertsConfig, ledger: Ledger) -> list[LogFollower]:
    """What the server runs for ``[alerts]``: the rules' follower and the webhook, if any."""
    if not config.enabled:
        return []
    followers: list[LogFollower] = []
    if config.webhook_url:
        followers.append(_webhook(config, ledger))
    followers.append(AlertFollower(config, ledger))
    return followers
