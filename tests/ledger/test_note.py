"""Signed notes and checkpoints: Go's known answers, round trips, and every way to be malformed."""

from __future__ import annotations

import base64
import hashlib
from contextlib import AbstractContextManager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sealtrail.errors import ValidationError, VerificationError
from sealtrail.ledger import note
from sealtrail.ledger.note import (
    Checkpoint,
    Signature,
    SignedNote,
    Signer,
    Verifier,
    key_id,
    open_checkpoint,
    sign_checkpoint,
)

# Known answers from golang.org/x/mod sumdb/note/note_test.go and sumdb/tlog/note_test.go.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"
GO_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
GO_TREE_ROOT = hashlib.sha256(b"\x00hello world").digest()  # tlog.RecordHash("hello world")

# Examples from the C2SP specs (their keys are not published: parse only).
C2SP_NOTE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    "— quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
C2SP_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    "— example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
)

ROOT = bytes(range(32))
ROOT64 = base64.b64encode(ROOT).decode()
LONG_KEY64 = base64.b64encode(bytes([1]) + bytes(33)).decode()  # Ed25519 tag, 33 key bytes


@pytest.fixture(scope="module")
def peter() -> Signer:
    return Signer.from_text(PETER_SKEY)


@pytest.fixture(scope="module")
def log_signer() -> Signer:
    return Signer.generate("example.com/log")


def malformed(match: str) -> AbstractContextManager[pytest.ExceptionInfo[VerificationError]]:
    return pytest.raises(VerificationError, match=match)


# Known answers.


def test_signer_key_gives_gos_verifier_key(peter: Signer) -> None:
    assert peter.verifier().to_text() == PETER_VKEY
    assert peter.to_text() == PETER_SKEY


def test_key_id_matches_go_key_hash(peter: Signer) -> None:
    assert key_id("PeterNeumann", peter.verifier().public_key) == bytes.fromhex("c74f20a3")
    enoch = Verifier.from_text(ENOCH_VKEY)
    assert key_id("EnochRoot", enoch.public_key) == bytes.fromhex("af0cfe78")


def test_sign_is_byte_identical_to_go(peter: Signer) -> None:
    assert SignedNote.sign(TEXT, [peter]).to_text() == TEXT + "\n" + PETER_SIG


def test_open_gos_note_with_one_known_key(peter: Signer) -> None:
    signed = SignedNote.from_text(TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert signed.text == TEXT
    assert [s.name for s in signed.signatures] == ["PeterNeumann", "EnochRoot"]
    assert signed.signatures[1].key_hash == bytes.fromhex("af0cfe78")
    assert signed.verify([peter.verifier()]) == (peter.verifier(),)


def test_open_gos_note_with_both_keys(peter: Signer) -> None:
    enoch = Verifier.from_text(ENOCH_VKEY)
    signed = SignedNote.from_text((TEXT + "\n" + PETER_SIG + ENOCH_SIG).encode())
    assert signed.verify([enoch, peter.verifier()]) == (peter.verifier(), enoch)


def test_open_gos_note_with_no_known_key_fails(peter: Signer) -> None:
    signed = SignedNote.from_text(TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    with pytest.raises(VerificationError, match="no signature from a known key") as info:
        signed.verify([])
    assert info.value.reason == "signature_invalid"
    assert "PeterNeumann+c74f20a3" in str(info.value)


def test_gos_duplicated_signatures_verify(peter: Signer) -> None:
    signed = SignedNote.from_text(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG)
    assert signed.verify([peter.verifier()]) == (peter.verifier(),)


def test_gos_invalid_signature_is_rejected(peter: Signer) -> None:
    bad = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    signed = SignedNote.from_text(TEXT + "\n" + bad)
    with pytest.raises(
        VerificationError, match=r"invalid signature for key PeterNeumann\+c74f20a3"
    ):
        signed.verify([peter.verifier()])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + f"— Bad Name {PETER_B64}",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ],
)
def test_gos_malformed_notes_are_rejected(message: str) -> None:
    with pytest.raises(VerificationError, match="malformed note") as info:
        SignedNote.from_text(message)
    assert info.value.reason == "malformed"


