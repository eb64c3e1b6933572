"""``/v1/events``: append, search, read one (with its proof), the catalog, stats."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sealtrail.access import Principal, Role
from sealtrail.api.deps import require, server
from sealtrail.api.log import InclusionProofBody
from sealtrail.catalog import ACTIONS
from sealtrail.errors import NotFound, ValidationError
from sealtrail.events import OUTCOMES, format_time, parse_time
from sealtrail.ledger.log import Ledger
from sealtrail.search import parse_search
from sealtrail.store import base

router = APIRouter(prefix="/v1/events", tags=["events"])
Reader = Annotated[Principal, Depends(require(Role.AUDITOR, Role.USER))]
SearchText = Annotated[
    str | None,
    Query(
        max_length=1024, description="Qualifiers and free text: action:image.pull -outcome:success"
    ),
]
Writer = Annotated[Principal, Depends(require(Role.WRITER))]
MAX_PAGE = 1000
STAT_COLUMNS = ("action", "outcome", "actor_id", "day", "hour")
MAX_SEQ = 2**63 - 1  # the largest position a store can hold


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[dict[str, Any]]


class Receipt(BaseModel):
    seq: int
    leaf_hash: str = Field(description="base64 of the RFC 9162 leaf hash of the sealed record")


class BatchReceipt(BaseModel):
    appended: int
    first_seq: int
    receipts: list[Receipt]


class EventPage(BaseModel):
    events: list[dict[str, Any]]
    next_cursor: str | None = Field(description="cursor= of the next page; null on the last")


class EventDetail(BaseModel):
    event: dict[str, Any]
    proof: InclusionProofBody | None = Field(None, description="with proof=true")
    checkpoint: str | None = Field(None, description="with proof=true: the signed note proved to")


class ActionSpec(BaseModel):
    action: str
    category: str
    description: str
    required_target: list[str]


class Catalog(BaseModel):
    actions: list[ActionSpec]


class Stats(BaseModel):
    total: int
    action: dict[str, int]
    outcome: dict[str, int]
    actor_id: dict[str, int]
    day: dict[str, int]
    hour: dict[str, int]


def _receipt(seq: int, leaf_hash: bytes) -> dict[str, Any]:
    return {"seq": seq, "leaf_hash": base64.b64encode(leaf_hash).decode()}


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=Receipt,
    summary="Append one event; durable when the response arrives",
)
def append_event(request: Request, _: Writer, event: Annotated[dict[str, Any], Body()]) -> Response:
    receipt = server(request).ledger.append(event)
    return _json(_receipt(receipt.seq, receipt.leaf_hash), 201)


@router.post(
    ":batch",
    status_code=201,
    response_model=BatchReceipt,
    summary="Append up to 10,000 events, all or nothing",
)
def append_batch(request: Request, _: Writer, batch: Batch) -> Response:
    limit, events = server(request).settings.max_batch, batch.events
    if not events or len(events) > limit:
        raise ValidationError(f"events: a batch holds 1 to {limit} events, got {len(events)}")
    receipts = server(request).ledger.append_many(events)
    body = {
        "appended": len(receipts),
        "first_seq": receipts[0].seq,
        "receipts": [_receipt(r.seq, r.leaf_hash) for r in receipts],
    }
    return _json(body, 201)


def _query(
    caller: Principal,
    action: list[str] | None = None,
    category: str | None = None,
    outcome: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    repository: str | None = None,
    digest: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    **cursor: int | bool | None,
) -> base.Query:
    """The store query for these filters, narrowed to the caller's own events for ``user`` keys."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationError(f"outcome: must be one of {', '.join(sorted(OUTCOMES))}")
    if caller.role is Role.USER:  # another actor's events: an empty result, not an error
        foreign = actor is not None and actor != caller.actor_id
        actor = "\x00nobody" if foreign else caller.actor_id
    return base.Query(
        actions=tuple(action or ()),
        category=category,
        outcome=outcome,
        actor_id=actor,
        target_type=target_type,
        target_id=target_id,
        repository=repository,
        digest=digest,
        since=_time(since, "since"),
        until=_time(until, "until"),
        limit=limit,
        **cursor,  # type: ignore[arg-type]
    )


def _search(query: base.Query, q: str | None) -> base.Query:
    """``query`` narrowed by the qualifier syntax of ``q`` (applied last, so it only narrows)."""
    return query if not q else parse_search(q).apply(query)


def _time(value: str | None, name: str) -> str | None:
    return None if value is None else format_time(parse_time(value, name))


