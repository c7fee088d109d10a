package semdiff

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// lcsLength is the reference: the length of a longest common subsequence
// by the textbook quadratic table.
func lcsLength(x, y []string) int {
	t := make([][]int, len(x)+1)
	for i := range t {
		t[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			switch {
			case x[i] == y[j]:
				t[i][j] = t[i+1][j+1] + 1
			case t[i+1][j] >= t[i][j+1]:
				t[i][j] = t[i+1][j]
			default:
				t[i][j] = t[i][j+1]
			}
		}
	}
	return t[0][0]
}

// checkScript checks that ops is an edit script from x to y (applying it
// gives y, the kept lines are equal, indexes in order) of the minimum
// length len(x)+len(y)-2·LCS.
func checkScript(t *testing.T, x, y []string, ops []diffOp) {
	t.Helper()
	var gotX, gotY []string
	edits := 0
	for _, op := range ops {
		switch op.sign {
		case " ":
			if x[op.i] != op.text || y[op.j] != op.text {
				t.Fatalf("kept line %q is not x[%d]=%q and y[%d]=%q", op.text, op.i, x[op.i], op.j, y[op.j])
			}
			gotX = append(gotX, op.text)
			gotY = append(gotY, op.text)
		case "-":
			if x[op.i] != op.text {
				t.Fatalf("removed line %q is not x[%d]", op.text, op.i)
			}
			gotX = append(gotX, op.text)
			edits++
		case "+":
			if y[op.j] != op.text {
				t.Fatalf("added line %q is not y[%d]", op.text, op.j)
			}
			gotY = append(gotY, op.text)
			edits++
		}
	}
	if strings.Join(gotX, "\n") != strings.Join(x, "\n") || len(gotX) != len(x) {
		t.Fatalf("script's removed and kept lines are not x:\n x=%q\nops=%v", x, ops)
	}
	if strings.Join(gotY, "\n") != strings.Join(y, "\n") || len(gotY) != len(y) {
		t.Fatalf("script's added and kept lines are not y:\n y=%q\nops=%v", y, ops)
	}
	if want := len(x) + len(y) - 2*lcsLength(x, y); edits != want {
		t.Fatalf("%d edits, want the minimum %d\n x=%q\n y=%q\nops=%v", edits, want, x, y, ops)
	}
}

// Myers' linear-space algorithm against the quadratic LCS reference on
// random small inputs over small alphabets (many repeats, the hard case
// for the middle snake): every script is valid and of minimum length.
func TestLineDiffMinimal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 20000; n++ {
		alpha := 1 + rng.Intn(5)
		gen := func() []string {
			s := make([]string, rng.Intn(14))
			for i := range s {
				s[i] = string(rune('a' + rng.Intn(alpha)))
			}
			return s
		}
		x, y := gen(), gen()
		if n%3 == 0 { // y an edit of x
			y = append([]string(nil), x...)
			for k := rng.Intn(4); k > 0 && len(y) > 0; k-- {
				i := rng.Intn(len(y))
				y[i] = string(rune('a' + rng.Intn(alpha+1)))
			}
		}
		checkScript(t, x, y, lineDiff(x, y))
	}
}

// Issue 11: past about 2,000 lines between the first and last change, two
// changed lines in a script were reported as the whole part replaced
// (9,463 lines of output for a 256 KB document). A two-line change in a
// 1 MiB script shows as four lines (two removed, two added), whatever
// the distance between them.
func TestDiffNoCliff(t *testing.T) {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for i := 0; b.Len() < 1<<20-100; i++ {
		fmt.Fprintf(&b, "echo line %d of a long script\n", i)
	}
	a := b.String()
	changed := strings.Replace(a, "echo line 10 of", "echo LINE 10 of", 1)
	changed = strings.Replace(changed, "echo line 29000 of", "echo LINE 29000 of", 1)
	if changed == a || strings.Count(changed, "LINE") != 2 {
		t.Fatal("test document not changed as meant")
	}
	r, err := Documents([]byte(a), []byte(changed), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) > 1<<20 {
		t.Fatalf("script is %d bytes", len(a))
	}
	if got := len(r.Changes); got != 4 {
		t.Fatalf("%d changes, want 4:\n%.2000s", got, r)
	}
	// The text: ---, +++, one hunk header, four change lines.
	if got := strings.Count(r.String(), "\n"); got != 7 {
		t.Errorf("%d output lines, want 7:\n%s", got, r)
	}
	want := "-echo line 10 of a long script\n+echo LINE 10 of a long script\n-echo line 29000 of a long script\n+echo LINE 29000 of a long script\n"
	if !strings.HasSuffix(r.String(), want) {
		t.Errorf("output:\n%s\nwant it to end:\n%s", r, want)
	}
}

// BenchmarkDiffLongScript is the two-line change in a 1 MiB script.
func BenchmarkDiffLongScript(b *testing.B) {
	var s strings.Builder
	s.WriteString("#!/bin/sh\n")
	for i := 0; s.Len() < 1<<20-100; i++ {
		fmt.Fprintf(&s, "echo line %d of a long script\n", i)
	}
	x := s.String()
	y := strings.Replace(strings.Replace(x, "line 10 of", "LINE 10 of", 1), "line 29000 of", "LINE 29000 of", 1)
	da, db := decodeT(b, []byte(x)), decodeT(b, []byte(y))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Decoded(da, db, Options{})
	}
}
