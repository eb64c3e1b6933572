"""sealtrail.Client against a real server: appends, pages, proofs, and a server that lies."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest

from sealtrail import Client
from sealtrail.canonical import canonical_json
from sealtrail.errors import (
    Denied,
    NotFound,
    StoreUnavailable,
    ValidationError,
    VerificationError,
)
from sealtrail.ledger.keyring import Keyring
from sealtrail.ledger.merkle import record_hash
from sealtrail.ledger.note import (
    Checkpoint,
    Signer,
    Verifier,
    open_checkpoint,
    sign_checkpoint,
)
from tests.conftest import RunningServer, free_port
from tests.ledger.conftest import pull_event
from tests.sdk.conftest import signed_size, wait_for

Tamper = Callable[[dict[str, Any]], None]


class Recorder(httpx.BaseTransport):
    """The network, plus a list of the requests that went over it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._network = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._network.handle_request(request)

    def close(self) -> None:
        self._network.close()


def lying(
    upstream: httpx.Client, path: str, tamper: Callable[[bytes], bytes]
) -> httpx.BaseTransport:
    """A server that answers like the real one, except that it rewrites the body at ``path``."""

    def handle(request: httpx.Request) -> httpx.Response:
        real = forward(upstream, request)
        body = tamper(real.content) if request.url.path == path else real.content
        return httpx.Response(real.status_code, content=body, headers=_kept(real.headers))

    return httpx.MockTransport(handle)