def _cursor(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        text = base64.urlsafe_b64decode(value.encode() + b"==").decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        text = ""
    if not (text.isascii() and text.isdigit() and int(text) <= MAX_SEQ):
        raise ValidationError("cursor: not a cursor this server issued")
    return int(text)


def _next_cursor(records: list[base.StoredRecord], limit: int) -> str | None:
    if len(records) < limit:
        return None
    return base64.urlsafe_b64encode(str(records[-1].seq).encode()).decode().rstrip("=")


@router.get(
    "", response_model=EventPage, summary="Search events, newest first, with cursor pagination"
)
def list_events(
    request: Request,
    caller: Reader,
    action: Annotated[list[str] | None, Query()] = None,
    category: str | None = None,
    outcome: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    repository: str | None = None,
    digest: str | None = None,
    since: Annotated[str | None, Query(description="RFC 3339, inclusive")] = None,
    until: Annotated[str | None, Query(description="RFC 3339, exclusive")] = None,
    q: SearchText = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    order: Annotated[str, Query(pattern="^(newest|oldest)$")] = "newest",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> Response:
    oldest = order == "oldest"
    position = _cursor(cursor)
    query = _query(
        caller,
        action,
        category,
        outcome,
        actor,
        target_type,
        target_id,
        repository,
        digest,
        since,
        until,
        limit,
        oldest_first=oldest,
        before_seq=None if oldest else position,
        after_seq=position if oldest else None,
    )
    ledger = server(request).ledger
    records = ledger.query(_search(query, q))
    events = [orjson.Fragment(leaf) for leaf in ledger.open_leaves([r.leaf for r in records])]
    return _json({"events": events, "next_cursor": _next_cursor(records, limit)})


@router.get("/types", response_model=Catalog, summary="The action catalog")
def event_types(_: Reader) -> Response:
    catalog = [
        {
            "action": s.name,
            "category": s.category,
            "description": s.description,
            "required_target": list(s.required_target),
        }
        for s in ACTIONS.values()
    ]
    return _json({"actions": catalog})


@router.get(
    "/stats",
    response_model=Stats,
    summary="Counts by action, outcome, actor and time bucket, with the filters of the search",
)
def event_stats(
    request: Request,
    caller: Reader,
    action: Annotated[list[str] | None, Query()] = None,
    category: str | None = None,
    outcome: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    repository: str | None = None,
    digest: str | None = None,
    since: Annotated[str | None, Query(description="RFC 3339, inclusive")] = None,
    until: Annotated[str | None, Query(description="RFC 3339, exclusive")] = None,
    q: SearchText = None,
) -> Response:
    filters = (category, outcome, actor, target_type, target_id, repository, digest)
    query = _search(_query(caller, action, *filters, since, until), q)
    ledger = server(request).ledger
    store = ledger.store
    # Every grouping counts the same records: those below the size now, however many arrive
    # between the counts (each count is its own statement).
    size = store.size()
    below = size if query.before_seq is None else min(size, query.before_seq)
    query = dataclasses.replace(query, before_seq=below)
    counts = {column: ledger.count_by(column, query) for column in STAT_COLUMNS}
    return _json({"total": sum(counts["action"].values()), **counts})


@router.get(
    "/{seq}",
    response_model=EventDetail,
    summary="One event; with proof=true, its inclusion proof against the latest checkpoint",
)
def get_event(
    request: Request,
    caller: Reader,
    seq: Annotated[int, Path(ge=0, le=MAX_SEQ)],
    proof: bool = False,
) -> Response:
    ledger = server(request).ledger
    (leaf,) = ledger.open_leaves([_own_entry(ledger, caller, seq)])
    body: dict[str, Any] = {"event": orjson.Fragment(leaf)}
    if proof:
        checkpoint = ledger.checkpoint()
        body["proof"] = ledger.prove_inclusion(seq, checkpoint.size).to_json()
        body["checkpoint"] = checkpoint.note
    return _json(body)


def _own_entry(ledger: Ledger, caller: Principal, seq: int) -> bytes:
    """The record at ``seq`` as stored, as 404 when it does not exist or is not the caller's to
    see (a ``user`` key's actor is matched in the actor index, where pseudonyms are)."""
    if caller.role is Role.USER:
        own = base.Query(actor_id=caller.actor_id, after_seq=seq - 1, before_seq=seq + 1, limit=1)
        records = ledger.query(own) if caller.actor_id else []
    else:
        records = ledger.store.read_records(seq, seq + 1) if seq >= 0 else []
    if not records:
        raise NotFound(f"no event {seq}")
    return records[0].leaf
