"""Export formats: one sealed record becomes one line, and the line gives the record back.

Every format carries the record's exact leaf bytes (RFC 8785 canonical JSON), so an export in any
format can be verified offline: ``leaf_of(line)`` recovers the leaf, whose hash the verification
bundle proves, and ``render(leaf)`` must give the line back, so a changed display field is caught
as surely as a changed leaf.

    jsonl       the leaf itself, one per line
    csv         a stable header (``CSV_COLUMNS``); the last column ``record`` is the leaf
    cef         ArcSight CEF:0; extension ``cs6`` (label ``sealtrailRecord``) is the leaf
    ecs         an Elastic Common Schema document; ``event.original`` is the leaf
    splunk-hec  a Splunk HEC event envelope; ``event`` is the record, canonical JSON again

Escaping, so an export cannot inject into the tool that reads it: CSV cells that a spreadsheet
would run as a formula (starting ``= + - @``, tab or CR) get a leading ``'``, and backslash, CR
and LF in cells are written ``\\\\``, ``\\r``, ``\\n`` (a record is one line); CEF header fields
escape ``\\`` and ``|`` and lose CR/LF to spaces, extension values escape ``\\``, ``=``, CR and
LF; JSON formats are JSON.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from sealtrail.errors import ValidationError
from sealtrail.events import canonical_json

__all__ = [
    "CEF_SEVERITY",
    "CSV_COLUMNS",
    "FORMATS",
    "ExportFormat",
    "cef_escape_extension",
    "cef_escape_header",
    "cef_line",
    "csv_cell",
    "ecs_document",
    "export_format",
    "hec_event",
    "parse_cef",
]

VENDOR, PRODUCT, VERSION = "sealtrail", "sealtrail", "0.1.0"
CEF_RECORD_KEY = "cs6"
CEF_SEVERITY = {"info": 3, "warning": 6, "error": 8, "critical": 10}
ECS_VERSION = "8.11.0"
CSV_COLUMNS = (
    "seq", "id", "time", "received_at", "action", "category", "outcome", "severity",
    "actor_id", "actor_type", "actor_ip", "user_agent", "target_type", "target_id",
    "repository", "tag", "digest", "source_service", "source_host", "request_id", "message",
    "record",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ECS_CATEGORY = {
    "auth": ["authentication"],
    "image": ["package"],
    "tag": ["package"],
    "package": ["package"],
    "policy": ["configuration"],
    "config": ["configuration"],
    "vcs": ["file"],
    "http": ["web"],
    "dockerfile": ["configuration"],
    "alert": ["intrusion_detection"],
    "audit": ["database"],
}
_ECS_TYPE = {  # by verb; ECS event.type allowed values
    "create": "creation", "push": "creation", "key_created": "creation", "commit": "change",
    "delete": "deletion", "key_revoked": "deletion", "move": "change", "update": "change",
    "change": "change", "immutability_change": "change", "file_change": "change",
    "merge": "change", "login": "start", "logout": "end", "denied": "denied",
    "login_failed": "start", "pull": "access", "download": "access", "clone": "access",
    "fetch": "access", "key_used": "access", "export": "access",
}  # fmt: skip


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its file suffix, header line, and the render / leaf_of pair."""

    name: str
    suffix: str
    header: str | None
    render: Callable[[bytes], str]
    leaf_of: Callable[[str], bytes]
    same: Callable[[str, str], bool]  # whether a line equals the rendering of its leaf


def export_format(name: str) -> ExportFormat:
    """The format called ``name``; a ``ValidationError`` names the choices otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValidationError(f"format: {name!r} is not one of {', '.join(FORMATS)}") from None


def _record(leaf: bytes) -> dict[str, Any]:
    value = orjson.loads(leaf)
    if not isinstance(value, dict):
        raise ValidationError("record: not a JSON object")
    return value


def _epoch(time: str) -> float:
    return datetime.fromisoformat(time.replace("Z", "+00:00")).timestamp()


# --- jsonl -----------------------------------------------------------------------------------


def _jsonl_leaf(line: str) -> bytes:
    return line.encode()


# --- csv -------------------------------------------------------------------------------------


def csv_cell(value: object) -> str:
    """A CSV cell that no spreadsheet runs as a formula, on one line."""
    raw = "" if value is None else str(value)
    text = raw.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
    return "'" + text if raw.startswith(_FORMULA_START) else text


def _csv_values(leaf: bytes) -> list[str]:
    r = _record(leaf)
    actor, target, source = r.get("actor") or {}, r.get("target") or {}, r.get("source") or {}
    values = [
        r.get("seq"), r.get("id"), r.get("time"), r.get("received_at"), r.get("action"),
        str(r.get("action", "")).partition(".")[0], r.get("outcome"), r.get("severity", "info"),
        actor.get("id"), actor.get("type"), actor.get("ip"), actor.get("user_agent"),
        target.get("type"), target.get("id"), target.get("repository"), target.get("tag"),
        target.get("digest"), source.get("service"), source.get("host"), r.get("request_id"),
        r.get("message"),
    ]  # fmt: skip
    return [*map(csv_cell, values), leaf.decode()]


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _csv_parse(line: str) -> list[str]:
    rows = list(csv.reader([line]))
    if len(rows) != 1 or len(rows[0]) != len(CSV_COLUMNS):
        raise ValidationError(f"csv: a row has {len(CSV_COLUMNS)} cells")
    return rows[0]


def _csv_leaf(line: str) -> bytes:
    return _csv_parse(line)[-1].encode()


def _csv_same(line: str, rendered: str) -> bool:
    return _csv_parse(line) == _csv_parse(rendered)


# --- cef -------------------------------------------------------------------------------------


def cef_escape_header(value: object) -> str:
    """A CEF header field: ``\\`` and ``|`` escaped, CR and LF (not allowed there) as spaces."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r", " ").replace("\n", " ")


