"""The one exception tree of sealtrail.

    SealtrailError                 root; the CLI and the API catch it exactly once
    ├── ValidationError            bad input: an event, a reference, a query, a size, a format
    ├── VerificationError          a proof, a signature or the stored log does not check out
    │                              (.index: the first failing log index or None, .reason: a kind)
    ├── NotFound                   an event, a checkpoint, a tile or a key that does not exist
    ├── Denied                     the caller may not do this
    ├── Conflict                   the thing exists already (a ledger, a key)
    └── StoreUnavailable           the store cannot be read or written right now

A broken internal invariant is a bug and raises AssertionError or RuntimeError, never one of these.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Denied",
    "NotFound",
    "SealtrailError",
    "StoreUnavailable",
    "ValidationError",
    "VerificationError",
]


class SealtrailError(Exception):
    """Root of every error sealtrail raises on purpose."""


class ValidationError(SealtrailError):
    """Input that sealtrail refuses; the message names the field or the part that is wrong."""


class VerificationError(SealtrailError):
    """Something that should be provable is not.

    ``reason`` is a short, stable kind (``record_changed``, ``record_missing``, ``order_changed``,
    ``signature_invalid``, ``checkpoints_inconsistent``, ``log_truncated``, ``proof_invalid``,
    ``malformed``); ``index`` is the first log index that fails, when there is one.
    """

    def __init__(self, message: str, *, reason: str = "proof_invalid", index: int | None = None):
        super().__init__(message)
        self.reason = reason
        self.index = index


class NotFound(SealtrailError):
    """The thing asked for does not exist."""


class Denied(SealtrailError):
    """The caller is not allowed to do this."""


class Conflict(SealtrailError):
    """The thing to be created exists already."""


class StoreUnavailable(SealtrailError):
    """The store cannot be reached, read or written at the moment; retrying may succeed."""