def test_invalid_utf8_note_is_rejected() -> None:
    with malformed("not valid UTF-8"):
        SignedNote.from_text(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def test_gos_checkpoint_body_round_trips() -> None:
    checkpoint = Checkpoint.from_text(GO_TREE)
    assert checkpoint == Checkpoint("go.sum database tree", 123456789012, GO_TREE_ROOT)
    assert checkpoint.to_text() == GO_TREE


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n",
            "log size",
        ),
        (
            GO_TREE.replace("Bb0=", "BTOOBIG="),
            "root hash",
        ),
    ],
)
def test_gos_bad_trees_are_rejected(body: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=f"malformed checkpoint: .*{problem}"):
        Checkpoint.from_text(body)


def test_c2sp_signed_note_example_splits_at_last_blank_line() -> None:
    signed = SignedNote.from_text(C2SP_NOTE)
    assert signed.text.endswith(":\n\ned è subito sera.\n")
    assert signed.signatures[0].name == "quasimodo.example/salvatore"
    assert len(signed.signatures[0].signature) == 64
    assert signed.to_text() == C2SP_NOTE


def test_c2sp_checkpoint_example_parses_but_its_key_is_unknown(log_signer: Signer) -> None:
    signed = SignedNote.from_text(C2SP_CHECKPOINT)
    checkpoint = Checkpoint.from_text(signed.text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_checkpoint(C2SP_CHECKPOINT, [log_signer.verifier()])


# Keys.


def _manglings(key: str) -> list[str]:
    """Go's manglings: every proper substring, and every single byte incremented."""
    cuts = {key[i:j] for i in range(len(key) + 1) for j in range(i, len(key) + 1)} - {key}
    bumps = {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    return sorted(cuts | bumps)


def test_every_mangled_verifier_key_is_rejected() -> None:
    for mangled in _manglings(PETER_VKEY):
        with pytest.raises(ValidationError, match="malformed verifier key"):
            Verifier.from_text(mangled)


def test_every_mangled_signer_key_is_rejected() -> None:
    for mangled in _manglings(PETER_SKEY):
        with pytest.raises(ValidationError, match="malformed signer key") as info:
            Signer.from_text(mangled)
        assert "AYEKFALVFGyNhPJEMzD1QIDr" not in str(info.value)


@pytest.mark.parametrize(
    ("vkey", "problem"),
    [
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "malformed verifier key",
        ),
        (f"PeterNeumann+c74f20a3+{LONG_KEY64}", "not 32 bytes"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key hash does not"),
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=", "base64"),
    ],
)
def test_bad_verifier_keys_name_the_problem(vkey: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Verifier.from_text(vkey)


def test_verifier_constructor_checks_the_key_hash(peter: Signer) -> None:
    public_key = peter.verifier().public_key
    with pytest.raises(ValidationError, match="key hash does not match"):
        Verifier("PeterNeumann", b"\0\0\0\0", public_key)
    with pytest.raises(ValidationError, match="not 32 bytes"):
        Verifier("PeterNeumann", key_id("PeterNeumann", b"short"), b"short")


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\u2003b", "a\u3000b", "a\tb"])
def test_invalid_names_are_rejected(name: str) -> None:
    with pytest.raises(ValidationError, match="invalid key name"):
        Signer.generate(name)


def test_generated_keys_round_trip_through_text() -> None:
    signer = Signer.generate("example.com/log")
    again = Signer.from_text(signer.to_text())
    assert again.to_text() == signer.to_text()
    assert again.verifier() == signer.verifier()
    assert Verifier.from_text(signer.verifier().to_text()) == signer.verifier()
    assert again.sign(b"hi") == signer.sign(b"hi")


def test_signer_repr_hides_the_private_key(peter: Signer) -> None:
    assert repr(peter) == "Signer(name='PeterNeumann', key_hash='c74f20a3')"


def test_verifier_rejects_wrong_message_and_signature(peter: Signer) -> None:
    verifier = peter.verifier()
    signature = peter.sign(b"hi")
    assert len(signature) == 64
    assert verifier.verify(b"hi", signature)
    assert not verifier.verify(b"ho", signature)
    assert not verifier.verify(b"hi", bytes([signature[0] ^ 1]) + signature[1:])
    assert not verifier.verify(b"hi", signature[:63])


# Signed notes.


def test_signed_note_round_trips(peter: Signer, log_signer: Signer) -> None:
    signed = SignedNote.sign("hello\n\nworld\n", [peter, log_signer])
    assert SignedNote.from_text(signed.to_text()) == signed
    assert signed.verify([log_signer.verifier()]) == (log_signer.verifier(),)


@given(st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=200))
def test_any_note_text_round_trips(body: str) -> None:
    signer = Signer.from_text(PETER_SKEY)
    signed = SignedNote.sign(body + "\n", [signer])
    assert SignedNote.from_text(signed.to_text()) == signed
    assert SignedNote.from_text(signed.to_text().encode()).verify([signer.verifier()])


def test_wrong_key_is_not_a_known_key(peter: Signer, log_signer: Signer) -> None:
    signed = SignedNote.sign(TEXT, [peter])
    impostor = Signer.generate("PeterNeumann").verifier()
    with pytest.raises(VerificationError, match="no signature from a known key") as info:
        signed.verify([impostor, log_signer.verifier()])
    assert info.value.reason == "signature_invalid"


def test_flipped_bit_in_signature_fails(peter: Signer) -> None:
    sig = SignedNote.sign(TEXT, [peter]).signatures[0]
    flipped = Signature(sig.name, sig.key_hash, sig.signature[:10] + b"\x01" + sig.signature[11:])
    with pytest.raises(VerificationError, match="invalid signature") as info:
        SignedNote(TEXT, (flipped,)).verify([peter.verifier()])
    assert info.value.reason == "signature_invalid"


def test_edited_text_fails(peter: Signer) -> None:
    edited = SignedNote.sign(TEXT, [peter]).to_text().replace("answer", "amswer")
    with pytest.raises(VerificationError, match="invalid signature"):
        SignedNote.from_text(edited).verify([peter.verifier()])


def test_failing_known_signature_rejects_the_note_even_after_a_good_one(peter: Signer) -> None:
    good = SignedNote.sign(TEXT, [peter]).signatures[0]
    bad = Signature(good.name, good.key_hash, bytes(64))
    with pytest.raises(VerificationError, match="invalid signature"):
        SignedNote(TEXT, (good, bad)).verify([peter.verifier()])


def test_one_hundred_signatures_parse_and_one_more_does_not() -> None:
    assert len(SignedNote.from_text(TEXT + "\n" + PETER_SIG * 100).signatures) == 100
    with malformed("more than 100 signatures"):
        SignedNote.from_text(TEXT + "\n" + PETER_SIG * 101)


def test_oversized_note_is_rejected() -> None:
    huge = "x" * (1 << 20) + "\n"
    with malformed("larger than 1048576 bytes"):
        SignedNote.from_text(huge + "\n" + PETER_SIG)
    wide = "é" * (1 << 19) + "\n"  # fewer characters than the cap, more bytes
    with malformed("larger than 1048576 bytes"):
        SignedNote.from_text(wide + "\n" + PETER_SIG)


def test_signing_an_oversized_text_is_refused(peter: Signer) -> None:
    with pytest.raises(ValidationError, match="larger than"):
        SignedNote.sign("x" * (1 << 20) + "\n", [peter])


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (TEXT + "\n" + PETER_SIG.rstrip("\n"), "missing final newline"),
        (TEXT + PETER_SIG, "no blank line"),
        (TEXT + "\n" + PETER_SIG + "\n", "no signature lines"),
        (TEXT + "\n" + PETER_SIG.replace("—", "-"), "lacks"),
        (TEXT + "\n" + PETER_SIG.replace("AM=", "AN="), "not base64"),
        (TEXT + "\n" + PETER_SIG.replace("AM=", "AM"), "not base64"),
        (TEXT + "\n" + "— PeterNeumann AAAAAA==\n", "too short"),
        (TEXT + "\n" + f"— a+b {PETER_B64}\n", "invalid key name"),
        ("a\tb\n\n" + PETER_SIG, "control character U\\+0009"),
        ("a\rb\n\n" + PETER_SIG, "control character U\\+000D"),
        ("ab\ud800\n\n" + PETER_SIG, "not valid UTF-8"),
    ],
)
def test_malformed_notes_name_the_problem(message: str, problem: str) -> None:
    with malformed(problem) as info:
        SignedNote.from_text(message)
    assert info.value.reason == "malformed"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("no newline", "end in a newline"), ("bell\a\n", "control character"), ("\ud800\n", "UTF-8")],
)
def test_sign_refuses_bad_text(peter: Signer, text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        SignedNote.sign(text, [peter])


def test_sign_needs_distinct_signers(peter: Signer) -> None:
    with pytest.raises(ValidationError, match="needs 1 to 100 signatures"):
        SignedNote.sign(TEXT, [])
    with pytest.raises(ValidationError, match="signs twice"):
        SignedNote.sign(TEXT, [peter, Signer.from_text(PETER_SKEY)])


def test_ambiguous_verifiers_are_refused(peter: Signer, log_signer: Signer) -> None:
    forged = Verifier.from_text(PETER_VKEY)
    object.__setattr__(forged, "public_key", log_signer.verifier().public_key)
    signed = SignedNote.sign(TEXT, [peter])
    with pytest.raises(ValidationError, match=r"ambiguous verifier key PeterNeumann\+c74f20a3"):
        signed.verify([peter.verifier(), forged])
    assert signed.verify([peter.verifier(), peter.verifier()]) == (peter.verifier(),)


# Checkpoints.


def test_checkpoint_round_trips_with_extensions() -> None:
    checkpoint = Checkpoint("example.com/log", 7, ROOT, ("ext one", "ext+two"))
    assert checkpoint.to_text() == f"example.com/log\n7\n{ROOT64}\next one\next+two\n"
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


origins = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=60)
sizes = st.integers(min_value=0, max_value=2**63 - 1)
roots = st.binary(min_size=32, max_size=32)
extensions = st.lists(origins, max_size=3).map(tuple)


