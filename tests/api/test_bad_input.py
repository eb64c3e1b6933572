"""Bad input of every kind gets a 4xx with a clear JSON message, never a 5xx, and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from tests.api.conftest import GENEROUS, wait_for
from tests.conftest import RunningServer, start_server
from tests.ledger.conftest import pull_event

MAX_BODY = 256 * 1024
MAX_BATCH = 50
MARKER = "half-written-marker"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with small limits, so that going over them is cheap."""
    env = {
        **GENEROUS,
        "SEALTRAIL_MAX_BODY_BYTES": str(MAX_BODY),
        "SEALTRAIL_MAX_BATCH": str(MAX_BATCH),
    }
    running = start_server(tmp_path_factory.mktemp("small") / "data", env=env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(small: RunningServer) -> Iterator[httpx.Client]:
    with small.client(small.admin_key) as admin:
        yield admin


def assert_clear_4xx(
    response: httpx.Response, status: int | None = None, *mentions: str
) -> dict[str, Any]:
    """A 4xx (``status`` when given) whose JSON body has an ``error`` naming ``mentions``."""
    request = f"{response.request.method} {response.request.url}"
    assert 400 <= response.status_code < 500, (request, response.status_code, response.text)
    if status is not None:
        assert response.status_code == status, (request, response.text)
    assert response.headers["content-type"].startswith("application/json"), request
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("error"), str), (request, body)
    assert body["error"], request
    assert body["status"] == response.status_code
    for word in mentions:
        assert word in body["error"], (request, body["error"], word)
    return body


def _event(**changes: Any) -> dict[str, Any]:
    event = pull_event(7, actor=MARKER)
    event.update(changes)
    return event


def _post(client: httpx.Client, path: str, content: bytes, **headers: str) -> httpx.Response:
    return client.post(
        path, content=content, headers={"Content-Type": "application/json", **headers}
    )


# --- bodies ---


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events:batch", "/v1/keys"])
@pytest.mark.parametrize(
    "content",
    [
        b"{bad",
        b"",
        b"{",
        b'{"a": }',
        b"\xff\xfe{}",
        b"nul\x00l",
        b'{"a": 1}{"b": 2}',
        b"[" * 100_000,
    ],
)
def test_malformed_json_is_a_400_that_says_so(
    client: httpx.Client, path: str, content: bytes
) -> None:
    body = assert_clear_4xx(_post(client, path, content))
    assert "JSON" in body["error"] or "body" in body["error"]


@pytest.mark.parametrize(
    ("path", "content", "mention"),
    [
        ("/v1/events", b"[]", "object"),
        ("/v1/events", orjson.dumps([pull_event(1)]), "object"),
        ("/v1/events", b'"text"', "object"),
        ("/v1/events", b"42", "object"),
        ("/v1/events", b"null", "body"),
        ("/v1/events:batch", orjson.dumps([pull_event(1)]), "object"),
        ("/v1/events:batch", b'{"events": {"time": "x"}}', "events"),
        ("/v1/events:batch", b'{"events": "all"}', "events"),
        ("/v1/events:batch", b'{"events": [1, 2]}', "events"),
        ("/v1/events:batch", b"{}", "events"),
        ("/v1/keys", b"[]", "object"),
        ("/v1/keys", b'{"role": 5}', "role"),
        ("/v1/keys", b'{"role": "root"}', "role"),
    ],
)
def test_a_json_value_of_the_wrong_shape_is_refused(
    client: httpx.Client, path: str, content: bytes, mention: str
) -> None:
    assert_clear_4xx(_post(client, path, content), None, mention)


def test_a_body_that_is_not_json_is_refused_whatever_its_content_type(
    client: httpx.Client,
) -> None:
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(
            "/v1/events",
            content=orjson.dumps(pull_event(1)),
            headers={"Content-Type": content_type},
        )
        assert_clear_4xx(response)


