"""The ledger's keys on disk: the signing key (mode 0600) and every verifier key it ever had.

    DIR/signing.key      PRIVATE+KEY+name+hex8+base64   the current signer, owner-only
    DIR/verifier.keys    one verifier key per line       oldest first; the last is current

Rotation appends the new verifier key and keeps the old ones, so old checkpoints still verify.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sealtrail.errors import Conflict, NotFound, ValidationError
from sealtrail.ledger.note import Signer, Verifier

__all__ = ["Keyring"]

SIGNING_KEY = "signing.key"
VERIFIER_KEYS = "verifier.keys"


@dataclass(frozen=True)
class Keyring:
    """The signer in use and all verifier keys, current last."""

    signer: Signer
    verifiers: tuple[Verifier, ...]

    @classmethod
    def create(cls, directory: Path, name: str) -> Keyring:
        """A new Ed25519 key for ``name``; refuses to overwrite a key that exists."""
        if (directory / SIGNING_KEY).exists():
            raise Conflict(f"{directory / SIGNING_KEY} exists already")
        signer = Signer.generate(name)
        _write_private(directory / SIGNING_KEY, signer.to_text() + "\n")
        (directory / VERIFIER_KEYS).write_text(signer.verifier().to_text() + "\n")
        return cls(signer, (signer.verifier(),))

    @classmethod
    def load(cls, directory: Path, signing_key: str | None = None) -> Keyring:
        """The keys of ``directory``; ``signing_key`` (key text) overrides the key file."""
        verifiers = load_verifiers(directory / VERIFIER_KEYS)
        if signing_key is None:
            path = directory / SIGNING_KEY
            if not path.exists():
                raise NotFound(f"{path}: no signing key")
            signing_key = path.read_text().strip()
        return cls(Signer.from_text(signing_key), verifiers)

    def rotate(self, directory: Path) -> Keyring:
        """A new signing key with the same name; the old verifier key stays trusted."""
        signer = Signer.generate(self.signer.verifier().name)
        verifiers = (*self.verifiers, signer.verifier())
        _write_private(directory / SIGNING_KEY, signer.to_text() + "\n")
        (directory / VERIFIER_KEYS).write_text("".join(v.to_text() + "\n" for v in verifiers))
        return Keyring(signer, verifiers)


def load_verifiers(path: Path) -> tuple[Verifier, ...]:
    """Verifier keys from a file, one per line; blank lines and ``#`` comments are skipped."""
    if not path.exists():
        raise NotFound(f"{path}: no verifier keys")
    lines = [line.strip() for line in path.read_text().splitlines()]
    verifiers = tuple(
        Verifier.from_text(line) for line in lines if line and not line.startswith("#")
    )
    if not verifiers:
        raise ValidationError(f"{path}: no verifier key in the file")
    return verifiers


def _write_private(path: Path, text: str) -> None:
    """Write a secret so that it is never readable by others, not even for a moment."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
