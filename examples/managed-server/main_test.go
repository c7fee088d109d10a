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

func renderYAML(t testing.TB) []byte {
	t.Helper()
	sf, err := udkit.ReadSpecFile("spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := udkit.Render(sf.Spec, sf.Output)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The Go program and the spec file give the same bytes, and those bytes
// are the golden file.
func TestGolden(t *testing.T) {
	got := renderGo(t)
	golden.Assert(t, goldenFile, got)
	if y := renderYAML(t); !bytes.Equal(y, got) {
		t.Errorf("spec.yaml renders %d bytes that differ from main.go's %d", len(y), len(got))
	}
	if again := renderGo(t); !bytes.Equal(again, got) {
		t.Error("rendering twice gave different bytes")
	}
}

// The program itself, run as users run it, prints the golden bytes.
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
	if stderr.Len() > 0 {
		t.Errorf("go run . wrote to stderr:\n%s", stderr.String())
	}
	golden.Assert(t, goldenFile, out)
}

// decoded returns the golden user data's parts as the Go decoder sees them.
func decoded(t *testing.T) []userdata.Part {
	t.Helper()
	d, err := userdata.Decode(renderGo(t), userdata.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Parts
}

// cloud-init's own parser reads the parts udkit meant, with the payloads
// udkit's decoder reads.
func TestCloudInitParser(t *testing.T) {
	data := renderGo(t)
	res := realtools.CloudInitParse(t, data)[0]
	if res.Err != "" {
		t.Fatalf("cloud-init: %s", res.Err)
	}
	want := decoded(t)
	if len(res.Parts) != len(want) {
		t.Fatalf("cloud-init sees %d parts %v, want %d", len(res.Parts), res.Parts, len(want))
	}
	types := []string{"text/cloud-config", "text/x-shellscript"}
	for i, p := range res.Parts {
		if p.ContentType != types[i] || p.Filename != want[i].Filename || !bytes.Equal(p.Payload, want[i].Body) {
			t.Errorf("part %d: cloud-init sees %v, want %s %q with the decoded body", i+1, p, types[i], want[i].Filename)
		}
	}
}

// cloud-init's schema accepts the cloud-config part.
func TestCloudInitSchema(t *testing.T) {
	cc := decoded(t)[0].Body
	if v := realtools.CloudInitSchema(t, cc); !v.Valid {
		t.Fatalf("cloud-init schema rejects the cloud-config:\n%s\n%s", v.Output, cc)
	}
}

// systemd-analyze verify has nothing to say about the stop hook.
func TestSystemdVerify(t *testing.T) {
	b, err := udkit.Build(spec())
	if err != nil {
		t.Fatal(err)
	}
	text, err := b.Hook.Unit.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if out := realtools.SystemdVerify(t, b.Hook.Name, text); out != "" {
		t.Fatalf("systemd-analyze verify %s:\n%s\n%s", b.Hook.Name, out, text)
	}
}

// The scripts udkit writes and the extra part pass shellcheck.
func TestShellcheck(t *testing.T) {
	sc := realtools.Require(t, "shellcheck")
	for _, f := range []string{"register.sh", "check-hook.sh"} {
		out, err := exec.Command(sc, "-s", "sh", f).CombinedOutput()
		if err != nil {
			t.Errorf("shellcheck %s: %v\n%s", f, err, out)
		}
	}
}

func TestMain(m *testing.M) {
	// Tests run in this directory, where spec.yaml and the scripts are.
	if _, err := os.Stat("spec.yaml"); err != nil {
		panic("run the tests from examples/managed-server: " + err.Error())
	}
	os.Exit(m.Run())
}

// BenchmarkBuildRender builds and renders the managed server end to end,
// from the Go spec to encoded user data.
func BenchmarkBuildRender(b *testing.B) {
	s := spec()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := udkit.Render(s, options); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpecFileRender parses spec.yaml from memory and renders it.
func BenchmarkSpecFileRender(b *testing.B) {
	data, err := os.ReadFile("spec.yaml")
	if err != nil {
		b.Fatal(err)
	}
	dir := os.DirFS(".")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sf, err := udkit.ParseSpecFile(data, dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := udkit.Render(sf.Spec, sf.Output); err != nil {
			b.Fatal(err)
		}
	}
}
