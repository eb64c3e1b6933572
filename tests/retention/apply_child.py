"""Apply retention, and stop dead once the first segment is archived, before its records go:
the parent kills this process when it prints the segment's name."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sealtrail.ledger.log import Ledger
from sealtrail.retention import RetentionSettings, Segment, apply_retention


def main() -> None:
    directory, url = Path(sys.argv[1]), sys.argv[2] or None
    settings = RetentionSettings.from_section({"rules": {"http.request": "90d"}}, directory)

    def archived(segment: Segment) -> None:
        print(segment.name, flush=True)
        threading.Event().wait()  # until killed

    with Ledger.open(directory, database_url=url) as ledger:
        apply_retention(ledger, settings, on_archived=archived)


if __name__ == "__main__":
    main()
