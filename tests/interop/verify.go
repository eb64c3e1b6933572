// Command verify checks sealtrail's signed checkpoints, proofs and hash tiles with Go's own
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, reading our files unchanged.
//
// Usage:
//
//	verify DIR
//
// DIR holds what tests/interop/test_go_sumdb.py writes:
//
//	vkey                 the verifier key, name+hex8+base64(0x01 || public key)
//	origin               the origin every checkpoint must name
//	checkpoint/*         signed notes carrying C2SP tlog-checkpoint bodies
//	inclusion/*.json     output of `sealtrail prove inclusion`
//	consistency/*.json   output of `sealtrail prove consistency`
//	tile/L/NNN[.p/W]     hash tiles by their C2SP path (Go's path without the height element)
//
// Every check prints one line, "ok   ..." or "FAIL ...: reason"; the exit status is 1 when any
// check failed and 2 when DIR cannot be read at all.
//
// Build it offline against Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o verify verify.go
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the C2SP tlog-tiles height; C2SP paths leave it out, Go's paths carry it.
const tileHeight = 8

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: verify DIR")
		os.Exit(2)
	}
	c := &checker{dir: os.Args[1], tiles: tileDir(os.Args[1])}
	if err := c.run(); err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(2)
	}
	fmt.Printf("%d checks passed, %d failed\n", c.passed, c.failed)
	if c.failed > 0 {
		os.Exit(1)
	}
}

// A checkpoint is a signed note whose C2SP body verified and parsed.
type checkpoint struct {
	file string
	tree tlog.Tree
}

type checker struct {
	dir         string
	tiles       tileDir
	checkpoints map[int64]checkpoint
	latest      checkpoint
	passed      int
	failed      int
}

// report prints one check's outcome and counts it.
func (c *checker) report(what string, err error) bool {
	if err != nil {
		c.failed++
		fmt.Printf("FAIL %s: %v\n", what, err)
		return false
	}
	c.passed++
	fmt.Printf("ok   %s\n", what)
	return true
}

func (c *checker) run() error {
	vkey, err := readText(c.dir, "vkey")
	if err != nil {
		return err
	}
	origin, err := readText(c.dir, "origin")
	if err != nil {
		return err
	}
	verifier, err := note.NewVerifier(vkey)
	if !c.report(fmt.Sprintf("note.NewVerifier accepts verifier key %s", vkey), err) {
		return nil
	}
	notes, err := filepath.Glob(filepath.Join(c.dir, "checkpoint", "*"))
	if err != nil || len(notes) == 0 {
		return fmt.Errorf("no checkpoint/* files in %s", c.dir)
	}
	c.checkpoints = make(map[int64]checkpoint)
	for _, file := range notes {
		c.openCheckpoint(file, verifier, origin)
	}
	if len(c.checkpoints) == 0 {
		return nil
	}
	c.checkTilePaths()
	for _, size := range sortedSizes(c.checkpoints) {
		c.checkTiles(c.checkpoints[size])
	}
	if err := c.forEachJSON("inclusion", c.checkInclusion); err != nil {
		return err
	}
	return c.forEachJSON("consistency", c.checkConsistency)
}

