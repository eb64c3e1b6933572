"""The event: its model, the action catalog, validation and canonical encoding.

A producer sends one JSON object (DESIGN.md, "The event"); ``validate_event`` checks it and
returns a new, normalised dict. The ledger then adds ``id`` (``uuid7``), ``received_at`` and
``seq`` and seals the record's RFC 8785 (JCS) canonical JSON. Because ``seq`` is only known inside
the store's write transaction, ``prepare_event`` encodes everything else beforehand and
``PreparedEvent.leaf`` splices ``"seq":<n>`` in without re-encoding.

``canonical_json`` uses orjson where its output is byte-for-byte JCS and the exact encoder
(``rfc8785``) elsewhere. The two agree on every string character (checked over all of Unicode:
both escape only ``"``, ``\\`` and U+0000..U+001F, with the same short forms, and write the rest,
including ``/``, DEL and U+2028/2029, as raw UTF-8). They differ only in
- floats (orjson writes ``1.0``, JCS ``1``; exponents differ too),
- integers beyond ±(2**53-1) (orjson writes them, JCS refuses them),
- key order when a key holds a character above U+FFFF (orjson sorts by code point, JCS by UTF-16
  code unit, so U+10000.. sorts before U+E000..U+FFFF),
and values of those kinds go to the exact encoder.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

import orjson

from sealtrail.canonical import ASTRAL_RE, MAX_SAFE_INT, encode, fast_path_safe
from sealtrail.catalog import ACTIONS, ActionSpec
from sealtrail.errors import ValidationError
from sealtrail.ids import UUID7Generator, uuid7

__all__ = [
    "ACTIONS",
    "ACTOR_TYPES",
    "DEFAULT_LIMITS",
    "LEDGER_FIELDS",
    "LEDGER_RESERVE",
    "OUTCOMES",
    "SEVERITIES",
    "ActionSpec",
    "IndexedFields",
    "Limits",
    "PreparedEvent",
    "UUID7Generator",
    "canonical_json",
    "flatten_details",
    "format_time",
    "indexed_fields",
    "leaf_action",
    "parse_time",
    "prepare_event",
    "uuid7",
    "validate_event",
]

# ---------------------------------------------------------------------------------------------
# The vocabulary

_OUTCOME_ORDER = ("success", "failure", "not_found", "denied", "unknown")
_SEVERITY_ORDER = ("info", "warning", "error", "critical")
_ACTOR_TYPE_ORDER = ("user", "service", "system", "anonymous")
OUTCOMES: Final = frozenset(_OUTCOME_ORDER)
SEVERITIES: Final = frozenset(_SEVERITY_ORDER)
ACTOR_TYPES: Final = frozenset(_ACTOR_TYPE_ORDER)

#: Fields the ledger adds before sealing; producers must not send them.
LEDGER_FIELDS: Final = ("id", "received_at", "seq")

#: Bytes of ``max_event_bytes`` kept for the ledger's fields: ``"id":"<36>"`` (41) +
#: ``"received_at":"<27>"`` (43) + ``"seq":<up to 16 digits>`` (22) + 3 commas = 109, rounded up.
LEDGER_RESERVE: Final = 128

_TILE_ENTRY_MAX: Final = 65535  # C2SP tlog-tiles entry bundles prefix each entry with a uint16
_TOP_FIELDS = frozenset({
    "time", "action", "outcome", "severity", "actor",
    "target", "source", "request_id", "message", "details",
})  # fmt: skip
_ACTOR_FIELDS = dict.fromkeys(("id", "type", "ip", "user_agent"))  # ordered, for messages
_SOURCE_FIELDS = dict.fromkeys(("service", "host", "version"))
#: Target fields that are names wherever they appear: non-empty strings without NUL, or null.
_TARGET_NAMES = frozenset({"registry", "repository", "tag", "digest", "full_digest"})
_TARGET_KEYS = frozenset({"type", "id"})
_TARGET_PLAIN = _TARGET_NAMES | _TARGET_KEYS
_TARGET_PATHS = {key: f"target.{key}" for key in _TARGET_NAMES}
_SOURCE_PATHS = {key: f"source.{key}" for key in _SOURCE_FIELDS}
_TRIGGERS = ("manual", "policy")


@dataclass(frozen=True)
class Limits:
    """Size limits for events; ``validate_event`` enforces them.

    ``max_event_bytes`` caps the sealed record, ledger fields included: 65535, not 65536, because
    the record must fit a C2SP tlog-tiles entry bundle, whose entries have a uint16 length prefix.
    ``max_depth`` counts the event object itself as depth 1; ``max_string`` counts characters.
    """

    max_event_bytes: int = 65535
    max_batch: int = 10_000
    max_depth: int = 16
    max_string: int = 16384

    def __post_init__(self) -> None:
        if not 1024 <= self.max_event_bytes <= _TILE_ENTRY_MAX:
            raise ValidationError(
                f"limits.max_event_bytes: must be 1024..65535, got {self.max_event_bytes}"
            )
        if not 2 <= self.max_depth <= 128:  # orjson stops at 255
            raise ValidationError(f"limits.max_depth: must be 2..128, got {self.max_depth}")
        if self.max_batch < 1 or self.max_string < 1:
            raise ValidationError("limits.max_batch, limits.max_string: must be positive")


DEFAULT_LIMITS: Final = Limits()

# ---------------------------------------------------------------------------------------------
# Validation

_ACTION_RE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+", re.ASCII)
_MAX_ACTION = 128
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_RE = re.compile(rf"{_IPV4_OCTET}(?:\.{_IPV4_OCTET}){{3}}", re.ASCII)
_PLAIN_KEY_RE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


class _ValidEvent(dict[str, Any]):
    """What ``validate_event`` returns: a dict that also remembers what validation learned.

    ``exact`` is set when the event holds a float or an object key above U+FFFF, so its JCS form
    needs the exact encoder; ``canonical_json`` and ``prepare_event`` trust it instead of walking
    the event again. Replacing strings afterwards (say, pseudonymising ``actor.id``) keeps it
    true; adding floats or such keys does not: encode ``dict(event)`` then.
    """

    __slots__ = ("exact",)
    exact: bool


class _TreeError(Exception):
    """A bad value deep in a JSON tree; the path is collected while the walk unwinds."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.parts: list[str | int] = []

    def at(self, base: str) -> ValidationError:
        path = base
        for part in reversed(self.parts):
            if isinstance(part, int):
                path += f"[{part}]"
            elif _PLAIN_KEY_RE.fullmatch(part):
                path += f".{part}"
            else:
                path += f"[{json.dumps(part[:64])}]"
        return ValidationError(f"{path}: {self.reason}")