@pytest.mark.parametrize(
    ("event", "mention"),
    [
        (_event(time=5), "time"),
        (_event(time="yesterday"), "time"),
        (_event(action=["image.pull"]), "action"),
        (_event(action="Image Pull"), "action"),
        (_event(outcome="maybe"), "outcome"),
        (_event(severity=3), "severity"),
        (_event(actor="alice"), "actor"),
        (_event(actor={"id": "a", "type": "martian"}), "actor.type"),
        (_event(actor={"id": "a", "type": "user", "ip": "999.1.1.1"}), "actor.ip"),
        (_event(details=[1, 2]), "details"),
        (_event(request_id=7), "request_id"),
        (_event(sneaky=1, also_unknown=2), "sneaky"),
        (_event(seq=4), "seq"),
        (_event(target={"type": "image", "id": "x"}), "target."),
        (_event(message="x" * 70_000), "message"),
        (_event(details={f"part{i}": "z" * 16_000 for i in range(5)}), "bytes"),
        ({}, "time"),
    ],
)
def test_an_invalid_event_is_a_400_naming_the_field(
    client: httpx.Client, event: dict[str, Any], mention: str
) -> None:
    assert_clear_4xx(client.post("/v1/events", json=event), 400, mention)
    batch = {"events": [pull_event(1), event]}
    assert_clear_4xx(client.post("/v1/events:batch", json=batch), 400, "event 1", mention)


def test_a_lone_surrogate_in_an_event_is_a_400(client: httpx.Client) -> None:
    event = json.dumps(_event(message="\ud800 half a character")).encode()
    assert b"\\ud800" in event
    assert_clear_4xx(_post(client, "/v1/events", event), 400, "message")
    batch = json.dumps({"events": [_event(), _event(actor={"id": "\udfff", "type": "user"})]})
    assert_clear_4xx(_post(client, "/v1/events:batch", batch.encode()), 400, "actor.id")


def test_unknown_fields_are_named_in_the_batch_and_key_bodies(client: httpx.Client) -> None:
    batch = {"events": [pull_event(1)], "atomic": True}
    assert_clear_4xx(client.post("/v1/events:batch", json=batch), None, "atomic")
    key = {"role": "writer", "scopes": ["all"]}
    assert_clear_4xx(client.post("/v1/keys", json=key), None, "scopes")


def test_key_bodies_with_bad_values_are_refused(client: httpx.Client) -> None:
    for body, mention in [
        ({"role": "user"}, "actor"),
        ({"role": "user", "actor": ""}, "actor"),
        ({"role": "user", "actor": "a\x00b"}, "actor"),
        ({"role": "user", "actor": "x" * 300}, "actor"),
        ({"role": "writer", "name": "n" * 1000}, "name"),
        ({"role": "writer", "name": None}, "name"),
        ({"role": ""}, "role"),
        ({}, "role"),
    ]:
        assert_clear_4xx(client.post("/v1/keys", json=body), None, mention)


def test_revoking_an_unknown_key_is_a_404(client: httpx.Client) -> None:
    for key_id in ("nope", "aaaaaaaa", "%00", "..%2f..%2fetc"):
        assert_clear_4xx(client.delete(f"/v1/keys/{key_id}"), 404)
    assert_clear_4xx(client.delete(f"/v1/keys/{'x' * 5000}"), None, "key_id")


# --- batch sizes and atomicity ---


def _records(server: RunningServer, start: int = 0) -> list[dict[str, Any]]:
    """The stored records from ``start`` on, read from the database itself."""
    with server.store() as store:
        return [orjson.loads(r.leaf) for r in store.read_records(start, store.size())]


def _nothing_written_by(server: RunningServer, since: int) -> None:
    """No record carries MARKER, and from ``since`` on only the server's own audit events."""
    for record in _records(server):
        assert record["actor"]["id"] != MARKER, record
    for record in _records(server, since):
        assert record["action"].startswith(("auth.", "http.")), record


def test_an_empty_batch_is_a_400(small: RunningServer, client: httpx.Client) -> None:
    assert_clear_4xx(client.post("/v1/events:batch", json={"events": []}), 400, "1 to 50")


def test_a_batch_over_the_limit_is_a_400_and_writes_nothing(
    small: RunningServer, client: httpx.Client
) -> None:
    before = len(_records(small))
    events = [_event() for _ in range(MAX_BATCH + 1)]
    response = client.post("/v1/events:batch", json={"events": events})
    assert_clear_4xx(response, 400, f"1 to {MAX_BATCH}", str(MAX_BATCH + 1))
    _nothing_written_by(small, before)


def test_the_default_batch_limit_is_10000(api: RunningServer) -> None:
    events = [{"x": i} for i in range(10_001)]
    with api.client(api.admin_key) as admin:
        response = admin.post("/v1/events:batch", json={"events": events})
    assert_clear_4xx(response, 400, "1 to 10000", "10001")


