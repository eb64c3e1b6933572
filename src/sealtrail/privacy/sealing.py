"""Erasable personal fields: sealed with a key per subject, so destroying the key erases them.

With ``[privacy] erasable = true`` each personal field of an event (``actor.id``, ``actor.ip``,
``actor.user_agent`` and the configured ``message`` / ``details.*`` paths) is replaced, before
the record is sealed, by an *envelope*::

    sealed:<key_id>:<base64url(nonce || AES-256-GCM(canonical JSON of the value))>

encrypted with the key of the event's subject (its actor), authenticated with the record's id and
the field's path (so an envelope cannot be moved to another record or field). The leaf, and so
every hash, checkpoint and proof, covers the envelope: destroying the key later changes nothing
that ``verify`` checks. Keys live in the ``subject_keys`` table, one row per subject, found by the
subject's keyed pseudonym (never the id itself) and named by a random ``key_id``.

Reading (``open_leaves``) decrypts every envelope whose key exists and shows ``[erased]`` for the
others (a producer's own string in exactly the envelope's form, with a key id that does not
exist, reads ``[erased]`` too: only what is displayed, never what is sealed). ``erasure``
destroys a subject's key.
"""

from __future__ import annotations

import base64
import functools
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sealtrail.errors import Conflict, ValidationError
from sealtrail.events import canonical_json
from sealtrail.privacy.policy import PrivacyPolicy
from sealtrail.store.base import Store, WriteView

__all__ = [
    "ERASED",
    "ERASED_ACTOR",
    "SEALED_MARK",
    "SEALED_PREFIX",
    "Sealer",
    "StaleSubjectKey",
    "check_erasable",
    "envelope_key_id",
    "open_leaves",
]

SEALED_PREFIX = "sealed:"
ERASED = "[erased]"
#: The actor column of an erased subject's records (no pseudonym is left to link them).
ERASED_ACTOR = "erased"
_MARK = b'"' + SEALED_PREFIX.encode()
SEALED_MARK = _MARK  # in a leaf's bytes, only where some field is sealed
_NONCE = 12
#: key id (16 bytes) and nonce + ciphertext + tag (at least 28 bytes), base64url without padding
_ENVELOPE = re.compile(r"sealed:([A-Za-z0-9_-]{22}):[A-Za-z0-9_-]{38,}", re.ASCII)
_KEY_ID_BYTES = 16

_SELECT_BY_SUBJECT = "SELECT key_id, key FROM subject_keys WHERE subject = ?"
_INSERT = (
    "INSERT INTO subject_keys (key_id, subject, key, created_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (subject) DO NOTHING"
)

#: Runs SQL (a store's ``read`` or a write view's ``execute``): the rows.
Execute = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]


class StaleSubjectKey(Conflict):
    """A subject key this process used was destroyed (erased) before the append committed."""


class _Key:
    __slots__ = ("aead", "key_id")

    def __init__(self, key_id: str, key: bytes) -> None:
        self.key_id = key_id
        self.aead = AESGCM(bytes(key))


class Sealer:
    """The write side: seals an event's personal fields with its subject's key.

    Keys found or made are cached by subject; a cached key that was erased meanwhile (by another
    process) is caught by ``check`` inside the append transaction, which then fails with
    ``StaleSubjectKey`` and forgets the cache, so a retry seals with a fresh key.
    """

    def __init__(self, policy: PrivacyPolicy, store: Store, now: Callable[[], str]) -> None:
        self.policy = policy
        self.store = store
        self._now = now
        self._keys: dict[str, _Key] = {}
        self._paths = _by_parent(policy.sealed_fields)
        self._lock = threading.Lock()

    def seal(
        self, event: dict[str, Any], event_id: str, subject: str, view: WriteView | None
    ) -> dict[str, Any]:
        """``event`` with every sealed field replaced by its envelope (dicts copied on the way)."""
        key = self._key(subject, view)
        for parents, fields in self._paths:
            node = event
            for part in parents:
                child = node.get(part)
                if not isinstance(child, dict):
                    break
                node[part] = node = dict(child)
            else:
                for path, last in fields:
                    if last in node:
                        node[last] = _envelope(key, event_id, path, node[last])
        return event

    def check(self, view: WriteView, events: Iterable[Mapping[str, Any]]) -> None:
        """Inside the append transaction: every key the events were sealed with still exists."""
        used = {key_id for event in events if (key_id := _actor_key_id(event))}
        if not used:
            return
        marks = ",".join("?" * len(used))
        sql = f"SELECT key_id FROM subject_keys WHERE key_id IN ({marks})"
        if len(view.execute(sql, list(used))) != len(used):
            self.forget()
            raise StaleSubjectKey("an actor's key was erased during this append; send it again")

    def forget(self) -> None:
        with self._lock:
            self._keys.clear()

    def _key(self, subject: str, view: WriteView | None) -> _Key:
        """The subject's key, cached unless read or made in a transaction not yet committed
        (which may still roll back)."""
        key = self._keys.get(subject)
        if key is None:
            key = self._find(subject, view) or self._make(subject, view)
            if view is None:
                with self._lock:
                    self._keys[subject] = key
        return key

    def _find(self, subject: str, view: WriteView | None) -> _Key | None:
        execute: Execute = view.execute if view is not None else self.store.read
        rows = execute(_SELECT_BY_SUBJECT, (subject,))
        return _Key(rows[0][0], rows[0][1]) if rows else None

    def _make(self, subject: str, view: WriteView | None) -> _Key:
        """A new key for ``subject``, committed before any record uses it (in ``view``'s
        transaction when given, else in a write transaction of its own); if another writer made
        one first, theirs."""
        found: list[_Key] = []

        def insert(into: WriteView) -> None:
            key_id = base64.urlsafe_b64encode(secrets.token_bytes(_KEY_ID_BYTES)).decode()
            key = AESGCM.generate_key(256)
            into.execute(_INSERT, (key_id.rstrip("="), subject, key, self._now()))
            found.append(_Key(*into.execute(_SELECT_BY_SUBJECT, (subject,))[0]))

        if view is not None:
            insert(view)
        else:
            from sealtrail.store.base import Sequenced

            def build(size: int, into: WriteView) -> Sequenced:
                insert(into)
                return Sequenced(size, (), (), {})

            self.store.append(build)
        return found[0]


