"""The verifiable ledger: Merkle math, signed checkpoints, tile storage, the Ledger."""
