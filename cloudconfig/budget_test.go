package cloudconfig

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/budget"
)

func gzB64(t *testing.T, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// One budget shared by Parse, Validate, Lint and Data: each distinct
// write_files content is inflated once, however many entries share it
// (alias copies) and however many checks read it.
func TestBudgetDecodesOnce(t *testing.T) {
	content := gzB64(t, bytes.Repeat([]byte("line\n"), 100000)) // 500,000 bytes
	doc := "#cloud-config\nwrite_files:\n- path: /etc/a\n  encoding: gz+b64\n  content: &c " + content + "\n"
	for i := 0; i < 5; i++ {
		doc += fmt.Sprintf("- path: /etc/b%d\n  encoding: gz+b64\n  content: *c\n", i)
	}
	b := budget.Default()
	c, err := Parse([]byte(doc), WithBudget(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(WithBudget(b)); err != nil {
		t.Fatal(err)
	}
	Lint(c, WithBudget(b))
	for _, f := range c.WriteFiles {
		if _, err := f.Data(WithBudget(b)); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.Used(budget.Inflate); got != 500000 {
		t.Errorf("inflated %d bytes, want 500000 (one content, once)", got)
	}
	if got := b.Used(budget.Scan); got > 600000 {
		t.Errorf("searched %d bytes for secrets, want the content once", got)
	}
}

// The budget bounds the cloud-configs of a document together: what one
// Parse used is not available to the next.
func TestBudgetSharedByParses(t *testing.T) {
	doc := []byte("#cloud-config\nx: [" + strings.Repeat("a,", 60000) + "b]\n")
	b := budget.New(budget.Limits{Nodes: 100000})
	if _, err := Parse(doc, WithBudget(b)); err != nil {
		t.Fatalf("first part: %v", err)
	}
	_, err := Parse(doc, WithBudget(b))
	if err == nil || !strings.Contains(err.Error(), "limit for one document") {
		t.Errorf("second part: error %v, want the document's node limit", err)
	}
	if b.Used(budget.Nodes) > b.Limit(budget.Nodes)+1 {
		t.Errorf("used %d nodes past the limit %d", b.Used(budget.Nodes), b.Limit(budget.Nodes))
	}
	// Without a shared budget each call has its own.
	for i := 0; i < 2; i++ {
		if _, err := Parse(doc); err != nil {
			t.Errorf("Parse without a budget, call %d: %v", i+1, err)
		}
	}
}

// Gzip content past the document's inflation budget is reported by
// Validate, and Data refuses it, instead of being inflated.
func TestBudgetInflateSpent(t *testing.T) {
	f := WriteFile{Path: "/etc/x", Encoding: "gz+b64", Content: gzB64(t, bytes.Repeat([]byte("x"), 1<<20))}
	b := budget.New(budget.Limits{Inflate: 1 << 19})
	c := &Config{WriteFiles: []WriteFile{f}}
	err := c.Validate(WithBudget(b))
	if err == nil || !strings.Contains(err.Error(), "limit for one document") {
		t.Errorf("Validate: %v, want the document's inflation limit", err)
	}
	if _, err := f.Data(WithBudget(b)); err == nil {
		t.Error("Data inflated content past the budget")
	}
	if got := b.Used(budget.Inflate); got > 1<<19+1 {
		t.Errorf("inflated %d bytes, limit %d", got, 1<<19)
	}
}

// Data hands out a copy: changing it changes nothing another check sees.
func TestDataCopy(t *testing.T) {
	b := budget.Default()
	f := WriteFile{Path: "/etc/x", Content: "abc"}
	d, _ := f.Data(WithBudget(b))
	d[0] = 'X'
	if d2, _ := f.Data(WithBudget(b)); string(d2) != "abc" || f.Content != "abc" {
		t.Errorf("Data after a change to an earlier result: %q (content %q)", d2, f.Content)
	}
}
