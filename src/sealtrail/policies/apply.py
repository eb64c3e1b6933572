"""Retroactive application of a policy to the tags that exist: in batches, resumable, audited.

When a policy is created or updated, a *run* record ``(policy uuid, version, cursor)`` is stored in
the same transaction as the ``policy.create``/``policy.update`` event. Each batch is one
transaction (``Ledger.append_in_transaction``) that reads the run, takes the next ``batch`` mutable
tags in scope after the cursor (in tag-row order), marks those the policy decides immutable, appends
one ``tag.immutability_change`` per tag, and moves the run's cursor and totals. A crash between
batches loses nothing and repeats nothing: the next ``run`` (``sealtrail policies resume``, or the
server at start) continues from the cursor. The last batch also appends the one ``policy.apply``
summary and marks the run finished, so the summary is written exactly once, with the totals of
every batch. ``duration_ms`` in the summary is wall time from the policy event to the summary,
interruptions included; ``resumes`` counts how often the run was picked up again.

A run whose policy was updated or deleted meanwhile stops at its next batch; its summary says so
(``completed`` false, ``stopped``), and the new version has its own run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from sealtrail.errors import NotFound
from sealtrail.events import format_time, parse_time
from sealtrail.ledger.log import Ledger
from sealtrail.policies.model import ImmutabilityPolicy, Scope, compile_pattern
from sealtrail.policies.records import TagKey, apply_summary, immutability_change
from sealtrail.policies.rows import Read, load_policy, policy_version
from sealtrail.store.base import WriteView

__all__ = [
    "BATCH",
    "SAMPLE",
    "Applied",
    "Progress",
    "Run",
    "in_scope",
    "pending_runs",
    "run_policy",
    "start_run",
]

BATCH = 1_000
SAMPLE = 10  # tag names kept in the summary
#: Called after each batch with (tags examined so far, tags in scope when the run started).
Progress = Callable[[int, int], None]

_RUN_COLUMNS = (
    "policy_uuid, version, policy_seq, cursor, affected, batches, resumes, sample, started_at,"
    " finished_seq"
)


@dataclass(frozen=True, slots=True)
class Run:
    """The persisted state of one retroactive application."""

    policy_uuid: str
    version: int
    policy_seq: int
    cursor: int
    affected: int
    batches: int
    resumes: int
    sample: tuple[str, ...]
    started_at: str
    finished_seq: int | None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Run:
        values = list(row)
        values[7] = tuple(orjson.loads(values[7]))
        return cls(*values)


@dataclass(frozen=True, slots=True)
class Applied:
    """The end of a run: what its ``policy.apply`` summary (at ``summary_seq``) says."""

    policy_uuid: str
    version: int
    tags_affected_count: int
    summary_seq: int
    completed: bool


def start_run(view: WriteView, policy: ImmutabilityPolicy, policy_seq: int, now: str) -> None:
    """Record a new run of ``policy`` (inside the policy event's transaction)."""
    view.execute(
        f"INSERT INTO policy_runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, 0, 0, 0, 0, '[]', ?, NULL)",
        (policy.uuid, policy.version, policy_seq, now),
    )


def pending_runs(read: Read) -> list[Run]:
    """Runs not finished yet (interrupted, or never started), oldest first."""
    sql = f"SELECT {_RUN_COLUMNS} FROM policy_runs WHERE finished_seq IS NULL ORDER BY started_at"
    return [Run.from_row(row) for row in read(sql, ())]


def _load_run(read: Read, uuid: str, version: int) -> Run:
    sql = f"SELECT {_RUN_COLUMNS} FROM policy_runs WHERE policy_uuid = ? AND version = ?"
    rows = read(sql, (uuid, version))
    if not rows:
        raise NotFound(f"no application of policy {uuid} version {version}")
    return Run.from_row(rows[0])


def _scope_clause(policy: ImmutabilityPolicy) -> tuple[str, tuple[str, ...]]:
    if policy.scope is Scope.REPOSITORY:
        assert policy.repository is not None
        return "r.name = ?", (policy.repository,)
    return "r.namespace = ?", (policy.namespace,)


def _candidates(
    read: Read, policy: ImmutabilityPolicy, cursor: int, limit: int
) -> list[tuple[Any, ...]]:
    """The next ``limit`` mutable tags in scope after row ``cursor``, in row order. The unary
    ``+`` keeps SQLite from joining through the repository index, so it walks ``tags`` by row id
    from the cursor instead of sorting the whole scope for every batch (PostgreSQL ignores it)."""
    clause, params = _scope_clause(policy)
    sql = (
        "SELECT t.id, r.registry, r.name, t.name, t.digest FROM tags t"
        " JOIN repositories r ON r.id = +t.repository_id"
        f" WHERE t.id > ? AND t.immutable = 0 AND {clause} ORDER BY t.id LIMIT ?"
    )
    return read(sql, (cursor, *params, limit))


def in_scope(read: Read, policy: ImmutabilityPolicy) -> int:
    """How many mutable tags the policy's scope holds now (the progress bar's total)."""
    clause, params = _scope_clause(policy)
    sql = (
        "SELECT COUNT(*) FROM tags t JOIN repositories r ON r.id = t.repository_id"
        f" WHERE t.immutable = 0 AND {clause}"
    )
    return int(read(sql, params)[0][0])


class _Batch:
    """One batch of a run, as the work of one ``append_in_transaction``."""

    def __init__(self, ledger: Ledger, uuid: str, version: int, limit: int, resumed: bool):
        self.ledger, self.uuid, self.version = ledger, uuid, version
        self.limit, self.resumed = limit, resumed
        self.examined = 0
        self.applied: Applied | None = None

    def __call__(self, view: WriteView, size: int) -> Iterable[Mapping[str, Any]]:
        read = view.execute
        run = _load_run(read, self.uuid, self.version)
        if run.finished_seq is not None:  # another process finished it
            self.applied = Applied(self.uuid, self.version, run.affected, run.finished_seq, True)
            return []
        policy = policy_version(read, self.uuid, self.version)
        stopped = _stopped(load_policy(read, self.uuid), self.version)
        rows = [] if stopped else _candidates(read, policy, run.cursor, self.limit)
        self.examined = len(rows)
        now = format_time(self.ledger.clock.now())
        events, names = _mark(view, size, policy, rows, run.policy_seq, now)
        finished = stopped is not None or len(rows) < self.limit
        run = replace(
            run,
            cursor=rows[-1][0] if rows else run.cursor,
            affected=run.affected + len(events),
            batches=run.batches + 1,
            resumes=run.resumes + self.resumed,
            sample=(*run.sample, *names)[:SAMPLE],
            finished_seq=size + len(events) if finished else None,
        )
        _save_run(view, run)
        self.resumed = False
        if run.finished_seq is None:
            return events
        events.append(_summary(run, policy, now, stopped))
        self.applied = Applied(
            self.uuid, self.version, run.affected, run.finished_seq, completed=stopped is None
        )
        return events


def _mark(
    view: WriteView,
    size: int,
    policy: ImmutabilityPolicy,
    rows: list[tuple[Any, ...]],
    cause: int,
    now: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Mark the rows the policy decides immutable, each citing its event (at ``size + i``);
    the events and the tag names."""
    events: list[dict[str, Any]] = []
    changes: list[tuple[Any, ...]] = []
    names: list[str] = []
    pattern, matches = compile_pattern(policy.tag_pattern), policy.tag_pattern_matches
    for tag_id, registry, repository, tag, digest in rows:
        if (pattern.fullmatch(tag) is not None) == matches:
            key = TagKey(registry, repository, tag)
            changes.append((policy.uuid, policy.version, size + len(events), now, tag_id))
            events.append(_change(now, key, digest, policy, cause))
            names.append(key.text())
    view.executemany(
        "UPDATE tags SET immutable = 1, immutable_by = 'policy', policy_uuid = ?,"
        " policy_version = ?, reason_seq = ?, updated_at = ? WHERE id = ?",
        changes,
    )
    return events, names


def _save_run(view: WriteView, run: Run) -> None:
    view.execute(
        "UPDATE policy_runs SET cursor = ?, affected = ?, batches = ?, resumes = ?,"
        " sample = ?, finished_seq = ? WHERE policy_uuid = ? AND version = ?",
        (
            run.cursor, run.affected, run.batches, run.resumes,
            orjson.dumps(list(run.sample)).decode(), run.finished_seq,
            run.policy_uuid, run.version,
        ),
    )  # fmt: skip


def _summary(run: Run, policy: ImmutabilityPolicy, now: str, stopped: str | None) -> dict[str, Any]:
    return apply_summary(
        now, policy, policy_seq=run.policy_seq, affected=run.affected, sample=list(run.sample),
        duration_ms=_elapsed_ms(run.started_at, now), batches=run.batches,
        resumes=run.resumes, stopped=stopped,
    )  # fmt: skip


def _change(
    now: str, key: TagKey, digest: str, policy: ImmutabilityPolicy, cause: int
) -> dict[str, Any]:
    return immutability_change(
        now, {}, key, digest, immutable=True, previous=False, policy=policy, cause_seq=cause
    )


def _stopped(current: ImmutabilityPolicy, version: int) -> str | None:
    if current.deleted_at is not None:
        return "policy deleted"
    if current.version != version:
        return f"policy updated to version {current.version}"
    return None


def _elapsed_ms(started_at: str, now: str) -> float:
    delta = parse_time(now) - parse_time(started_at)
    return max(0.0, delta.total_seconds() * 1000)


def run_policy(
    ledger: Ledger,
    uuid: str,
    version: int,
    *,
    batch: int = BATCH,
    progress: Progress | None = None,
    resumed: bool = False,
    stop: threading.Event | None = None,
) -> Applied | None:
    """Run (or continue) the application of ``uuid`` at ``version`` to its end; the summary.
    None when ``stop`` was set before the end (the run stays resumable)."""
    total = in_scope(ledger.store.read, policy_version(ledger.store.read, uuid, version))
    done = 0
    work = _Batch(ledger, uuid, version, batch, resumed)
    while work.applied is None:
        if stop is not None and stop.is_set():
            return None
        ledger.append_in_transaction(work)
        done += work.examined
        if progress is not None:
            progress(min(done, total), total)
    return work.applied
