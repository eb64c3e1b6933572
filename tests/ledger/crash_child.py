"""Appends forever, printing each acknowledged append; the crash test kills it with SIGKILL."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from sealtrail.ledger.log import Ledger
from tests.ledger.conftest import pull_event


def main(directory: str, tag: str, database_url: str | None) -> None:
    with Ledger.open(
        Path(directory), checkpoint_interval=0.01, database_url=database_url
    ) as ledger:
        ledger.start_checkpointer()
        lock = threading.Lock()

        def appender(worker: int) -> None:
            for i in range(1_000_000):
                event = pull_event(i, actor=f"{tag}-{worker}-{i}")
                receipts = ledger.append_many([event] * (1 + i % 3))
                with lock:
                    sys.stdout.write(f"{receipts[0].seq} {len(receipts)} {tag}-{worker}-{i}\n")
                    sys.stdout.flush()

        threads = [threading.Thread(target=appender, args=(w,), daemon=True) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