@given(origins, sizes, roots, extensions)
def test_any_checkpoint_round_trips(
    origin: str, size: int, root: bytes, ext: tuple[str, ...]
) -> None:
    checkpoint = Checkpoint(origin, size, root, ext)
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


@given(origins, sizes, roots)
def test_any_signed_checkpoint_opens(origin: str, size: int, root: bytes) -> None:
    signer = Signer.from_text(PETER_SKEY)
    checkpoint = Checkpoint(origin, size, root)
    opened = open_checkpoint(sign_checkpoint(checkpoint, signer), [signer.verifier()], origin)
    assert opened == checkpoint


@given(sizes, st.sampled_from(["0", "00", "+", "-", " ", "_"]))
def test_non_canonical_sizes_are_rejected(size: int, prefix: str) -> None:
    with pytest.raises(ValidationError, match="malformed checkpoint: invalid log size"):
        Checkpoint.from_text(f"o\n{prefix}{size}\n{ROOT64}\n")


@pytest.mark.parametrize(
    "size", ["007", "+7", "-1", "", " 7", "7 ", "1_000", "\u0667", "\uff17", "7.0", "1e3", "0x7"]
)
def test_invalid_log_size_is_named(size: str) -> None:
    with pytest.raises(ValidationError, match="malformed checkpoint: invalid log size"):
        Checkpoint.from_text(f"o\n{size}\n{ROOT64}\n")