def validate_event(
    raw: object, limits: Limits = DEFAULT_LIMITS, *, check_size: bool = True
) -> dict[str, Any]:
    """Check a producer's event and return a new, normalised copy; raise ``ValidationError``.

    Normalisation: ``time`` becomes UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, ``severity`` defaults to
    ``info``, ``actor.ip`` takes its compressed form, and optional fields sent as null are dropped.
    The canonical encoding must leave ``LEDGER_RESERVE`` bytes of ``limits.max_event_bytes`` for
    the fields the ledger adds. ``check_size=False`` leaves that check to ``prepare_event``
    (given ``limits``), which encodes the event anyway.
    """
    obj = _as_object(raw, "event")
    if not _TOP_FIELDS.issuperset(obj):
        _reject_fields(obj)
    event = _ValidEvent(
        time=_event_time(obj.get("time")),
        action=_action(obj.get("action")),
        outcome=_choice(obj.get("outcome"), "outcome", _OUTCOME_ORDER),
        severity=_choice(obj.get("severity"), "severity", _SEVERITY_ORDER, default="info"),
        actor=_actor(obj.get("actor"), limits),
    )
    event.exact = False
    if (target := obj.get("target")) is not None:
        event["target"] = _target(target, limits, event)
    if (source := obj.get("source")) is not None:
        event["source"] = _source(source, limits)
    if (request_id := obj.get("request_id")) is not None:
        event["request_id"] = _name(request_id, "request_id", limits)
    if (message := obj.get("message")) is not None:
        event["message"] = _text(message, "message", limits)
    if (details := obj.get("details")) is not None:
        event["details"] = _walk(_as_object(details, "details"), "details", limits, event)
    _check_action_rules(event)
    if check_size:
        _size_within(len(encode(event, fast=not event.exact)), limits)
    return event


