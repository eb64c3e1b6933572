"""Resumes every pending policy application in small batches, printing after each batch; the
crash test kills it with SIGKILL part-way."""

from __future__ import annotations

import sys
from pathlib import Path

from sealtrail.ledger.log import Ledger
from sealtrail.policies import ImmutabilityPolicies


def main(directory: str, batch: str) -> None:
    with Ledger.open(Path(directory)) as ledger:

        def progress(done: int, total: int) -> None:
            sys.stdout.write(f"{done} {total}\n")
            sys.stdout.flush()

        ImmutabilityPolicies(ledger, batch=int(batch)).resume(progress)
        sys.stdout.write("finished\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
