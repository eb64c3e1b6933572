"""``Shipper``: events to a sealtrail server without waiting, and without losing them.

    shipper = Shipper(Client(url, key, retries=0), "/var/spool/myapp-audit")
    shipper.send({"action": "image.push", "outcome": "success", "target": {...}, ...})
    shipper.close()   # delivers what it can, spools the rest for the next shipper

``send`` never waits for the network or the disk: it puts the event on a bounded in-memory queue.
One background thread sends what is queued with ``Client.append_many``. While the server cannot
take events (down, or answering 503 because its database is), they go to a ``Spool`` on disk,
and while the spool holds anything, new events go behind them, so delivery keeps the order of
sending. A new shipper on the same spool directory (after a restart) delivers what an old one
left there. ``SealtrailHandler`` (a ``logging.Handler``) ships log records through one.

Nothing is lost silently: events the server refuses as invalid are written to
``rejected.jsonl`` in the spool directory; when the spool reaches its byte cap its oldest segment
is dropped; when the queue is full an event is dropped. Each is counted (``rejected``,
``dropped``, ``overflowed``) and reported on stderr.

Delivery is at least once: if a response is lost after the server committed a batch (a timeout,
a crash between delivery and the spool's cursor update), that batch is sent again.
"""

from __future__ import annotations

import fcntl
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson

from sealtrail.client import MAX_BATCH, Client
from sealtrail.errors import Conflict, Denied, ValidationError
from sealtrail.events import format_time

__all__ = ["Shipper", "Spool"]

_WAKE = object()
"""Put on the queue to wake the shipper without an event."""


class Spool:
    """A bounded queue of JSON lines on disk: segment files, oldest first, each write fsynced.

        directory/
          .lock                             held (flock) by the one handler using the spool
          segment-00000000000000000007.jsonl   one event per line, oldest segment first
          cursor.json                       how far the oldest segment was delivered
          rejected.jsonl                    events the server refused, with its error

    Segments are about ``max_bytes / 8``; when a write takes the segments over ``max_bytes``
    the oldest are deleted and ``write`` returns how many undelivered events they held.
    """

    def __init__(self, directory: Path, max_bytes: int, warn: Callable[[str], None]) -> None:
        if max_bytes < 4096:
            raise ValidationError(f"spool_bytes: must be at least 4096, got {max_bytes}")
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = max_bytes // 8
        self._warn = warn
        self._lock = _lock(directory / ".lock")
        found = sorted(directory.glob("segment-*.jsonl"))
        self._sizes = {path: path.stat().st_size for path in found}
        self._offset = self._read_cursor()
        self._next = int(found[-1].stem.removeprefix("segment-")) + 1 if found else 1
        self._tail: tuple[Path, IO[bytes]] | None = None

    def close(self) -> None:
        if self._tail is not None:
            self._tail[1].close()
            self._tail = None
        self._lock.close()

    def empty(self) -> bool:
        return not self._sizes

    def held_bytes(self) -> int:
        return sum(self._sizes.values())

    def write(self, lines: Sequence[bytes]) -> int:
        """Append ``lines`` durably after all held; return how many events the cap dropped."""
        pending = list(lines)
        while pending:
            path, handle = self._writable_tail()
            take = _fitting(pending, self.segment_bytes - self._sizes[path])
            data = b"".join(line + b"\n" for line in pending[:take])
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            self._sizes[path] += len(data)
            pending = pending[take:]
        return self._enforce_cap()

    def peek(self, count: int) -> list[bytes]:
        """Up to ``count`` of the oldest undelivered lines, without their newlines."""
        while self._sizes:
            path = next(iter(self._sizes))
            lines, torn = _read_lines(path, self._offset, count)
            if lines:
                return lines
            if torn and not self._is_tail(path):
                self._warn(f"{path}: skipped {torn} bytes of a line that was never completed")
            self._remove(path)
        return []

    def advance(self, delivered: Sequence[bytes]) -> None:
        """Mark the first lines ``peek`` returned as delivered."""
        if not delivered:
            return
        path = next(iter(self._sizes))
        self._offset += sum(len(line) + 1 for line in delivered)
        if self._offset >= self._sizes[path]:
            self._remove(path)
        else:
            self._write_cursor(path)

    def reject(self, line: bytes, error: Exception) -> None:
        """Keep a line the server refused, with the reason, in ``rejected.jsonl``."""
        try:
            event: Any = orjson.loads(line)
        except orjson.JSONDecodeError:
            event = line.decode(errors="replace")
        now = format_time(datetime.now(UTC))
        entry = orjson.dumps({"time": now, "error": str(error), "event": event})
        with (self.directory / "rejected.jsonl").open("ab") as handle:
            handle.write(entry + b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _writable_tail(self) -> tuple[Path, IO[bytes]]:
        """The segment being written, or a new one when it is full (or none is open yet)."""
        if self._tail is not None and self._sizes.get(self._tail[0], 0) < self.segment_bytes:
            return self._tail
        if self._tail is not None:
            self._tail[1].close()
        path = self.directory / f"segment-{self._next:020d}.jsonl"
        self._next += 1
        self._tail = (path, path.open("ab"))
        self._sizes[path] = 0
        _fsync_directory(self.directory)
        return self._tail

    def _is_tail(self, path: Path) -> bool:
        return self._tail is not None and self._tail[0] == path

    def _enforce_cap(self) -> int:
        dropped = 0
        while len(self._sizes) > 1 and self.held_bytes() > self.max_bytes:
            oldest = next(iter(self._sizes))
            dropped += _count_lines(oldest, self._offset)
            self._remove(oldest)
        return dropped

    def _remove(self, path: Path) -> None:
        """Forget the oldest segment: delivered, dropped, or only a torn line."""
        if self._is_tail(path):
            assert self._tail is not None
            self._tail[1].close()
            self._tail = None
        path.unlink(missing_ok=True)
        del self._sizes[path]
        self._offset = 0
        (self.directory / "cursor.json").unlink(missing_ok=True)

    def _read_cursor(self) -> int:
        try:
            cursor = orjson.loads((self.directory / "cursor.json").read_bytes())
            segment, offset = cursor["segment"], cursor["offset"]
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
            return 0
        first = next(iter(self._sizes), None)
        if first is None or first.name != segment or type(offset) is not int:
            return 0
        return offset if 0 <= offset <= self._sizes[first] else 0

    def _write_cursor(self, path: Path) -> None:
        temporary = self.directory / "cursor.json.tmp"
        with temporary.open("wb") as handle:
            handle.write(orjson.dumps({"segment": path.name, "offset": self._offset}))
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.directory / "cursor.json")


