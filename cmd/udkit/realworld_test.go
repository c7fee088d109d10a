package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/udkit/udkit/internal/realtools"
)

// realWorldDir holds the corpus of user data modelled on what public
// projects ship or generate, and its MANIFEST.yaml.
var realWorldDir = filepath.Join("..", "..", "testdata", "realworld")

type manifestEntry struct {
	File   string `yaml:"file"`
	Source struct {
		Repo   string `yaml:"repo"`
		Path   string `yaml:"path"`
		Commit string `yaml:"commit"`
	} `yaml:"source"`
	Models string   `yaml:"models"`
	Quirks []string `yaml:"quirks"`
	Boots  *bool    `yaml:"boots"`
	Errors []string `yaml:"errors"`
	Why    string   `yaml:"why"`
}

// readManifest reads the corpus manifest and checks that it and the
// directory list the same documents, each with a source and a verdict.
func readManifest(t *testing.T) []manifestEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realWorldDir, "MANIFEST.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m []manifestEntry
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("MANIFEST.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(realWorldDir, "*.txt"))
	onDisk := map[string]bool{}
	for _, f := range files {
		onDisk[filepath.Base(f)] = true
	}
	seen := map[string]bool{}
	for _, e := range m {
		switch {
		case !onDisk[e.File]:
			t.Errorf("MANIFEST.yaml: %s: no such document", e.File)
		case seen[e.File]:
			t.Errorf("MANIFEST.yaml: %s listed twice", e.File)
		case e.Source.Repo == "" || e.Source.Path == "" || e.Source.Commit == "" || e.Models == "" || len(e.Quirks) == 0 || e.Boots == nil:
			t.Errorf("MANIFEST.yaml: %s: needs source (repo, path, commit), models, quirks and boots", e.File)
		case !*e.Boots && (len(e.Errors) == 0 || e.Why == ""):
			t.Errorf("MANIFEST.yaml: %s does not boot: name the lint errors it must get (errors) and why it fails (why)", e.File)
		case *e.Boots && len(e.Errors) > 0:
			t.Errorf("MANIFEST.yaml: %s boots, so it must get no lint errors, but lists %v", e.File, e.Errors)
		}
		seen[e.File] = true
	}
	for f := range onDisk {
		if !seen[f] {
			t.Errorf("%s is not in MANIFEST.yaml", f)
		}
	}
	if len(m) < 60 {
		t.Errorf("the corpus has %d documents, want at least 60", len(m))
	}
	return m
}

// inspectOutput is the part of `udkit inspect --json` the corpus test
// compares with cloud-init.
type inspectOutput struct {
	Encoding struct {
		Base64 bool `json:"base64"`
	} `json:"encoding"`
	Parts []struct {
		ContentType string `json:"content_type"`
		Filename    string `json:"filename"`
		MergeType   string `json:"merge_type"`
		Length      int    `json:"length"`
		SHA256      string `json:"sha256"`
		LaunchIndex string `json:"launch_index"`
	} `json:"parts"`
	Includes []struct {
		URL  string `json:"url"`
		Once bool   `json:"once"`
	} `json:"includes"`
}

// TestRealWorldCorpus is the judge on real-world user data: for every
// document of testdata/realworld, `udkit inspect --json` must list what
// cloud-init's own user-data processor (archives exploded, includes
// recorded and never fetched) hands its handlers, part for part, and the
// URLs it would fetch; `udkit lint` must exit 0 on every document the
// manifest says boots, and report exactly the errors it lists on the
// others.
func TestRealWorldCorpus(t *testing.T) {
	man := readManifest(t)
	var docs [][]byte
	outs := make([]inspectOutput, len(man))
	for i, e := range man {
		path := filepath.Join(realWorldDir, e.File)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"inspect", "--json", path}, nil, &stdout, &stderr); code != exitOK {
			t.Errorf("%s: udkit inspect exits %d: %s", e.File, code, stderr.String())
		}
		if err := json.Unmarshal(stdout.Bytes(), &outs[i]); err != nil {
			t.Fatalf("%s: inspect --json: %v", e.File, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if outs[i].Encoding.Base64 {
			// What EC2 hands cloud-init: the decoded bytes.
			clean := strings.Map(func(r rune) rune {
				if strings.ContainsRune(" \t\r\n", r) {
					return -1
				}
				return r
			}, string(data))
			if data, err = base64.StdEncoding.DecodeString(clean); err != nil {
				t.Fatalf("%s: inspect says base64: %v", e.File, err)
			}
		}
		docs = append(docs, data)
	}
	res := realtools.CloudInitExpand(t, docs...)
	agree, parts := 0, 0
	for i, e := range man {
		if msg := compareActed(outs[i], res[i]); msg != "" {
			t.Errorf("%s: udkit inspect and cloud-init disagree:\n%s", e.File, msg)
			continue
		}
		agree++
		parts += len(res[i].Parts)
	}
	t.Logf("%d of %d documents: inspect agrees with cloud-init (%d parts)", agree, len(man), parts)

	errRule := regexp.MustCompile(`: error: \[([^\]]+)\]`)
	clean := 0
	for _, e := range man {
		var stdout, stderr bytes.Buffer
		code := run([]string{"lint", filepath.Join(realWorldDir, e.File)}, nil, &stdout, &stderr)
		var got []string
		for _, m := range errRule.FindAllStringSubmatch(stdout.String(), -1) {
			got = append(got, m[1])
		}
		got = uniqSorted(got)
		want := uniqSorted(e.Errors)
		if *e.Boots {
			if code != exitOK || len(got) > 0 {
				t.Errorf("%s boots, but udkit lint exits %d with errors %v:\n%s%s", e.File, code, got, stdout.String(), stderr.String())
				continue
			}
			clean++
			continue
		}
		if code != exitFail || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s does not boot (%s): udkit lint exits %d with errors %v, want exit 1 with %v:\n%s%s", e.File, e.Why, code, got, want, stdout.String(), stderr.String())
		}
	}
	t.Logf("udkit lint: %d working documents without errors", clean)
}

