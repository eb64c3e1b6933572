"""``/v1/events`` over HTTP: append and batch receipts, search with filters and cursors, one event,
the catalog and the stats."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from sealtrail.ledger.merkle import record_hash
from tests.conftest import RunningServer
from tests.ledger.conftest import pull_event


@pytest.fixture(scope="module")
def writer(api: RunningServer) -> Iterator[httpx.Client]:
    with api.client(api.key("writer")) as client:
        yield client


def _stored_leaf(server: RunningServer, seq: int) -> bytes | None:
    with server.store() as store:
        records = store.read_records(seq, seq + 1)
    return records[0].leaf if records else None


def test_an_appended_event_is_stored_when_the_response_arrives(
    api: RunningServer, writer: httpx.Client
) -> None:
    event = pull_event(1, actor=f"durable-{uuid.uuid4()}")
    response = writer.post("/v1/events", json=event)
    assert response.status_code == 201
    receipt = response.json()
    assert set(receipt) == {"seq", "leaf_hash"}
    leaf = _stored_leaf(api, receipt["seq"])  # read straight from the database, at once
    assert leaf is not None
    assert base64.b64decode(receipt["leaf_hash"]) == record_hash(leaf)
    sealed = orjson.loads(leaf)
    assert sealed["seq"] == receipt["seq"]
    assert {k: sealed[k] for k in event} == event
    assert sealed["severity"] == "info"


def test_a_batch_is_appended_in_order_with_one_receipt_per_event(
    api: RunningServer, writer: httpx.Client
) -> None:
    actor = f"batch-{uuid.uuid4()}"
    events = [pull_event(i, actor=actor) for i in range(20)]
    response = writer.post("/v1/events:batch", json={"events": events})
    assert response.status_code == 201
    body = response.json()
    assert body["appended"] == 20
    seqs = [r["seq"] for r in body["receipts"]]
    assert seqs == list(range(body["first_seq"], body["first_seq"] + 20))
    for receipt, event in zip(body["receipts"], events, strict=True):
        leaf = _stored_leaf(api, receipt["seq"])
        assert leaf is not None
        assert base64.b64decode(receipt["leaf_hash"]) == record_hash(leaf)
        assert orjson.loads(leaf)["request_id"] == event["request_id"]


@pytest.fixture(scope="module")
def pages(writer: httpx.Client) -> tuple[str, list[int]]:
    """25 events of one actor, varied in outcome, and their seqs."""
    actor = f"pager-{uuid.uuid4()}"
    events = [
        pull_event(i, actor=actor, outcome="success" if i % 5 else "denied") for i in range(25)
    ]
    events[3]["action"] = "image.push"
    receipts = writer.post("/v1/events:batch", json={"events": events}).json()["receipts"]
    return actor, [r["seq"] for r in receipts]


def _all_pages(client: httpx.Client, **params: Any) -> list[list[int]]:
    found, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/events", params=query).json()
        found.append([e["seq"] for e in body["events"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return found
        assert len(found) < 100, "the cursor does not advance"


def test_search_pages_newest_first_by_cursor(
    admin: httpx.Client, pages: tuple[str, list[int]]
) -> None:
    actor, seqs = pages
    found = _all_pages(admin, actor=actor, limit=10)
    assert [len(page) for page in found] == [10, 10, 5]
    assert [seq for page in found for seq in page] == sorted(seqs, reverse=True)


def test_search_pages_oldest_first_by_cursor(
    admin: httpx.Client, pages: tuple[str, list[int]]
) -> None:
    actor, seqs = pages
    found = _all_pages(admin, actor=actor, limit=5, order="oldest")
    assert [seq for page in found for seq in page] == seqs
    assert found[-1] == []  # a full last page is followed by an empty one


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"outcome": "denied"}, [0, 5, 10, 15, 20]),
        ({"action": "image.push"}, [3]),
        ({"action": ["image.push", "image.pull"]}, list(range(25))),
        ({"category": "image"}, list(range(25))),
        ({"category": "auth"}, []),
        ({"target_id": "registry.example.com/team/app:v7"}, [7]),
        ({"target_type": "image", "outcome": "denied", "limit": 2}, [20, 15]),
        ({"repository": "team/app", "digest": f"sha256:{12:064x}"}, [12]),
        ({"since": "2026-11-20T09:00:20.123456Z"}, list(range(20, 25))),
        ({"until": "2026-11-20T09:00:02Z"}, [0, 1]),
        ({"since": "2026-11-20T10:00:05+01:00", "until": "2026-11-20T09:00:07.2Z"}, [5, 6, 7]),
    ],
)
def test_search_filters_combine(
    admin: httpx.Client, pages: tuple[str, list[int]], params: dict[str, Any], expected: list[int]
) -> None:
    actor, seqs = pages
    events = admin.get("/v1/events", params={"actor": actor, **params}).json()["events"]
    assert [e["seq"] for e in events] == [seqs[i] for i in sorted(expected, reverse=True)]


def test_one_event_with_its_proof(admin: httpx.Client, pages: tuple[str, list[int]]) -> None:
    _, seqs = pages
    plain = admin.get(f"/v1/events/{seqs[4]}").json()
    assert set(plain) == {"event"}
    assert plain["event"]["seq"] == seqs[4]
    proved = admin.get(f"/v1/events/{seqs[4]}", params={"proof": "true"}).json()
    assert proved["event"] == plain["event"]
    assert proved["proof"]["index"] == seqs[4]
    assert orjson.loads(base64.b64decode(proved["proof"]["entry"])) == plain["event"]
    assert proved["checkpoint"].split("\n")[1] == str(proved["proof"]["size"])


def test_stats_count_by_action_outcome_actor_and_time(
    admin: httpx.Client, pages: tuple[str, list[int]]
) -> None:
    actor, _ = pages
    stats = admin.get("/v1/events/stats", params={"actor": actor}).json()
    assert stats["total"] == 25
    assert stats["action"] == {"image.pull": 24, "image.push": 1}
    assert stats["outcome"] == {"success": 20, "denied": 5}
    assert stats["actor_id"] == {actor: 25}
    assert stats["day"] == {"2026-11-20": 25}
    assert stats["hour"] == {"2026-11-20T09": 25}
    narrowed = admin.get("/v1/events/stats", params={"actor": actor, "outcome": "denied"}).json()
    assert narrowed["total"] == 5
    one = admin.get("/v1/events/stats", params={"actor": actor, "target_id": "x"}).json()
    assert one["total"] == 0


def test_the_catalog_lists_each_action_with_its_required_target(admin: httpx.Client) -> None:
    catalog = {a["action"]: a for a in admin.get("/v1/events/types").json()["actions"]}
    assert {"image.pull", "auth.login_failed", "http.request", "audit.verify"} <= set(catalog)
    pull = catalog["image.pull"]
    assert pull["category"] == "image"
    assert {"registry", "repository"} <= set(pull["required_target"])
    assert pull["description"]
