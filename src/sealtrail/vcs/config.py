"""Per-platform hook configuration, read from the ``[hooks]`` section.

```toml
[hooks]
unmapped_bytes = 8192              # budget for payload fields the mapping does not use

[hooks.github]                     # also [hooks.gitlab], [hooks.gitea]
secret = "…"                       # the webhook secret
previous_secret = "…"              # still accepted while the platform changes over
stream_token = "…"                 # the audit-log stream's token (and previous_stream_token)
repositories = ["acme/*"]          # keep only these (shell patterns on owner/name); default all
events = ["push", "pull_request"]  # keep only these event kinds; default all
```

Every key can be set from the environment, ``SEALTRAIL_HOOKS__GITHUB__SECRET=…``; lists given
that way are comma-separated. A platform without a secret refuses every delivery (401).
Other tables of ``[hooks]`` belong to other features and are left alone here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sealtrail.errors import ValidationError

__all__ = ["DEFAULT_UNMAPPED_BYTES", "PLATFORMS", "HookConfig", "VcsHooksConfig"]

PLATFORMS = ("github", "gitlab", "gitea")
DEFAULT_UNMAPPED_BYTES = 8192
_KEYS = frozenset(
    {"secret", "previous_secret", "stream_token", "previous_stream_token", "repositories", "events"}
)


@dataclass(frozen=True)
class HookConfig:
    """One platform's hook: the secrets that sign it and what of it to keep."""

    platform: str
    secrets: tuple[str, ...] = ()
    stream_tokens: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    events: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, platform: str, table: Mapping[str, Any]) -> HookConfig:
        where = f"[hooks.{platform}]"
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise ValidationError(f"{where}: unknown key(s): {', '.join(unknown)}")
        return cls(
            platform,
            _secrets(table, "secret", "previous_secret", where),
            _secrets(table, "stream_token", "previous_stream_token", where),
            _names(table.get("repositories"), f"{where} repositories"),
            _names(table.get("events"), f"{where} events"),
        )

    def ignores(self, kind: str, repository: str | None) -> str | None:
        """Why a delivery of ``kind`` about ``repository`` is not kept; None when it is."""
        if self.events and kind not in self.events:
            return f"event kind {kind!r} is not among the configured events"
        if self.repositories and not any(
            fnmatch.fnmatchcase(repository or "", pattern) for pattern in self.repositories
        ):
            return f"repository {repository!r} is not among the configured repositories"
        return None


@dataclass(frozen=True)
class VcsHooksConfig:
    """Every platform's hook configuration and the budget for unmapped payload fields."""

    platforms: Mapping[str, HookConfig]
    unmapped_bytes: int = DEFAULT_UNMAPPED_BYTES

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> VcsHooksConfig:
        platforms = {}
        for platform in PLATFORMS:
            table = section.get(platform, {})
            if not isinstance(table, Mapping):
                raise ValidationError(f"[hooks.{platform}]: must be a table")
            platforms[platform] = HookConfig.from_table(platform, table)
        budget = section.get("unmapped_bytes", DEFAULT_UNMAPPED_BYTES)
        try:
            budget = int(budget)
        except (TypeError, ValueError):
            raise ValidationError(f"[hooks] unmapped_bytes: not a number: {budget!r}") from None
        if not 0 <= budget <= 65535:
            raise ValidationError(f"[hooks] unmapped_bytes: must be 0..65535, got {budget}")
        return cls(platforms, budget)

    def platform(self, name: str) -> HookConfig:
        return self.platforms.get(name) or HookConfig(name)


def _secrets(table: Mapping[str, Any], current: str, previous: str, where: str) -> tuple[str, ...]:
    found = []
    for key in (current, previous):
        value = table.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise ValidationError(f"{where} {key}: must be a string")
        found.append(value)
    return tuple(found)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"{where}: must be a list of strings")
    return tuple(value)
