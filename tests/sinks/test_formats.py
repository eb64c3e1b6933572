"""Field mappings and injection-safe escaping of the export formats."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pytest

from sealtrail.errors import ValidationError
from sealtrail.events import canonical_json
from sealtrail.sinks.config import parse_forwarders
from sealtrail.sinks.formats import (
    CSV_COLUMNS,
    FORMATS,
    cef_escape_extension,
    cef_escape_header,
    cef_line,
    csv_cell,
    ecs_document,
    hec_event,
    parse_cef,
)
from sealtrail.sinks.transports import journald_fields, octet_frame, syslog_message
from tests.sinks.conftest import sample_event


def leaf(i: int = 0) -> bytes:
    record = {**sample_event(i), "id": "01a20874-e17a-725e-a0b2-fb2a9d7f58c5",
              "received_at": "2026-01-05T00:00:00.000000Z", "seq": i}  # fmt: skip
    return canonical_json(record)


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_csv_cells_that_start_a_formula_are_defused(value: str) -> None:
    assert csv_cell(value).startswith("'")


def test_csv_cells_stay_on_one_line() -> None:
    assert csv_cell("a\r\nb\\c") == "a\\r\\nb\\\\c"


def test_csv_has_a_stable_header_and_one_line_per_record() -> None:
    line = FORMATS["csv"].render(leaf())
    assert "\n" not in line
    assert "\r" not in line
    assert FORMATS["csv"].header == ",".join(CSV_COLUMNS)
    (row,) = csv.reader(io.StringIO(line))
    assert dict(zip(CSV_COLUMNS, row, strict=True))["user_agent"] == "'=cmd|x"
    assert row[-1].encode() == leaf()


def test_cef_header_escapes_pipes_and_backslashes_and_drops_newlines() -> None:
    assert cef_escape_header("a|b\\c\nd") == "a\\|b\\\\c d"


def test_cef_extension_escapes_equals_backslash_and_newlines() -> None:
    assert cef_escape_extension("a=b\\c\r\nd") == "a\\=b\\\\c\\r\\nd"


def test_cef_line_maps_fields_and_parses_back() -> None:
    line = cef_line(leaf(1))
    assert "\n" not in line
    header, extension = parse_cef(line)
    assert header[:6] == ["0", "sealtrail", "sealtrail", "0.1.0", "image.pull",
                          "event 1: =1+1 | a\\b=c  next line\u2028"]  # fmt: skip
    assert header[6] == "3"
    assert extension["act"] == "image.pull"
    assert extension["suser"] == "user1"
    assert extension["src"] == "10.0.0.1"
    assert extension["requestClientApplication"] == "=cmd|x"
    assert extension["msg"] == "event 1: =1+1 | a\\b=c\r\nnext line\u2028"
    assert extension["cs6"].encode() == leaf(1)


def test_ecs_document_uses_the_ecs_field_names() -> None:
    doc = ecs_document(leaf(1))
    assert doc["@timestamp"] == "2026-01-02T10:00:01Z"
    assert doc["event"]["action"] == "image.pull"
    assert doc["event"]["outcome"] == "success"
    assert doc["event"]["category"] == ["package"]
    assert doc["user"] == {"id": "user1", "name": "user1"}
    assert doc["source"]["ip"] == "10.0.0.1"
    assert doc["user_agent"]["original"] == "=cmd|x"
    assert doc["container"]["image"] == {"name": "registry.example/team/app", "tag": ["v1"]}
    assert doc["event"]["original"].encode() == leaf(1)


def test_ecs_outcome_of_a_denial_is_failure() -> None:
    assert ecs_document(leaf(0))["event"]["outcome"] == "failure"
    assert ecs_document(leaf(0))["event"]["category"] == ["authentication"]


def test_hec_envelope_has_epoch_time_and_the_record() -> None:
    event = orjson.loads(orjson.dumps(hec_event(leaf(2))))
    assert event["time"] == datetime(2026, 1, 3, 10, 0, 2, tzinfo=UTC).timestamp()
    assert event["sourcetype"] == "sealtrail:audit"
    assert canonical_json(event["event"]) == leaf(2)


def test_syslog_message_is_rfc5424_with_the_record() -> None:
    message = syslog_message(leaf(6), facility=13, hostname="h")
    head = message.split(b"\xef\xbb\xbf")[0].decode()
    assert head == ('<110>1 2026-01-01T10:00:06Z ci-host sealtrail - auth.login '
                    '[sealtrail@32473 seq="6" id="01a20874-e17a-725e-a0b2-fb2a9d7f58c5" '
                    'outcome="success"] ')  # fmt: skip
    assert message.endswith(leaf(6))
    assert octet_frame(b"abc") == b"3 abc"


def test_journald_fields_use_the_binary_form_for_multiline_values() -> None:
    data = journald_fields(leaf(1))
    assert b"SEALTRAIL_SEQ=1\n" in data
    assert b"MESSAGE\n" in data  # the message holds a newline: length-prefixed
    assert b"SYSLOG_IDENTIFIER=sealtrail\n" in data


def test_forwarder_config_is_parsed_with_clear_errors() -> None:
    (config,) = parse_forwarders({"siem": {"kind": "syslog", "port": "6514", "batch": 10}})
    assert (config.name, config.port, config.batch, config.transport) == ("siem", 6514, 10, "tcp")
    with pytest.raises(ValidationError, match=r"forwarders\.siem: unknown key\(s\): colour"):
        parse_forwarders({"siem": {"kind": "syslog", "port": 1, "colour": "red"}})
    with pytest.raises(ValidationError, match=r"forwarders\.hec\.token: required"):
        parse_forwarders({"hec": {"kind": "splunk-hec", "url": "http://x"}})
    with pytest.raises(ValidationError, match=r"forwarders\.s\.port: 'x' is not a int"):
        parse_forwarders({"s": {"kind": "syslog", "port": "x"}})
    with pytest.raises(ValidationError, match=r"forwarders\.s\.kind: 'kafka'"):
        parse_forwarders({"s": {"kind": "kafka"}})
