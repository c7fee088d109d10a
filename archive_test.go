package udkit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/internal/realtools"
)

// archiveDocs are archives beyond the real-world corpus, for the quirks
// the corpus does not have: aliases, skipped entries, keys that become
// headers, an entry with no content.
var archiveDocs = []string{
	"#cloud-config-archive\n- &a {content: \"#!/bin/sh\\necho a\\n\", filename: a.sh}\n- *a\n- [1, 2]\n- 7\n- &c \"#cloud-config\\nhostname: x\\n\"\n- {type: text/cloud-config, content: *c}\n",
	"#cloud-config-archive\n- &c |\n  #cloud-config\n  timezone: Etc/UTC\n- {content: *c, filename: again.yaml, Merge-Type: 'list(append)+dict(recurse_array)+str()'}\n- {filename: empty.txt}\n- {type: TEXT/X-ShellScript; charset=utf-8, content: \"#!/bin/sh\\n\"}\n",
	"#cloud-config-archive\n- {filename: , content: \"#!/bin/sh\\n\"}\n- {filename: 0755, content: \"#!/bin/sh\\n\"}\n- {filename: yes, content: \"#!/bin/sh\\n\"}\n- {filename: '0755', content: \"#!/bin/sh\\n\"}\n",
	"#cloud-config-archive\n- {type: 0, content: \"#!/bin/sh\\n\", X-A: y, X-B: n}\n- {type: {}, content: \"#!/bin/sh\\n\", X-C: yEs}\n- {type: off, content: \"#cloud-boothook\\n\"}\n- {type: ~, content: x, filename: ON, launch-index: ~}\n- {type: '', content: x, filename: yEs}\n- \"  #cloud-config\\nruncmd: [a]\\n\"\n  # a comment\n- 'first line\n\nsecond'\n",
	"#cloud-config-archive\n- type: text/cloud-config\n  launch-index: 0o1\n  content: |1\n     #cloud-config\n     runcmd: [[echo, hi]]\n",
}

// TestExpandArchiveMatchesCloudInit checks ExpandArchive against
// cloud-init's own user-data processor on every archive of the real-world
// corpus and on archiveDocs: the same parts, in order, with the same type,
// filename, merge type, launch index and payload.
func TestExpandArchiveMatchesCloudInit(t *testing.T) {
	var docs [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "realworld", "archive-*.txt"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("#cloud-config-archive")) {
			continue // a MIME part: cmd/udkit's corpus test has it
		}
		docs = append(docs, b)
	}
	for _, d := range archiveDocs {
		docs = append(docs, []byte(d))
	}
	if len(docs) < 8 {
		t.Fatalf("only %d archives", len(docs))
	}
	res := realtools.CloudInitExpand(t, docs...)
	for i, doc := range docs {
		entries, err := ExpandArchive(doc, NewBudget())
		if err != nil {
			t.Errorf("%q: %v", doc, err)
			continue
		}
		if res[i].Err != "" {
			t.Errorf("%q: cloud-init fails (%s), ExpandArchive does not", doc, res[i].Err)
			continue
		}
		got := res[i].Parts
		if len(got) != len(entries) {
			t.Errorf("%q: %d entries, cloud-init %d parts", doc, len(entries), len(got))
			continue
		}
		for k, e := range entries {
			c := got[k]
			li := res[i].LaunchIndex[k]
			if e.ContentType != c.ContentType || e.Filename != c.Filename || e.MergeType != c.MergeType || string(e.Body) != string(c.Payload) || (e.HasLaunchIndex && e.LaunchIndex != li) {
				t.Errorf("%q entry %d:\n udkit      %s %q merge %q launch %q %q\n cloud-init %s %q merge %q launch %q %q", doc, k+1,
					e.ContentType, e.Filename, e.MergeType, e.LaunchIndex, e.Body, c.ContentType, c.Filename, c.MergeType, li, c.Payload)
			}
		}
	}
}