@pytest.mark.parametrize("size", [str(2**63), str(2**64), "9" * 5000])
def test_log_size_beyond_int64_is_rejected(size: str) -> None:
    with pytest.raises(ValidationError, match="log size out of range"):
        Checkpoint.from_text(f"o\n{size}\n{ROOT64}\n")


def test_constructor_refuses_size_beyond_int64() -> None:
    with pytest.raises(ValidationError, match="log size out of range"):
        Checkpoint("o", 2**63, ROOT)


def test_largest_log_size_is_accepted() -> None:
    assert Checkpoint.from_text(f"o\n{2**63 - 1}\n{ROOT64}\n").size == 2**63 - 1


@pytest.mark.parametrize(
    ("root", "problem"),
    [
        ("not base64!", "not canonical base64"),
        (ROOT64.rstrip("="), "not canonical base64"),
        (ROOT64[:-2] + "9=", "not canonical base64"),  # non-zero padding bits
        (ROOT64 + "\r", "not canonical base64"),
        ("", "0 bytes, want 32"),
        (base64.b64encode(ROOT[:31]).decode(), "31 bytes, want 32"),
        (base64.b64encode(ROOT + b"!").decode(), "33 bytes, want 32"),
        (base64.urlsafe_b64encode(b"\xfb" * 32).decode(), "not canonical base64"),
    ],
)
def test_bad_root_hash_is_named(root: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=f"malformed checkpoint: root hash .*{problem}"):
        Checkpoint.from_text(f"o\n7\n{root}\n")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f"o\n7\n{ROOT64}", "missing final newline"),
        ("o\n7\n", "fewer than three lines"),
        (f"\n7\n{ROOT64}\n", "empty origin"),
        (f"o\n7\n{ROOT64}\n\n", "empty extension line"),
        (f"o\n7\n{ROOT64}\next\n\nmore\n", "empty extension line"),
        (f"o\to\n7\n{ROOT64}\n", "control character in origin"),
        (f"o\n7\n{ROOT64}\ne\x00\n", "control character in extension line"),
        (f"\ud800\n7\n{ROOT64}\n", "origin is not valid UTF-8"),
        ("o" * (1 << 20) + f"\n7\n{ROOT64}\n", "larger than"),
    ],
)
def test_malformed_checkpoints_name_the_problem(body: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=f"malformed checkpoint: {problem}"):
        Checkpoint.from_text(body)


