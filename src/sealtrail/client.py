"""``sealtrail.Client``: the HTTP API from Python, with proofs checked against a pinned key.

    with Client("https://audit.example.com", key) as audit:
        receipt = audit.append(event)
        for found in audit.query(action="image.pull", since="2026-01-01T00:00:00Z"):
            ...
        audit.verify_inclusion(receipt.seq, "audit.example.com/log+1a2b3c4d+AfV...")

Errors are the ``sealtrail.errors`` tree, translated from HTTP status codes by one table,
``STATUS_ERRORS``; their message is the server's, followed by the status and the request id.
Connection errors and timeouts are ``StoreUnavailable``. Reads are retried with exponential
backoff while the server is unavailable (honouring ``Retry-After``); appends never are, because
an append whose response was lost may have been committed: the caller decides.

Trust: ``verify_inclusion`` and ``verify_consistency`` check every signature with the verifier
keys the caller pins, never with a key the server sends, and compare every hash the server states
with a signed checkpoint before using it.
"""

from __future__ import annotations

import base64
import binascii
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from types import MappingProxyType
from typing import Any, Literal

import httpx
import orjson

from sealtrail.canonical import canonical_json
from sealtrail.errors import (
    Conflict,
    Denied,
    NotFound,
    SealtrailError,
    StoreUnavailable,
    ValidationError,
    VerificationError,
)
from sealtrail.events import format_time
from sealtrail.ledger.log import Receipt
from sealtrail.ledger.merkle import HASH_SIZE
from sealtrail.ledger.note import Checkpoint, Verifier, open_checkpoint
from sealtrail.ledger.proofs import ConsistencyProof, InclusionProof

__all__ = ["MAX_BATCH", "STATUS_ERRORS", "Client", "Receipt", "VerifierKeys"]

MAX_BATCH = 10_000
"""The most events one ``POST /v1/events:batch`` request carries."""

STATUS_ERRORS: Mapping[int, type[SealtrailError]] = MappingProxyType(
    {
        400: ValidationError,
        413: ValidationError,
        422: ValidationError,
        401: Denied,
        403: Denied,
        404: NotFound,
        409: Conflict,
        429: StoreUnavailable,
        502: StoreUnavailable,
        503: StoreUnavailable,
        504: StoreUnavailable,
    }
)
"""HTTP status → the error raised; any other failing status raises ``SealtrailError`` itself."""

VerifierKeys = str | Verifier | Sequence[str | Verifier]
"""One pinned verifier key (``name+hex8+base64``) or several (old keys after a rotation)."""

_MAX_WAIT = 5.0
"""The longest pause between two attempts of a read, in seconds, whatever Retry-After says."""