// TestExpandArchiveErrors checks the archives cloud-init does not expand
// as written, against cloud-init: acting on no part at all (Entry > 0:
// its processor raises) or on no entry of the archive (Entry 0).
func TestExpandArchiveErrors(t *testing.T) {
	tests := []struct {
		doc   string
		entry int
		empty bool
	}{
		{"#cloud-config-archive\n", 0, true},
		{"#cloud-config-archive\n~\n", 0, true},
		{"#cloud-config-archive\n{content: x}\n", 0, false},
		{"#cloud-config-archive\n- [1\n", 0, false},
		{"#cloud-config-archive\n- {content: x}\n- {type: shellscript, content: x}\n", 2, false},
		{"#cloud-config-archive\n- {content: [1]}\n", 1, false},
		{"#cloud-config-archive\n- {content: x, X-Note: yes}\n", 1, false},
		{"#cloud-config-archive\n- {content: x, type: {a: b}}\n", 1, false},
		{"#cloud-config-archive\n- {content: x, type: 5}\n", 1, false},
		{"#cloud-config-archive\n- {content: x, type: On}\n", 1, false},
	}
	var docs [][]byte
	for _, tc := range tests {
		docs = append(docs, []byte(tc.doc))
	}
	res := realtools.CloudInitExpand(t, docs...)
	for i, tc := range tests {
		_, err := ExpandArchive([]byte(tc.doc), nil)
		var ae *ArchiveError
		if !errors.As(err, &ae) || ae.Entry != tc.entry || ae.Empty != tc.empty {
			t.Errorf("%q: %#v, want entry %d empty %v", tc.doc, err, tc.entry, tc.empty)
			continue
		}
		switch {
		case tc.entry > 0 && res[i].Err == "":
			t.Errorf("%q: cloud-init does not fail", tc.doc)
		case tc.entry == 0 && (res[i].Err != "" || len(res[i].Parts) != 0):
			t.Errorf("%q: cloud-init acts on %d parts (error %q), want none and no error", tc.doc, len(res[i].Parts), res[i].Err)
		}
	}
}

// TestExpandArchiveBudget checks that an archive of 10,000 aliases of a
// large entry is stopped by the document budget, not expanded.
func TestExpandArchiveBudget(t *testing.T) {
	doc := "#cloud-config-archive\n- &a {content: \"#!/bin/sh\\n" + strings.Repeat("x", 64<<10) + "\"}\n" + strings.Repeat("- *a\n", 10000)
	b := NewBudget()
	_, err := ExpandArchive([]byte(doc), b)
	var ee *budget.ExceededError
	if !errors.As(err, &ee) || ee.Kind != budget.Bytes {
		t.Fatalf("err = %v, want the bytes budget exceeded", err)
	}
	if used := b.Used(budget.Bytes); used > b.Limit(budget.Bytes)+1 {
		t.Errorf("used %d bytes, limit %d", used, b.Limit(budget.Bytes))
	}
	// An anchored mapping of 100,000 keys aliased 100,000 times.
	var keys strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&keys, "k%d: v\n  ", i)
	}
	wide := "#cloud-config-archive\n- &a\n  " + keys.String() + "content: x\n" + strings.Repeat("- *a\n", 100000)
	b = NewBudget()
	_, err = ExpandArchive([]byte(wide), b)
	if !errors.As(err, &ee) || ee.Kind != budget.Nodes {
		t.Fatalf("err = %v, want the nodes budget exceeded", err)
	}
	// 10,000 small entries fit.
	small := "#cloud-config-archive\n" + strings.Repeat("- \"#!/bin/sh\\necho\\n\"\n", 10000)
	entries, err := ExpandArchive([]byte(small), NewBudget())
	if err != nil || len(entries) != 10000 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
}

// BenchmarkExpandArchive10k expands an archive of 10,000 small entries.
func BenchmarkExpandArchive10k(b *testing.B) {
	doc := []byte("#cloud-config-archive\n" + strings.Repeat("- {filename: s.sh, content: \"#!/bin/sh\\necho\\n\"}\n", 10000))
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := ExpandArchive(doc, NewBudget()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBadBlockHeader: a block header PyYAML refuses is found where
// yaml.v3 parsed one, not in a block's text that looks like one.
func TestBadBlockHeader(t *testing.T) {
	tests := []struct {
		doc string
		bad bool
	}{
		{"- content: |#x\n    a\n", true},
		{"- content: |  # comment\n    a\n", false},
		{"- content: |2-\n     a\n", false},
		{"- content: |1\n   x: |oops\n", false},
		{"- \"a |b\"\n", false},
	}
	for _, tc := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tc.doc), &doc); err != nil {
			t.Fatalf("%q: %v", tc.doc, err)
		}
		if got := badBlockHeader(&doc, []byte(tc.doc)); got != tc.bad {
			t.Errorf("badBlockHeader(%q) = %v, want %v", tc.doc, got, tc.bad)
		}
	}
	var docs [][]byte
	for _, tc := range tests {
		docs = append(docs, []byte("#cloud-config-archive\n"+tc.doc))
	}
	for i, r := range realtools.CloudInitExpand(t, docs...) {
		if loads := len(r.Parts) > 0; loads == tests[i].bad {
			t.Errorf("%q: cloud-init acts on %d parts", tests[i].doc, len(r.Parts))
		}
	}
}
