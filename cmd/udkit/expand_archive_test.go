package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// TestInspectArchiveAliases: inspect lists an alias entry as the copy of
// its anchor cloud-init makes of it, numbers entries by their place in
// the list (skipped ones counted), and stops at the document budget on an
// archive of 10,000 aliases of a large entry instead of copying it.
func TestInspectArchiveAliases(t *testing.T) {
	doc := []byte("#cloud-config-archive\n- &a {content: \"#!/bin/sh\\necho a\\n\", filename: a.sh}\n- [skipped]\n- *a\n- &c \"#cloud-config\\nhostname: x\\n\"\n- {type: text/cloud-config, content: *c, filename: c.yaml}\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"inspect", "--json", "-"}, bytes.NewReader(doc), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var out inspectOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if msg := compareActed(out, realtools.CloudInitExpand(t, doc)[0]); msg != "" {
		t.Fatal(msg)
	}
	var entries struct {
		Parts []struct {
			Archive struct{ Part, Entry int } `json:"archive"`
		} `json:"parts"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &entries); err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(entries.Parts); got != `[{"archive":{"Part":1,"Entry":1}},{"archive":{"Part":1,"Entry":3}},{"archive":{"Part":1,"Entry":4}},{"archive":{"Part":1,"Entry":5}}]` {
		t.Errorf("archive entries %s, want 1, 3, 4, 5 of part 1", got)
	}

	big := "#cloud-config-archive\n- &a {content: \"#!/bin/sh\\n" + strings.Repeat("x", 64<<10) + "\"}\n" + strings.Repeat("- *a\n", 10000)
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"inspect", "-"}, strings.NewReader(big), &stdout, &stderr); code != exitTrouble || !strings.Contains(stderr.String(), "the limit for one document") {
		t.Errorf("exit %d, stderr %q: want 2 and the budget named", code, stderr.String())
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
