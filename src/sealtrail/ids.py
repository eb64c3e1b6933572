"""Record identifiers: RFC 9562 UUIDv7, time-ordered and unique across threads."""

from __future__ import annotations

import os
import threading
import time as _time

from sealtrail.errors import ValidationError

__all__ = ["UUID7Generator", "uuid7", "uuid7_many"]


_VERSION_VARIANT = (0x7 << 76) | (0b10 << 62)
_RAND_B = (1 << 62) - 1


class UUID7Generator:
    """RFC 9562 UUIDv7 strings, strictly increasing across threads (RFC 9562 6.2, method 1).

    48 bits of Unix milliseconds, a 12-bit counter in ``rand_a`` (seeded at random below 2048
    each new millisecond, incremented when the millisecond repeats), 62 random bits in ``rand_b``.
    When the clock stands still or steps back the last millisecond is reused; when the counter
    runs out the timestamp moves on by one millisecond.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ms = -1
        self._counter = 0
        self._pool = b""  # os.urandom read 4 KiB at a time: one system call per 409 identifiers
        self._used = 0

    def __call__(self, now_ms: int | None = None) -> str:
        return self.many(1, now_ms)[0]

    def many(self, count: int, now_ms: int | None = None) -> list[str]:
        """``count`` identifiers, in order, as ``count`` calls would give them; the lock and the
        random pool are taken once for all (a batch of events costs one clock read too)."""
        if now_ms is None:
            now_ms = _time.time_ns() // 1_000_000
        if not 0 <= now_ms < 1 << 48:
            raise ValidationError(f"now_ms: must be in 0..2**48-1, got {now_ms}")
        values = []
        with self._lock:
            pool = self._random(10 * count)
            for start in range(0, 10 * count, 10):
                seed = int.from_bytes(pool[start : start + 10])
                ms, counter = self._next(now_ms, seed >> 69)
                values.append((ms << 80) | (counter << 64) | (seed & _RAND_B) | _VERSION_VARIANT)
        return [_text(value) for value in values]

    def _random(self, n: int) -> bytes:
        if self._used + n > len(self._pool):
            self._pool, self._used = os.urandom(max(4096, n)), 0
        self._used += n
        return self._pool[self._used - n : self._used]

    def _next(self, now_ms: int, fresh_counter: int) -> tuple[int, int]:
        if now_ms > self._ms:
            self._ms, self._counter = now_ms, fresh_counter
        elif self._counter < 0xFFF:
            self._counter += 1
        else:
            self._ms, self._counter = self._ms + 1, 0
        return self._ms, self._counter


def _text(value: int) -> str:
    t = f"{value:032x}"
    return f"{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:]}"


_UUID7 = UUID7Generator()


def uuid7(now_ms: int | None = None) -> str:
    """A UUIDv7 from the process-wide generator; ``now_ms`` defaults to the system clock."""
    return _UUID7(now_ms)


def uuid7_many(count: int) -> list[str]:
    """``count`` UUIDv7s from the process-wide generator, in order, taken at once."""
    return _UUID7.many(count)