def _by_parent(paths: Iterable[str]) -> list[tuple[tuple[str, ...], list[tuple[str, str]]]]:
    """The paths grouped by the object holding them, so each object is copied once an event."""
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for path in paths:
        *parents, last = path.split(".")
        groups.setdefault(tuple(parents), []).append((path, last))
    return list(groups.items())


class _Nonces:
    """Random 96-bit GCM nonces, drawn from the OS in blocks (one system call per 4,096); a
    forked child starts a pool of its own."""

    def __init__(self, block: int = 4096) -> None:
        self._block = block
        self._lock = threading.Lock()
        self._pool = b""
        self._at = 0

    def next(self) -> bytes:
        with self._lock:
            if self._at >= len(self._pool):
                self._pool, self._at = os.urandom(_NONCE * self._block), 0
            self._at += _NONCE
            return self._pool[self._at - _NONCE : self._at]

    def reset(self) -> None:
        """Forget the pool (in a forked child, so it never repeats its parent's nonces)."""
        self._lock = threading.Lock()
        self._pool, self._at = b"", 0


_nonces = _Nonces()
os.register_at_fork(after_in_child=_nonces.reset)


def _envelope(key: _Key, event_id: str, path: str, value: object) -> str:
    nonce = _nonces.next()
    plain = orjson.dumps(value) if type(value) is str else canonical_json(value)  # same for str
    sealed = key.aead.encrypt(nonce, plain, f"{event_id}\x00{path}".encode())
    text = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{SEALED_PREFIX}{key.key_id}:{text}"


def envelope_key_id(value: object) -> str | None:
    """The key id of an envelope; None for anything else (a producer's text that merely starts
    like one included)."""
    if isinstance(value, str) and value.startswith(SEALED_PREFIX):
        found = _ENVELOPE.fullmatch(value)
        return found.group(1) if found else None
    return None


def _actor_key_id(event: Mapping[str, Any]) -> str | None:
    actor = event.get("actor")
    return envelope_key_id(actor.get("id")) if isinstance(actor, dict) else None


# ---------------------------------------------------------------------------------------------
# Reading


def open_leaves(store: Store, leaves: Sequence[bytes]) -> list[bytes]:
    """The records of ``leaves`` for display: each envelope decrypted while its key exists, else
    ``[erased]``. Leaves without envelopes come back as they are (the same bytes)."""
    records = {i: orjson.loads(leaf) for i, leaf in enumerate(leaves) if _MARK in leaf}
    if not records:
        return list(leaves)
    wanted: set[str] = set()
    for record in records.values():
        _walk(record, "", lambda _path, value: _collect(wanted, value))
    keys = _read_keys(store, wanted)
    opened = list(leaves)
    for i, record in records.items():
        opener = functools.partial(_open, keys, str(record.get("id", "")))
        opened[i] = orjson.dumps(_walk(record, "", opener))
    return opened


def _collect(wanted: set[str], value: str) -> str:
    if (key_id := envelope_key_id(value)) is not None:
        wanted.add(key_id)
    return value


def _read_keys(store: Store, key_ids: set[str]) -> dict[str, _Key]:
    if not key_ids:
        return {}
    marks = ",".join("?" * len(key_ids))
    sql = f"SELECT key_id, key FROM subject_keys WHERE key_id IN ({marks})"
    rows = store.read(sql, list(key_ids))
    return {key_id: _Key(key_id, key) for key_id, key in rows}


def _open(keys: Mapping[str, _Key], event_id: str, path: str, value: str) -> object:
    key_id = envelope_key_id(value)
    if key_id is None:
        return value
    key = keys.get(key_id)
    if key is None:
        return ERASED
    try:
        data = base64.urlsafe_b64decode(value.rpartition(":")[2] + "==")
        plain = key.aead.decrypt(data[:_NONCE], data[_NONCE:], f"{event_id}\x00{path}".encode())
    except (InvalidTag, ValueError):
        return value  # not an envelope this ledger made: a producer's own text
    return orjson.loads(plain)


def _walk(value: Any, path: str, change: Callable[[str, str], object]) -> Any:
    """``value`` with ``change(path, text)`` applied to every string, in place."""
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _walk(item, f"{path}.{key}" if path else key, change)
        return value
    if isinstance(value, list):
        return [_walk(item, path, change) for item in value]
    if isinstance(value, str):
        return change(path, value)
    return value


def check_erasable(policy: PrivacyPolicy | None) -> PrivacyPolicy:
    """The policy, when it seals personal fields; else a ``ValidationError`` saying how."""
    if policy is None or not policy.erasable:
        raise ValidationError("erasure needs `erasable = true` in the [privacy] configuration")
    return policy
