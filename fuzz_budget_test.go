package udkit

import (
	"testing"

	"github.com/udkit/udkit/internal/budget"
	"github.com/udkit/udkit/internal/hostile"
)

// FuzzLintBudget checks, on any input, that Lint's work stays within one
// document budget: no counter goes past its limit by more than the charge
// that found it spent, and the text searched for secrets is at most twice
// the input plus what gzip inflated (each distinct string once, not once
// per alias copy or per check).
func FuzzLintBudget(f *testing.F) {
	f.Add(hostile.FanOut(10, 100))
	f.Add(hostile.AliasParts(5, 100))
	f.Add(hostile.SharedGzipUnits(3, 10000, 80))
	f.Add(hostile.MIME("text/cloud-config", [][]byte{hostile.FanOut(4, 10), []byte("#cloud-config\nruncmd: [[a, b]]\n")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBudget()
		lintWithin(data, b)
		checkSpent(t, b)
		if got, most := b.Used(budget.Scan), 2*int64(len(data))+2*b.Used(budget.Inflate); got > most {
			t.Errorf("searched %d bytes for secrets in a %d-byte input that inflated %d bytes; want at most %d", got, len(data), b.Used(budget.Inflate), most)
		}
	})
}
