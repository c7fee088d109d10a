package cloudconfig_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/realtools"
)

func TestMerge(t *testing.T) {
	dst := &cloudconfig.Config{
		WriteFiles:    []cloudconfig.WriteFile{{Path: "/etc/a", Content: "a\n"}},
		Runcmd:        []cloudconfig.Command{cloudconfig.Argv("systemctl", "daemon-reload")},
		PackageUpdate: cloudconfig.Bool(false),
		FinalMessage:  "first",
	}
	src := &cloudconfig.Config{
		WriteFiles:     []cloudconfig.WriteFile{{Path: "/etc/b", Content: "b\n"}},
		Runcmd:         []cloudconfig.Command{cloudconfig.Shell("echo second")},
		Bootcmd:        []cloudconfig.Command{cloudconfig.Argv("true")},
		PackageUpdate:  cloudconfig.Bool(true),
		PackageUpgrade: cloudconfig.Bool(true),
		FinalMessage:   "second",
	}
	if err := cloudconfig.Merge(dst, src); err != nil {
		t.Fatal(err)
	}
	want := &cloudconfig.Config{
		WriteFiles:     []cloudconfig.WriteFile{{Path: "/etc/a", Content: "a\n"}, {Path: "/etc/b", Content: "b\n"}},
		Bootcmd:        []cloudconfig.Command{cloudconfig.Argv("true")},
		Runcmd:         []cloudconfig.Command{cloudconfig.Argv("systemctl", "daemon-reload"), cloudconfig.Shell("echo second")},
		PackageUpdate:  cloudconfig.Bool(false),
		PackageUpgrade: cloudconfig.Bool(true),
		FinalMessage:   "first",
	}
	if diff := cmp.Diff(want, dst, cmpopts.IgnoreUnexported(cloudconfig.Config{})); diff != "" {
		t.Errorf("Merge mismatch (-want +got):\n%s", diff)
	}
	// src is untouched and shares nothing with dst.
	dst.WriteFiles[1].Path = "/changed"
	if src.WriteFiles[0].Path != "/etc/b" || len(src.Runcmd) != 1 {
		t.Errorf("src modified: %+v", src)
	}
}

func TestMergeErrors(t *testing.T) {
	bad := &cloudconfig.Config{FinalMessage: "\xff"}
	good := &cloudconfig.Config{}
	if err := cloudconfig.Merge(good, bad); err == nil || !strings.HasPrefix(err.Error(), "cloudconfig: merge: source: final_message: not valid UTF-8") {
		t.Errorf("err = %v", err)
	}
	if err := cloudconfig.Merge(bad, good); err == nil || !strings.HasPrefix(err.Error(), "cloudconfig: merge: destination: final_message") {
		t.Errorf("err = %v", err)
	}
}

// pyMerge merges two YAML files with cloud-init's own mergers for the
// given merge type and prints the result as JSON-ish repr.
const pyMerge = `
import sys, yaml
import importlib.util  # cloud-init 22.4's importer uses it without importing it
from cloudinit import mergers
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
b = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
m = mergers.construct(mergers.string_extract_mergers(sys.argv[3]))
got = yaml.safe_load(open(sys.argv[4], encoding="utf-8"))
want = m.merge(a, b)
print("same" if got == want else "differ:\ncloud-init: %r\nudkit:      %r" % (want, got))
`

// Merge gives what cloud-init's own mergers give, on pairs of corpus files
// and on cases chosen for the merger's corners.
func TestMergeMatchesCloudInit(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit")
	corners := []struct{ name, a, b string }{
		{"nested dicts", "ntp:\n  enabled: true\n  servers: [a]\n  pools: x\n", "ntp:\n  enabled: false\n  servers: [b]\n  pools: [p]\n  new: 1\n"},
		{"string replaced by list", "a: str\nb: str\nc: 1\nd: [x]\n", "a: [l]\nb: {k: v}\nc: [l]\nd: {k: v}\n"},
		{"scalars keep old", "a: 1\nb: true\nc: ~\nd: x\n", "a: 2\nb: false\nc: y\nd: y\n"},
		{"new keys after old", "z: 1\n", "a: 1\nz: 2\n"},
		{"misfit runcmd appends", "runcmd:\n  - [sleep, 5]\n", "runcmd:\n  - echo ok\n"},
	}
	dir := t.TempDir()
	type pair struct {
		name string
		a, b []byte
	}
	var pairs []pair
	for _, c := range corners {
		pairs = append(pairs, pair{c.name, []byte("#cloud-config\n" + c.a), []byte("#cloud-config\n" + c.b)})
	}
	files, _ := filepath.Glob("testdata/corpus/*.yaml")
	for i := range files {
		j := (i + 1) % len(files)
		pairs = append(pairs, pair{filepath.Base(files[i]) + "+" + filepath.Base(files[j]), readFile(t, files[i]), readFile(t, files[j])})
	}
	pairs = append(pairs, pair{"seed+write-files", mustMarshal(t, seedScenario()), readFile(t, "testdata/corpus/write-files.yaml")})
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, err := cloudconfig.Parse(p.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := cloudconfig.Parse(p.b)
			if err != nil {
				t.Fatal(err)
			}
			if err := cloudconfig.Merge(a, b); err != nil {
				t.Fatal(err)
			}
			out := mustMarshal(t, a)
			pa, pb, po := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml"), filepath.Join(dir, "out.yaml")
			writeFile(t, pa, p.a)
			writeFile(t, pb, p.b)
			writeFile(t, po, out)
			res, err := runTool(toolTimeout, true, realtools.Python, "-c", pyMerge, pa, pb, cloudconfig.MergeAppend, po)
			if err != nil {
				t.Fatalf("python: %v\n%s", err, res)
			}
			if strings.TrimSpace(string(res)) != "same" {
				t.Errorf("Merge differs from cloud-init's mergers: %s\nrendered:\n%s", res, out)
			}
		})
	}
}

func mustMarshal(t *testing.T, c *cloudconfig.Config) []byte {
	t.Helper()
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