class Shipper:
    """Delivers events to a sealtrail server in order, never blocking the sender; spools them on
    disk while the server is away. ``spool`` is a directory only this shipper uses while open."""

    def __init__(
        self,
        client: Client,
        spool: str | Path,
        *,
        batch_size: int = 1000,
        max_queue: int = 10_000,
        spool_bytes: int = 64 << 20,
        close_timeout: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValidationError(f"batch_size: must be 1 to {MAX_BATCH}, got {batch_size}")
        self.batch_size, self.max_queue = batch_size, max_queue
        self.close_timeout, self.max_backoff = close_timeout, max_backoff
        self.spool = Spool(Path(spool), spool_bytes, self._warn)
        self.rejected = self.dropped = self.overflowed = 0
        self._client = client
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._accepted = self._settled = self._reported_overflow = 0
        self._spool_pending = not self.spool.empty()
        self._done = threading.Condition()
        self._backoff, self._next_try, self._last_failure = 0.0, 0.0, 0.0
        self._failing: str | None = None
        self._stopping = self._closed = False
        self._thread = threading.Thread(target=self._run, name="sealtrail-shipper", daemon=True)
        self._thread.start()

    def send(self, event: Mapping[str, Any]) -> bool:
        """Queue ``event`` for delivery. Never blocks; False (and counted in ``overflowed``)
        when the queue is full or the shipper is closed."""
        return self.send_line(orjson.dumps(event, default=str, option=orjson.OPT_NON_STR_KEYS))

    def send_line(self, line: bytes) -> bool:
        """Queue one event already encoded as a JSON line."""
        if self._stopping or self._queue.qsize() >= self.max_queue:
            self.overflowed += 1
            return False
        self._accepted += 1
        self._queue.put(line)
        return True

    @property
    def thread_ident(self) -> int | None:
        """The shipping thread's id: what it logs (httpx) must not be shipped again."""
        return self._thread.ident

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every event sent so far is delivered (or rejected); False on timeout.

        ``timeout`` defaults to ``close_timeout``. Events not delivered stay queued or spooled.
        """
        return self._drain(self.close_timeout if timeout is None else timeout, patient=True)

    def close(self) -> None:
        """Deliver what is queued if the server answers, spool the rest, stop the thread."""
        with self._done:
            if self._closed:
                return
            self._closed = True
        self._drain(self.close_timeout, patient=False)
        self._stopping = True
        self._queue.put(_WAKE)
        self._thread.join()
        self._client.close()
        self.spool.close()

    def _drain(self, timeout: float, *, patient: bool) -> bool:
        target, started = self._accepted, time.monotonic()
        self._next_try = 0.0  # try the server now, whatever the backoff says
        self._queue.put(_WAKE)

        def finished() -> bool:
            gave_up = not patient and self._last_failure > started
            return self._drained(target) or gave_up or not self._thread.is_alive()

        with self._done:
            self._done.wait_for(finished, timeout)
            return self._drained(target)

    def _drained(self, target: int) -> bool:
        return self._settled >= target and not self._spool_pending

    # the shipper's side

    def _run(self) -> None:
        while True:
            lines = self._take()
            try:
                if lines:
                    self._accept(lines)
                if not self.spool.empty() and self._may_try():
                    self._deliver_spooled()
            except Exception as error:  # a bug or a disk failure: say so, keep shipping
                self._warn(f"shipping failed: {error!r}")
                self._failed(str(error))
            self._report()
            with self._done:
                self._settled += len(lines)
                self._spool_pending = not self.spool.empty()
                self._done.notify_all()
            if self._stopping and self._queue.empty():
                return

    def _take(self) -> list[bytes]:
        """The next batch from the queue, waiting only when there is nothing else to do."""
        retry_in = self._next_try - time.monotonic()
        if self._stopping or (not self.spool.empty() and retry_in <= 0):
            wait = 0.0
        else:
            wait = min(retry_in, 1.0) if not self.spool.empty() else 1.0
        lines: list[bytes] = []
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            while True:
                if item is not _WAKE:
                    lines.append(item)
                if len(lines) >= self.batch_size:
                    break
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        return lines

    def _accept(self, lines: list[bytes]) -> None:
        """Send new lines directly if nothing is spooled, else (or on failure) spool them."""
        if self.spool.empty() and self._may_try():
            lines = lines[self._send(lines) :]
        if lines:
            try:
                dropped = self.spool.write(lines)
            except OSError as error:
                self._count_dropped(len(lines), f"cannot write the spool ({error})")
                return
            self._count_dropped(dropped, f"the spool reached its cap of {self.spool.max_bytes}")

    def _deliver_spooled(self) -> None:
        """Send one batch of the oldest spooled lines."""
        lines = self.spool.peek(self.batch_size)
        if not lines:
            return
        delivered = self._send(lines)
        self.spool.advance(lines[:delivered])

    def _send(self, lines: list[bytes]) -> int:
        """Deliver ``lines`` in order; how many from the front were delivered or rejected.

        A batch the server refuses is split in halves until the invalid events stand alone;
        those are rejected. Stops at the first failure of another kind (the server is away).
        """
        if self._stopping and self._failing:
            return 0
        try:
            self._client.append_many([orjson.loads(line) for line in lines], len(lines))
        except (ValidationError, orjson.JSONDecodeError) as error:
            if len(lines) == 1:
                self._reject(lines[0], error)
                return 1
            half = len(lines) // 2
            done = self._send(lines[:half])
            return done if done < half else half + self._send(lines[half:])
        except Denied as error:  # a revoked or mistyped key: each retry is a failed login
            self._failed(str(error), at_least=60.0)
            return 0
        except Exception as error:  # unavailable, or a bug: keep the events, try again later
            self._failed(str(error) or repr(error))
            return 0
        self._succeeded()
        return len(lines)

    def _may_try(self) -> bool:
        return time.monotonic() >= self._next_try

    def _failed(self, reason: str, at_least: float = 0.0) -> None:
        if self._failing is None:
            where = self._client.url
            self._warn(f"cannot deliver to {where} ({reason}); spooling in {self.spool.directory}")
        self._failing = reason
        self._backoff = min(max(self._backoff * 2, 0.1), self.max_backoff)
        self._next_try = time.monotonic() + max(self._backoff, at_least)
        self._last_failure = time.monotonic()

    def _succeeded(self) -> None:
        if self._failing is not None:
            self._warn(f"delivering to {self._client.url} again")
        self._failing, self._backoff = None, 0.0

    def _reject(self, line: bytes, error: Exception) -> None:
        self.rejected += 1
        try:
            self.spool.reject(line, error)
        except OSError as failure:
            self._warn(f"server refused an event ({error}); lost it: {failure}")
            return
        self._warn(f"server refused an event ({error}); kept in {self.spool.directory}")

    def _count_dropped(self, count: int, why: str) -> None:
        if count:
            self.dropped += count
            self._warn(f"dropped {count} events: {why} ({self.dropped} dropped in all)")

    def _report(self) -> None:
        if self.overflowed > self._reported_overflow:
            lost = self.overflowed - self._reported_overflow
            self._reported_overflow = self.overflowed
            self._warn(f"dropped {lost} records: the queue of {self.max_queue} was full")

    def _warn(self, message: str) -> None:
        sys.stderr.write(f"sealtrail: {message}\n")


def _fitting(lines: Sequence[bytes], room: int) -> int:
    """How many of ``lines`` (at least one) fit in ``room`` bytes, a newline after each."""
    count, used = 0, 0
    for line in lines:
        used += len(line) + 1
        if used > room and count:
            break
        count += 1
    return count


def _read_lines(path: Path, offset: int, count: int) -> tuple[list[bytes], int]:
    """Up to ``count`` complete lines from ``offset``, and the size of a torn last line."""
    lines: list[bytes] = []
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            for raw in handle:
                if not raw.endswith(b"\n"):
                    return lines, len(raw)
                lines.append(raw[:-1])
                if len(lines) >= count:
                    break
    except FileNotFoundError:
        pass
    return lines, 0


def _count_lines(path: Path, offset: int) -> int:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().count(b"\n")


def _lock(path: Path) -> IO[bytes]:
    """An exclusive lock on ``path``, held while the returned file stays open."""
    handle = path.open("ab")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise Conflict(f"{path.parent}: the spool is in use by another handler") from None
    return handle


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