class Client:
    """A connection to one sealtrail server, authenticated by an API key. Thread-safe.

    ``timeout`` is in seconds per request; ``transport`` replaces httpx's network transport
    (tests pass an ``httpx.MockTransport``); ``retries`` is how often a read is retried while
    the server is unavailable.
    """

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
        retries: int = 3,
    ) -> None:
        self.url = url.rstrip("/")
        self.retries = retries
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {key}", "User-Agent": "sealtrail-python"},
            timeout=timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"Client(url={self.url!r})"  # never the key

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # appending

    def append(self, event: Mapping[str, Any]) -> Receipt:
        """Append one event; the receipt is returned once the server holds it durably."""
        body = self._json(self._request("POST", "/v1/events", content=_encode(event)))
        return _receipt(body)

    def append_many(
        self, events: Iterable[Mapping[str, Any]], batch_size: int = 1000
    ) -> list[Receipt]:
        """Append events in order, ``batch_size`` (at most 10,000) per request.

        Each request is all or nothing. When one fails, the requests before it stay appended:
        the error carries a note saying how many events of this call that was.
        """
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValidationError(f"batch_size: must be 1 to {MAX_BATCH}, got {batch_size}")
        receipts: list[Receipt] = []
        pending = iter(events)
        while batch := list(islice(pending, batch_size)):
            try:
                receipts.extend(self._append_batch(batch))
            except SealtrailError as error:
                if receipts:
                    error.add_note(
                        f"the first {len(receipts)} events of this call were appended "
                        f"(seq {receipts[0].seq} to {receipts[-1].seq})"
                    )
                raise
        return receipts

    def _append_batch(self, batch: list[Mapping[str, Any]]) -> list[Receipt]:
        content = _encode({"events": batch})
        body = self._json(self._request("POST", "/v1/events:batch", content=content))
        receipts = [_receipt(item) for item in _field(body, "receipts", list)]
        if len(receipts) != len(batch):
            raise SealtrailError(
                f"malformed response: {len(receipts)} receipts for {len(batch)} events"
            )
        return receipts

    # reading

    def query(
        self,
        q: str | None = None,
        *,
        action: str | Sequence[str] | None = None,
        category: str | None = None,
        outcome: str | None = None,
        actor: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        repository: str | None = None,
        digest: str | None = None,
        since: str | datetime | None = None,
        until: str | datetime | None = None,
        order: Literal["newest", "oldest"] = "newest",
        limit: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Every matching event, page after page (``limit`` events per request).

        ``q`` is the search syntax of the server (``action:image.pull actor:alice -outcome:
        success``); ``since`` is inclusive, ``until`` exclusive. Stop iterating to stop fetching.
        """
        filters: dict[str, Any] = {
            "q": q,
            "action": [action] if isinstance(action, str) else action,
            "category": category,
            "outcome": outcome,
            "actor": actor,
            "target_type": target_type,
            "target_id": target_id,
            "repository": repository,
            "digest": digest,
            "since": _time_param(since),
            "until": _time_param(until),
            "order": order,
            "limit": limit,
        }
        params = {name: value for name, value in filters.items() if value is not None}
        while True:
            page = self._json(self._request("GET", "/v1/events", params=params))
            yield from _field(page, "events", list)
            cursor = page.get("next_cursor")
            if not cursor:
                return
            params["cursor"] = cursor

    def event(self, seq: int) -> dict[str, Any]:
        """The event at ``seq``, as the ledger sealed it (with ``seq``, ``id``, ``received_at``)."""
        body = self._json(self._request("GET", f"/v1/events/{int(seq)}"))
        return dict(_field(body, "event", dict))

    def checkpoint(self) -> str:
        """The server's latest checkpoint: the text of a signed note, not yet verified."""
        return self._request("GET", "/checkpoint").text

    # verifying

    def verify_inclusion(
        self, seq: int, verifier_key: VerifierKeys, origin: str | None = None
    ) -> InclusionProof:
        """Prove that the event at ``seq`` is in the log a pinned key signed; return the proof.

        Checks that the server's checkpoint is signed by ``verifier_key`` (and names ``origin``,
        if given), that the proof is for that checkpoint's size and root, that the proof holds,
        and that the proven entry is the event the server returned (``proof.entry``, the exact
        sealed bytes). Raises ``VerificationError`` (``.index`` = ``seq``) if anything fails.
        """
        verifiers = _verifiers(verifier_key)
        body = self._json(self._request("GET", f"/v1/events/{int(seq)}", params={"proof": "true"}))
        checkpoint = _open(_field(body, "checkpoint", str), verifiers, origin)
        proof = _inclusion_proof(_field(body, "proof", dict), seq)
        if proof.index != seq:
            raise _unproven(seq, f"the proof is for index {proof.index}, not {seq}")
        if (proof.size, proof.root) != (checkpoint.size, checkpoint.root_hash):
            raise _unproven(seq, "the proof's tree is not the one the signed checkpoint states")
        try:
            proof.check()
        except VerificationError as error:
            raise _unproven(seq, str(error)) from error
        if _canonical(_field(body, "event", dict), seq) != proof.entry:
            raise _unproven(seq, "the event returned is not the entry the proof covers")
        return proof

    def verify_consistency(
        self, old_checkpoint: str, verifier_key: VerifierKeys, origin: str | None = None
    ) -> str:
        """Prove that the server's log extends the one ``old_checkpoint`` signed; return the new.

        ``old_checkpoint`` is a signed note the caller saw earlier; the returned note is the
        server's current checkpoint, verified: keep it and pass it next time. Both must be
        signed by ``verifier_key`` and name the same origin (``origin``, if given). Raises
        ``VerificationError``: ``log_truncated`` when the log shrank, ``checkpoints_inconsistent``
        when it was rewritten (a fork), ``signature_invalid`` or ``malformed`` for bad notes.
        """
        verifiers = _verifiers(verifier_key)
        old = _open(old_checkpoint, verifiers, origin)
        note = self.checkpoint()
        new = _open(note, verifiers, old.origin)
        if new.size < old.size:
            raise VerificationError(
                f"the log shrank from {old.size} to {new.size} records", reason="log_truncated"
            )
        if old.size == 0 or (new.size == old.size and new.root_hash == old.root_hash):
            return note
        if new.size == old.size:
            raise _inconsistent(f"two different roots for size {new.size}")
        proof = self._consistency_proof(old.size, new.size)
        stated = (proof.old_size, proof.old_root, proof.size, proof.root)
        if stated != (old.size, old.root_hash, new.size, new.root_hash):
            raise _inconsistent("the proof is not between the two signed checkpoints")
        try:
            proof.check()
        except VerificationError as error:
            raise _inconsistent(str(error)) from error
        return note

    def _consistency_proof(self, old_size: int, size: int) -> ConsistencyProof:
        """The server's proof between two sizes it signed; refusing to give one is a failure."""
        params = {"old_size": old_size, "size": size}
        try:
            body = self._json(self._request("GET", "/v1/proofs/consistency", params=params))
        except (ValidationError, NotFound) as error:
            why = f"the server has no proof between its own checkpoints: {error}"
            raise _inconsistent(why) from error
        try:
            return ConsistencyProof.from_json(body)
        except ValidationError as error:
            why = f"malformed consistency proof: {error}"
            raise VerificationError(why, reason="malformed") from error

    # HTTP

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Send once; for a GET, retry while the server is unavailable, with backoff."""
        attempt = 0
        while True:
            response, error = self._attempt(method, path, options)
            if error is None and response is not None:
                return response
            assert error is not None
            retry = method == "GET" and isinstance(error, StoreUnavailable)
            if not retry or attempt >= self.retries:
                raise error
            time.sleep(_pause(attempt, response))
            attempt += 1

    def _attempt(
        self, method: str, path: str, options: Mapping[str, Any]
    ) -> tuple[httpx.Response | None, SealtrailError | None]:
        headers = {"Content-Type": "application/json"} if "content" in options else None
        try:
            response = self._http.request(method, path, headers=headers, **options)
        except (httpx.TransportError, httpx.DecodingError) as error:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            return None, StoreUnavailable(f"cannot reach {self.url}: {reason}")
        if response.is_success:
            return response, None
        return response, _http_error(response)

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise SealtrailError(f"malformed response from {response.request.url}: not an object")
        return body


def _http_error(response: httpx.Response) -> SealtrailError:
    """The error for a failing response: the server's message, status and request id."""
    kind = STATUS_ERRORS.get(response.status_code, SealtrailError)
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body["error"]
    else:
        message = response.reason_phrase or response.text[:200]
    request_id = (body.get("request_id") if isinstance(body, dict) else None) or (
        response.headers.get("x-request-id")
    )
    where = f"HTTP {response.status_code}" + (f", request {request_id}" if request_id else "")
    return kind(f"{message} ({where})")


def _pause(attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before retry ``attempt`` + 1: Retry-After, else exponential with jitter."""
    stated = str(response.headers.get("retry-after", "")) if response is not None else ""
    if stated.isdigit():
        return min(float(stated), _MAX_WAIT)
    return min(0.1 * 2.0**attempt, _MAX_WAIT) * random.uniform(0.5, 1.0)


def _encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_plain)
    except orjson.JSONEncodeError as error:
        raise ValidationError(f"event: not JSON ({error})") from None


def _plain(value: Any) -> Any:
    """orjson's fallback: mappings and sequences that are not dicts and lists."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _time_param(value: str | datetime | None) -> str | None:
    return format_time(value) if isinstance(value, datetime) else value


def _field(body: Mapping[str, Any], name: str, kind: type) -> Any:
    value = body.get(name)
    if not isinstance(value, kind):
        raise SealtrailError(f"malformed response: {name} is not a {kind.__name__}")
    return value


def _receipt(body: Any) -> Receipt:
    if isinstance(body, dict) and type(body.get("seq")) is int:
        try:
            leaf_hash = base64.b64decode(str(body.get("leaf_hash")), validate=True)
        except binascii.Error:
            leaf_hash = b""
        if len(leaf_hash) == HASH_SIZE:
            return Receipt(body["seq"], leaf_hash)
    raise SealtrailError("malformed response: a receipt needs seq and a base64 leaf_hash")


# verification


def _verifiers(keys: VerifierKeys) -> list[Verifier]:
    """The pinned keys as verifiers; a malformed key is the caller's ``ValidationError``."""
    items: Sequence[str | Verifier] = [keys] if isinstance(keys, str | Verifier) else keys
    if not items:
        raise ValidationError("verifier_key: pin at least one verifier key")
    return [k if isinstance(k, Verifier) else Verifier.from_text(k) for k in items]


def _open(note: str, verifiers: Sequence[Verifier], origin: str | None) -> Checkpoint:
    return open_checkpoint(note, verifiers, origin=origin)


def _inclusion_proof(data: Mapping[str, Any], seq: int) -> InclusionProof:
    try:
        return InclusionProof.from_json(data)
    except ValidationError as error:
        raise VerificationError(
            f"event {seq}: malformed proof: {error}", reason="malformed", index=seq
        ) from error


def _canonical(event: Mapping[str, Any], seq: int) -> bytes:
    try:
        return canonical_json(event)
    except ValidationError as error:
        raise _unproven(seq, f"the event returned has no canonical form: {error}") from error


def _unproven(seq: int, why: str) -> VerificationError:
    return VerificationError(f"event {seq} is not proven: {why}", reason="proof_invalid", index=seq)


def _inconsistent(why: str) -> VerificationError:
    return VerificationError(
        f"the log is not an extension of the old checkpoint: {why}",
        reason="checkpoints_inconsistent",
    )