def _as_object(value: object, path: str) -> dict[Any, Any]:
    if type(value) is dict:
        return value
    if isinstance(value, Mapping):
        return dict(value)
    raise ValidationError(f"{path}: must be a JSON object, got {_json_type(value)}")


def _reject_fields(obj: dict[Any, Any]) -> None:
    extra = [key for key in obj if key not in _TOP_FIELDS]
    ledger = sorted(str(key) for key in extra if key in LEDGER_FIELDS)
    if ledger:
        raise ValidationError(f"{', '.join(ledger)}: added by the ledger, not sent by producers")
    names = sorted(repr(key) if type(key) is not str else key for key in extra)
    raise ValidationError(f"unknown top-level field(s): {', '.join(names)}")


def _event_time(value: object) -> str:
    if type(value) is not str:
        what = "required" if value is None else f"must be a string, got {_json_type(value)}"
        raise ValidationError(f"time: {what}")
    match = _UTC_TIME_RE.fullmatch(value) if len(value) <= _MAX_TIME_TEXT else None
    if match is None:
        return _format_utc(parse_time(value, "time"))
    whole, fraction = match.groups()  # already UTC: check the fields, then only pad or trim
    try:
        datetime.fromisoformat(whole)
    except ValueError as error:
        raise ValidationError(f"time: {error}, got {_show(value)}") from None
    if len(value) == 27 and value[-1] == "Z":
        return value
    return f"{whole}.{(fraction or '')[:6]:0<6}Z"


def _action(value: object) -> str:
    if value is None:
        raise ValidationError("action: required")
    if type(value) is not str or len(value) > _MAX_ACTION or not _ACTION_RE.fullmatch(value):
        raise ValidationError(
            "action: must be category.verb in lower snake case (e.g. image.pull), "
            f"at most {_MAX_ACTION} characters, got {_show(value)}"
        )
    return value


def _choice(value: object, path: str, allowed: tuple[str, ...], default: str = "") -> str:
    if isinstance(value, str) and value in allowed:
        return value if type(value) is str else str.__str__(value)  # StrEnum: its value
    if value is None:
        if default:
            return default
        raise ValidationError(f"{path}: required")
    raise ValidationError(f"{path}: must be one of {', '.join(allowed)}, got {_show(value)}")


def _fields(value: object, path: str, allowed: dict[str, None]) -> dict[Any, Any]:
    obj = _as_object(value, path)
    if not obj.keys() <= allowed.keys():
        key = next(key for key in obj if key not in allowed)
        name = key if type(key) is str else repr(key)
        raise ValidationError(f"{path}.{name}: unknown field (allowed: {', '.join(allowed)})")
    return obj


def _actor(value: object, limits: Limits) -> dict[str, str]:
    if value is None:
        raise ValidationError("actor: required")
    obj = _fields(value, "actor", _ACTOR_FIELDS)
    actor = {
        "id": _name(obj.get("id"), "actor.id", limits),
        "type": _choice(obj.get("type"), "actor.type", _ACTOR_TYPE_ORDER),
    }
    if (ip := obj.get("ip")) is not None:
        actor["ip"] = _ip(ip)
    if (user_agent := obj.get("user_agent")) is not None:
        actor["user_agent"] = _name(user_agent, "actor.user_agent", limits, empty_ok=True)
    return actor


def _ip(value: object) -> str:
    if type(value) is str:
        if _IPV4_RE.fullmatch(value):  # the common case, already in normal form
            return value
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
    raise ValidationError(f"actor.ip: must be an IPv4 or IPv6 address, got {_show(value)}")


def _source(value: object, limits: Limits) -> dict[str, str]:
    obj = _fields(value, "source", _SOURCE_FIELDS)
    if _plain_names(obj.values(), limits):
        return dict(obj)
    return {
        key: _name(item, _SOURCE_PATHS[key], limits)
        for key, item in obj.items()
        if item is not None
    }