def test_a_batch_with_one_bad_event_writes_none_of_it(
    small: RunningServer, client: httpx.Client
) -> None:
    events = [_event() for _ in range(10)]
    events[6] = _event(outcome="perhaps")
    before = len(_records(small))
    response = client.post("/v1/events:batch", json={"events": events})
    assert_clear_4xx(response, 400, "event 6", "outcome")
    _nothing_written_by(small, before)


# --- oversized bodies ---


def test_a_body_over_the_limit_with_content_length_is_a_413(
    small: RunningServer, client: httpx.Client
) -> None:
    before = len(_records(small))
    big = orjson.dumps({"events": [_event(message="x" * 1000) for _ in range(300)]})
    assert len(big) > MAX_BODY
    response = _post(client, "/v1/events:batch", big)
    assert_clear_4xx(response, 413, str(MAX_BODY))
    assert response.headers["X-Request-ID"] == response.json()["request_id"]
    _nothing_written_by(small, before)


def test_a_chunked_body_over_the_limit_is_a_413(small: RunningServer, client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"events": ['
        for _ in range(400):
            yield orjson.dumps(_event(message="y" * 1000)) + b","
        yield b"{}]}"

    before = len(_records(small))
    response = _post(client, "/v1/events:batch", chunks())  # type: ignore[arg-type]
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_clear_4xx(response, 413, str(MAX_BODY))
    _nothing_written_by(small, before)


def test_a_chunked_body_under_the_limit_is_accepted(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        data = orjson.dumps({"events": [pull_event(i) for i in range(5)]})
        yield from (data[i : i + 100] for i in range(0, len(data), 100))

    response = _post(client, "/v1/events:batch", chunks())  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    assert response.json()["appended"] == 5


def test_a_bad_content_length_is_refused(small: RunningServer) -> None:
    raw = (
        b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 12abc\r\nConnection: close\r\n\r\n{}"
    )
    host, port = small.url.removeprefix("http://").split(":")
    import socket

    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw)
        reply = sock.recv(4096)
    status = int(reply.split(b" ", 2)[1])
    assert 400 <= status < 500, reply


# --- query strings ---

HOSTILE = [
    "' OR 1=1 --",
    '"; DROP TABLE records; --',
    "%",
    "_",
    "*",
    "\x00",
    "a\x00b",
    "\u202etxt.exe",
    "💥" * 50,
    "x" * 4000,
    "\\",
    "../../etc/passwd",
    "",
    " ",
]
FILTERS = ["action", "category", "outcome", "actor", "target_type", "target_id", "repository"]
FILTERS += ["digest", "since", "until", "q"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_filter_strings_are_harmless(client: httpx.Client, value: str) -> None:
    for name in FILTERS:
        for path in ("/v1/events", "/v1/events/stats"):
            response = client.get(path, params={name: value})
            if response.status_code == 200:
                body = response.json()
                if name not in ("since", "until", "q") and value.strip():
                    assert body.get("events", []) == [], name
                    assert body.get("total", 0) == 0, name
            else:
                assert_clear_4xx(response, None, name if name != "q" else "")


def test_filters_with_invalid_utf8_are_refused_or_harmless(client: httpx.Client) -> None:
    for raw in ("%ff%fe", "%ED%A0%80", "%C0%AF", "%00"):
        for name in FILTERS:
            response = client.get(f"/v1/events?{name}={raw}")
            assert response.status_code < 500, (name, raw, response.text)
            if response.status_code >= 400:
                assert_clear_4xx(response)


def test_many_repeated_action_filters_are_handled(client: httpx.Client) -> None:
    params: list[tuple[str, str | int | float | bool | None]]
    params = [("action", f"image.pull{i}") for i in range(1500)]
    response = client.get("/v1/events", params=params)
    assert response.status_code == 200 or assert_clear_4xx(response)


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "LTE",  # "-1"
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",  # 27 nines
        "OTIyMzM3MjAzNjg1NDc3NTgwOA",  # 2**63
        "MV8wMDA",  # "1_000"
        "IDEy",  # " 12"
        "2aHZog",  # Arabic-Indic digits
        "é",
        "%00",
        "x" * 65,
        "=",
        "A",
    ],
)
def test_invalid_cursors_are_a_400(client: httpx.Client, cursor: str) -> None:
    for order in ("newest", "oldest"):
        response = client.get("/v1/events", params={"cursor": cursor, "order": order})
        assert_clear_4xx(response, None, "cursor")


@pytest.mark.parametrize(
    ("params", "mention"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "1" + "0" * 40}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"outcome": "maybe"}, "outcome"),
        ({"since": "2026-13-45T00:00:00Z"}, "since"),
        ({"since": "2026-01-01"}, "since"),
        ({"until": "2026-01-01T25:00:00Z"}, "until"),
        ({"until": "0001-01-01T00:00:00+00:01"}, "until"),
    ],
)
def test_invalid_query_parameters_are_named(
    client: httpx.Client, params: dict[str, str], mention: str
) -> None:
    assert_clear_4xx(client.get("/v1/events", params=params), None, mention)