// openCheckpoint verifies a signed note with note.Open and parses its checkpoint body.
func (c *checker) openCheckpoint(file string, verifier note.Verifier, origin string) {
	name := filepath.Base(file)
	msg, err := os.ReadFile(file)
	if err != nil {
		c.report("read checkpoint/"+name, err)
		return
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if !c.report(fmt.Sprintf("note.Open verifies checkpoint/%s", name), err) {
		return
	}
	tree, err := parseCheckpoint(n.Text, origin)
	what := fmt.Sprintf("checkpoint/%s body parses", name)
	if err == nil {
		what += fmt.Sprintf(" (origin %q, size %d, root %s)", origin, tree.N, tree.Hash)
	}
	if !c.report(what, err) {
		return
	}
	cp := checkpoint{file: "checkpoint/" + name, tree: tree}
	if old, ok := c.checkpoints[tree.N]; ok && old.tree != tree {
		c.report(cp.file, fmt.Errorf("a second root for size %d (%s)", tree.N, old.file))
		return
	}
	c.checkpoints[tree.N] = cp
	if tree.N >= c.latest.tree.N {
		c.latest = cp
	}
}

// parseCheckpoint reads a C2SP tlog-checkpoint body: origin, size, base64 root, extensions.
//
// x/mod's tlog.ParseTree reads the go.sum form of the same body, whose first line is the fixed
// "go.sum database tree" where C2SP puts the origin. So the origin is checked here and the rest,
// unchanged, goes to ParseTree for its strict size and hash parsing.
func parseCheckpoint(text, origin string) (tlog.Tree, error) {
	first, rest, ok := strings.Cut(text, "\n")
	if !ok {
		return tlog.Tree{}, fmt.Errorf("no origin line")
	}
	if first != origin {
		return tlog.Tree{}, fmt.Errorf("origin %q, want %q", first, origin)
	}
	return tlog.ParseTree([]byte("go.sum database tree\n" + rest))
}

// checkTilePaths checks every file under tile/ against Go's canonical tile paths.
func (c *checker) checkTilePaths() {
	count := 0
	root := filepath.Join(c.dir, "tile")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(c.dir, path)
		if err != nil {
			return err
		}
		t, err := parseC2SPTilePath(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() != int64(t.W*tlog.HashSize) {
			return fmt.Errorf("%s: %d bytes, want %d", rel, info.Size(), t.W*tlog.HashSize)
		}
		count++
		return nil
	})
	c.report(fmt.Sprintf("tlog.ParseTilePath accepts all %d tile paths (with height %d added)",
		count, tileHeight), err)
}

// checkTiles authenticates every tile of cp's tree against its signed root, then has Go
// recompute the root through tlog.TileHashReader and, for older checkpoints, its own consistency
// proof to the latest one from our tiles.
func (c *checker) checkTiles(cp checkpoint) {
	n := cp.tree.N
	tiles := treeTiles(n)
	c.report(fmt.Sprintf("all %d tiles of tree %d authenticate against %s "+
		"(tlog.TreeHash over tlog.HashFromTile, full tiles against their parents)",
		len(tiles), n, cp.file), c.authenticateTiles(cp.tree, tiles))

	reader := tlog.TileHashReader(cp.tree, c.tiles)
	root, err := tlog.TreeHash(n, reader)
	c.report(fmt.Sprintf("tlog.TreeHash(%d) from our tiles equals the signed root", n),
		sameHash(root, cp.tree.Hash, err))

	latest := c.latest.tree
	if n == latest.N || n == 0 {
		return
	}
	newer := tlog.TileHashReader(latest, c.tiles)
	root, err = tlog.TreeHash(n, newer)
	c.report(fmt.Sprintf("tlog.TreeHash(%d) from the tiles of tree %d equals the signed root",
		n, latest.N), sameHash(root, cp.tree.Hash, err))
	proof, err := tlog.ProveTree(latest.N, n, newer)
	if err == nil {
		err = tlog.CheckTree(proof, latest.N, latest.Hash, n, cp.tree.Hash)
	}
	c.report(fmt.Sprintf("tlog.ProveTree/CheckTree: %s is consistent with %s",
		cp.file, c.latest.file), err)
}

// authenticateTiles checks the tiles of tree (treeTiles) against tree.Hash with tlog's tile
// math: the tree hash recomputed from the tiles covers the partial tiles on the right edge and
// the tiles above them, and the root of each full tile must be its entry in the parent tile.
//
// It does not lean on tlog.TileHashReader for this: in x/mod 0.7.0 its "authenticate full tiles
// against their parents" loop starts at len(stx), the number of subtree hashes of the tree, not
// at the number of distinct tiles holding them, so when two of those hashes share a tile (tree
// 70000: 6 hashes in 3 tiles) the first tiles fetched for the requested indexes go unchecked and
// a changed hash in them is returned without an error.
func (c *checker) authenticateTiles(tree tlog.Tree, tiles []tlog.Tile) error {
	data, err := c.tiles.ReadTiles(tiles)
	if err != nil {
		return err
	}
	byTile := make(map[tlog.Tile][]byte, len(tiles))
	for i, t := range tiles {
		byTile[t] = data[i]
	}
	raw := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hashes := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			t := widen(tlog.TileForIndex(tileHeight, x), tree.N)
			if hashes[i], err = tlog.HashFromTile(t, byTile[t], x); err != nil {
				return nil, err
			}
		}
		return hashes, nil
	})
	root, err := tlog.TreeHash(tree.N, raw)
	if err = sameHash(root, tree.Hash, err); err != nil {
		return fmt.Errorf("tree hash from the tiles: %v", err)
	}
	for i := len(tiles) - 1; i >= 0; i-- { // top level first, so a failure names the changed tile
		t := tiles[i]
		if t.W < 1<<tileHeight {
			continue
		}
		top := (t.L+1)*tileHeight - 1 // a full tile's two halves are hashes of this level
		left, err := tlog.HashFromTile(t, byTile[t], tlog.StoredHashIndex(top, 2*t.N))
		if err != nil {
			return err
		}
		right, err := tlog.HashFromTile(t, byTile[t], tlog.StoredHashIndex(top, 2*t.N+1))
		if err != nil {
			return err
		}
		parent, err := raw.ReadHashes([]int64{tlog.StoredHashIndex(top+1, t.N)})
		if err = sameHash(tlog.NodeHash(left, right), parent[0], err); err != nil {
			return fmt.Errorf("tile %s: its root is not its parent's entry: %v", c2spPath(t), err)
		}
	}
	return nil
}

