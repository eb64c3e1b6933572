"""Claim: ``ledger.verify()`` checks a 1,000,000-entry log at ≥ 300,000 entries per second.

Verify rehashes every stored record, rebuilds the tree, checks every signed checkpoint against it
and the stored tiles against the rebuilt root. pymerkle has no whole-log verification; as context
only, the nearest thing it has is timed: ``get_root()`` on a freshly opened tree, which rebuilds
the root from its stored leaf hashes (it does not rehash the entries nor check any signature).
"""

from __future__ import annotations

import time

from pymerkle import SqliteTree

from common import PEER, Result, arguments, cached_build, report
from sealtrail.ledger.log import Ledger

TARGET = 300_000


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--size", type=int, help="entries in the log (default 1,000,000)")
    args = parser.parse_args()
    size = args.size or (100_000 if args.quick else 1_000_000)
    build, _ = cached_build(size)
    with Ledger.open(build.ledger_dir) as ledger:
        verified = ledger.verify()
    with SqliteTree(str(build.peer_db)) as tree:
        started = time.perf_counter()
        root = tree.get_root(size)
        peer = size / (time.perf_counter() - started)
    assert root == verified.root, "the two trees must hold the same leaves"
    result = Result(
        claim=f"full verify of {size:,} entries",
        unit="entries/s",
        ours=verified.entries_per_second,
        ours_label="sealtrail Ledger.verify()",
        peer=peer,
        peer_label=f"{PEER} get_root() from stored leaf hashes (context, not comparable)",
        ratio=None,
        target=f"≥ {TARGET:,} entries/s",
        met=verified.entries_per_second >= TARGET,
        notes=(
            f"ours: {verified.seconds:,.2f} s, {verified.checkpoints} signed checkpoints checked",
            f"the peer rehashes nothing and checks no signature: its figure is context only "
            f"(ours/peer {verified.entries_per_second / peer:.2f}x)",
        ),
    )
    report(result)


if __name__ == "__main__":
    main()
