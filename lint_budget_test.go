package udkit

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/internal/hostile"
)

// The attacks of issue 16 items 1 and 2, checked with the budget's work
// counters rather than the clock: before the fix, the alias fan-out parts
// were searched for secrets 1 GB deep (83 s), and the stop-hook loop
// inflated every shared gzip unit again (100 parts of 60 entries: 24 GB,
// 172 s).
func TestLintBoundedWork(t *testing.T) {
	tests := []struct {
		name string
		doc  []byte
		// maxInflate and maxScan bound the work counters: the bytes
		// inflated and the bytes searched for secrets.
		maxInflate, maxScan int64
		// want is a finding every run must still report.
		want string
	}{
		{
			name:       "998 alias fan-out parts",
			doc:        hostile.AliasParts(998, 900),
			maxInflate: 2 << 20, // the document
			maxScan:    1 << 20, // each part's 900-byte anchor once, not its million copies
			want:       "the limit for one document",
		},
		{
			name:       "60 entries sharing one 4 MB gzip unit",
			doc:        hostile.SharedGzipUnits(60, 4<<20-4096, 2000),
			maxInflate: 4 << 20, // the unit, once
			maxScan:    4<<20 + 64<<10,
			want:       "write_files[59].content: line 5:12: unit hook59.service",
		},
		{
			name:       "100 parts of 60 shared gzip units",
			doc:        hostile.SharedGzipParts(100),
			maxInflate: 4<<20 + 2<<20, // the unit once, the document once
			maxScan:    4<<20 + 2<<20,
			want:       "part 100",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget()
			_, diags, err := lintWithin(tt.doc, b)
			if err != nil {
				t.Fatal(err)
			}
			checkSpent(t, b)
			if got := b.Used(budget.Inflate); got > tt.maxInflate {
				t.Errorf("inflated %d bytes, want at most %d", got, tt.maxInflate)
			}
			if got := b.Used(budget.Scan); got > tt.maxScan {
				t.Errorf("searched %d bytes for secrets, want at most %d", got, tt.maxScan)
			}
			var all strings.Builder
			for _, d := range diags {
				fmt.Fprintln(&all, d)
			}
			if !strings.Contains(all.String(), tt.want) {
				t.Errorf("no finding mentions %q; findings:\n%.2000s", tt.want, all.String())
			}
		})
	}
}

// checkSpent checks that no counter of b went past its limit by more than
// the one charge that found it spent.
func checkSpent(t *testing.T, b *Budget) {
	t.Helper()
	for _, k := range []budget.Kind{budget.Inflate, budget.Nodes, budget.Bytes, budget.Scan} {
		if b.Used(k) > b.Limit(k)+1 {
			t.Errorf("used %d %s, limit %d", b.Used(k), k, b.Limit(k))
		}
	}
}

// A secret in an anchor is reported once, where the anchor is, not once
// per alias copy; a secret written out twice is reported twice.
func TestLintSecretPerDistinctNode(t *testing.T) {
	const key = "AKIAABCDEFGHIJKLMNOP"
	doc := "#cloud-config\nx: &k " + key + "\ny: [*k, *k, *k]\nz: " + key + "\n"
	_, diags, err := Lint([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var where []string
	for _, d := range diags {
		if d.Rule == "secret" {
			where = append(where, fmt.Sprintf("%d:%s", d.Line, d.Path))
		}
	}
	if got, want := strings.Join(where, " "), "2:x 4:z"; got != want {
		t.Errorf("secret findings at %s, want %s", got, want)
	}
}

// A document within every limit is linted whole: the budget refuses
// nothing a real cloud-config needs.
func TestLintBudgetLegitimate(t *testing.T) {
	unit := hostile.StopHookUnit(900<<10, 80) // under unit.MaxSize
	var doc bytes.Buffer
	doc.WriteString("#cloud-config\nwrite_files:\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&doc, "- path: /etc/systemd/system/h%d.service\n  encoding: gz+b64\n  content: %s\n", i, b64(hostile.Gzip(append(unit, byte('a'+i)))))
	}
	b := NewBudget()
	_, diags, err := lintWithin(doc.Bytes(), b)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if strings.Contains(d.Message, "limit for one document") || strings.Contains(d.Message, "together") {
			t.Errorf("legitimate document refused: %v", d)
		}
	}
	if got, want := b.Used(budget.Inflate), int64(3*(len(unit)+1)); got != want {
		t.Errorf("inflated %d bytes, want %d (each entry once, though Validate, Lint and the stop-hook rules all read it)", got, want)
	}
}

func b64(data []byte) string { return base64.StdEncoding.EncodeToString(data) }