@pytest.mark.parametrize(
    "seq", ["-1", "1" + "0" * 30, str(2**63), str(2**53), "abc", "1.5", "0x10", "%00", "1e3"]
)
def test_bad_or_huge_sequence_numbers_are_4xx(client: httpx.Client, seq: str) -> None:
    for params in ({}, {"proof": "true"}):
        assert_clear_4xx(client.get(f"/v1/events/{seq}", params=params))


def test_a_sequence_number_past_the_end_is_a_404(client: httpx.Client) -> None:
    assert_clear_4xx(client.get("/v1/events/1000000"), 404, "no event 1000000")
    assert_clear_4xx(client.get("/v1/events/0", params={"proof": "maybe"}), None, "proof")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tile/0/000.p/0", 400),
        ("/tile/0/000.p/256", 400),
        ("/tile/0/000.p/007", 400),
        ("/tile/0/000.p/", 400),
        ("/tile/0/000.p/1000", 400),
        ("/tile/9/000", 400),
        ("/tile/-1/000", 400),
        ("/tile/x", 400),
        ("/tile/0/x000/001", 400),
        ("/tile/0/1", 400),
        ("/tile/0/0000", 400),
        ("/tile/entries", 400),
        ("/tile/entries/", 400),
        ("/tile/0/000/", 400),
        ("/tile/0/%00", 400),
        ("/tile/0/999", 404),
        ("/tile/0/x999/x999/x999/x999/x999/x999/999", 404),
        ("/tile/7/000.p/1", 404),
        ("/tile/entries/999", 404),
        ("/tile/entries/100.p/255", 404),
        ("/tile/3/000.p/1", 404),
    ],
)
def test_bad_tile_paths_are_400_and_missing_tiles_404(
    client: httpx.Client, path: str, status: int
) -> None:
    assert_clear_4xx(client.get(path), status, "tile")


@pytest.mark.parametrize(
    ("path", "params", "mention"),
    [
        ("/v1/proofs/inclusion", {}, "index"),
        ("/v1/proofs/inclusion", {"index": "-1"}, "index"),
        ("/v1/proofs/inclusion", {"index": "x"}, "index"),
        ("/v1/proofs/inclusion", {"index": "1000000"}, "index"),
        ("/v1/proofs/inclusion", {"index": "1" + "0" * 30}, "index"),
        ("/v1/proofs/inclusion", {"index": "0", "size": "0"}, "size"),
        ("/v1/proofs/inclusion", {"index": "0", "size": "1000000"}, "size"),
        ("/v1/proofs/inclusion", {"index": "0", "size": str(2**64)}, "size"),
        ("/v1/proofs/inclusion", {"index": "5", "size": "3"}, "index"),
        ("/v1/proofs/consistency", {}, "old_size"),
        ("/v1/proofs/consistency", {"old_size": "0"}, "old_size"),
        ("/v1/proofs/consistency", {"old_size": "-5"}, "old_size"),
        ("/v1/proofs/consistency", {"old_size": "5", "size": "3"}, "old"),
        ("/v1/proofs/consistency", {"old_size": "1", "size": "1000000"}, "size"),
        ("/v1/proofs/consistency", {"old_size": "1" + "0" * 30}, "old"),
    ],
)
def test_bad_proof_sizes_are_4xx_naming_the_parameter(
    client: httpx.Client, path: str, params: dict[str, str], mention: str
) -> None:
    assert_clear_4xx(client.get(path, params=params), None, mention)


def test_unknown_routes_and_methods_get_json_errors(client: httpx.Client) -> None:
    assert_clear_4xx(client.get("/v1/nothing-here"), 404)
    assert_clear_4xx(client.put("/v1/events", json={}), 405)
    assert_clear_4xx(client.delete("/v1/events/1"), 405)


def test_the_server_is_still_healthy_after_all_that(small: RunningServer) -> None:
    wait_for(lambda: httpx.get(f"{small.url}/readyz").status_code == 200, what="readyz")
    assert "Traceback" not in small.log.read_text()