def forward(upstream: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send ``request`` to the real server with the upstream client's own key."""
    headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
    built = upstream.build_request(
        request.method, request.url, content=request.content, headers=headers
    )
    return upstream.send(built)


def _kept(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in ("content-type", "x-request-id")}


def rewrite_json(change: Tamper) -> Callable[[bytes], bytes]:
    def tamper(body: bytes) -> bytes:
        data = orjson.loads(body)
        change(data)
        return orjson.dumps(data)

    return tamper


def flip(b64: str, position: int = 0) -> str:
    """``b64`` with one bit of byte ``position`` of its decoded bytes flipped."""
    raw = bytearray(base64.b64decode(b64))
    raw[position] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.fixture(scope="module")
def logged(writer: Client, auditor: Client, vkey: str) -> list[int]:
    """Some events in the shared log, covered by a signed checkpoint; their seq numbers."""
    receipts = writer.append_many(pull_event(i) for i in range(20))
    wait_for(lambda: signed_size(auditor, vkey, receipts[-1].seq + 1), what="a checkpoint")
    return [r.seq for r in receipts]


@pytest.fixture
def upstream(shared: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(headers={"Authorization": f"Bearer {shared.key('auditor')}"}) as client:
        yield client


# appending and reading


def test_append_returns_the_sealed_records_position_and_hash(
    writer: Client, auditor: Client
) -> None:
    receipt = writer.append(pull_event(1, actor="append-one"))
    stored = auditor.event(receipt.seq)
    assert stored["seq"] == receipt.seq
    assert stored["actor"]["id"] == "append-one"
    assert record_hash(canonical_json(stored)) == receipt.leaf_hash


def test_append_many_sends_batches_of_batch_size(shared: RunningServer) -> None:
    recorder = Recorder()
    with Client(shared.url, shared.key("writer"), transport=recorder) as client:
        receipts = client.append_many((pull_event(i) for i in range(2500)), batch_size=1000)
    assert len(receipts) == 2500
    assert [r.seq for r in receipts] == sorted({r.seq for r in receipts})
    posts = [r for r in recorder.requests if r.method == "POST"]
    assert [len(orjson.loads(r.content)["events"]) for r in posts] == [1000, 1000, 500]


def test_append_many_says_how_much_was_appended_before_a_refused_batch(writer: Client) -> None:
    events = [pull_event(i, actor="partial") for i in range(5)]
    events[3]["outcome"] = "maybe"
    with pytest.raises(ValidationError, match="outcome") as caught:
        writer.append_many(events, batch_size=2)
    assert "the first 2 events of this call were appended" in caught.value.__notes__[0]


def test_append_many_refuses_batches_the_server_would(writer: Client) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        writer.append_many([pull_event(0)], batch_size=10_001)


def test_query_iterates_every_page(writer: Client, auditor: Client) -> None:
    receipts = writer.append_many(pull_event(i, actor="pager") for i in range(2500))
    newest = list(auditor.query(actor="pager", limit=100))
    assert [e["seq"] for e in newest] == [r.seq for r in reversed(receipts)]
    oldest = list(auditor.query(actor="pager", order="oldest", limit=100))
    assert [e["seq"] for e in oldest] == [r.seq for r in receipts]


def test_query_passes_filters_and_q_through(shared: RunningServer, writer: Client) -> None:
    writer.append(pull_event(7, actor="filtered", outcome="denied"))
    recorder = Recorder()
    with Client(shared.url, shared.key("auditor"), transport=recorder) as client:
        found = list(
            client.query(
                "actor:filtered", actor="filtered", outcome="denied", action=["image.pull"]
            )
        )
    assert [(e["actor"]["id"], e["outcome"]) for e in found] == [("filtered", "denied")]
    params = recorder.requests[0].url.params
    assert params["q"] == "actor:filtered"
    assert params.get_list("action") == ["image.pull"]


def test_checkpoint_is_a_note_signed_by_the_ledger_key(
    auditor: Client, vkey: str, logged: list[int]
) -> None:
    checkpoint = signed_size(auditor, vkey, logged[-1] + 1)
    assert checkpoint is not None
    assert checkpoint.origin == "test.example/log"


# inclusion


def test_verify_inclusion_accepts_a_genuine_proof(
    writer: Client, auditor: Client, vkey: str
) -> None:
    receipt = writer.append(pull_event(3, actor="proven"))
    proof = auditor.verify_inclusion(receipt.seq, vkey, origin="test.example/log")
    assert (proof.index, proof.leaf_hash) == (receipt.seq, receipt.leaf_hash)
    assert orjson.loads(proof.entry)["actor"]["id"] == "proven"


def test_verify_inclusion_refuses_a_checkpoint_signed_by_another_key(
    auditor: Client, logged: list[int]
) -> None:
    impostor = Signer.generate("test.example/log").verifier().to_text()
    with pytest.raises(VerificationError) as caught:
        auditor.verify_inclusion(logged[0], impostor)
    assert caught.value.reason == "signature_invalid"


def test_verify_inclusion_refuses_another_origin(
    auditor: Client, vkey: str, logged: list[int]
) -> None:
    with pytest.raises(VerificationError, match="origin"):
        auditor.verify_inclusion(logged[0], vkey, origin="other.example/log")


def _proof_hash(data: dict[str, Any]) -> None:
    data["proof"]["proof"][0] = flip(data["proof"]["proof"][0])


def _root(data: dict[str, Any]) -> None:
    data["proof"]["root"] = flip(data["proof"]["root"], 31)


def _message(data: dict[str, Any]) -> None:
    data["event"]["message"] = data["event"]["message"].replace("pulled", "pulleD")


def _entry_and_event(data: dict[str, Any]) -> None:
    """Change the event and the proven entry alike, and drop the (now wrong) leaf hash."""
    _message(data)
    data["proof"]["entry"] = base64.b64encode(canonical_json(data["event"])).decode()
    del data["proof"]["leaf_hash"]


def _index(data: dict[str, Any]) -> None:
    data["proof"]["index"] += 1


def _checkpoint(data: dict[str, Any]) -> None:
    data["checkpoint"] = data["checkpoint"].replace("\n", "\n1", 1)  # a bigger size


@pytest.mark.parametrize(
    ("tamper", "caught_by"),
    [
        (_proof_hash, "does not lead to the tree hash"),
        (_root, "not the one the signed checkpoint states"),
        (_message, "not the entry the proof covers"),
        (_entry_and_event, "does not lead to the tree hash"),
        (_index, "the proof is for index"),
        (_checkpoint, "invalid signature"),
    ],
)
def test_verify_inclusion_catches_a_server_that_lies(
    shared: RunningServer,
    upstream: httpx.Client,
    vkey: str,
    logged: list[int],
    tamper: Tamper,
    caught_by: str,
) -> None:
    seq = logged[5]
    transport = lying(upstream, f"/v1/events/{seq}", rewrite_json(tamper))
    client = Client(shared.url, "unused", transport=transport)
    with client, pytest.raises(VerificationError, match=caught_by):
        client.verify_inclusion(seq, vkey)


# consistency


def test_verify_consistency_passes_while_the_log_grows(
    writer: Client, auditor: Client, vkey: str, logged: list[int]
) -> None:
    first = auditor.checkpoint()
    old = open_checkpoint(first, [_verifier(vkey)])
    receipt = writer.append_many(pull_event(i, actor="grower") for i in range(50))[-1]
    wait_for(lambda: signed_size(auditor, vkey, receipt.seq + 1), what="a newer checkpoint")
    second = auditor.verify_consistency(first, vkey)
    assert open_checkpoint(second, [_verifier(vkey)]).size > old.size
    assert auditor.verify_consistency(second, vkey) is not None  # nothing new: still fine


def _verifier(vkey: str) -> Verifier:
    return Verifier.from_text(vkey)


def _signer(shared: RunningServer) -> Signer:
    return Keyring.load(shared.directory).signer


def test_verify_consistency_detects_a_fork_at_the_same_size(
    shared: RunningServer, upstream: httpx.Client, auditor: Client, vkey: str, logged: list[int]
) -> None:
    """The server signs another tree of the size the client saw: two histories, one key."""
    old = auditor.checkpoint()
    current = open_checkpoint(old, [_verifier(vkey)])
    forged = Checkpoint(current.origin, current.size, bytes(32))
    note = sign_checkpoint(forged, _signer(shared)).encode()
    transport = lying(upstream, "/checkpoint", lambda _: note)
    with (
        Client(shared.url, "unused", transport=transport) as client,
        pytest.raises(VerificationError) as caught,
    ):
        client.verify_consistency(old, vkey)
    assert caught.value.reason == "checkpoints_inconsistent"


def test_verify_consistency_refuses_a_signed_size_the_server_cannot_prove(
    shared: RunningServer, upstream: httpx.Client, auditor: Client, vkey: str, logged: list[int]
) -> None:
    """A signed checkpoint beyond the log: the real proof endpoint refuses the size."""
    old = auditor.checkpoint()
    current = open_checkpoint(old, [_verifier(vkey)])
    forged = Checkpoint(current.origin, current.size + 10**6, bytes(32))
    note = sign_checkpoint(forged, _signer(shared)).encode()
    transport = lying(upstream, "/checkpoint", lambda _: note)
    with (
        Client(shared.url, "unused", transport=transport) as client,
        pytest.raises(VerificationError) as caught,
    ):
        client.verify_consistency(old, vkey)
    assert caught.value.reason == "checkpoints_inconsistent"


def test_verify_consistency_detects_a_forged_proof(
    shared: RunningServer, upstream: httpx.Client, auditor: Client, vkey: str, logged: list[int]
) -> None:
    """Even when the proof states the two signed roots, its hashes must join them."""
    old_note = auditor.checkpoint()
    old = open_checkpoint(old_note, [_verifier(vkey)])
    bigger = old.size + 5
    forged = Checkpoint(old.origin, bigger, bytes(32))
    note = sign_checkpoint(forged, _signer(shared)).encode()
    proof = {
        "old_size": old.size,
        "size": bigger,
        "old_root": base64.b64encode(old.root_hash).decode(),
        "root": base64.b64encode(bytes(32)).decode(),
        "proof": [base64.b64encode(bytes(32)).decode()] * 3,
    }

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/checkpoint":
            return httpx.Response(200, content=note)
        return httpx.Response(200, json=proof)

    with (
        Client(shared.url, "unused", transport=httpx.MockTransport(handle)) as client,
        pytest.raises(VerificationError) as caught,
    ):
        client.verify_consistency(old_note, vkey)
    assert caught.value.reason == "checkpoints_inconsistent"


def test_verify_consistency_detects_a_truncated_log(
    shared: RunningServer, auditor: Client, vkey: str, logged: list[int]
) -> None:
    old = auditor.checkpoint()
    current = open_checkpoint(old, [_verifier(vkey)])
    shorter = sign_checkpoint(Checkpoint(current.origin, 1, bytes(32)), _signer(shared))
    transport = httpx.MockTransport(lambda _: httpx.Response(200, text=shorter))
    with (
        Client(shared.url, "unused", transport=transport) as client,
        pytest.raises(VerificationError) as caught,
    ):
        client.verify_consistency(old, vkey)
    assert caught.value.reason == "log_truncated"


# errors


def test_a_bad_key_is_denied_with_the_servers_message_and_request_id(
    shared: RunningServer,
) -> None:
    client = Client(shared.url, "sealtrail_not_a_key")
    with client, pytest.raises(Denied) as caught:
        client.checkpoint()
    assert "HTTP 401, request " in str(caught.value)


def test_a_missing_role_is_denied(writer: Client) -> None:
    with pytest.raises(Denied, match="HTTP 403"):
        next(writer.query())


def test_a_missing_event_is_not_found(auditor: Client) -> None:
    with pytest.raises(NotFound, match="no event 999999999"):
        auditor.event(999_999_999)


def test_an_invalid_event_is_a_validation_error_naming_the_field(writer: Client) -> None:
    event = pull_event(0)
    del event["target"]["registry"]
    with pytest.raises(ValidationError, match=r"target\.registry.*HTTP 400"):
        writer.append(event)


def _unavailable_then_real(
    upstream: httpx.Client, failures: int
) -> tuple[httpx.BaseTransport, list[str]]:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if len(seen) <= failures:
            return httpx.Response(503, json={"error": "busy"}, headers={"Retry-After": "0"})
        real = forward(upstream, request)
        return httpx.Response(real.status_code, content=real.content, headers=_kept(real.headers))

    return httpx.MockTransport(handle), seen


def test_reads_are_retried_while_the_server_is_unavailable(
    shared: RunningServer, upstream: httpx.Client, logged: list[int]
) -> None:
    transport, seen = _unavailable_then_real(upstream, failures=2)
    with Client(shared.url, "unused", transport=transport) as client:
        assert client.event(logged[0])["seq"] == logged[0]
    assert seen == ["GET", "GET", "GET"]


def test_appends_are_not_retried(shared: RunningServer, upstream: httpx.Client) -> None:
    transport, seen = _unavailable_then_real(upstream, failures=1)
    with (
        Client(shared.url, "unused", transport=transport) as client,
        pytest.raises(StoreUnavailable, match="busy"),
    ):
        client.append(pull_event(0))
    assert seen == ["POST"]


def test_an_unreachable_server_is_unavailable() -> None:
    with (
        Client(f"http://127.0.0.1:{free_port()}", "key", retries=1) as client,
        pytest.raises(StoreUnavailable, match="cannot reach"),
    ):
        client.checkpoint()