def cef_escape_extension(value: object) -> str:
    """A CEF extension value: ``\\``, ``=``, CR and LF escaped (``\\\\ \\= \\r \\n``)."""
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r", "\\r").replace("\n", "\\n")


def cef_line(leaf: bytes) -> str:
    """``CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension`` for one record."""
    r = _record(leaf)
    header = [
        VENDOR, PRODUCT, VERSION, r["action"], r.get("message") or r["action"],
        CEF_SEVERITY.get(r.get("severity", "info"), 3),
    ]  # fmt: skip
    head = "CEF:0|" + "|".join(cef_escape_header(v) for v in header)
    extension = _cef_extension(r)
    present = {k for k, v in extension if v not in (None, "")}
    pairs = [(k, v) for k, v in extension if k in present and k.removesuffix("Label") in present]
    pairs.append((CEF_RECORD_KEY + "Label", "sealtrailRecord"))
    pairs.append((CEF_RECORD_KEY, leaf.decode()))
    return head + "|" + " ".join(f"{k}={cef_escape_extension(v)}" for k, v in pairs)


def _cef_extension(r: Mapping[str, Any]) -> list[tuple[str, Any]]:
    actor, target, source = r.get("actor") or {}, r.get("target") or {}, r.get("source") or {}
    return [
        ("rt", round(_epoch(r["time"]) * 1000)),
        ("externalId", r.get("id")),
        ("cn1Label", "seq"),
        ("cn1", r.get("seq")),
        ("act", r.get("action")),
        ("cat", str(r.get("action", "")).partition(".")[0]),
        ("outcome", r.get("outcome")),
        ("suser", actor.get("id")),
        ("src", actor.get("ip")),
        ("requestClientApplication", actor.get("user_agent")),
        ("cs1Label", "targetType"),
        ("cs1", target.get("type")),
        ("cs2Label", "targetId"),
        ("cs2", target.get("id")),
        ("cs3Label", "repository"),
        ("cs3", target.get("repository")),
        ("cs4Label", "digest"),
        ("cs4", target.get("digest")),
        ("cs5Label", "requestId"),
        ("cs5", r.get("request_id")),
        ("dvchost", source.get("host")),
        ("msg", r.get("message")),
    ]


def parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """The seven header fields (unescaped) and the extension pairs (unescaped) of a CEF line."""
    if not line.startswith("CEF:"):
        raise ValidationError("cef: a line starts with CEF:")
    fields, rest = _split_header(line[4:])
    return fields, _parse_extension(rest)


def _split_header(text: str) -> tuple[list[str], str]:
    fields: list[str] = []
    current: list[str] = []
    i = 0
    while len(fields) < 7:
        if i >= len(text):
            raise ValidationError("cef: fewer than 8 |-separated header fields")
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if char == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    return fields, text[i:]


_UNESCAPE = {"\\": "\\", "=": "=", "n": "\n", "r": "\r"}


