package udkit

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestUnitLintMemo: the memoised lint of a unit text gives what linting
// it afresh gives, on the first call and on later ones, for every unit
// of the unit package's test data (stop hooks, timers, daemons, units
// that do not parse), and a caller that changes its copy changes no
// later result.
func TestUnitLintMemo(t *testing.T) {
	var files []string
	for _, dir := range []string{"golden", "timer"} {
		m, _ := filepath.Glob(filepath.Join("unit", "testdata", dir, "*"))
		files = append(files, m...)
	}
	if len(files) < 8 {
		t.Fatalf("only %d unit files", len(files))
	}
	texts := [][]byte{
		[]byte("[Service]\nExecStop=x\n"), []byte("not a unit"), {},
		[]byte("[Unit]\nAfter=network-online.target cloud-final.service\n[Service]\nType=oneshot\nExecStop=-/mnt/x/bin/stop %z | tee\nTimeoutStopSec=infinity\n"),
		[]byte("[Unit]\nRequiresMountsFor=/mnt/a\\x20b\n[Service]\nExecStart=/usr/bin/daemon\n"),
		[]byte("[Timer]\nOnCalendar=hourly\n[Install]\nWantedBy=timers.target\n"),
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, b)
	}
	for round := 0; round < 3; round++ {
		for _, text := range texts {
			want := lintUnitTextOnce(text)
			got := lintUnitText(text)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, %q: memoised %v, afresh %v", round, text, got, want)
			}
			for i := range got {
				got[i].Message = "changed by the caller"
			}
			_ = append(got, Diagnostic{Message: "appended by the caller"})
		}
	}
	// More texts than the memo holds: it starts over and stays right.
	for i := 0; i < 3*unitMemoMaxEntries; i++ {
		text := append([]byte(nil), texts[i%len(texts)]...)
		text = append(text, []byte("\n# "+string(rune('a'+i%26))+string(rune('a'+i/26))+"\n")...)
		if got, want := lintUnitText(text), lintUnitTextOnce(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: memoised %v, afresh %v", text, got, want)
		}
	}
	unitMemo.Lock()
	n := len(unitMemo.m)
	unitMemo.Unlock()
	if n > unitMemoMaxEntries {
		t.Errorf("memo holds %d texts, more than %d", n, unitMemoMaxEntries)
	}
}
