"""Taking in a forge's webhook delivery or audit-log stream: verify, map, append once.

``record_delivery`` is what ``POST /v1/hooks/{github,gitlab,gitea}`` does: verify the signature
(``delivery.receive``), drop what the hook's configuration does not keep, map the payload to
events (all validated before any is appended) and append them under the delivery's key in one
transaction (``Ledger.append_once``), so a redelivery adds nothing and a bad payload leaves
nothing behind. ``record_stream`` does the same for ``POST /v1/hooks/audit-stream/{platform}``,
one key per audit entry.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sealtrail.errors import NotFound
from sealtrail.importers import ImportSummary, import_events
from sealtrail.vcs import auditlog, gitea, github, gitlab
from sealtrail.vcs.config import VcsHooksConfig
from sealtrail.vcs.delivery import Delivery, HookRefused, receive
from sealtrail.vcs.records import Context

if TYPE_CHECKING:
    from sealtrail.ledger.log import Ledger, Receipt

AppendOnce = Callable[[str, Iterable[Mapping[str, Any]]], "list[Receipt] | None"]

__all__ = [
    "HANDLERS",
    "DeliveryOutcome",
    "map_delivery",
    "record_delivery",
    "record_stream",
    "verify_stream",
]

HANDLERS = {"github": github.HANDLERS, "gitlab": gitlab.HANDLERS, "gitea": gitea.HANDLERS}
_STREAM_HEADERS = {"github": "authorization", "gitlab": "x-gitlab-event-streaming-token"}


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of a delivery: events recorded, or a duplicate, or why it was ignored."""

    delivery: str
    kind: str
    recorded: int
    duplicate: bool = False
    ignored: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "delivery": self.delivery,
            "kind": self.kind,
            "recorded": self.recorded,
            "duplicate": self.duplicate,
            "ignored": self.ignored,
        }


def map_delivery(delivery: Delivery, ctx: Context) -> list[dict[str, Any]]:
    """The events of a verified delivery; empty for a kind that is not mapped."""
    handler = HANDLERS[delivery.platform].get(delivery.kind)
    return [] if handler is None else handler(delivery.payload, ctx)


def record_delivery(
    ledger: Ledger,
    config: VcsHooksConfig,
    platform: str,
    headers: Mapping[str, str],
    body: bytes,
    received: str,
    append_once: AppendOnce | None = None,
) -> DeliveryOutcome:
    """Verify, map and append one delivery (see the module's docstring); ``append_once`` is
    the ledger's unless given (the server shares transactions with ``KeyedGroupCommit``)."""
    hook = config.platform(platform)
    delivery = receive(hook, headers, body)
    outcome = DeliveryOutcome(delivery.id, delivery.kind, 0)
    if delivery.kind not in HANDLERS[platform]:
        return _ignored(outcome, f"event kind {delivery.kind!r} is not recorded")
    data = delivery.payload.data
    reason = hook.ignores(delivery.kind, _repository(data))
    if reason is not None:
        return _ignored(outcome, reason)
    ctx = Context(
        platform,
        delivery.id,
        received,
        host=_host(data),
        budget=config.unmapped_bytes,
        max_event_bytes=ledger.limits.max_event_bytes,
    )
    events = map_delivery(delivery, ctx)
    if not events:
        return _ignored(outcome, "nothing in it to record")
    receipts = (append_once or ledger.append_once)(delivery.key, events)
    if receipts is None:
        return DeliveryOutcome(delivery.id, delivery.kind, 0, duplicate=True)
    return DeliveryOutcome(delivery.id, delivery.kind, len(receipts))


def record_stream(
    ledger: Ledger,
    config: VcsHooksConfig,
    platform: str,
    headers: Mapping[str, str],
    body: bytes,
) -> ImportSummary:
    """Verify an audit-log stream's token, then append each of its entries once."""
    if platform not in auditlog.STREAMING_PLATFORMS:
        raise NotFound(f"{platform} publishes no audit-log stream sealtrail reads")
    verify_stream(platform, config.platform(platform).stream_tokens, headers)
    entries = auditlog.read_entries(body.decode("utf-8", errors="replace"))
    items = list(auditlog.entry_events(platform, entries, config.unmapped_bytes))
    return import_events(ledger, items)


def verify_stream(platform: str, tokens: tuple[str, ...], headers: Mapping[str, str]) -> None:
    """GitHub streams to a Splunk HTTP Event Collector, ``Authorization: Splunk <token>``;
    GitLab sends ``X-Gitlab-Event-Streaming-Token: <token>``. Constant-time, like the hooks."""
    if not tokens:
        raise HookRefused(f"{platform} audit stream: no stream_token is configured")
    name = _STREAM_HEADERS[platform]
    given = headers.get(name, "")
    if platform == "github":
        scheme, _, given = given.partition(" ")
        given = given.strip() if scheme.lower() == "splunk" else ""
    if not given:
        raise HookRefused(f"{platform} audit stream: no {name} token")
    if not any([hmac.compare_digest(given.encode(), t.encode()) for t in tokens]):
        raise HookRefused(f"{platform} audit stream: the token does not match")


def _ignored(outcome: DeliveryOutcome, reason: str) -> DeliveryOutcome:
    return DeliveryOutcome(outcome.delivery, outcome.kind, 0, ignored=reason)


def _repository(data: Mapping[str, Any]) -> str | None:
    for outer, inner in (("repository", "full_name"), ("project", "path_with_namespace")):
        value = data.get(outer)
        if isinstance(value, Mapping) and isinstance(value.get(inner), str):
            return str(value[inner])
    return None


def _host(data: Mapping[str, Any]) -> str | None:
    for outer, inner in (("repository", "html_url"), ("project", "web_url")):
        value = data.get(outer)
        if isinstance(value, Mapping) and isinstance(value.get(inner), str):
            return urlsplit(value[inner]).hostname or None
    return None