// inclusionProof is the JSON of `sealtrail prove inclusion`.
type inclusionProof struct {
	Index    int64       `json:"index"`
	Size     int64       `json:"size"`
	Root     tlog.Hash   `json:"root"`
	Entry    []byte      `json:"entry"`
	LeafHash tlog.Hash   `json:"leaf_hash"`
	Proof    []tlog.Hash `json:"proof"`
}

func (c *checker) checkInclusion(name string, data []byte) {
	var p inclusionProof
	if !c.report(name+" decodes", decodeStrict(data, &p)) {
		return
	}
	what := fmt.Sprintf("%s (record %d in tree %d)", name, p.Index, p.Size)
	leaf := tlog.RecordHash(p.Entry)
	c.report(what+": leaf_hash is tlog.RecordHash(entry)", sameHash(p.LeafHash, leaf, nil))
	cp, ok := c.checkpoints[p.Size]
	if !c.report(what+": root is a signed checkpoint's", c.signedRoot(cp, ok, p.Size, p.Root)) {
		return
	}
	err := tlog.CheckRecord(tlog.RecordProof(p.Proof), p.Size, cp.tree.Hash, p.Index, leaf)
	c.report(what+": tlog.CheckRecord", err)

	reader := tlog.TileHashReader(cp.tree, c.tiles)
	stored, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, p.Index)})
	if err == nil {
		err = sameHash(stored[0], leaf, nil)
	}
	c.report(what+": the level-0 tile holds tlog.RecordHash(entry)", err)
	for _, tree := range c.provingTrees(cp) {
		proof, err := tlog.ProveRecord(p.Size, p.Index, tlog.TileHashReader(tree, c.tiles))
		c.report(fmt.Sprintf("%s: tlog.ProveRecord over the tiles of tree %d gives our proof",
			what, tree.N), sameProof(proof, p.Proof, err))
	}
}

// consistencyProof is the JSON of `sealtrail prove consistency`.
type consistencyProof struct {
	OldSize int64       `json:"old_size"`
	Size    int64       `json:"size"`
	OldRoot tlog.Hash   `json:"old_root"`
	Root    tlog.Hash   `json:"root"`
	Proof   []tlog.Hash `json:"proof"`
}

func (c *checker) checkConsistency(name string, data []byte) {
	var p consistencyProof
	if !c.report(name+" decodes", decodeStrict(data, &p)) {
		return
	}
	what := fmt.Sprintf("%s (tree %d to %d)", name, p.OldSize, p.Size)
	cp, ok := c.checkpoints[p.Size]
	if !c.report(what+": root is a signed checkpoint's", c.signedRoot(cp, ok, p.Size, p.Root)) {
		return
	}
	reader := tlog.TileHashReader(cp.tree, c.tiles)
	oldRoot, err := tlog.TreeHash(p.OldSize, reader)
	c.report(what+": old_root is tlog.TreeHash over our tiles", sameHash(p.OldRoot, oldRoot, err))
	if old, ok := c.checkpoints[p.OldSize]; ok {
		c.report(what+": old_root is "+old.file+"'s", sameHash(p.OldRoot, old.tree.Hash, nil))
	}
	err = tlog.CheckTree(tlog.TreeProof(p.Proof), p.Size, cp.tree.Hash, p.OldSize, p.OldRoot)
	c.report(what+": tlog.CheckTree", err)
	for _, tree := range c.provingTrees(cp) {
		proof, err := tlog.ProveTree(p.Size, p.OldSize, tlog.TileHashReader(tree, c.tiles))
		c.report(fmt.Sprintf("%s: tlog.ProveTree over the tiles of tree %d gives our proof",
			what, tree.N), sameProof(proof, p.Proof, err))
	}
}

