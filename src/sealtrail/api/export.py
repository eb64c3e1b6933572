"""``GET /v1/export`` and ``GET /v1/export/bundle``: streamed exports and their proofs.

Both take the same filters as ``/v1/events`` plus ``start``/``end`` (seq) and ``size`` (the tree
size of the checkpoint to prove against; the export's ``X-Sealtrail-Size`` header names the size
it used, so the bundle can be asked for the same). Responses stream from a generator: any size
in bounded memory. Auditors and admins only; each export is recorded as ``audit.export``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from sealtrail.access import Principal, Role
from sealtrail.api.deps import require, server
from sealtrail.api.events import SearchText, _query, _search
from sealtrail.errors import ValidationError
from sealtrail.ledger.log import Ledger
from sealtrail.sinks.export import (
    ExportPlan,
    bundle_lines,
    export_event,
    export_leaves,
    export_lines,
    plan_export,
)

router = APIRouter(prefix="/v1/export", tags=["export"])
Auditor = Annotated[Principal, Depends(require(Role.AUDITOR))]
_MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv", "cef": "text/plain"}


def _plan(
    request: Request,
    caller: Principal,
    format: str,
    action: list[str] | None,
    outcome: str | None,
    actor: str | None,
    since: str | None,
    until: str | None,
    q: str | None,
    start: int | None,
    end: int | None,
    size: int | None,
) -> ExportPlan:
    ledger = server(request).ledger
    filters = _search(_query(caller, action, None, outcome, actor, None, None, None, None,
                             since, until), q)  # fmt: skip
    plan = plan_export(ledger, format, filters, start, end)
    if size is not None and size != plan.size:
        plan = _at_size(ledger, plan, size, end)
    return plan


def _at_size(ledger: Ledger, plan: ExportPlan, size: int, end: int | None) -> ExportPlan:
    stored = next((c for c in ledger.store.checkpoints() if c.size == size), None)
    if stored is None:
        raise ValidationError(f"size: no signed checkpoint of size {size}")
    stop = size if end is None else end
    if stop > size:
        raise ValidationError(f"end: {stop} is beyond the checkpoint size {size}")
    return dataclasses.replace(plan, checkpoint=stored.note, size=size, end=stop)


@router.get("", summary="Stream an export (jsonl, csv, cef, ecs or splunk-hec)")
def export(
    request: Request,
    caller: Auditor,
    format: Annotated[str, Query(pattern="^(jsonl|csv|cef|ecs|splunk-hec)$")] = "jsonl",
    action: Annotated[list[str] | None, Query()] = None,
    outcome: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    q: SearchText = None,
    start: Annotated[int | None, Query(ge=0)] = None,
    end: Annotated[int | None, Query(ge=1)] = None,
    size: Annotated[int | None, Query(ge=1)] = None,
) -> StreamingResponse:
    plan = _plan(request, caller, format, action, outcome, actor, since, until, q, start, end, size)
    ledger = server(request).ledger

    count = 0

    def counted() -> Iterator[tuple[int, bytes]]:
        nonlocal count
        for row in export_leaves(ledger, plan):
            count += 1
            yield row

    def stream() -> Iterator[str]:
        yield from export_lines(plan, counted())
        ledger.append(export_event(ledger, plan, caller.actor, count, "http"))

    headers = {"X-Sealtrail-Size": str(plan.size), "X-Sealtrail-Kind": plan.kind}
    media = _MEDIA.get(plan.format.name, "application/x-ndjson")
    return StreamingResponse(stream(), media_type=media, headers=headers)


@router.get("/bundle", summary="The verification bundle of the same export (JSON Lines)")
def export_bundle(
    request: Request,
    caller: Auditor,
    format: Annotated[str, Query(pattern="^(jsonl|csv|cef|ecs|splunk-hec)$")] = "jsonl",
    action: Annotated[list[str] | None, Query()] = None,
    outcome: str | None = None,
    actor: str | None = None,
    since: str | None = None,
    until: str | None = None,
    q: SearchText = None,
    start: Annotated[int | None, Query(ge=0)] = None,
    end: Annotated[int | None, Query(ge=1)] = None,
    size: Annotated[int | None, Query(ge=1)] = None,
) -> StreamingResponse:
    plan = _plan(request, caller, format, action, outcome, actor, since, until, q, start, end, size)
    ledger = server(request).ledger
    seqs = (seq for seq, _ in export_leaves(ledger, plan)) if plan.kind == "records" else iter(())
    headers = {"X-Sealtrail-Size": str(plan.size)}
    return StreamingResponse(
        bundle_lines(ledger, plan, seqs), media_type="application/x-ndjson", headers=headers
    )