def _parse_extension(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    key, value, i = None, [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            value.append(_UNESCAPE.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
            continue
        if char == "=":
            head, _, new_key = "".join(value).rpartition(" ")
            if key is not None:
                pairs[key] = head
            key, value = new_key, []
        else:
            value.append(char)
        i += 1
    if key is not None:
        pairs[key] = "".join(value)
    return pairs


def _cef_leaf(line: str) -> bytes:
    record = parse_cef(line)[1].get(CEF_RECORD_KEY)
    if record is None:
        raise ValidationError(f"cef: the line has no {CEF_RECORD_KEY} (the sealed record)")
    return record.encode()


# --- ecs -------------------------------------------------------------------------------------


def ecs_document(leaf: bytes) -> dict[str, Any]:
    """The record as an Elastic Common Schema document; ``event.original`` is the leaf."""
    r = _record(leaf)
    actor, target, source = r.get("actor") or {}, r.get("target") or {}, r.get("source") or {}
    category, _, verb = str(r["action"]).partition(".")
    outcome = {"success": "success", "unknown": "unknown"}.get(r["outcome"], "failure")
    doc: dict[str, Any] = {
        "@timestamp": r["time"],
        "ecs": {"version": ECS_VERSION},
        "message": r.get("message"),
        "event": {
            "kind": "event",
            "action": r["action"],
            "outcome": outcome,
            "category": _ECS_CATEGORY.get(category, ["api"]),
            "type": [_ECS_TYPE.get(verb, "info")],
            "severity": CEF_SEVERITY.get(r.get("severity", "info"), 3),
            "id": r.get("id"),
            "sequence": r.get("seq"),
            "created": r.get("received_at"),
            "dataset": "sealtrail.audit",
            "original": leaf.decode(),
        },
        "user": {"id": actor.get("id"), "name": actor.get("id")},
        "source": {"ip": actor.get("ip")},
        "user_agent": {"original": actor.get("user_agent")},
        "service": {"name": source.get("service"), "version": source.get("version")},
        "host": {"hostname": source.get("host")},
        "http": {"request": {"id": r.get("request_id")}},
        "sealtrail": {"outcome": r["outcome"], "target": target or None},
    }
    if category in ("image", "tag") and target.get("repository"):
        doc["container"] = {"image": _ecs_image(target)}
    return _prune(doc)


def _ecs_image(target: Mapping[str, Any]) -> dict[str, Any]:
    registry, repository = target.get("registry"), target["repository"]
    image: dict[str, Any] = {"name": f"{registry}/{repository}" if registry else repository}
    if target.get("tag"):
        image["tag"] = [target["tag"]]
    if target.get("digest"):
        image["hash"] = {"all": [target["digest"]]}
    return image


def _prune(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values and tables left empty, as ECS producers do."""
    pruned = {}
    for key, value in doc.items():
        if isinstance(value, dict) and key != "target":
            value = _prune(value)
        if value not in (None, {}, ""):
            pruned[key] = value
    return pruned


def _ecs_line(leaf: bytes) -> str:
    return orjson.dumps(ecs_document(leaf)).decode()


def _ecs_leaf(line: str) -> bytes:
    original = _json_object(line, "ecs").get("event", {}).get("original")
    if not isinstance(original, str):
        raise ValidationError("ecs: the document has no event.original (the sealed record)")
    return original.encode()


# --- splunk-hec ------------------------------------------------------------------------------


def hec_event(leaf: bytes, host: str | None = None) -> dict[str, Any]:
    """A Splunk HEC ``/services/collector/event`` envelope: epoch ``time`` and the record."""
    r = _record(leaf)
    envelope: dict[str, Any] = {
        "time": round(_epoch(r["time"]), 6),
        "host": host or (r.get("source") or {}).get("host") or "sealtrail",
        "source": "sealtrail",
        "sourcetype": "sealtrail:audit",
        "event": orjson.Fragment(leaf),
    }
    return envelope


def _hec_line(leaf: bytes) -> str:
    return orjson.dumps(hec_event(leaf)).decode()


def _hec_leaf(line: str) -> bytes:
    event = _json_object(line, "splunk-hec").get("event")
    if not isinstance(event, dict):
        raise ValidationError("splunk-hec: the envelope has no event object")
    return canonical_json(event)


def _json_object(line: str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ValidationError(f"{what}: a line is not JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValidationError(f"{what}: a line is not a JSON object")
    return value


def _json_same(line: str, rendered: str) -> bool:
    return bool(orjson.loads(line) == orjson.loads(rendered))


def _exact(line: str, rendered: str) -> bool:
    return line == rendered


FORMATS: Mapping[str, ExportFormat] = {
    "jsonl": ExportFormat("jsonl", ".jsonl", None, bytes.decode, _jsonl_leaf, _exact),
    "csv": ExportFormat(
        "csv", ".csv", _csv_line(list(CSV_COLUMNS)), lambda leaf: _csv_line(_csv_values(leaf)),
        _csv_leaf, _csv_same,
    ),
    "cef": ExportFormat("cef", ".cef", None, cef_line, _cef_leaf, _exact),
    "ecs": ExportFormat("ecs", ".ecs.jsonl", None, _ecs_line, _ecs_leaf, _json_same),
    "splunk-hec": ExportFormat("splunk-hec", ".hec.jsonl", None, _hec_line, _hec_leaf, _json_same),
}  # fmt: skip