def test_checkpoint_constructor_refuses_what_would_not_round_trip() -> None:
    with pytest.raises(ValidationError, match="control character in origin"):
        Checkpoint("two\nlines", 1, ROOT)
    with pytest.raises(ValidationError, match="empty extension line"):
        Checkpoint("o", 1, ROOT, ("",))
    with pytest.raises(ValidationError, match="log size out of range"):
        Checkpoint("o", -1, ROOT)


# open_checkpoint.


def test_edited_size_fails_verification(log_signer: Signer) -> None:
    signed = sign_checkpoint(Checkpoint("example.com/log", 7, ROOT), log_signer)
    with pytest.raises(VerificationError, match="invalid signature") as info:
        open_checkpoint(signed.replace("\n7\n", "\n8\n"), [log_signer.verifier()])
    assert info.value.reason == "signature_invalid"


def test_open_checkpoint_checks_the_origin(log_signer: Signer) -> None:
    signed = sign_checkpoint(Checkpoint("example.com/log", 7, ROOT), log_signer)
    assert open_checkpoint(signed, [log_signer.verifier()], "example.com/log").size == 7
    with pytest.raises(
        VerificationError, match=r"origin 'example\.com/log' is not 'other'"
    ) as info:
        open_checkpoint(signed, [log_signer.verifier()], "other")
    assert info.value.reason == "signature_invalid"


def test_open_checkpoint_rejects_a_signed_non_checkpoint(peter: Signer) -> None:
    signed = SignedNote.sign("origin\nseven\nroot\n", [peter]).to_text()
    with pytest.raises(VerificationError, match="malformed checkpoint: invalid log size") as info:
        open_checkpoint(signed, [peter.verifier()])
    assert info.value.reason == "malformed"


def test_open_checkpoint_verifies_before_reading_the_body(log_signer: Signer) -> None:
    forged = "o\nnot a size\nx\n\n" + PETER_SIG
    with pytest.raises(VerificationError, match="no signature from a known key"):
        open_checkpoint(forged, [log_signer.verifier()])


def test_open_checkpoint_reports_malformed_notes(log_signer: Signer) -> None:
    with pytest.raises(VerificationError, match="missing final newline") as info:
        open_checkpoint("o\n1\nx\n\n— a b", [log_signer.verifier()])
    assert info.value.reason == "malformed"


def test_all_is_sorted_and_complete() -> None:
    assert note.__all__ == sorted(note.__all__)
    defined = {
        name
        for name, value in vars(note).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == note.__name__
    }
    assert defined == set(note.__all__)
