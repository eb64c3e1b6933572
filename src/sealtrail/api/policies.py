"""Tag immutability policies and the tag index over HTTP: admin-only writes, auditor reads.

    /v1/namespaces/{ns}/immutability-policies[/{uuid}]
    /v1/repositories/{repository}/immutability-policies[/{uuid}]
    /v1/repositories/{repository}/tags[/{tag}[/immutability]]

A repository path keeps its slashes (``/v1/repositories/org/team/app/tags``): the routes match the
fixed suffix at the end of the path, so any OCI repository name works. Creating or updating a
policy applies it to the existing tags before answering (in batches, resumable: the server resumes
an interrupted application when it starts).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from sealtrail.access import Principal, Role
from sealtrail.api.deps import require, server
from sealtrail.policies import Applied, ImmutabilityPolicies, ImmutabilityPolicy, Scope, TagIndex
from sealtrail.policies.model import MAX_PATTERN

__all__ = ["router"]


@asynccontextmanager
async def _resume_on_start(app: FastAPI) -> AsyncIterator[None]:
    """Finish interrupted retroactive applications in the background while the server runs."""
    stop = threading.Event()
    book = ImmutabilityPolicies(app.state.server.ledger)
    worker = threading.Thread(
        target=book.resume, kwargs={"stop": stop}, daemon=True, name="sealtrail-policy-resume"
    )
    worker.start()
    yield
    stop.set()
    worker.join()


router = APIRouter(prefix="/v1", tags=["immutability"], lifespan=_resume_on_start)
Namespace = Annotated[str, PathParam(max_length=255, description="first component, e.g. org")]
Repository = Annotated[str, PathParam(max_length=255, description="e.g. org/team/app")]
TagName = Annotated[str, PathParam(max_length=128)]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(Role.AUDITOR))]
_NS = "/namespaces/{namespace}/immutability-policies"
_REPO = "/repositories/{repository:path}/immutability-policies"
_UUID = "/{uuid:uuid}"
_BODY_PATTERN = 4096  # longer bodies are refused outright; the library names the real limit


class NewPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag_pattern: str = Field(
        max_length=_BODY_PATTERN,
        description=f"RE2 pattern, at most {MAX_PATTERN} characters, matching the whole tag name",
    )
    tag_pattern_matches: bool = Field(
        default=True, description="true: matching tags become immutable; false: the others do"
    )


class PolicyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag_pattern: str | None = Field(default=None, max_length=_BODY_PATTERN)
    tag_pattern_matches: bool | None = None


class Application(BaseModel):
    """The end of the retroactive application: its ``policy.apply`` summary event."""

    tags_affected_count: int
    summary_seq: int
    completed: bool


class PolicyOut(BaseModel):
    uuid: str
    scope: Scope
    namespace: str
    repository: str | None
    tag_pattern: str
    tag_pattern_matches: bool
    version: int
    author: str
    created_at: str
    updated_at: str
    deleted_at: str | None
    deleted_by: str | None
    application: Application | None = None

    @classmethod
    def of(cls, policy: ImmutabilityPolicy, applied: Applied | None = None) -> PolicyOut:
        done = None
        if applied is not None:
            done = Application(
                tags_affected_count=applied.tags_affected_count,
                summary_seq=applied.summary_seq,
                completed=applied.completed,
            )
        return cls(**policy.to_json(), application=done)


class PolicyList(BaseModel):
    policies: list[PolicyOut]


class TagOut(BaseModel):
    registry: str
    repository: str
    tag: str
    digest: str
    immutable: bool
    immutable_by: str | None = Field(description="policy, manual, or null (never changed)")
    policy_uuid: str | None
    policy_version: int | None
    reason_seq: int | None = Field(description="seq of the event that made it so")
    reason: str
    updated_at: str


class TagList(BaseModel):
    tags: list[TagOut]
    next_after: str | None = Field(description="pass as ?after= for the next page")


class Toggle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    immutable: bool
    registry: str | None = Field(default=None, max_length=261)


def _book(request: Request) -> ImmutabilityPolicies:
    return ImmutabilityPolicies(server(request).ledger)


def _index(request: Request) -> TagIndex:
    return TagIndex(server(request).ledger)


def _scope(namespace: str | None, repository: str | None) -> dict[str, Any]:
    return {"namespace": namespace, "repository": repository}


# --- policies, for either scope ---


def _list(request: Request, scope: dict[str, Any], deleted: bool) -> PolicyList:
    found = _book(request).list(**scope, deleted=deleted)
    return PolicyList(policies=[PolicyOut.of(policy) for policy in found])


def _create(
    request: Request, caller: Principal, scope: dict[str, Any], new: NewPolicy
) -> PolicyOut:
    book = _book(request)
    policy = book.create(**scope, **new.model_dump(), actor=caller.actor)
    return PolicyOut.of(policy, book.apply(policy))


def _owned(request: Request, scope: dict[str, Any], uuid: str) -> ImmutabilityPolicy:
    kind = Scope.REPOSITORY if scope["repository"] is not None else Scope.NAMESPACE
    name = scope["repository"] or scope["namespace"]
    return _book(request).in_scope(_book(request).get(uuid), kind, name)


def _update(
    request: Request, caller: Principal, scope: dict[str, Any], uuid: str, change: PolicyChange
) -> PolicyOut:
    book = _book(request)
    _owned(request, scope, uuid)
    policy = book.update(uuid, **change.model_dump(), actor=caller.actor)
    return PolicyOut.of(policy, book.apply(policy))


def _delete(request: Request, caller: Principal, scope: dict[str, Any], uuid: str) -> PolicyOut:
    _owned(request, scope, uuid)
    return PolicyOut.of(_book(request).delete(uuid, actor=caller.actor))


Deleted = Annotated[bool, Query(description="include deleted policies (kept for history)")]


@router.get(_NS, response_model=PolicyList, summary="List a namespace's policies")
def list_namespace(
    request: Request, _: Reader, namespace: Namespace, deleted: Deleted = False
) -> Any:
    return _list(request, _scope(namespace, None), deleted)


@router.post(_NS, status_code=201, response_model=PolicyOut, summary="Create and apply a policy")
def create_namespace(request: Request, caller: Admin, namespace: Namespace, new: NewPolicy) -> Any:
    return _create(request, caller, _scope(namespace, None), new)


@router.get(_NS + _UUID, response_model=PolicyOut, summary="One namespace policy")
def get_namespace(request: Request, _: Reader, namespace: Namespace, uuid: UUID) -> Any:
    return PolicyOut.of(_owned(request, _scope(namespace, None), str(uuid)))


@router.put(_NS + _UUID, response_model=PolicyOut, summary="Update a policy; apply the new version")
def update_namespace(
    request: Request, caller: Admin, namespace: Namespace, uuid: UUID, change: PolicyChange
) -> Any:
    return _update(request, caller, _scope(namespace, None), str(uuid), change)


@router.delete(_NS + _UUID, response_model=PolicyOut, summary="Delete a policy (tags stay)")
def delete_namespace(request: Request, caller: Admin, namespace: Namespace, uuid: UUID) -> Any:
    return _delete(request, caller, _scope(namespace, None), str(uuid))


@router.get(_REPO, response_model=PolicyList, summary="List a repository's policies")
def list_repository(
    request: Request, _: Reader, repository: Repository, deleted: Deleted = False
) -> Any:
    return _list(request, _scope(None, repository), deleted)


@router.post(_REPO, status_code=201, response_model=PolicyOut, summary="Create and apply a policy")
def create_repository(
    request: Request, caller: Admin, repository: Repository, new: NewPolicy
) -> Any:
    return _create(request, caller, _scope(None, repository), new)


@router.get(_REPO + _UUID, response_model=PolicyOut, summary="One repository policy")
def get_repository(request: Request, _: Reader, repository: Repository, uuid: UUID) -> Any:
    return PolicyOut.of(_owned(request, _scope(None, repository), str(uuid)))


@router.put(
    _REPO + _UUID, response_model=PolicyOut, summary="Update a policy; apply the new version"
)
def update_repository(
    request: Request, caller: Admin, repository: Repository, uuid: UUID, change: PolicyChange
) -> Any:
    return _update(request, caller, _scope(None, repository), str(uuid), change)


@router.delete(_REPO + _UUID, response_model=PolicyOut, summary="Delete a policy (tags stay)")
def delete_repository(request: Request, caller: Admin, repository: Repository, uuid: UUID) -> Any:
    return _delete(request, caller, _scope(None, repository), str(uuid))


# --- tags ---


def _tag_out(index: TagIndex, state: Any) -> TagOut:
    return TagOut(**state.to_json(), reason=index.reason(state))


@router.get("/repositories/{repository:path}/tags", response_model=TagList, summary="List tags")
def list_tags(
    request: Request,
    _: Reader,
    repository: Repository,
    registry: Annotated[str | None, Query(max_length=261)] = None,
    after: Annotated[str, Query(max_length=128)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    index = _index(request)
    found = index.tags(repository, registry, after=after, limit=limit)
    tags = [_tag_out(index, state) for state in found]
    return TagList(tags=tags, next_after=found[-1].key.tag if len(found) == limit else None)


@router.get(
    "/repositories/{repository:path}/tags/{tag}",
    response_model=TagOut,
    summary="One tag, with why it is (im)mutable",
)
def get_tag(
    request: Request,
    _: Reader,
    repository: Repository,
    tag: TagName,
    registry: Annotated[str | None, Query(max_length=261)] = None,
) -> Any:
    index = _index(request)
    return _tag_out(index, index.tag(repository, tag, registry))


@router.put(
    "/repositories/{repository:path}/tags/{tag}/immutability",
    response_model=TagOut,
    summary="Set or lift a tag's immutability by hand (recorded, trigger manual)",
)
def toggle_tag(
    request: Request, caller: Admin, repository: Repository, tag: TagName, body: Toggle
) -> Any:
    index = _index(request)
    state = index.set_immutable(
        repository, tag, body.immutable, caller.actor, registry=body.registry
    )
    return _tag_out(index, state)
