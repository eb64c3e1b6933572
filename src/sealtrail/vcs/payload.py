"""A forge's JSON payload, read field by field, and what the mapping left unread.

``Payload`` hands the mapping the fields it asks for and remembers their paths; ``unmapped`` then
keeps the rest in the event's ``details`` up to a byte budget, by one rule, so the same payload is
always trimmed the same way:

1. The unread fields are flattened to dotted paths with scalar values (``repository.owner.login``;
   a list item by its index, ``labels.0.name``; an empty object or list stays as its value).
2. API links are left out: fields whose name ends in ``_url``, except ``html_url`` and
   ``web_url`` (the page a person opens). They are derived from ids recorded anyway.
3. Strings longer than ``MAX_STRING`` characters are cut to it, the last character becoming ``…``.
4. Fields are taken shallowest first, then in path order; each is kept when its JSON encoding
   (``"path":value,``) fits in what is left of the budget, else counted in ``omitted``. A later,
   smaller field may still fit after a larger one did not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sealtrail.errors import ValidationError

__all__ = ["MAX_STRING", "Payload", "Unmapped", "unmapped"]

MAX_STRING = 512
_KEPT_LINKS = frozenset({"html_url", "web_url"})
_MISSING = object()


class Payload:
    """A JSON object whose fields are read by dotted path; every path read is remembered, and a
    read object or list counts as read with everything in it."""

    def __init__(self, data: Mapping[str, Any], where: str = "payload") -> None:
        if not isinstance(data, Mapping):
            raise ValidationError(f"{where}: must be a JSON object")
        self.data = data
        self.where = where
        self.read: set[str] = set()

    def get(self, path: str, default: Any = None) -> Any:
        """The value at ``path``, or ``default`` when any part of it is missing or null."""
        self.read.add(path)
        value: Any = self.data
        for part in path.split("."):
            if not isinstance(value, Mapping):
                return default
            value = value.get(part, _MISSING)
            if value is _MISSING or value is None:
                return default
        return value

    def text(self, path: str) -> str:
        """The non-empty string at ``path``; an error naming the path otherwise."""
        value = self.get(path)
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{self.where}.{path}: required, a non-empty string")
        return value

    def optional_text(self, path: str) -> str | None:
        value = self.get(path)
        if value is None or isinstance(value, str):
            return value or None
        return str(value) if isinstance(value, int | float) else None

    def child(self, path: str) -> Payload:
        """The object at ``path`` as a payload of its own (read apart from this one)."""
        value = self.get(path)
        return Payload(value if isinstance(value, Mapping) else {}, f"{self.where}.{path}")

    def items(self, path: str) -> list[Payload]:
        """The objects in the list at ``path``, each a payload of its own."""
        value = self.get(path)
        if value is not None and not isinstance(value, list):
            raise ValidationError(f"{self.where}.{path}: must be a JSON array")
        return [Payload(item, f"{self.where}.{path}[{n}]") for n, item in enumerate(value or [])]

    def unread(self) -> Iterator[tuple[str, Any]]:  # one walk, not entering what was read
        """Every leaf not under a path that was read, as (dotted path, value)."""
        return _leaves(self.data, "", self.read)


@dataclass(frozen=True)
class Unmapped:
    """What ``unmapped`` kept, and how many fields it left out for size."""

    fields: dict[str, Any]
    omitted: int

    def details(self) -> dict[str, Any]:
        """The ``details`` entries: ``unmapped`` when anything was kept, ``unmapped_omitted``
        when anything was left out."""
        out: dict[str, Any] = {}
        if self.fields:
            out["unmapped"] = self.fields
        if self.omitted:
            out["unmapped_omitted"] = self.omitted
        return out


def unmapped(payload: Payload, budget: int) -> Unmapped:
    """The payload's unread fields that fit in ``budget`` bytes, by the rule of this module."""
    candidates = sorted(
        ((path, _cut(value)) for path, value in payload.unread() if not _is_link(path)),
        key=lambda field: (field[0].count("."), field[0]),
    )
    kept: dict[str, Any] = {}
    left, omitted = budget, 0
    for path, value in candidates:
        size = len(orjson.dumps(path)) + len(orjson.dumps(value)) + 2
        if size <= left:
            kept[path] = value
            left -= size
        else:
            omitted += 1
    return Unmapped(kept, omitted)


def _leaves(value: Any, prefix: str, read: set[str]) -> Iterator[tuple[str, Any]]:
    if prefix in read:
        return
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key), read)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, f"{prefix}.{index}" if prefix else str(index), read)
    elif prefix:
        yield prefix, value


def _is_link(path: str) -> bool:
    name = path.rsplit(".", 1)[-1]
    return name.endswith("_url") and name not in _KEPT_LINKS


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_STRING:
        return value[: MAX_STRING - 1] + "…"
    return value
