package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/userdata"
)

const goldenFile = "testdata/user-data.golden"

func renderGo(t testing.TB) []byte {
	t.Helper()
	data, diags, err := udkit.Render(spec(), options)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diags {
		if d.Severity != udkit.Info {
			t.Errorf("unexpected finding: %s", d)
		}
	}
	return data
}

// The Go program and the spec file give the same bytes, and those bytes
// are the golden file.
func TestGolden(t *testing.T) {
	got := renderGo(t)
	golden.Assert(t, goldenFile, got)
	sf, err := udkit.ReadSpecFile("spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y, _, err := udkit.Render(sf.Spec, sf.Output)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(y, got) {
		t.Errorf("spec.yaml renders %d bytes that differ from main.go's %d", len(y), len(got))
	}
}

// The program itself prints the golden bytes.
func TestMainOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	cmd := exec.Command("go", "run", ".")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run .: %v\n%s", err, stderr.String())
	}
	golden.Assert(t, goldenFile, out)
}

// cloud-init's parser reads the parts as udkit's decoder does, its schema
// accepts the cloud-config, and systemd-analyze verify the hook.
func TestRealTools(t *testing.T) {
	data := renderGo(t)
	d, err := userdata.Decode(data, userdata.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res := realtools.CloudInitParse(t, data)[0]
	if res.Err != "" || len(res.Parts) != len(d.Parts) {
		t.Fatalf("cloud-init: %d parts (%s), udkit %d", len(res.Parts), res.Err, len(d.Parts))
	}
	for i, p := range res.Parts {
		if p.ContentType != d.Parts[i].ContentType || !bytes.Equal(p.Payload, d.Parts[i].Body) {
			t.Errorf("part %d: cloud-init %v", i+1, p)
		}
	}
	if v := realtools.CloudInitSchema(t, d.Parts[0].Body); !v.Valid {
		t.Errorf("cloud-init schema:\n%s", v.Output)
	}
	b, err := udkit.Build(spec())
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
}

func TestMain(m *testing.M) {
	if _, err := os.Stat("spec.yaml"); err != nil {
		panic("run the tests from examples/registry-member: " + err.Error())
	}
	os.Exit(m.Run())
}
