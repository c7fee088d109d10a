package udkit_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/userdata"
)

func specFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no spec files in testdata/%s: %v", dir, err)
	}
	return files
}

// Every spec under testdata/specs renders to its golden user data, the
// same bytes every time, with no lint errors.
func TestRenderSpecFiles(t *testing.T) {
	for _, f := range specFiles(t, "specs") {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := renderFile(t, f)
			golden.Assert(t, filepath.Join("testdata", "render", name+".golden"), got)
			if again := renderFile(t, f); !bytes.Equal(again, got) {
				t.Error("rendering twice gave different bytes")
			}
		})
	}
}

func renderFile(t testing.TB, f string) []byte {
	t.Helper()
	sf, err := udkit.ReadSpecFile(f)
	if err != nil {
		t.Fatal(err)
	}
	data, diags, err := udkit.Render(sf.Spec, sf.Output)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity == udkit.Error {
			t.Errorf("error accepted silently: %s", d)
		}
	}
	return data
}

// cloud-init's own parser reads every rendered spec as the parts udkit's
// decoder reads, and the schema accepts every cloud-config part.
func TestRenderSpecFilesCloudInit(t *testing.T) {
	files := specFiles(t, "specs")
	var docs [][]byte
	for _, f := range files {
		doc := renderFile(t, f)
		// EC2 decodes base64 before cloud-init sees the user data.
		if raw, err := base64.StdEncoding.DecodeString(string(doc)); err == nil {
			doc = raw
		}
		docs = append(docs, doc)
	}
	results := realtools.CloudInitParse(t, docs...)
	for i, res := range results {
		t.Run(filepath.Base(files[i]), func(t *testing.T) {
			if res.Err != "" {
				t.Fatalf("cloud-init: %s", res.Err)
			}
			d, err := userdata.Decode(docs[i], userdata.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Parts) != len(res.Parts) {
				t.Fatalf("cloud-init sees %d parts, udkit %d: %v", len(res.Parts), len(d.Parts), res.Parts)
			}
			for j, p := range res.Parts {
				if p.ContentType != d.Parts[j].ContentType || p.Filename != d.Parts[j].Filename || p.MergeType != d.Parts[j].MergeType || !bytes.Equal(p.Payload, d.Parts[j].Body) {
					t.Errorf("part %d: cloud-init %v, udkit %s %q merge=%q", j+1, p, d.Parts[j].ContentType, d.Parts[j].Filename, d.Parts[j].MergeType)
				}
				if p.ContentType == userdata.ContentCloudConfig {
					if v := realtools.CloudInitSchema(t, p.Payload); !v.Valid {
						t.Errorf("part %d: cloud-init schema: %s\n%s", j+1, v.Output, p.Payload)
					}
				}
			}
		})
	}
}

// systemd-analyze verify accepts the hook of every spec without a word.
func TestRenderSpecFilesSystemdVerify(t *testing.T) {
	for _, f := range specFiles(t, "specs") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sf, err := udkit.ReadSpecFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b, err := udkit.Build(sf.Spec)
			if err != nil {
				t.Fatal(err)
			}
			text, err := b.Hook.Unit.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if out := realtools.SystemdVerify(t, b.Hook.Name, text); out != "" {
				t.Errorf("systemd-analyze verify:\n%s\n%s", out, text)
			}
		})
	}
}

// Every spec under testdata/errors is refused with the errors in its
// golden file: each problem with file, line, YAML path and what to do.
func TestSpecFileErrors(t *testing.T) {
	for _, f := range specFiles(t, "errors") {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			sf, err := udkit.ReadSpecFile(f)
			if err == nil {
				t.Fatalf("accepted: %+v", sf.Spec)
			}
			var se *udkit.SpecError
			if !errors.As(err, &se) || len(se.Problems) == 0 || se.File != f {
				t.Fatalf("error %T, want a *udkit.SpecError naming %s with problems: %v", err, f, err)
			}
			for _, p := range se.Problems {
				if p.Rule != udkit.RuleSpec || p.Severity != udkit.Error || p.Path == "" {
					t.Errorf("problem %+v: want rule spec, severity error and a path", p)
				}
			}
			golden.Assert(t, filepath.Join("testdata", "errors", name+".golden"), []byte(err.Error()+"\n"))
		})
	}
}

func TestParseSpecFileWithoutDir(t *testing.T) {
	_, err := udkit.ParseSpecFile([]byte("name: a\nderegister:\n  script_file: x.sh\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "line 3: deregister.script_file: cannot read \"x.sh\"") {
		t.Fatalf("got %v", err)
	}
}

func TestParseSpecFileTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte("#"), udkit.MaxSpecSize+1)
	if _, err := udkit.ParseSpecFile(big, nil); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("got %v", err)
	}
}

func TestReadSpecFileMissing(t *testing.T) {
	_, err := udkit.ReadSpecFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}
