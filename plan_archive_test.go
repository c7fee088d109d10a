package udkit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/userdata"
)

// planArchiveDocs are documents with archives for the plan tests: the
// archives of the real-world corpus, and MIME documents mixing archive
// parts with parts of their own.
func planArchiveDocs(t *testing.T) [][]byte {
	t.Helper()
	var docs [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "realworld", "archive-*.txt"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	arch := func(body string) userdata.Part {
		return userdata.Part{ContentType: userdata.ContentCloudConfigArchive, Body: []byte(body)}
	}
	docs = append(docs,
		doc(t, cc("base", "runcmd: [a]\nwrite_files: [{path: /etc/a, content: a}]\n"),
			arch("- {content: \"#cloud-config\\nruncmd: [b]\\n\", filename: over.yaml}\n- {content: \"#cloud-config\\nwrite_files: [{path: /etc/b}]\\n\", X-Merge-Type: 'list(append)+dict(recurse_array)+str()'}\n- \"#!/bin/sh\\necho unnamed\\n\"\n- {type: text/x-shellscript-per-boot, filename: dir/pb.sh, content: \"#!/bin/sh\\n\"}\n"),
			script(userdata.ContentShellScript, "", "after"),
			arch("- &h {type: text/cloud-boothook, content: \"#cloud-boothook\\n#!/bin/sh\\necho hook\\n\"}\n- *h\n- \"#cloud-config\\nfinal_message: from the second archive\\n\"\n"),
			cc("", "merge_how: dict(recurse_array,no_replace)+list(append)\nruncmd: [c]\nfinal_message: kept?\n")),
		doc(t, arch("{not: a list}\n"), script(userdata.ContentShellScript, "", "x"), cc("", "runcmd: [y]\n")),
	)
	return docs
}

// TestPlanArchiveMergeMatchesCloudInit merges the cloud-config parts of
// documents with archives with cloud-init's own processor (archives on)
// and handler, and with Plan, and compares the results.
func TestPlanArchiveMergeMatchesCloudInit(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit.handlers.cloud_config")
	docs := planArchiveDocs(t)
	script := strings.Replace(mergeScript, "ud.ARCHIVE_TYPES = []\n", "", 1)
	var in []string
	for _, d := range docs {
		in = append(in, base64.StdEncoding.EncodeToString(d))
	}
	js, _ := json.Marshal(in)
	cmd := exec.Command(realtools.Python, "-c", script)
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want []any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	merged := 0
	for i, d := range docs {
		dec, err := userdata.Decode(d, userdata.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		p := &planner{cfg: DebianBookworm(), parts: dec.Parts, out: &BootPlan{}, merged: map[string]any{}, setBy: map[string]int{}, scripts: map[string]int{}, perFreq: map[string]map[string]int{}, hooks: map[string]int{}, uncertOK: true}
		p.run()
		gb, _ := json.Marshal(p.merged)
		var got any
		json.Unmarshal(gb, &got)
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("document %d: merged\n got %s\nwant %s (cloud-init)", i, gb, mustJSON(want[i]))
		}
		if len(p.merged) > 0 {
			merged++
		}
	}
	if merged < 5 {
		t.Errorf("only %d documents merge anything", merged)
	}
}

// TestPlanArchiveFilesMatchCloudInit: the parts, names and files of a
// plan of documents with archives are those of cloud-init's processor
// (archives on) and its own handlers.
func TestPlanArchiveFilesMatchCloudInit(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit.handlers.shell_script_by_frequency")
	docs := planArchiveDocs(t)
	acted := realtools.CloudInitExpand(t, docs...)
	script := strings.Replace(handlerScript, "ud.ARCHIVE_TYPES = []\n", "", 1)
	want := runHandlerScript(t, script, docs)
	files := 0
	for i, d := range docs {
		p := mustPlan(t, d, PlanOptions{})
		// The parts cloud-init's handlers see: the plan's, without an
		// archive left as it is and without include parts.
		var names, types []string
		var got []string
		for _, pt := range p.Parts {
			if pt.Handler == "include" || pt.Handler == "archive" {
				continue
			}
			names = append(names, pt.Name)
			types = append(types, pt.ContentType)
			if pt.File != "" {
				got = append(got, pt.File)
			}
		}
		var wantNames, wantTypes []string
		for _, c := range acted[i].Parts {
			wantNames = append(wantNames, c.Name)
			wantTypes = append(wantTypes, c.ContentType)
		}
		if !slices.Equal(names, wantNames) || !slices.Equal(types, wantTypes) {
			t.Errorf("document %d: plan parts\n %q %q\ncloud-init\n %q %q", i, types, names, wantTypes, wantNames)
		}
		slices.Sort(got)
		if !slices.Equal(got, want[i]) {
			t.Errorf("document %d: plan writes\n %q\ncloud-init's handlers wrote\n %q", i, got, want[i])
		}
		files += len(got)
	}
	if files < 5 {
		t.Errorf("only %d files compared", files)
	}
}

// TestPlanArchive checks what Plan says of archives: entries planned as
// parts with their archive named, an archive that is not a list ignored
// with an error, an entry the processor raises on making every part
// ignored.
func TestPlanArchive(t *testing.T) {
	d := []byte("#cloud-config-archive\n- \"#!/bin/sh\\necho a\\n\"\n- {filename: b.yaml, content: \"#cloud-config\\nruncmd: [b]\\n\"}\n")
	p := mustPlan(t, d, PlanOptions{})
	if len(p.Parts) != 2 || p.Parts[0].Name != "part-001" || p.Parts[0].File != "/var/lib/cloud/instance/scripts/part-001" ||
		p.Parts[1].Effect != "merged" || p.Parts[1].Archive == nil || *p.Parts[1].Archive != (PlanArchive{Part: 1, Entry: 2}) {
		t.Errorf("parts %+v", p.Parts)
	}
	if rs := findingRules(p); slices.Contains(rs, RulePlanNotFetched) {
		t.Errorf("findings %v: the archive is expanded", rs)
	}

	bad := doc(t, userdata.Part{ContentType: userdata.ContentCloudConfigArchive, Body: []byte("{not: a list}\n")}, script(userdata.ContentShellScript, "x.sh", "x"))
	p = mustPlan(t, bad, PlanOptions{})
	if p.Parts[0].Handler != "archive" || p.Parts[0].Effect != "ignored" || p.Parts[1].Effect != "script" {
		t.Errorf("parts %+v", p.Parts)
	}
	if len(p.Findings) == 0 || p.Findings[0].Rule != RulePlanBadPart || p.Findings[0].Severity != Error {
		t.Errorf("findings %v", p.Findings)
	}

	raise := doc(t, script(userdata.ContentShellScript, "x.sh", "x"), userdata.Part{ContentType: userdata.ContentCloudConfigArchive, Body: []byte("- {type: shellscript, content: x}\n")})
	p = mustPlan(t, raise, PlanOptions{})
	for _, pt := range p.Parts {
		if pt.Effect != "ignored" {
			t.Errorf("part %d: effect %s, want ignored (cloud-init consumes no user data)", pt.Index, pt.Effect)
		}
	}
	if len(p.Findings) != 1 || p.Findings[0].Part != 2 || p.Findings[0].Severity != Error || !strings.Contains(p.Findings[0].Message, "Consuming user data failed") {
		t.Errorf("findings %v", p.Findings)
	}
	if res := realtools.CloudInitExpand(t, raise); res[0].Err == "" {
		t.Errorf("cloud-init does not fail on %q", raise)
	}
}
