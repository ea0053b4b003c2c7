// Command tlogverify checks Passport Ledger output with the Go team's own transparency-log
// packages (golang.org/x/mod/sumdb/note and sumdb/tlog), as an outside auditor would.
//
//	tlogverify inclusion VKEY_FILE RECORD_FILE PROOF_BUNDLE_FILE
//	tlogverify consistency VKEY_FILE OLD_CHECKPOINT_FILE NEW_CHECKPOINT_FILE PROOF_FILE
//	tlogverify tiles VKEY_FILE BASE_URL [TOKEN]
//
// The tiles check follows a log over HTTP as a C2SP tlog-tiles client does: it fetches the
// checkpoint, reads hash tiles through tlog.TileHashReader (which authenticates every tile
// against the signed root), proves every record's inclusion from the tiles alone, and checks each
// record (GET /records/N, with TOKEN as a bearer token) and each entry bundle against them.
//
// Prints "ok" and exits 0 when the check passes; prints the reason and exits 1 otherwise.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func fail(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fail("read %s: %v", path, err)
	}
	return b
}

func openCheckpoint(vkey string, msg []byte) checkpoint {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		fail("checkpoint has %d lines", len(lines))
	}
	if lines[0] != v.Name() {
		fail("checkpoint origin %q is not the key name %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("tree size: %v", err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("root hash: %v", err)
	}
	return checkpoint{lines[0], size, root}
}

func hashes(lines []string) []tlog.Hash {
	var out []tlog.Hash
	for _, l := range lines {
		if l == "" {
			continue
		}
		h, err := tlog.ParseHash(l)
		if err != nil {
			fail("proof hash %q: %v", l, err)
		}
		out = append(out, h)
	}
	return out
}

// get fetches BASE_URL/path, with a bearer token if one was given.
func get(base, path, token string) []byte {
	req, err := http.NewRequest("GET", strings.TrimSuffix(base, "/")+"/"+path, nil)
	if err != nil {
		fail("request %s: %v", path, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	if resp.StatusCode != 200 {
		fail("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

// tileServer reads C2SP tlog-tiles (tile/<L>/<N>, no height element) over HTTP for TileHashReader.
// Fetched tiles are kept, as a client's tile cache would (a full tile never changes).
type tileServer struct {
	base, token string
	fetched    int
	cache      map[string][]byte
}

func (t *tileServer) Height() int { return 8 }

func (t *tileServer) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	var out [][]byte
	for _, tile := range tiles {
		// Go's sumdb path is tile/8/<L>/<N>; C2SP tlog-tiles drops the height.
		path := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		if data, ok := t.cache[path]; ok {
			out = append(out, data)
			continue
		}
		data := get(t.base, path, "")
		t.cache[path] = data
		out = append(out, data)
		t.fetched++
	}
	return out, nil
}

func (t *tileServer) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	if len(os.Args) < 2 {
		fail("usage: tlogverify inclusion|consistency ...")
	}
	switch os.Args[1] {
	case "inclusion":
		vkey := strings.TrimSpace(string(read(os.Args[2])))
		record := bytes.TrimRight(read(os.Args[3]), "\n")
		bundle := string(read(os.Args[4]))
		parts := strings.SplitN(bundle, "\n\n", 2)
		if len(parts) != 2 {
			fail("bundle has no blank line")
		}
		head := strings.Split(parts[0], "\n")
		if head[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(head[1], "index ") {
			fail("bundle header is wrong")
		}
		index, err := strconv.ParseInt(strings.TrimPrefix(head[1], "index "), 10, 64)
		if err != nil {
			fail("index: %v", err)
		}
		cp := openCheckpoint(vkey, []byte(parts[1]))
		if err := tlog.CheckRecord(tlog.RecordProof(hashes(head[2:])), cp.size, cp.root, index, tlog.RecordHash(record)); err != nil {
			fail("inclusion: %v", err)
		}
		fmt.Printf("ok: record %d is in %s at tree size %d (root %s)\n", index, cp.origin, cp.size, base64.StdEncoding.EncodeToString(cp.root[:]))
	case "consistency":
		vkey := strings.TrimSpace(string(read(os.Args[2])))
		older := openCheckpoint(vkey, read(os.Args[3]))
		newer := openCheckpoint(vkey, read(os.Args[4]))
		proof := hashes(strings.Split(string(read(os.Args[5])), "\n"))
		if err := tlog.CheckTree(tlog.TreeProof(proof), newer.size, newer.root, older.size, older.root); err != nil {
			fail("consistency: %v", err)
		}
		fmt.Printf("ok: tree %d is a prefix of tree %d\n", older.size, newer.size)
	case "tiles":
		vkey := strings.TrimSpace(string(read(os.Args[2])))
		base := os.Args[3]
		token := ""
		if len(os.Args) > 4 {
			token = os.Args[4]
		}
		cp := openCheckpoint(vkey, get(base, "checkpoint", ""))
		server := &tileServer{base: base, cache: map[string][]byte{}}
		hashes := tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, server)
		for i := int64(0); i < cp.size; i++ {
			proof, err := tlog.ProveRecord(cp.size, i, hashes)
			if err != nil {
				fail("prove record %d from tiles: %v", i, err)
			}
			record := get(base, fmt.Sprintf("records/%d", i), token)
			if err := tlog.CheckRecord(proof, cp.size, cp.root, i, tlog.RecordHash(record)); err != nil {
				fail("record %d: %v", i, err)
			}
		}
		// Entry bundles: each entry a 16-bit big-endian length and the record's bytes.
		entries := int64(0)
		for n := int64(0); n*256 < cp.size; n++ {
			w := cp.size - n*256
			if w > 256 {
				w = 256
			}
			path := strings.Replace(tlog.Tile{H: 8, L: -1, N: n, W: int(w)}.Path(), "tile/8/data/", "tile/entries/", 1)
			bundle := get(base, path, token)
			for j := int64(0); j < w; j++ {
				if len(bundle) < 2 {
					fail("entry bundle %d ends before entry %d", n, j)
				}
				size := int(bundle[0])<<8 | int(bundle[1])
				if len(bundle) < 2+size {
					fail("entry bundle %d: entry %d is cut short", n, j)
				}
				got := tlog.RecordHash(bundle[2 : 2+size])
				want, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, n*256+j)})
				if err != nil {
					fail("leaf hash %d: %v", n*256+j, err)
				}
				if got != want[0] {
					fail("entry %d of bundle %d is not the record in the log", j, n)
				}
				bundle = bundle[2+size:]
				entries++
			}
			if len(bundle) != 0 {
				fail("entry bundle %d has %d bytes after its %d entries", n, len(bundle), w)
			}
		}
		fmt.Printf("ok: %d records of %s proven from %d tiles, %d entries checked\n", cp.size, cp.origin, server.fetched, entries)
	default:
		fail("unknown check %q", os.Args[1])
	}
}