// signedRoot checks that a proof's tree is one a checkpoint signed.
func (c *checker) signedRoot(cp checkpoint, ok bool, size int64, root tlog.Hash) error {
	if !ok {
		return fmt.Errorf("no signed checkpoint of size %d", size)
	}
	return sameHash(root, cp.tree.Hash, nil)
}

// provingTrees are the trees whose tiles Go proves from: the proof's own and the latest.
func (c *checker) provingTrees(cp checkpoint) []tlog.Tree {
	if cp.tree == c.latest.tree {
		return []tlog.Tree{cp.tree}
	}
	return []tlog.Tree{cp.tree, c.latest.tree}
}

// forEachJSON runs check on every DIR/sub/*.json file, in name order.
func (c *checker) forEachJSON(sub string, check func(name string, data []byte)) error {
	files, err := filepath.Glob(filepath.Join(c.dir, sub, "*.json"))
	if err != nil {
		return err
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		check(sub+"/"+filepath.Base(file), data)
	}
	return nil
}

// tileDir is a tlog.TileReader over hash tiles stored as files under their C2SP paths.
type tileDir string

func (d tileDir) Height() int { return tileHeight }

func (d tileDir) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := c2spPath(t)
		b, err := os.ReadFile(filepath.Join(string(d), filepath.FromSlash(path)))
		if err != nil {
			return nil, err
		}
		if len(b) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("tile %s: %d bytes, want %d", path, len(b), t.W*tlog.HashSize)
		}
		data[i] = b
	}
	return data, nil
}

func (d tileDir) SaveTiles([]tlog.Tile, [][]byte) {}

// c2spPath is Go's tile path without its height element: tile/8/L/NNN -> tile/L/NNN.
func c2spPath(t tlog.Tile) string {
	return "tile/" + strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", tileHeight))
}

// parseC2SPTilePath is the inverse of c2spPath, through Go's strict tlog.ParseTilePath.
func parseC2SPTilePath(path string) (tlog.Tile, error) {
	if !strings.HasPrefix(path, "tile/") {
		return tlog.Tile{}, fmt.Errorf("malformed tile path %q", path)
	}
	rest := strings.TrimPrefix(path, "tile/")
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", tileHeight, rest))
	if err != nil {
		return tlog.Tile{}, err
	}
	if t.H != tileHeight || t.L < 0 || c2spPath(t) != path {
		return tlog.Tile{}, fmt.Errorf("not a C2SP hash tile path %q", path)
	}
	return t, nil
}

// treeTiles are the tiles of the tree of size n, lowest level first: every full tile and, per
// level, the rightmost partial tile at its current width (tlog.NewTiles also lists every
// narrower partial width).
func treeTiles(n int64) []tlog.Tile {
	var tiles []tlog.Tile
	for _, t := range tlog.NewTiles(tileHeight, 0, n) {
		if t == widen(t, n) {
			tiles = append(tiles, t)
		}
	}
	return tiles
}

// widen is tile t at its width in the tree of size n, as the tree's tile files hold it.
func widen(t tlog.Tile, n int64) tlog.Tile {
	width := (n >> uint(tileHeight*t.L)) - t.N<<tileHeight
	if width > 1<<tileHeight {
		width = 1 << tileHeight
	}
	t.W = int(width)
	return t
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}

func sameHash(got, want tlog.Hash, err error) error {
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("got %s, want %s", got, want)
	}
	return nil
}

func sameProof(got, want []tlog.Hash, err error) error {
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("Go's proof has %d hashes, ours %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("hash %d: Go's %s, ours %s", i, got[i], want[i])
		}
	}
	return nil
}

func readText(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	return strings.TrimSuffix(string(b), "\n"), err
}

func sortedSizes(m map[int64]checkpoint) []int64 {
	sizes := make([]int64, 0, len(m))
	for size := range m {
		sizes = append(sizes, size)
	}
	sort.Slice(sizes, func(i, j int) bool { return sizes[i] < sizes[j] })
	return sizes
}
