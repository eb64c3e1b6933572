"""The request middleware on its own over raw ASGI: what no request to a working server shows."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import orjson
from starlette.types import Message as SentMessage

from sealtrail.api.app import Observe
from sealtrail.api.deps import Server
from sealtrail.config import Settings

Message = dict[str, Any]


def _run(app: Any, body_chunks: list[bytes], max_bytes: int = 100) -> tuple[list[Message], Any]:
    """Send one POST with ``body_chunks`` through ``Observe(app)``; the messages sent back."""
    state = SimpleNamespace(settings=Settings(max_body_bytes=max_bytes, log_requests=False))
    observed = Observe(app, state=cast(Server, state))
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(body_chunks) - 1}
        for i, chunk in enumerate(body_chunks)
    ]
    sent: list[Message] = []
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/v1/events",
        "raw_path": b"/v1/events",
        "query_string": b"",
        "headers": [(b"x-request-id", b"req-1")],
    }

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: SentMessage) -> None:
        sent.append(dict(message))

    asyncio.run(observed(scope, receive, send))
    return sent, scope


def _status_and_body(sent: list[Message]) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], orjson.loads(body), dict(start["headers"])


def test_an_unexpected_error_is_a_json_500_with_the_request_id() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("a bug")

    status, body, headers = _status_and_body(_run(broken, [b"{}"])[0])
    assert status == 500
    assert body == {
        "error": "internal error; the request id finds it in the log",
        "status": 500,
        "request_id": "req-1",
    }
    assert headers[b"x-request-id"] == b"req-1"


def test_the_route_reads_the_whole_body_once_in_one_message() -> None:
    seen: list[Message] = []

    async def echo(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    sent, _ = _run(echo, [b'{"a"', b": 1", b"}"])
    assert seen[0] == {"type": "http.request", "body": b'{"a": 1}', "more_body": False}
    assert seen[1] == {"type": "http.disconnect"}
    assert _status_and_body(sent)[0] == 201


def test_a_body_over_the_limit_in_chunks_never_reaches_the_route() -> None:
    called = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    sent, _ = _run(route, [b"x" * 60, b"x" * 60], max_bytes=100)
    status, body, headers = _status_and_body(sent)
    assert (status, body["error"], body["request_id"]) == (
        413,
        "request body over 100 bytes",
        "req-1",
    )
    assert headers[b"x-request-id"] == b"req-1"
    assert called == []