func uniqSorted(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	out := []string{}
	for x := range m {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

// compareActed reports how inspect's parts and includes differ from
// cloud-init's, or "".
func compareActed(got inspectOutput, want realtools.CloudInitActed) string {
	if want.Err != "" {
		return "cloud-init fails (" + want.Err + ") where inspect lists parts"
	}
	var b strings.Builder
	if len(got.Parts) != len(want.Parts) {
		fmt.Fprintf(&b, "inspect lists %d parts, cloud-init acts on %d\n", len(got.Parts), len(want.Parts))
	}
	for i := 0; i < max(len(got.Parts), len(want.Parts)); i++ {
		var g, w string
		if i < len(got.Parts) {
			p := got.Parts[i]
			g = fmt.Sprintf("{%s %q merge=%q launch=%q %d bytes %s}", p.ContentType, p.Filename, p.MergeType, p.LaunchIndex, p.Length, p.SHA256[:16])
		}
		if i < len(want.Parts) {
			p := want.Parts[i]
			sum := sha256.Sum256(p.Payload)
			w = fmt.Sprintf("{%s %q merge=%q launch=%q %d bytes %s}", p.ContentType, p.Filename, p.MergeType, want.LaunchIndex[i], len(p.Payload), hex.EncodeToString(sum[:])[:16])
		}
		if g != w {
			fmt.Fprintf(&b, "part %d:\n  inspect:    %s\n  cloud-init: %s\n", i+1, g, w)
		}
	}
	var gi, wi []string
	for _, u := range got.Includes {
		gi = append(gi, fmt.Sprintf("%q once=%v", u.URL, u.Once))
	}
	for _, u := range want.Includes {
		wi = append(wi, fmt.Sprintf("%q once=%v", u.URL, u.Once))
	}
	if strings.Join(gi, "\n") != strings.Join(wi, "\n") {
		fmt.Fprintf(&b, "includes:\n  inspect:    %v\n  cloud-init: %v\n", gi, wi)
	}
	return b.String()
}

// TestCompareActedFails shows the corpus comparison can fail: a part
// missing, a type, a launch index or an include that differs is reported.
func TestCompareActedFails(t *testing.T) {
	part := realtools.CloudInitPart{ContentType: "text/cloud-config", Payload: []byte("#cloud-config\n")}
	sum := sha256.Sum256(part.Payload)
	var got inspectOutput
	if err := json.Unmarshal([]byte(`{"parts":[{"content_type":"text/cloud-config","length":14,"sha256":"`+hex.EncodeToString(sum[:])+`"}],"includes":[{"url":"https://a.test/x","once":false}]}`), &got); err != nil {
		t.Fatal(err)
	}
	same := realtools.CloudInitActed{Parts: []realtools.CloudInitPart{part}, LaunchIndex: []string{""}, Includes: []realtools.CloudInitInclude{{URL: "https://a.test/x"}}}
	if msg := compareActed(got, same); msg != "" {
		t.Fatalf("equal results differ: %s", msg)
	}
	for name, want := range map[string]realtools.CloudInitActed{
		"extra part":       {Parts: []realtools.CloudInitPart{part, part}, LaunchIndex: []string{"", ""}, Includes: same.Includes},
		"type":             {Parts: []realtools.CloudInitPart{{ContentType: "text/plain", Payload: part.Payload}}, LaunchIndex: []string{""}, Includes: same.Includes},
		"launch index":     {Parts: []realtools.CloudInitPart{part}, LaunchIndex: []string{"1"}, Includes: same.Includes},
		"include once":     {Parts: []realtools.CloudInitPart{part}, LaunchIndex: []string{""}, Includes: []realtools.CloudInitInclude{{URL: "https://a.test/x", Once: true}}},
		"cloud-init fails": {Err: "ValueError: x"},
	} {
		if compareActed(got, want) == "" {
			t.Errorf("%s: no difference reported", name)
		}
	}
}

// TestInspectDecodeCorpusMatchesCloudInit holds inspect to cloud-init's
// processor (archives on, includes recorded) on the parser edge cases of
// userdata/testdata/decode too (those Decode accepts).
func TestInspectDecodeCorpusMatchesCloudInit(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "userdata", "testdata", "decode", "*"))
	var names []string
	var docs [][]byte
	var outs []inspectOutput
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "err-") {
			continue
		}
		var stdout, stderr bytes.Buffer
		if code := run([]string{"inspect", "--json", f}, nil, &stdout, &stderr); code != exitOK {
			t.Errorf("%s: inspect exits %d: %s", filepath.Base(f), code, stderr.String())
			continue
		}
		var out inspectOutput
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if out.Encoding.Base64 {
			clean := strings.Map(func(r rune) rune {
				if strings.ContainsRune(" \t\r\n", r) {
					return -1
				}
				return r
			}, string(data))
			if data, err = base64.StdEncoding.DecodeString(clean); err != nil {
				if data, err = base64.RawStdEncoding.DecodeString(clean); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
		}
		names = append(names, filepath.Base(f))
		docs = append(docs, data)
		outs = append(outs, out)
	}
	for i, r := range realtools.CloudInitExpand(t, docs...) {
		if msg := compareActed(outs[i], r); msg != "" {
			t.Errorf("%s: udkit inspect and cloud-init disagree:\n%s", names[i], msg)
		}
	}
	t.Logf("%d documents compared", len(docs))
}
