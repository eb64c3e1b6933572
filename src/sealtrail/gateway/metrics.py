"""Request counts, bytes and latency by operation, in the Prometheus text format (``/metrics``).

    sealtrail_gateway_requests_total{operation,status}        counter
    sealtrail_gateway_request_bytes_total{operation}          counter (bodies received)
    sealtrail_gateway_response_bytes_total{operation}         counter (bodies sent)
    sealtrail_gateway_request_duration_seconds{operation}     histogram (until the last byte)

An operation is the endpoint and the method, lower case: ``manifest_get``, ``blob_get``,
``upload_patch``… (see ``routes.Endpoint``). ``Metered`` wraps the ASGI app and counts every
request; it keeps only counters, so it costs a few dictionary updates per request.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sealtrail.gateway.routes import Route

__all__ = ["BUCKETS", "Metered", "Metrics", "operation_of"]

BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_PREFIX = "sealtrail_gateway"


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    total: int = 0
    seconds: float = 0.0

    def observe(self, seconds: float) -> None:
        index = bisect.bisect_left(BUCKETS, seconds)
        if index < len(BUCKETS):
            self.counts[index] += 1
        self.total += 1
        self.seconds += seconds


class Metrics:
    """The counters of one gateway process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = defaultdict(int)
        self._received: dict[str, int] = defaultdict(int)
        self._sent: dict[str, int] = defaultdict(int)
        self._latency: dict[str, _Histogram] = defaultdict(_Histogram)

    def observe(
        self, operation: str, status: int, seconds: float, received: int, sent: int
    ) -> None:
        with self._lock:
            self._requests[operation, status] += 1
            self._received[operation] += received
            self._sent[operation] += sent
            self._latency[operation].observe(seconds)

    def text(self) -> str:
        """Everything counted so far, in the Prometheus text exposition format 0.0.4."""
        with self._lock:
            lines = [
                f"# TYPE {_PREFIX}_requests_total counter",
                *(
                    f'{_PREFIX}_requests_total{{operation="{op}",status="{status}"}} {n}'
                    for (op, status), n in sorted(self._requests.items())
                ),
                f"# TYPE {_PREFIX}_request_bytes_total counter",
                *_per_operation(f"{_PREFIX}_request_bytes_total", self._received),
                f"# TYPE {_PREFIX}_response_bytes_total counter",
                *_per_operation(f"{_PREFIX}_response_bytes_total", self._sent),
                f"# TYPE {_PREFIX}_request_duration_seconds histogram",
            ]
            for op, histogram in sorted(self._latency.items()):
                lines.extend(_histogram(op, histogram))
        return "\n".join(lines) + "\n"


def _per_operation(name: str, values: dict[str, int]) -> list[str]:
    return [f'{name}{{operation="{op}"}} {n}' for op, n in sorted(values.items())]


def _histogram(op: str, histogram: _Histogram) -> list[str]:
    name = f"{_PREFIX}_request_duration_seconds"
    lines, running = [], 0
    for bound, count in zip(BUCKETS, histogram.counts, strict=True):
        running += count
        lines.append(f'{name}_bucket{{operation="{op}",le="{bound:g}"}} {running}')
    lines.append(f'{name}_bucket{{operation="{op}",le="+Inf"}} {histogram.total}')
    lines.append(f'{name}_sum{{operation="{op}"}} {histogram.seconds:.6f}')
    lines.append(f'{name}_count{{operation="{op}"}} {histogram.total}')
    return lines


def operation_of(method: str, path: str) -> str:
    """``manifest_get`` for ``GET /v2/team/app/manifests/v1``."""
    return f"{Route.from_path(path).endpoint.value}_{method.lower()}"


class Metered:
    """ASGI middleware observing each ``/v2/`` request into ``metrics``."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/v2"):
            await self.app(scope, receive, send)
            return
        began, status, received, sent = time.perf_counter(), 500, 0, 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            operation = operation_of(scope["method"], path)
            self.metrics.observe(operation, status, time.perf_counter() - began, received, sent)