def _target(value: object, limits: Limits, event: _ValidEvent) -> dict[str, Any]:
    obj = _as_object(value, "target")
    if _TARGET_PLAIN >= obj.keys() >= _TARGET_KEYS and _plain_names(obj.values(), limits):
        return dict(obj)  # the common case: only known name fields, all plain
    target: dict[str, Any] = {
        "type": _name(obj.get("type"), "target.type", limits),
        "id": _name(obj.get("id"), "target.id", limits),
    }
    extra = {}
    for key, item in obj.items():
        if key in _TARGET_NAMES:
            target[key] = None if item is None else _name(item, _TARGET_PATHS[key], limits)
        elif key != "type" and key != "id":
            extra[key] = item
    if extra:
        target.update(_walk(extra, "target", limits, event))
    return target


def _walk(obj: dict[Any, Any], path: str, limits: Limits, event: _ValidEvent) -> dict[str, Any]:
    try:
        return _object_value(obj, 2, limits, event)
    except _TreeError as error:
        raise error.at(path) from None


def _text(value: object, path: str, limits: Limits) -> str:
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(f"{path}: must be a string, got {_json_type(value)}")
        value = str.__str__(value)
    problem = _string_problem(value, limits)
    if problem:
        raise ValidationError(f"{path}: {problem}")
    return value


def _name(value: object, path: str, limits: Limits, *, empty_ok: bool = False) -> str:
    """A short identifier: a string without NUL, non-empty unless ``empty_ok``."""
    if (  # the common case, in one test
        type(value) is str
        and value.isascii()
        and 0 < len(value) <= limits.max_string
        and "\0" not in value
    ):
        return value
    if value is None:
        raise ValidationError(f"{path}: required")
    text = _text(value, path, limits)
    if "\0" in text:
        raise ValidationError(f"{path}: must not contain NUL")
    if not text and not empty_ok:
        raise ValidationError(f"{path}: must not be empty")
    return text


def _plain_names(values: Collection[object], limits: Limits) -> bool:
    """True when every value surely passes ``_name``: one join and a few scans, all in C."""
    try:
        joined = "".join(values)  # type: ignore[arg-type]  # TypeError unless all are str
    except TypeError:
        return False
    return (
        joined.isascii() and len(joined) <= limits.max_string and "\0" not in joined and all(values)
    )


def _string_problem(value: str, limits: Limits) -> str | None:
    if len(value) > limits.max_string:
        return f"string of {len(value)} characters, over the limit of {limits.max_string}"
    if not value.isascii() and (lone := _SURROGATE_RE.search(value)):
        return f"lone surrogate U+{ord(lone.group()):04X} is not valid Unicode"
    return None


def _value(value: Any, depth: int, limits: Limits, event: _ValidEvent) -> Any:
    """Check one JSON value of a free-form tree and return it (containers copied)."""
    kind = type(value)
    if kind is str:
        if len(value) <= limits.max_string and value.isascii():
            return value
        problem = _string_problem(value, limits)
        if problem:
            raise _TreeError(problem)
        return value
    if kind is int:
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return value
        raise _TreeError(f"integer {value} is outside ±(2**53-1) (I-JSON, RFC 7493)")
    if kind is bool or value is None:
        return value
    if kind is dict:
        return _object_value(value, depth + 1, limits, event)
    if kind is list or kind is tuple:
        return _array_value(value, depth + 1, limits, event)
    if kind is float:
        if not math.isfinite(value):
            raise _TreeError(f"{value} is not a JSON number (no NaN or Infinity)")
        event.exact = True
        return value
    return _value(_plain(value), depth, limits, event)


