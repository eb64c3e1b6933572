"""Where forwarded records go: one ``Transport`` per kind, each sending one batch or raising.

A transport's ``send(batch)`` returns only when the receiver has the whole batch, as far as its
protocol can tell, and raises ``DeliveryFailed`` otherwise; the forwarder then sends the same
batch again (at-least-once). What "has it" means per kind:

- syslog over TCP (RFC 6587 octet counting) and TLS (RFC 5425): the batch goes over a fresh
  connection that is then half-closed; the batch counts as delivered when the server, having read
  to the end, closes its side. A server that stops with our data unread resets the connection
  instead, and the batch is sent again. (Syslog has no acknowledgements; RELP would.)
- syslog over UDP: handed to the kernel. UDP cannot tell whether anything arrived: use TCP or TLS
  where loss matters.
- Splunk HEC: HTTP 200 with ``{"code": 0}``.
- Elasticsearch/OpenSearch ``_bulk``: HTTP 200 and no item with an error; each document's ``_id``
  is the record's id, so a batch sent twice is indexed once.
- webhook: any 2xx.
- journald: each record handed to journald's socket (a local datagram socket does not drop).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import ssl
import struct
from collections.abc import Sequence
from typing import Any, Protocol

import httpx
import orjson

from sealtrail.errors import StoreUnavailable
from sealtrail.sinks.config import ForwarderConfig
from sealtrail.sinks.formats import ecs_document, hec_event

__all__ = [
    "DeliveryFailed",
    "Transport",
    "journald_fields",
    "make_transport",
    "octet_frame",
    "syslog_message",
]

Batch = Sequence[tuple[int, bytes]]  # (seq, leaf), in seq order
SD_ID = "sealtrail@32473"  # 32473: the enterprise number RFC 5612 reserves for documentation
_SYSLOG_SEVERITY = {"info": 6, "warning": 4, "error": 3, "critical": 2}
_BOM = b"\xef\xbb\xbf"


class DeliveryFailed(StoreUnavailable):
    """The receiver did not take the batch; sending it again may succeed."""


class Transport(Protocol):
    def send(self, batch: Batch) -> None: ...

    def close(self) -> None: ...


# --- syslog ----------------------------------------------------------------------------------


def syslog_message(leaf: bytes, facility: int = 13, hostname: str = "-") -> bytes:
    """The RFC 5424 message of one record: MSGID the action, SD its seq and id, MSG the leaf."""
    record = orjson.loads(leaf)
    pri = facility * 8 + _SYSLOG_SEVERITY.get(record.get("severity", "info"), 6)
    host = _header_field((record.get("source") or {}).get("host") or hostname, 255)
    sd = (
        f'[{SD_ID} seq="{record["seq"]}" id="{_sd_value(record["id"])}" '
        f'outcome="{_sd_value(record["outcome"])}"]'
    )
    head = f"<{pri}>1 {record['time']} {host} sealtrail - {_header_field(record['action'], 32)} "
    return (head + sd + " ").encode() + _BOM + leaf


def _header_field(value: str, limit: int) -> str:
    """An RFC 5424 header field: printable US-ASCII without spaces, or ``-``."""
    text = "".join(c for c in value if 33 <= ord(c) <= 126)[:limit]
    return text or "-"


def _sd_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def octet_frame(message: bytes) -> bytes:
    """RFC 6587 octet counting: ``MSG-LEN SP SYSLOG-MSG``."""
    return b"%d %s" % (len(message), message)


class SyslogStream:
    """Syslog over TCP or TLS, one connection per batch, confirmed by the server's close."""

    def __init__(self, config: ForwarderConfig) -> None:
        self.config = config
        self.hostname = socket.gethostname() or "-"
        self.tls = _tls_context(config) if config.transport == "tls" else None

    def send(self, batch: Batch) -> None:
        frames = b"".join(
            octet_frame(syslog_message(leaf, self.config.facility, self.hostname))
            for _, leaf in batch
        )
        try:
            with self._connect() as conn:
                conn.sendall(frames)
                _finish(conn)
        except (OSError, ssl.SSLError) as error:
            raise DeliveryFailed(f"syslog {self._where()}: {error}") from None

    def _connect(self) -> socket.socket:
        raw = socket.create_connection(
            (self.config.host, self.config.port), timeout=self.config.timeout
        )
        if self.tls is None:
            return raw
        name = self.config.server_name or self.config.host
        return self.tls.wrap_socket(raw, server_hostname=name)

    def _where(self) -> str:
        return f"{self.config.transport}://{self.config.host}:{self.config.port}"

    def close(self) -> None:
        pass


def _finish(conn: socket.socket) -> None:
    """Half-close, then wait for the server to close after reading everything we sent."""
    if isinstance(conn, ssl.SSLSocket):
        try:
            conn = conn.unwrap()  # close_notify, then the server's close_notify or its FIN
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(4096):
        pass


def _tls_context(config: ForwarderConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=config.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class SyslogDatagram:
    """Syslog over UDP, one record per datagram (RFC 5426)."""

    def __init__(self, config: ForwarderConfig) -> None:
        self.config = config
        self.hostname = socket.gethostname() or "-"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, batch: Batch) -> None:
        address = (self.config.host, self.config.port)
        try:
            for _, leaf in batch:
                self.sock.sendto(syslog_message(leaf, self.config.facility, self.hostname), address)
        except OSError as error:
            raise DeliveryFailed(f"syslog udp://{address[0]}:{address[1]}: {error}") from None

    def close(self) -> None:
        self.sock.close()


