"""C2SP signed notes with Ed25519, and the tlog-checkpoint bodies they carry.

A signed note (https://c2sp.org/signed-note) is a text ending in a newline, a blank line, then
one or more signature lines ``— <key name> base64(key hash || signature)``::

    example.com/log
    42
    <base64 of the 32-byte root hash>

    — example.com/log <base64>

A checkpoint (https://c2sp.org/tlog-checkpoint) is the text of such a note: the origin, the tree
size in canonical decimal, the base64 root hash, then optional extension lines.

Keys use the encodings of Go's ``golang.org/x/mod/sumdb/note``, so its tools accept ours:

    verifier key  <name>+<hex8 key hash>+base64(0x01 || 32-byte public key)
    signer key    PRIVATE+KEY+<name>+<hex8 key hash>+base64(0x01 || 32-byte seed)

Parse first, then verify: ``SignedNote.from_text`` only parses, ``SignedNote.verify`` checks
signatures, and ``Checkpoint.from_text`` reads the text once it verified (``open_checkpoint`` does
all three). Parsing is strict: only the canonical form is accepted (canonical base64 and decimal,
a final newline, no ASCII control characters but newline, at most 1 MiB and 100 signatures), so
every ``from_text`` is the exact inverse of its ``to_text``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sealtrail.errors import ValidationError, VerificationError

__all__ = [
    "Checkpoint",
    "Signature",
    "SignedNote",
    "Signer",
    "Verifier",
    "key_id",
    "open_checkpoint",
    "sign_checkpoint",
]

_MAX_NOTE_BYTES = 1 << 20
"""The largest signed note or checkpoint accepted, in UTF-8 bytes."""

_MAX_SIGNATURES = 100
"""The most signature lines a note may carry (Go's limit; the spec asks for at least 16)."""

_MAX_SIZE = (1 << 63) - 1
"""The largest tree size a checkpoint may state (Go's int64)."""

_ALG_ED25519 = 0x01
"""The signed-note signature type byte of Ed25519."""

_SIG_PREFIX = "\N{EM DASH} "
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_HEX8 = re.compile(r"[0-9a-f]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key hash: SHA-256(name || 0x0A || 0x01 || public key)[:4], as sumdb/note."""
    data = name.encode() + b"\n" + bytes([_ALG_ED25519]) + public_key
    return hashlib.sha256(data).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public Ed25519 key with its name; ``key_hash`` must be ``key_id(name, public_key)``."""

    name: str
    key_hash: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name, "verifier key")
        if len(self.public_key) != 32:
            raise ValidationError("malformed verifier key: public key is not 32 bytes")
        if self.key_hash != key_id(self.name, self.public_key):
            raise ValidationError(
                "malformed verifier key: key hash does not match the name and public key"
            )

    @classmethod
    def from_text(cls, vkey: str) -> Verifier:
        """Parse ``name+hex8+base64(0x01 || public key)``; the inverse of ``to_text``."""
        name, key_hash, public_key = _parse_key(vkey, "verifier key")
        return cls(name, key_hash, public_key)

    def to_text(self) -> str:
        """The verifier key string that Go's ``note.NewVerifier`` accepts."""
        return _format_key(self.name, self.key_hash, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        key = Ed25519PublicKey.from_public_bytes(self.public_key)
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Signer:
    """A named Ed25519 private key that signs notes. Keep ``to_text()`` secret."""

    __slots__ = ("_private_key", "key_hash", "name")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_name(name, "signer key")
        self.name = name
        self._private_key = private_key
        self.key_hash = key_id(name, _public_bytes(private_key))

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_hash={self.key_hash.hex()!r})"

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new random key for ``name``."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_text(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+name+hex8+base64(0x01 || seed)``; the inverse of ``to_text``."""
        if not skey.startswith(_PRIVATE_PREFIX):
            raise ValidationError("malformed signer key: missing PRIVATE+KEY+ prefix")
        name, key_hash, seed = _parse_key(skey.removeprefix(_PRIVATE_PREFIX), "signer key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_hash != key_hash:
            raise ValidationError(
                "malformed signer key: key hash does not match the name and public key"
            )
        return signer

    def to_text(self) -> str:
        """The secret signer key string that Go's ``note.NewSigner`` accepts."""
        seed = self._private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return _PRIVATE_PREFIX + _format_key(self.name, self.key_hash, seed)

    def verifier(self) -> Verifier:
        """The public half of this key."""
        return Verifier(self.name, self.key_hash, _public_bytes(self._private_key))

    def sign(self, message: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature of ``message`` (deterministic)."""
        return self._private_key.sign(message)


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: the key's name and hash, and the raw signature bytes."""

    name: str
    key_hash: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name, "signature")
        if len(self.key_hash) != 4:
            raise ValidationError("malformed signature: key hash is not 4 bytes")
        if not self.signature:
            raise ValidationError("malformed signature: empty signature")

    def _to_line(self) -> str:
        return f"{_SIG_PREFIX}{self.name} {_b64encode(self.key_hash + self.signature)}\n"


@dataclass(frozen=True)
class SignedNote:
    """A text (ending in a newline) and its signatures, parsed but not yet verified."""

    text: str
    signatures: tuple[Signature, ...]

    def __post_init__(self) -> None:
        _check_note_text(self.text)
        if not 1 <= len(self.signatures) <= _MAX_SIGNATURES:
            raise ValidationError(f"malformed note: needs 1 to {_MAX_SIGNATURES} signatures")
        if len(self.to_text().encode()) > _MAX_NOTE_BYTES:
            raise ValidationError(f"malformed note: larger than {_MAX_NOTE_BYTES} bytes")

    @classmethod
    def from_text(cls, data: str | bytes) -> SignedNote:
        """Parse a signed note without verifying it; the inverse of ``to_text``.

        Raises VerificationError(reason="malformed") when ``data`` is not a canonical note.
        """
        try:
            text, lines = _split_note(_decode_note(data))
            return cls(text, tuple(_parse_signature_line(line) for line in lines))
        except ValidationError as exc:
            raise VerificationError(str(exc), reason="malformed") from exc

    def to_text(self) -> str:
        """The note as sent: text, blank line, one line per signature."""
        return self.text + "\n" + "".join(sig._to_line() for sig in self.signatures)

    @classmethod
    def sign(cls, text: str, signers: Sequence[Signer]) -> SignedNote:
        """Sign ``text`` with every signer, in order; each key may sign once."""
        _check_note_text(text)
        if len({(s.name, s.key_hash) for s in signers}) != len(signers):
            raise ValidationError("malformed note: the same key signs twice")
        message = text.encode()
        return cls(text, tuple(Signature(s.name, s.key_hash, s.sign(message)) for s in signers))

    def verify(self, verifiers: Sequence[Verifier]) -> tuple[Verifier, ...]:
        """The verifiers whose signature on the text verifies, in signature order.

        As in the spec and Go: signatures from unknown keys (name and key hash) are ignored, a
        known key's signature must verify, and at least one must be present. Stricter than Go,
        a repeated signature by a known key is checked too. Raises
        VerificationError(reason="signature_invalid") otherwise.
        """
        known = _index_verifiers(verifiers)
        message = self.text.encode()
        verified: dict[tuple[str, bytes], Verifier] = {}
        for sig in self.signatures:
            verifier = known.get((sig.name, sig.key_hash))
            if verifier is None:
                continue
            if not verifier.verify(message, sig.signature):
                raise VerificationError(
                    f"invalid signature for key {_key_label(sig.name, sig.key_hash)}",
                    reason="signature_invalid",
                )
            verified.setdefault((sig.name, sig.key_hash), verifier)
        if not verified:
            raise VerificationError(self._unknown_message(), reason="signature_invalid")
        return tuple(verified.values())

    def _unknown_message(self) -> str:
        keys = [_key_label(s.name[:40], s.key_hash) for s in self.signatures[:5]]
        more = ", ..." if len(self.signatures) > 5 else ""
        return f"note has no signature from a known key (signed by {', '.join(keys)}{more})"


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, RFC 9162 root hash, extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_checkpoint_line(self.origin, "origin")
        if not 0 <= self.size <= _MAX_SIZE:
            raise ValidationError("malformed checkpoint: log size out of range 0 to 2**63-1")
        if len(self.root_hash) != 32:
            raise ValidationError(
                f"malformed checkpoint: root hash is {len(self.root_hash)} bytes, want 32"
            )
        for line in self.extensions:
            _check_checkpoint_line(line, "extension line")

    @classmethod
    def from_text(cls, body: str) -> Checkpoint:
        """Parse a checkpoint body strictly; the inverse of ``to_text``.

        Raises ValidationError naming the part that is wrong ("malformed checkpoint: ...").
        """
        if _utf8_size(body) > _MAX_NOTE_BYTES:
            raise ValidationError(f"malformed checkpoint: larger than {_MAX_NOTE_BYTES} bytes")
        if not body.endswith("\n"):
            raise ValidationError("malformed checkpoint: missing final newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise ValidationError("malformed checkpoint: fewer than three lines")
        origin, size, root_hash, *extensions = lines
        return cls(origin, _parse_size(size), _parse_root_hash(root_hash), tuple(extensions))

    def to_text(self) -> str:
        """``origin\\nsize\\nbase64(root)\\n`` followed by each extension line and a newline."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note carrying ``checkpoint``, signed by ``signer``."""
    return SignedNote.sign(checkpoint.to_text(), [signer]).to_text()


def open_checkpoint(
    note_text: str | bytes, verifiers: Sequence[Verifier], origin: str | None = None
) -> Checkpoint:
    """Parse a signed checkpoint, verify it, then read its body; check the origin if given.

    Raises VerificationError: reason "malformed" when the note or its body does not parse,
    "signature_invalid" when no known key signed it, a known key's signature fails, or the
    origin is not ``origin`` (a valid signature, but not on this log's checkpoint).
    """
    note = SignedNote.from_text(note_text)
    note.verify(verifiers)
    try:
        checkpoint = Checkpoint.from_text(note.text)
    except ValidationError as exc:
        raise VerificationError(str(exc), reason="malformed") from exc
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(
            f"checkpoint origin {checkpoint.origin!r} is not {origin!r}",
            reason="signature_invalid",
        )
    return checkpoint


# Keys.


def _parse_key(text: str, what: str) -> tuple[str, bytes, bytes]:
    """Split ``name+hex8+base64(0x01 || 32 bytes)`` into name, key hash and the 32 key bytes."""
    name, _, rest = text.partition("+")
    hex8, _, key64 = rest.partition("+")
    _check_name(name, what)
    if not _HEX8.fullmatch(hex8):
        raise ValidationError(f"malformed {what}: key hash is not 8 lowercase hex digits")
    key = _b64decode(key64)
    if key is None:
        raise ValidationError(f"malformed {what}: key is not canonical base64")
    if not key or key[0] != _ALG_ED25519:
        raise ValidationError(f"malformed {what}: unknown key algorithm (want 0x01, Ed25519)")
    if len(key) != 33:
        raise ValidationError(f"malformed {what}: Ed25519 key is not 32 bytes")
    return name, bytes.fromhex(hex8), key[1:]


def _format_key(name: str, key_hash: bytes, key: bytes) -> str:
    return f"{name}+{key_hash.hex()}+{_b64encode(bytes([_ALG_ED25519]) + key)}"


def _public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _check_name(name: str, what: str) -> None:
    """Key names are non-empty UTF-8 without Unicode spaces, '+' or control characters."""
    bad = any(c.isspace() or c < " " for c in name) or "+" in name
    if not name or bad or not _is_utf8(name):
        raise ValidationError(f"malformed {what}: invalid key name {_excerpt(name)}")


def _key_label(name: str, key_hash: bytes) -> str:
    return f"{name}+{key_hash.hex()}"


def _index_verifiers(verifiers: Sequence[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    """Map (name, key hash) to its verifier; two different keys under one pair is an error."""
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        pair = (verifier.name, verifier.key_hash)
        if known.setdefault(pair, verifier) != verifier:
            raise ValidationError(f"ambiguous verifier key {_key_label(*pair)}")
    return known


# Notes.


def _decode_note(data: str | bytes) -> str:
    """The note as text, after the size cap, UTF-8 and control character checks."""
    if len(data) > _MAX_NOTE_BYTES:
        raise ValidationError(f"malformed note: larger than {_MAX_NOTE_BYTES} bytes")
    try:
        text = data.decode() if isinstance(data, bytes) else data
        size = len(text.encode())
    except UnicodeError:
        raise ValidationError("malformed note: not valid UTF-8") from None
    if size > _MAX_NOTE_BYTES:
        raise ValidationError(f"malformed note: larger than {_MAX_NOTE_BYTES} bytes")
    return text


def _split_note(note: str) -> tuple[str, list[str]]:
    """Split at the last blank line into the text and the signature lines (no newlines)."""
    if not note.endswith("\n"):
        raise ValidationError("malformed note: missing final newline")
    _check_control(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise ValidationError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise ValidationError("malformed note: no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise ValidationError(f"malformed note: more than {_MAX_SIGNATURES} signatures")
    return text, lines


def _parse_signature_line(line: str) -> Signature:
    """Parse ``— name base64(key hash || signature)`` (without its newline)."""
    if not line.startswith(_SIG_PREFIX):
        raise ValidationError(f"malformed note: signature line {_excerpt(line)} lacks '— '")
    name, _, b64 = line.removeprefix(_SIG_PREFIX).partition(" ")
    raw = _b64decode(b64)
    if raw is None:
        raise ValidationError(f"malformed note: signature by {_excerpt(name)} is not base64")
    if len(raw) < 5:
        raise ValidationError(f"malformed note: signature by {_excerpt(name)} is too short")
    return Signature(name, raw[:4], raw[4:])


def _check_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ValidationError("malformed note: text does not end in a newline")
    if not _is_utf8(text):
        raise ValidationError("malformed note: text is not valid UTF-8")
    _check_control(text, "note")


def _check_control(text: str, what: str) -> None:
    """Reject ASCII control characters other than newline."""
    found = _CONTROL.search(text)
    if found:
        code = ord(found.group())
        raise ValidationError(f"malformed {what}: control character U+{code:04X}")


# Checkpoints.


def _parse_size(line: str) -> int:
    """A tree size in canonical decimal: no sign, no leading zeros, at most 2**63-1."""
    if not _DECIMAL.fullmatch(line):
        raise ValidationError(f"malformed checkpoint: invalid log size {_excerpt(line)}")
    if len(line) > len(str(_MAX_SIZE)) or int(line) > _MAX_SIZE:
        raise ValidationError("malformed checkpoint: log size out of range 0 to 2**63-1")
    return int(line)


def _parse_root_hash(line: str) -> bytes:
    root_hash = _b64decode(line)
    if root_hash is None:
        raise ValidationError("malformed checkpoint: root hash is not canonical base64")
    return root_hash


def _check_checkpoint_line(line: str, what: str) -> None:
    if not line:
        raise ValidationError(f"malformed checkpoint: empty {what}")
    if "\n" in line or _CONTROL.search(line):
        raise ValidationError(f"malformed checkpoint: control character in {what}")
    if not _is_utf8(line):
        raise ValidationError(f"malformed checkpoint: {what} is not valid UTF-8")


# Encodings.


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes | None:
    """Decode canonical standard base64 (RFC 4648 section 4), else None."""
    if not _BASE64.fullmatch(text):
        return None
    data = base64.b64decode(text)
    return data if _b64encode(data) == text else None


def _utf8_size(text: str) -> int:
    """The length of ``text`` in UTF-8, lone surrogates counted as three bytes each."""
    if len(text) > _MAX_NOTE_BYTES:
        return len(text)
    return len(text.encode(errors="surrogatepass"))


def _is_utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (it has no lone surrogates)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _excerpt(text: str) -> str:
    """``text`` quoted for an error message, cut to 40 characters."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."
