package userdata

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/budget"
)

// Decode charges what gzip inflates to (the document's and its parts')
// to Limits.Budget, the budget the checks that read the parts afterwards
// share, and stops when it is spent.
func TestDecodeChargesBudget(t *testing.T) {
	body := []byte("#cloud-config\n" + strings.Repeat("# padding\n", 50000))
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(body)
	zw.Close()

	b := budget.Default()
	if _, err := Decode(z.Bytes(), Limits{Budget: b}); err != nil {
		t.Fatal(err)
	}
	if got := b.Used(budget.Inflate); got != int64(len(body)) {
		t.Errorf("charged %d bytes, want %d", got, len(body))
	}

	small := budget.New(budget.Limits{Inflate: 1000})
	_, err := Decode(z.Bytes(), Limits{Budget: small})
	if err == nil || !strings.Contains(err.Error(), "limit for one document") {
		t.Errorf("Decode within a 1000-byte budget: %v, want the budget's error", err)
	}
	if _, err := Decode(z.Bytes(), Limits{}); err != nil {
		t.Errorf("Decode without a budget: %v", err)
	}
}
