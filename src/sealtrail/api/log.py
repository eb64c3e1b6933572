"""The log's own read paths: ``/checkpoint`` and ``/tile/...`` (C2SP tlog-tiles), and proofs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from sealtrail.access import Principal, Role
from sealtrail.api.deps import require, server
from sealtrail.errors import NotFound
from sealtrail.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, Tile, encode_entry_bundle

__all__ = ["ConsistencyProofBody", "InclusionProofBody", "router"]

router = APIRouter(tags=["log"])
Auditor = Annotated[Principal, Depends(require(Role.AUDITOR))]
MAX_SIZE = 2**63 - 1  # the largest tree size a checkpoint can name
_FOREVER = "max-age=31536000, immutable"  # a tile path names the same bytes forever


class InclusionProofBody(BaseModel):
    """``sealtrail.ledger.proofs.InclusionProof`` as JSON; hashes and the entry in base64."""

    index: int
    size: int
    root: str
    entry: str = Field(description="the sealed record's bytes (its canonical JSON)")
    leaf_hash: str
    proof: list[str]


class ConsistencyProofBody(BaseModel):
    """``sealtrail.ledger.proofs.ConsistencyProof`` as JSON; hashes in base64."""

    old_size: int
    size: int
    old_root: str
    root: str
    proof: list[str]


def public_or_auditor(request: Request) -> None:
    """The C2SP paths: public when configured for outside verifiers, else auditors only."""
    if not server(request).settings.public_log:
        require(Role.AUDITOR)(request)


Public = Depends(public_or_auditor)


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    dependencies=[Public],
    summary="The latest signed checkpoint (C2SP signed note)",
)
def checkpoint(request: Request) -> PlainTextResponse:
    return PlainTextResponse(server(request).ledger.checkpoint().note)


@router.get(
    "/tile/{path:path}",
    dependencies=[Public],
    summary="A C2SP hash tile (tile/L/N[.p/W]) or entry bundle (tile/entries/N[.p/W])",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def tile(request: Request, path: str) -> Response:
    wanted = Tile.from_path(f"tile/{path}")
    ledger = server(request).ledger
    # hashes at the tile's level (entries: leaves) that the log holds now
    count = ledger.size() >> (TILE_HEIGHT * max(wanted.level, 0))
    if wanted.n * TILE_WIDTH + wanted.width > count:
        raise NotFound(f"tile {wanted.path()} is beyond the log")
    if wanted.level == -1:
        first = wanted.n * TILE_WIDTH
        records = ledger.store.read_records(first, first + wanted.width)
        if len(records) != wanted.width:
            raise NotFound(f"{wanted.path()}: entries of it were archived by retention")
        body = encode_entry_bundle([r.leaf for r in records])
    else:
        (data,) = ledger.store.read_tiles([wanted])
        body = data[: wanted.width * 32]
    # only a public log's tiles may sit in shared caches: others hold what only auditors may read
    scope = "public" if server(request).settings.public_log else "private"
    headers = {"Cache-Control": f"{scope}, {_FOREVER}"}
    return Response(body, media_type="application/octet-stream", headers=headers)


@router.get(
    "/v1/proofs/inclusion",
    response_model=InclusionProofBody,
    summary="Inclusion proof of the record at index in the tree of size (default: latest)",
)
def inclusion(
    request: Request,
    _: Auditor,
    index: Annotated[int, Query(ge=0, le=MAX_SIZE)],
    size: Annotated[int | None, Query(ge=1, le=MAX_SIZE)] = None,
) -> JSONResponse:
    return JSONResponse(server(request).ledger.prove_inclusion(index, size).to_json())


@router.get(
    "/v1/proofs/consistency",
    response_model=ConsistencyProofBody,
    summary="Consistency proof between the trees of old_size and size (default: latest)",
)
def consistency(
    request: Request,
    _: Auditor,
    old_size: Annotated[int, Query(ge=1, le=MAX_SIZE)],
    size: Annotated[int | None, Query(ge=1, le=MAX_SIZE)] = None,
) -> JSONResponse:
    return JSONResponse(server(request).ledger.prove_consistency(old_size, size).to_json())
