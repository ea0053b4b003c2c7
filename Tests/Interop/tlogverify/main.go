// Command tlogverify checks Passport Ledger output with the Go team's own transparency-log
// packages (golang.org/x/mod/sumdb/note and sumdb/tlog), as an outside auditor would.
//
//	tlogverify inclusion VKEY_FILE RECORD_FILE PROOF_BUNDLE_FILE
//	tlogverify consistency VKEY_FILE OLD_CHECKPOINT_FILE NEW_CHECKPOINT_FILE PROOF_FILE
//
// Prints "ok" and exits 0 when the check passes; prints the reason and exits 1 otherwise.
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
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
	default:
		fail("unknown check %q", os.Args[1])
	}
}