def _plain(value: object) -> object:
    """The built-in JSON type behind a subclass (``StrEnum``, ``IntEnum``, ``OrderedDict`` …)."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    raise _TreeError(f"must be a JSON value, got {_json_type(value)}")


def _object_value(
    obj: dict[Any, Any], depth: int, limits: Limits, event: _ValidEvent
) -> dict[str, Any]:
    if depth > limits.max_depth:
        raise _TreeError(f"nested deeper than {limits.max_depth} levels")
    out: dict[str, Any] = {}
    for key, item in obj.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise _TreeError(f"object keys must be strings, got {_json_type(key)} {key!r}")
            key = str.__str__(key)
        if not key.isascii() or len(key) > limits.max_string:
            if problem := _string_problem(key, limits):
                raise _TreeError(f"object key {json.dumps(key[:64])}: {problem}")
            if ASTRAL_RE.search(key):
                event.exact = True
        try:
            out[key] = _value(item, depth, limits, event)
        except _TreeError as error:
            error.parts.append(key)
            raise
    return out


def _array_value(items: Iterable[Any], depth: int, limits: Limits, event: _ValidEvent) -> list[Any]:
    if depth > limits.max_depth:
        raise _TreeError(f"nested deeper than {limits.max_depth} levels")
    out = []
    for index, item in enumerate(items):
        try:
            out.append(_value(item, depth, limits, event))
        except _TreeError as error:
            error.parts.append(index)
            raise
    return out


def _check_action_rules(event: dict[str, Any]) -> None:
    action = event["action"]
    spec = ACTIONS.get(action)
    if spec is not None and spec.required_target:
        target = event.get("target")
        if target is None:
            need = ", ".join(("type", "id", *spec.required_target))
            raise ValidationError(f"target: required for action {action} (with {need})")
        for field in spec.required_target:
            if target.get(field) in (None, ""):
                raise ValidationError(f"target.{field}: required for action {action}")
    if action == "tag.immutability_change" and "details" in event:
        _check_immutability_details(event["details"])


def _check_immutability_details(details: dict[str, Any]) -> None:
    for key in ("immutable", "previous_immutable"):
        if key in details and type(details[key]) is not bool:
            raise ValidationError(
                f"details.{key}: must be true or false, got {_show(details[key])}"
            )
    trigger = details.get("trigger")
    if trigger is not None and trigger not in _TRIGGERS:
        raise ValidationError(
            f"details.trigger: must be one of {', '.join(_TRIGGERS)}, got {_show(trigger)}"
        )


def _size_within(size: int, limits: Limits) -> None:
    """Refuse an event whose canonical encoding takes ``size`` bytes, over the limit."""
    budget = limits.max_event_bytes - LEDGER_RESERVE
    if size > budget:
        raise ValidationError(
            f"event: canonical encoding is {size} bytes, over the limit of {budget} "
            f"({limits.max_event_bytes} less {LEDGER_RESERVE} kept for the ledger's fields)"
        )


_JSON_TYPES = {
    dict: "object", list: "array", str: "string", int: "number", float: "number",
    bool: "boolean", type(None): "null",
}  # fmt: skip


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value)) or type(value).__name__


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------------------------------------
# Time

_CANONICAL_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_UTC_TIME_RE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?(?:Z|[+-]00:00)",
    re.ASCII,
)
_RFC3339_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])",
    re.ASCII,
)
_MAX_TIME_TEXT = 64


def parse_time(text: str, field: str = "time") -> datetime:
    """Parse a strict RFC 3339 timestamp into an aware UTC datetime; ``field`` names it in errors.

    ``T``/``Z`` may be lower case; ``-00:00`` counts as UTC; fractions beyond microseconds are
    truncated; a timestamp without an offset, or a leap second, is rejected.
    """
    if type(text) is not str or len(text) > _MAX_TIME_TEXT or not _RFC3339_RE.fullmatch(text):
        raise ValidationError(f"{field}: {_time_problem(text)}, got {_show(text)}")
    try:
        return datetime.fromisoformat(text.upper()).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValidationError(f"{field}: {error}, got {_show(text)}") from None


def _time_problem(text: object) -> str:
    if type(text) is str and _RFC3339_RE.fullmatch(text + "Z"):
        return "needs a UTC offset ('Z' or ±HH:MM)"
    return "must be an RFC 3339 timestamp (e.g. 2025-01-20T14:32:18.123456Z)"


def format_time(dt: datetime) -> str:
    """``dt`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; a naive datetime is rejected."""
    if dt.tzinfo is UTC:  # the system clock's: already UTC
        return _format_utc(dt)
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValidationError("time: a naive datetime has no UTC offset")
    return _format_utc(dt.astimezone(UTC))


def _format_utc(utc: datetime) -> str:
    return utc.isoformat(timespec="microseconds")[:26] + "Z"  # cut the "+00:00"


# ---------------------------------------------------------------------------------------------
# Canonical encoding


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 (JCS) canonical JSON of ``value``; ``ValidationError`` if it has none.

    orjson writes it when ``fast_path_safe`` holds; ``rfc8785`` writes the rest.
    """
    return encode(value, fast=_fast_path_ok(value))


def _fast_path_ok(value: Any) -> bool:
    if type(value) is _ValidEvent:  # validation has looked already
        return not value.exact
    return fast_path_safe(value)


# ---------------------------------------------------------------------------------------------
# Sealing

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_SEQ_KEY = b'"seq":'
_MAX_SEQ_DIGITS = len(str(MAX_SAFE_INT))


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """A validated event encoded up to its ``seq``: ``head`` + ``"seq":<n>`` + ``tail``.

    ``head`` is the canonical JSON of the record's keys that sort before ``seq`` (``id`` and
    ``received_at`` among them) ending with a comma; ``tail`` the keys after it, from the comma on.
    ``text`` is the record's message and flattened details as the store's text index takes them
    from the leaf (``sealtrail.store.filters.searchable``), when known without parsing it.
    """

    event: dict[str, Any]
    id: str
    received_at: str
    head: bytes
    tail: bytes
    text: tuple[str, str] | None = None

    def leaf(self, seq: int) -> bytes:
        """The exact canonical bytes of ``record(seq)``, without re-encoding it."""
        if type(seq) is not int or not 0 <= seq <= MAX_SAFE_INT:
            raise ValidationError(f"seq: must be an integer in 0..2**53-1, got {_show(seq)}")
        return b"%s%s%d%s" % (self.head, _SEQ_KEY, seq, self.tail)

    def record(self, seq: int) -> dict[str, Any]:
        """The whole sealed record as a dict."""
        return {**self.event, "id": self.id, "received_at": self.received_at, "seq": seq}


def prepare_event(
    event: dict[str, Any],
    *,
    id: str,
    received_at: str,
    trusted: bool = False,
    text: bool = True,
    limits: Limits | None = None,
) -> PreparedEvent:
    """Pre-encode a validated event with the ledger's ``id`` (UUIDv7) and ``received_at``.

    An event straight from ``validate_event`` brings what validation learned about its encoding
    (see ``_ValidEvent``); any other dict is examined again. ``trusted``: ``id`` and
    ``received_at`` come from ``uuid7`` and ``format_time`` (the ledger's own), so their form
    is not checked again. ``text``: work out ``PreparedEvent.text`` (a store that indexes the
    leaves itself does not need it). ``limits``: check the event's size against them, as
    ``validate_event`` does, for an event validated with ``check_size=False``.

    Raises ``ValidationError`` when the event carries ledger fields, ``id`` or ``received_at`` are
    malformed, or the sealed record could exceed 65535 bytes, the tlog-tiles entry limit.
    """
    if trusted:
        _check_no_ledger_fields(event)
    else:
        _check_ledger_values(event, id, received_at)
    # id and received_at are ASCII, so only the event decides between orjson and the exact encoder.
    fast = _fast_path_ok(event)
    before: dict[str, Any] = {"id": id, "received_at": received_at}
    after: dict[str, Any] = {}
    for key, value in event.items():
        # Against the ASCII "seq", UTF-16 and code point order agree, so < is JCS order here.
        (before if key < "seq" else after)[key] = value
    head = encode(before, fast=fast)[:-1] + b","
    tail = b"," + encode(after, fast=fast)[1:] if after else b"}"
    size = len(head) + len(_SEQ_KEY) + _MAX_SEQ_DIGITS + len(tail)
    if size > _TILE_ENTRY_MAX:
        raise ValidationError(f"event: sealed record could reach {size} bytes, over 65535")
    if limits is not None:
        _size_within(_event_size(head, tail, id, received_at), limits)
    searchable = _searchable_text(event) if fast and text else None
    return PreparedEvent(event, id, received_at, head, tail, searchable)


def _event_size(head: bytes, tail: bytes, id: str, received_at: str) -> int:
    """The length of the event's own canonical JSON, from its record's ``head`` and ``tail``.

    For a validated event, whose members sort on both sides of ``seq`` (``action`` before it,
    ``time`` after): the event is ``{B,A}``, the head ``{B',`` with ``"id":"…"`` and
    ``"received_at":"…"`` and their two commas among B, the tail ``,A}``. So the head and tail
    hold the event's bytes, those two members (23 bytes besides the values), their commas, and
    one brace and one comma more: 26 bytes and the two values.
    """
    return len(head) + len(tail) - len(id) - len(received_at) - 26


def _searchable_text(event: Mapping[str, Any]) -> tuple[str, str]:
    """What ``searchable`` finds in the leaf of an event that orjson encodes exactly: the same
    values, which parse back as they are, with every object's keys in sorted order."""
    message, details = event.get("message"), event.get("details")
    return (
        message if isinstance(message, str) else "",
        flatten_details(details, sort_keys=True) if isinstance(details, dict) else "",
    )


def flatten_details(details: dict[str, Any], *, sort_keys: bool = False) -> str:
    """``{"a": {"b": [1, "x"]}}`` as ``a.b: 1`` and ``a.b: x`` lines, in document order (keys
    sorted with ``sort_keys``): how free-text search sees an event's details."""
    lines: list[str] = []
    stack: list[tuple[str, Any]] = [("", details)]
    while stack:  # a loop, not recursion: a damaged record may nest deeper than Python recurses
        path, value = stack.pop()
        if isinstance(value, dict):
            pairs = sorted(value.items()) if sort_keys else value.items()
            items = [(f"{path}.{key}" if path else str(key), item) for key, item in pairs]
            stack.extend(reversed(items))
        elif isinstance(value, list | tuple):
            stack.extend((path, item) for item in reversed(value))
        else:
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            lines.append(f"{path}: {text}")
    return "\n".join(lines)


def _check_no_ledger_fields(event: Mapping[str, Any]) -> None:
    clash = [key for key in LEDGER_FIELDS if key in event]
    if clash:
        raise ValidationError(f"{', '.join(clash)}: added by the ledger, not sent by producers")


def _check_ledger_values(event: Mapping[str, Any], id: str, received_at: str) -> None:
    _check_no_ledger_fields(event)
    if type(id) is not str or not _UUID_RE.fullmatch(id):
        raise ValidationError(f"id: must be a lower-case UUID, got {_show(id)}")
    if type(received_at) is not str or not _CANONICAL_TIME_RE.fullmatch(received_at):
        raise ValidationError(
            f"received_at: must be YYYY-MM-DDTHH:MM:SS.ffffffZ, got {_show(received_at)}"
        )


# ---------------------------------------------------------------------------------------------
# Indexing


class IndexedFields(NamedTuple):
    """The columns a store indexes for search, taken from one validated event (a named tuple:
    made once per appended event, and a tuple is built several times faster than a dataclass)."""

    time: str
    action: str
    category: str
    outcome: str
    severity: str
    actor_id: str
    actor_type: str
    target_type: str | None
    target_id: str | None
    repository: str | None
    digest: str | None


def indexed_fields(event: Mapping[str, Any]) -> IndexedFields:
    """The indexed columns of a validated event (or a stored record)."""
    actor = event["actor"]
    target = event.get("target") or {}
    action: str = event["action"]
    return IndexedFields(  # by position: keywords cost a third of the time here
        event["time"],
        action,
        action.partition(".")[0],
        event["outcome"],
        event.get("severity", "info"),
        actor["id"],
        actor["type"],
        target.get("type"),
        target.get("id"),
        _str_or_none(target.get("repository")),
        _str_or_none(target.get("digest")),
    )


_ACTION_HEAD = b'{"action":"'


def leaf_action(leaf: bytes) -> str:
    """The action of a sealed record, read from its leaf without decoding it: canonical JSON
    sorts keys, and ``action`` sorts before every other field a record can hold. "" for a
    damaged leaf."""
    if leaf.startswith(_ACTION_HEAD):
        end = leaf.find(b'"', len(_ACTION_HEAD))
        if end > 0:
            return leaf[len(_ACTION_HEAD) : end].decode("ascii", "replace")
    try:
        action = orjson.loads(leaf).get("action")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return action if isinstance(action, str) else ""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
