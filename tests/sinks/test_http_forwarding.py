"""Splunk HEC, Elasticsearch ``_bulk`` and webhook forwarding against strict test receivers that
reject malformed bodies and fail a share of requests, so retries are exercised."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sealtrail.config import Settings
from sealtrail.errors import NotFound, StoreUnavailable
from sealtrail.ledger.log import Ledger
from sealtrail.sinks.config import parse_forwarders
from sealtrail.sinks.forwarding import Forwarding, forwarder_status

TOKEN = "11111111-2222-3333-4444-555555555555"
SECRET = "webhook-secret"
HEC_KEYS = {"time", "host", "source", "sourcetype", "index", "event", "fields"}
BULK_ACTIONS = {"index", "create", "update", "delete"}


class Malformed(Exception):
    pass


class Receiver(ThreadingHTTPServer):
    """Keeps what it accepted; every ``fail_every``-th request fails."""

    def __init__(self, fail_every: int = 3) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.fail_every = fail_every
        self.requests = 0
        self.hec: list[dict[str, Any]] = []
        self.documents: dict[str, dict[str, Any]] = {}
        self.indexed: list[str] = []
        self.webhook: list[int] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def failing(self) -> bool:
        with self.lock:
            self.requests += 1
            return self.fail_every > 0 and self.requests % self.fail_every == 0


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            if self.path == "/services/collector/event":
                self.reply(*self.hec(body))
            elif self.path == "/_bulk":
                self.reply(*self.bulk(body))
            elif self.path == "/hook":
                self.reply(*self.hook(body))
            else:
                self.reply(404, {"error": "no such path"})
        except Malformed as error:
            self.reply(400, {"text": f"malformed: {error}", "code": 6})

    def reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def hec(self, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.headers.get("Authorization") != f"Splunk {TOKEN}":
            return 401, {"text": "Invalid token", "code": 4}
        events = list(concatenated_json(body.decode()))
        for event in events:
            if not isinstance(event, dict) or "event" not in event or set(event) - HEC_KEYS:
                raise Malformed(f"not an HEC event envelope: {str(event)[:80]}")
            if not isinstance(event.get("time"), int | float):
                raise Malformed("time: epoch seconds")
        if not events:
            raise Malformed("no events")
        if self.server.failing():
            return 503, {"text": "Server is busy", "code": 9}
        self.server.hec.extend(events)
        return 200, {"text": "Success", "code": 0}

    def bulk(self, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.headers.get("Content-Type") != "application/x-ndjson":
            raise Malformed("Content-Type must be application/x-ndjson")
        if not body.endswith(b"\n"):
            raise Malformed("the bulk body must end with a newline")
        lines = body.decode().split("\n")[:-1]
        if len(lines) % 2:
            raise Malformed("an action without its document")
        fail = self.server.failing()
        items = []
        for n, (action_line, doc_line) in enumerate(zip(lines[::2], lines[1::2], strict=True)):
            action, document = json.loads(action_line), json.loads(doc_line)
            if not (isinstance(action, dict) and len(action) == 1 and set(action) <= BULK_ACTIONS):
                raise Malformed(f"not a bulk action: {action_line[:80]}")
            meta = next(iter(action.values()))
            if not isinstance(document, dict) or not meta.get("_index") or not meta.get("_id"):
                raise Malformed("an index action needs _index, _id and a document object")
            if fail and n == 1:  # one item of the request is rejected, the others indexed
                items.append({"index": {"_id": meta["_id"], "status": 429,
                              "error": {"type": "es_rejected_execution_exception"}}})  # fmt: skip
                continue
            self.server.documents[meta["_id"]] = document
            self.server.indexed.append(meta["_id"])
            items.append({"index": {"_index": meta["_index"], "_id": meta["_id"], "status": 201}})
        return 200, {"took": 1, "errors": fail, "items": items}

    def hook(self, body: bytes) -> tuple[int, dict[str, Any]]:
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if self.headers.get("X-Sealtrail-Signature") != f"sha256={expected}":
            return 401, {"error": "bad signature"}
        if self.server.failing():
            return 500, {"error": "try again"}
        self.server.webhook.extend(event["seq"] for event in json.loads(body)["events"])
        return 200, {}


def concatenated_json(text: str) -> Iterator[Any]:
    """HEC bodies: JSON objects one after another, whitespace between."""
    decoder, position = json.JSONDecoder(), 0
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise Malformed(str(error)) from None
        yield value


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def settings_for(**tables: dict[str, Any]) -> Settings:
    fast = {"batch": 7, "backoff_initial": 0.01, "backoff_max": 0.05, "max_attempts": 20}
    return Settings(sections={"forwarders": {k: {**fast, **v} for k, v in tables.items()}})


def first_seen_in_order(seqs: list[int]) -> list[int]:
    seen: dict[int, None] = {}
    for seq in seqs:
        seen.setdefault(seq, None)
    return list(seen)


def test_splunk_hec_receives_every_event_in_order(ledger: Ledger, receiver: Receiver) -> None:
    settings = settings_for(hec={"kind": "splunk-hec", "url": receiver.url, "token": TOKEN})
    Forwarding.from_settings(settings, ledger).drain()
    seqs = [event["event"]["seq"] for event in receiver.hec]
    assert first_seen_in_order(seqs) == list(range(40))
    assert receiver.requests > 6  # some failed and were retried
    assert forwarder_status(settings, ledger)[0]["lag"] == 0


def test_elasticsearch_bulk_indexes_each_record_once_by_id(
    ledger: Ledger, receiver: Receiver
) -> None:
    settings = settings_for(es={"kind": "elasticsearch", "url": receiver.url, "index": "audit"})
    Forwarding.from_settings(settings, ledger).drain()
    assert len(receiver.documents) == 40
    assert len(receiver.indexed) > 40  # failed requests were sent again; _id kept one copy
    assert sorted(d["event"]["sequence"] for d in receiver.documents.values()) == list(range(40))
    some = next(iter(receiver.documents.values()))
    assert some["event"]["id"] in receiver.documents


def test_webhook_is_signed_and_retried(ledger: Ledger, receiver: Receiver) -> None:
    settings = settings_for(hook={"kind": "webhook", "url": receiver.url + "/hook",
                                  "secret": SECRET})  # fmt: skip
    Forwarding.from_settings(settings, ledger).drain()
    assert first_seen_in_order(receiver.webhook) == list(range(40))


def test_a_batch_that_keeps_failing_is_dead_lettered_not_skipped(
    ledger: Ledger, receiver: Receiver
) -> None:
    settings = settings_for(hec={"kind": "splunk-hec", "url": receiver.url, "token": "wrong",
                                 "max_attempts": 3})  # fmt: skip
    with pytest.raises(StoreUnavailable, match="401"):
        Forwarding.from_settings(settings, ledger).drain()
    (row,) = forwarder_status(settings, ledger)
    assert row["delivered"] == -1
    assert row["lag"] == 40
    assert row["dead_letter"]["first_seq"] == 0
    assert row["dead_letter"]["attempts"] == 3
    assert receiver.hec == []


def test_journald_is_not_started_without_its_socket(ledger: Ledger, tmp_path: Any) -> None:
    settings = settings_for(j={"kind": "journald", "socket": str(tmp_path / "absent")})
    assert Forwarding.from_settings(settings, ledger).forwarders == []


def test_running_an_unknown_forwarder_is_named(ledger: Ledger) -> None:
    settings = settings_for(hec={"kind": "splunk-hec", "url": "http://x", "token": TOKEN})
    assert [c.name for c in parse_forwarders(settings.section("forwarders"))] == ["hec"]
    with pytest.raises(NotFound, match="nope"):
        Forwarding.from_settings(settings, ledger, names=["nope"])