# --- HTTP ------------------------------------------------------------------------------------


class _Http:
    def __init__(self, config: ForwarderConfig) -> None:
        self.config = config
        verify: Any = ssl.create_default_context(cafile=config.ca_file) if config.ca_file else True
        self.client = httpx.Client(timeout=config.timeout, verify=verify)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{self.config.kind} {url}: {error}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(
                f"{self.config.kind} {url}: HTTP {response.status_code} {response.text[:200]}"
            )
        return response

    def send(self, batch: Batch) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.client.close()


class SplunkHec(_Http):
    """Splunk HTTP Event Collector: one POST of concatenated event envelopes per batch."""

    def send(self, batch: Batch) -> None:
        url = self.config.url.rstrip("/")
        if not url.endswith("/services/collector/event"):
            url += "/services/collector/event"
        body = b"\n".join(orjson.dumps(hec_event(leaf)) for _, leaf in batch)
        headers = {"Authorization": f"Splunk {self.config.token}"}
        answer = _json(self.post(url, body, headers))
        if answer.get("code") != 0:
            raise DeliveryFailed(f"splunk-hec {url}: {answer}")


class Elasticsearch(_Http):
    """Elasticsearch/OpenSearch ``_bulk`` of ECS documents, ``_id`` the record id."""

    def send(self, batch: Batch) -> None:
        url = self.config.url.rstrip("/") + "/_bulk"
        lines = []
        for _, leaf in batch:
            document = ecs_document(leaf)
            action = {"index": {"_index": self.config.index, "_id": document["event"]["id"]}}
            lines += [orjson.dumps(action), orjson.dumps(document)]
        headers = {"Content-Type": "application/x-ndjson"}
        if self.config.token:
            headers["Authorization"] = f"ApiKey {self.config.token}"
        answer = _json(self.post(url, b"\n".join(lines) + b"\n", headers))
        failed = [item for item in answer.get("items", []) if _item_error(item)]
        if answer.get("errors") or failed or len(answer.get("items", [])) != len(batch):
            first = _item_error(failed[0]) if failed else answer
            raise DeliveryFailed(f"elasticsearch {url}: {len(failed)} item(s) failed: {first}")


def _item_error(item: Any) -> Any:
    result: Any = next(iter(item.values()), {}) if isinstance(item, dict) else {}
    status = result.get("status", 500) if isinstance(result, dict) else 500
    return None if 200 <= status < 300 else result.get("error", status)


class Webhook(_Http):
    """A JSON POST of the batch, signed: ``X-Sealtrail-Signature: sha256=HMAC(secret, body)``."""

    def send(self, batch: Batch) -> None:
        body = orjson.dumps(
            {"forwarder": self.config.name, "events": [orjson.Fragment(leaf) for _, leaf in batch]}
        )
        signature = hmac.new(self.config.secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Sealtrail-Signature": f"sha256={signature}",
            "X-Sealtrail-Delivery": f"{self.config.name}:{batch[0][0]}-{batch[-1][0]}",
        }
        self.post(self.config.url, body, headers)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        raise DeliveryFailed(f"{response.url}: the answer is not JSON") from None
    return value if isinstance(value, dict) else {}


# --- journald --------------------------------------------------------------------------------


def journald_fields(leaf: bytes) -> bytes:
    """One record in journald's native protocol: ``KEY=value`` lines, or for a value holding a
    newline ``KEY``, newline, its length as 64-bit little endian, the value, newline."""
    record = orjson.loads(leaf)
    fields = {
        "MESSAGE": record.get("message") or record["action"],
        "PRIORITY": str(_SYSLOG_SEVERITY.get(record.get("severity", "info"), 6)),
        "SYSLOG_IDENTIFIER": "sealtrail",
        "SEALTRAIL_SEQ": str(record["seq"]),
        "SEALTRAIL_ACTION": record["action"],
        "SEALTRAIL_OUTCOME": record["outcome"],
        "SEALTRAIL_RECORD": leaf.decode(),
    }
    out = bytearray()
    for key, value in fields.items():
        data = value.encode()
        if b"\n" in data:
            out += key.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += key.encode() + b"=" + data + b"\n"
    return bytes(out)


class Journald:
    """journald's native protocol over its datagram socket, one record per datagram."""

    def __init__(self, config: ForwarderConfig) -> None:
        self.config = config
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    def send(self, batch: Batch) -> None:
        try:
            for _, leaf in batch:
                self.sock.sendto(journald_fields(leaf), self.config.socket)
        except OSError as error:
            raise DeliveryFailed(f"journald {self.config.socket}: {error}") from None

    def close(self) -> None:
        self.sock.close()


def make_transport(config: ForwarderConfig) -> Transport:
    """The transport of ``config``'s kind."""
    if config.kind == "syslog":
        return SyslogDatagram(config) if config.transport == "udp" else SyslogStream(config)
    kinds: dict[str, type[_Http]] = {
        "splunk-hec": SplunkHec,
        "elasticsearch": Elasticsearch,
        "webhook": Webhook,
    }
    if config.kind in kinds:
        return kinds[config.kind](config)
    return Journald(config)
