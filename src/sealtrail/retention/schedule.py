"""Retention in the server: one run every ``[retention] interval``, in a background thread."""

from __future__ import annotations

import logging
import threading

from sealtrail.config import Settings
from sealtrail.errors import SealtrailError
from sealtrail.ledger.log import Ledger
from sealtrail.retention.apply import apply_retention
from sealtrail.retention.rules import RetentionSettings

__all__ = ["RetentionSchedule"]

log = logging.getLogger("sealtrail.retention")


class RetentionSchedule:
    """Applies retention every ``settings.interval`` seconds while started (never when the
    interval is 0 or there are no rules). A failed run is logged and tried again next time."""

    def __init__(self, ledger: Ledger, settings: RetentionSettings) -> None:
        self.ledger, self.settings = ledger, settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls, settings: Settings, ledger: Ledger) -> RetentionSchedule:
        section = settings.section("retention")
        return cls(ledger, RetentionSettings.from_section(section, settings.dir))

    @property
    def enabled(self) -> bool:
        return self.settings.interval > 0 and bool(self.settings.rules)

    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, daemon=True, name="sealtrail-retention"
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.interval):
            self.run_once()

    def run_once(self) -> None:
        """One run; errors are logged, never raised (the next interval tries again)."""
        try:
            report = apply_retention(self.ledger, self.settings)
        except SealtrailError:
            log.exception("scheduled retention failed")
            return
        log.info("retention archived %d records (%d segments), freed %d bytes",
                 report.archived, len(report.segments), report.bytes_freed)  # fmt: skip
