"""Go's own ``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` accept our output unchanged.

A ledger is built with the ``sealtrail`` command in batches, so that several signed checkpoints
cover trees with partial tiles on every level up to level 2 (70,000 leaves). Its verifier key,
checkpoints, inclusion and consistency proofs and hash tiles are written to a directory, and
``verify.go``, built from Debian's ``golang-golang-x-mod-dev`` (``scripts/install-test-deps``),
checks them with the real library: it opens the notes, checks the proofs, authenticates every tile
against the signed roots and recomputes our proofs from our tiles, which must match byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from sealtrail.ledger.log import Ledger
from sealtrail.ledger.tiles import TILE_HEIGHT, TILE_WIDTH, Tile
from tests.conftest import missing_component
from tests.ledger.conftest import pull_event

VERIFY_GO = Path(__file__).with_name("verify.go")
SEALTRAIL = shutil.which("sealtrail", path=str(Path(sys.executable).parent)) or "sealtrail"
ORIGIN = "interop.test.example/sealtrail"
XMOD = Path("src/golang.org/x/mod/sumdb")
GOPATHS = (Path("/usr/share/gocode"),)  # where Debian's golang-golang-x-mod-dev puts x/mod
INSTALL_HINT = "run scripts/install-test-deps (Debian golang-go golang-golang-x-mod-dev)"

BATCH = 10_000  # the documented largest batch
CHECKPOINT_SIZES = (1, 256, 300, 65_536, 70_000)
"""Trees of one leaf, one full tile, a level-1 partial, a full level-1 tile and 70,000 leaves."""
INCLUSIONS = (
    (0, 1),
    (0, 256),
    (255, 256),
    (256, 300),
    (299, 300),
    (12_345, 65_536),
    (65_535, 65_536),
    (0, 70_000),
    (255, 70_000),
    (256, 70_000),
    (65_535, 70_000),
    (65_536, 70_000),
    (69_999, 70_000),
)
"""(index, size) pairs on both sides of every tile boundary."""
CONSISTENCIES = (
    (1, 256),
    (256, 300),
    (300, 65_536),
    (1, 70_000),
    (257, 70_000),
    (12_345, 70_000),
    (65_536, 70_000),
    (70_000, 70_000),
)
"""(old size, size) pairs; old sizes 257 and 12,345 were never signed."""


def sealtrail(*args: str) -> str:
    result = subprocess.run(
        [SEALTRAIL, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def go_env(gopath: Path, build: Path) -> dict[str, str]:
    """An offline GOPATH-mode build: no modules, no proxy, no user go.env, a private cache."""
    return {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(gopath),
        "GOCACHE": str(build / "cache"),
        "GOENV": "off",
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    }


@pytest.fixture(scope="session")
def go_sumdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``verify.go`` built once per session against the x/mod source; skipped (failed in CI)
    when Go or x/mod is missing."""
    go = shutil.which("go")
    gopath = next((root for root in GOPATHS if (root / XMOD / "tlog").is_dir()), None)
    if go is None or gopath is None:
        missing = "the go command" if go is None else f"golang.org/x/mod under {GOPATHS[0]}"
        missing_component(f"{missing} not found: {INSTALL_HINT}")
    build = tmp_path_factory.mktemp("go-sumdb")
    binary = build / "verify"
    result = subprocess.run(
        [go, "build", "-o", str(binary), str(VERIFY_GO)],
        env=go_env(gopath, build),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"go build failed:\n{result.stderr}"
    return binary


def tree_tiles(size: int) -> Iterator[Tile]:
    """Every tile of the tree of ``size`` leaves: the full ones and each level's partial one."""
    level = 0
    while count := size >> (TILE_HEIGHT * level):
        full, width = divmod(count, TILE_WIDTH)
        yield from (Tile(level, n) for n in range(full))
        if width:
            yield Tile(level, full, width)
        level += 1


def build_ledger(data: Path, scratch: Path) -> dict[int, str]:
    """Append events up to each of ``CHECKPOINT_SIZES``; the signed note after each append."""
    sealtrail("init", "--dir", str(data), "--origin", ORIGIN)
    notes = {}
    size = 0
    for target in CHECKPOINT_SIZES:
        while size < target:
            count = min(BATCH, target - size)
            events = scratch / f"events-{size}.jsonl"
            events.write_bytes(
                b"".join(orjson.dumps(pull_event(i)) + b"\n" for i in range(size, size + count))
            )
            appended = orjson.loads(sealtrail("append", "--dir", str(data), str(events)))
            assert appended["size"] == size + count
            size += count
            notes[size] = sealtrail("checkpoint", "--dir", str(data))
    return notes


def write_tiles(data: Path, out: Path, sizes: Iterable[int]) -> None:
    """Every tile of every checkpoint's tree, as ``store.read_tiles`` holds it, by C2SP path.

    A tile row holds the tile at the log's current width: the latest tree's tiles are written
    byte for byte, an older tree's partial tiles as their prefix (what C2SP serves as ``.p/W``).
    """
    with Ledger.open(data) as ledger:
        latest = ledger.size()
        for size in sizes:
            tiles = list(tree_tiles(size))
            for tile, content in zip(tiles, ledger.store.read_tiles(tiles), strict=True):
                if size == latest:
                    assert len(content) == tile.width * 32, tile.path()
                path = out / tile.path()
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content[: tile.width * 32])


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of everything ``verify.go`` reads, from a ledger of 70,000 events."""
    scratch = tmp_path_factory.mktemp("interop-ledger")
    data = scratch / "sealtrail-data"
    out = tmp_path_factory.mktemp("interop-export")
    notes = build_ledger(data, scratch)
    (out / "vkey").write_text(sealtrail("verifier-key", "--dir", str(data)))
    (out / "origin").write_text(ORIGIN + "\n")
    (out / "checkpoint").mkdir()
    for size, note in notes.items():
        (out / "checkpoint" / f"{size:06d}").write_text(note)
    commands = [
        (f"inclusion/{i}-{n}.json", ("inclusion", str(i), "--size", str(n))) for i, n in INCLUSIONS
    ] + [
        (f"consistency/{m}-{n}.json", ("consistency", str(m), "--size", str(n)))
        for m, n in CONSISTENCIES
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        proofs = pool.map(lambda c: sealtrail("prove", *c[1], "--dir", str(data)), commands)
        for (name, _), proof in zip(commands, proofs, strict=True):
            (out / name).parent.mkdir(exist_ok=True)
            (out / name).write_text(proof)
    write_tiles(data, out, notes)
    return out


def run_go(binary: Path, directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), str(directory)], capture_output=True, text=True, timeout=120, check=False
    )


def test_go_accepts_our_notes_proofs_and_tiles(go_sumdb: Path, exported: Path) -> None:
    result = run_go(go_sumdb, exported)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("ok   ") for line in lines[:-1]), result.stdout
    notes = len(list((exported / "checkpoint").iterdir()))
    assert sum("note.Open verifies" in line for line in lines) == notes
    assert sum("tlog.CheckRecord" in line for line in lines) == len(INCLUSIONS)
    assert sum("tlog.CheckTree" in line for line in lines) == len(CONSISTENCIES)
    proved = [line for line in lines if "gives our proof" in line]
    assert len(proved) >= len(INCLUSIONS) + len(CONSISTENCIES)
    assert lines[-1].endswith(" 0 failed")


def flip_base64(text: str, start: int) -> str:
    """``text`` with the base64 character at or after ``start`` changed to another one."""
    position = start + next(i for i, c in enumerate(text[start:]) if c.isalnum())
    return text[:position] + ("B" if text[position] == "A" else "A") + text[position + 1 :]


def tamper_checkpoint(out: Path) -> str:
    note = max((out / "checkpoint").iterdir())
    text = note.read_text()
    note.write_text(flip_base64(text, text.index("\n", len(ORIGIN) + 1) + 1))
    return f"FAIL note.Open verifies checkpoint/{note.name}: invalid signature"


def tamper_inclusion(out: Path) -> str:
    proof = out / "inclusion" / "256-70000.json"
    data = orjson.loads(proof.read_bytes())
    data["proof"][3] = flip_base64(data["proof"][3], 0)
    proof.write_bytes(orjson.dumps(data))
    return "FAIL inclusion/256-70000.json (record 256 in tree 70000): tlog.CheckRecord"


def tamper_consistency(out: Path) -> str:
    proof = out / "consistency" / "300-65536.json"
    data = orjson.loads(proof.read_bytes())
    data["old_root"] = flip_base64(data["old_root"], 0)
    proof.write_bytes(orjson.dumps(data))
    return "FAIL consistency/300-65536.json (tree 300 to 65536): tlog.CheckTree"


@pytest.mark.parametrize("tamper", [tamper_checkpoint, tamper_inclusion, tamper_consistency])
def test_go_rejects_a_changed_note_or_proof(
    go_sumdb: Path, exported: Path, tmp_path: Path, tamper: Callable[[Path], str]
) -> None:
    copy = tmp_path / "export"
    shutil.copytree(exported, copy)
    expected = tamper(copy)
    result = run_go(go_sumdb, copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout, result.stdout


@pytest.mark.parametrize(
    ("tile", "reason"),
    [
        (Tile(0, 100), "tile tile/0/100: its root is not its parent's entry"),
        (Tile(1, 0), "tile tile/1/000: its root is not its parent's entry"),
        (Tile(0, 273, 112), "tree hash from the tiles"),
        (Tile(2, 0, 1), "tree hash from the tiles"),
    ],
)
def test_go_rejects_a_changed_tile(
    go_sumdb: Path, exported: Path, tmp_path: Path, tile: Tile, reason: str
) -> None:
    """Full tiles fail against their parent, edge tiles against the signed root.

    x/mod's TileHashReader alone misses the first case for tree 70,000 (see verify.go).
    """
    copy = tmp_path / "export"
    shutil.copytree(exported, copy)
    path = copy / tile.path()
    content = bytearray(path.read_bytes())
    content[-1] ^= 1
    path.write_bytes(bytes(content))
    result = run_go(go_sumdb, copy)
    assert result.returncode == 1, result.stdout + result.stderr
    tiles = len(list(tree_tiles(70_000)))
    assert f"FAIL all {tiles} tiles of tree 70000 authenticate" in result.stdout, result.stdout
    assert reason in result.stdout, result.stdout
