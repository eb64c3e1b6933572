"""``/v1/keys``: API keys, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from sealtrail.access import Principal, Role
from sealtrail.api.deps import Problem, require, server
from sealtrail.store.base import ApiKeyRow

__all__ = ["router"]

router = APIRouter(prefix="/v1/keys", tags=["keys"])
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    actor: str | None = Field(
        default=None, min_length=1, max_length=256, description="required for role user"
    )
    name: str = Field(default="", max_length=200)


class KeyInfo(BaseModel):
    """An API key as listed: never its secret."""

    key_id: str
    name: str
    role: Role
    actor_id: str | None
    created_at: str
    created_by: str | None
    revoked_at: str | None

    @classmethod
    def of(cls, row: ApiKeyRow) -> KeyInfo:
        fields = row._asdict()
        del fields["secret_hash"]
        return cls(**fields)


class CreatedKey(KeyInfo):
    key: str = Field(description="the key itself: shown only in this response")


class KeyList(BaseModel):
    keys: list[KeyInfo]


@router.get("", response_model=KeyList, summary="List API keys (never their secrets)")
def list_keys(request: Request, _: Admin) -> KeyList:
    return KeyList(keys=[KeyInfo.of(row) for row in server(request).keys.list()])


@router.post(
    "",
    status_code=201,
    response_model=CreatedKey,
    summary="Create an API key; its secret is shown only here",
)
def create_key(request: Request, caller: Admin, new: NewKey) -> CreatedKey:
    created = server(request).keys.create(new.role, actor_id=new.actor, name=new.name, by=caller)
    return CreatedKey(**KeyInfo.of(created.row).model_dump(), key=created.secret)


@router.delete(
    "/{key_id}",
    response_model=KeyInfo,
    summary="Revoke an API key (not the last active admin key)",
    responses={409: {"model": Problem, "description": "The last active admin key"}},
)
def revoke_key(
    request: Request, caller: Admin, key_id: Annotated[str, Path(max_length=64)]
) -> KeyInfo:
    return KeyInfo.of(server(request).keys.revoke(key_id, by=caller))
