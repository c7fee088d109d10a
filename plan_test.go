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

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/userdata"
)

// doc encodes parts as MIME user data (unknown types allowed).
func doc(t testing.TB, parts ...userdata.Part) []byte {
	t.Helper()
	d := &userdata.Document{Parts: parts}
	b, err := d.Encode(userdata.Options{AllowUnknownTypes: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cc(name, body string) userdata.Part {
	return userdata.Part{ContentType: userdata.ContentCloudConfig, Filename: name, Body: []byte("#cloud-config\n" + body)}
}

func ccm(name, merge, body string) userdata.Part {
	p := cc(name, body)
	p.MergeType = merge
	return p
}

func script(ct, name, body string) userdata.Part {
	return userdata.Part{ContentType: ct, Filename: name, Body: []byte("#!/bin/sh\n" + body + "\n")}
}

func mustPlan(t testing.TB, data []byte, opts PlanOptions) *BootPlan {
	t.Helper()
	p, err := Plan(data, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runs lists the plan's actions as "stage module kind name|file|command",
// every action, or only those of later boots.
func runs(p *BootPlan, later bool) []string {
	var out []string
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			for _, a := range s.Actions {
				if later && !a.EveryBoot {
					continue
				}
				what := a.Name
				if a.Kind == "write-file" || a.Kind == "mount" {
					what = a.File + " " + a.Mode + " " + a.Owner
				}
				if a.Kind == "run-command" {
					what = a.Command
				}
				if a.Kind == "merge-config" {
					what = strings.Fields(a.Detail)[len(strings.Fields(a.Detail))-1]
				}
				out = append(out, strings.TrimSpace(st.Name+" "+s.Module+" "+a.Kind+" "+what))
			}
		}
	}
	return out
}

func findingRules(p *BootPlan) []string {
	var out []string
	for _, d := range p.Findings {
		out = append(out, d.Severity.String()+" "+d.Rule+" "+d.Path)
	}
	return out
}

func TestPlanRules(t *testing.T) {
	ext := userdata.ContentShellScript
	for _, tc := range []struct {
		name       string
		data       []byte
		opts       PlanOptions
		want       []string // every action, in order (nil: not checked)
		later      []string // actions of later boots (nil: not checked)
		findings   []string // severity rule path
		wantAbsent []string // actions that must not be there
	}{
		{
			name: "runcmd runs among the script parts sorted by name",
			data: doc(t,
				script(ext, "b.sh", "b"),
				cc("c", "runcmd:\n  - echo r\n"),
				script(ext, "z.sh", "z"),
				script(ext, "a.sh", "a"),
				script(ext, "runcmd-after", "x"),
			),
			want: []string{
				"init-network user-data write-script b.sh",
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network user-data write-script z.sh",
				"init-network user-data write-script a.sh",
				"init-network user-data write-script runcmd-after",
				"modules-config runcmd write-script runcmd",
				"modules-final scripts-user run-script a.sh",
				"modules-final scripts-user run-script b.sh",
				"modules-final scripts-user run-script runcmd",
				"modules-final scripts-user run-script runcmd-after",
				"modules-final scripts-user run-script z.sh",
			},
			later: []string{
				"init-network user-data write-script b.sh",
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network user-data write-script z.sh",
				"init-network user-data write-script a.sh",
				"init-network user-data write-script runcmd-after",
			},
		},
		{
			name: "unnamed parts are part-NNN by attached position; boothooks run at once, every boot",
			data: doc(t,
				userdata.Part{ContentType: userdata.ContentBoothook, Body: []byte("#cloud-boothook\n#!/bin/sh\necho\n")},
				script(ext, "", "x"),
				cc("", "bootcmd:\n  - [echo, 'two words']\n"),
			),
			want: []string{
				"init-network user-data run-boothook part-001",
				"init-network user-data write-script part-002",
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network bootcmd run-command 'echo' 'two words'",
				"modules-final scripts-user run-script part-002",
			},
			later: []string{
				"init-network user-data run-boothook part-001",
				"init-network user-data write-script part-002",
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network bootcmd run-command 'echo' 'two words'",
			},
		},
		{
			name: "per-boot, per-instance and per-once scripts in their modules' order",
			data: doc(t,
				script(userdata.ContentShellScriptPerInst, "i.sh", "i"),
				script(userdata.ContentShellScriptPerBoot, "dir/b.sh", "b"),
				script(userdata.ContentShellScriptPerOnce, "o.sh", "o"),
			),
			want: []string{
				"init-network user-data write-script i.sh",
				"init-network user-data write-script b.sh",
				"init-network user-data write-script o.sh",
				"modules-final scripts-per-once run-script o.sh",
				"modules-final scripts-per-boot run-script b.sh",
				"modules-final scripts-per-instance run-script i.sh",
			},
			later: []string{
				"init-network user-data write-script i.sh",
				"init-network user-data write-script b.sh",
				"init-network user-data write-script o.sh",
				"modules-final scripts-per-boot run-script b.sh",
			},
		},
		{
			name: "write_files: init stage, defer in final, modes and owners as cloud-init decodes them",
			data: doc(t, cc("c", `write_files:
  - path: /etc/a
    content: a
  - path: /etc/b
    permissions: '0600'
    owner: app:app
    defer: true
  - path: etc/../etc/c
    permissions: 0755
    append: yes
  - path: /etc/d
    permissions: 420
    defer: "on"
  - content: no path
`)),
			want: []string{
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network write-files write-file /etc/a 0644 root:root",
				"init-network write-files write-file /etc/c 0755 root:root",
				"modules-final write-files-deferred write-file /etc/b 0600 app:app",
				"modules-final write-files-deferred write-file /etc/d 0644 root:root",
			},
			findings: []string{"error plan-not-run write_files[4]"},
		},
		{
			name: "a later part replaces the earlier runcmd without a merge type",
			data: doc(t, cc("a", "runcmd:\n  - echo a\n"), cc("b", "runcmd:\n  - echo b\n")),
			want: []string{
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network user-data merge-config dict(replace)+list()+str()",
				"modules-config runcmd write-script runcmd",
				"modules-final scripts-user run-script runcmd",
			},
			findings: []string{"error plan-replaced runcmd"},
		},
		{
			name:     "append keeps both",
			data:     doc(t, ccm("a", userdata.MergeAppend, "runcmd:\n  - echo a\n"), ccm("b", userdata.MergeAppend, "runcmd:\n  - echo b\n")),
			findings: nil,
		},
		{
			name:     "no_replace drops the later scalar; merge_how in the body counts",
			data:     doc(t, cc("a", "final_message: one\n"), cc("b", "merge_how: dict(no_replace)+list()+str()\nfinal_message: two\n")),
			findings: []string{"warning plan-dropped final_message"},
		},
		{
			name:     "a merge type without dict() merges nothing into the first part's empty config",
			data:     doc(t, ccm("a", "list(append)", "runcmd:\n  - echo a\n")),
			want:     []string{"init-network user-data merge-config \"list(append)\""},
			findings: nil,
		},
		{
			name:     "unknown merger: the part is ignored",
			data:     doc(t, ccm("a", "frob(x)", "runcmd:\n  - echo a\n")),
			want:     []string{},
			findings: []string{"error plan-bad-part "},
		},
		{
			name: "ignored, unknown and unfetched parts",
			data: doc(t,
				userdata.Part{ContentType: "text/plain", Filename: "notes", Body: []byte("hello\n")},
				userdata.Part{ContentType: userdata.ContentJinja2, Body: []byte("## template: jinja\n#cloud-config\n")},
				userdata.Part{ContentType: userdata.ContentIncludeURL, Body: []byte("#include\nhttp://192.0.2.1/x\n")},
				script(ext, "", "after include"),
			),
			findings: []string{"error plan-ignored ", "warning plan-not-rendered ", "warning plan-not-fetched ", "warning plan-not-fetched "},
			want: []string{
				"init-network user-data write-script part-003",
				"modules-final scripts-user run-script part-003",
			},
		},
		{
			name:     "not MIME and not recognised",
			data:     []byte("echo hi\n"),
			findings: []string{"error plan-ignored "},
			want:     []string{},
		},
		{
			name:     "clean_filename: shell scripts replace / by _, per-boot scripts take the base name",
			data:     doc(t, script(ext, "../x y.sh", "x"), script(userdata.ContentShellScriptPerBoot, "../x y.sh", "y")),
			want:     []string{"init-network user-data write-script .._xy.sh", "init-network user-data write-script xy.sh", "modules-final scripts-per-boot run-script xy.sh", "modules-final scripts-user run-script .._xy.sh"},
			findings: nil,
		},
		{
			name:     "two scripts with one name: the first never runs",
			data:     doc(t, script(ext, "s", "1"), script(ext, "s", "2")),
			findings: []string{"error plan-overwritten "},
		},
		{
			name:     "a script without #!",
			data:     doc(t, userdata.Part{ContentType: userdata.ContentShellScriptPerBoot, Filename: "x", Body: []byte("echo\n")}),
			findings: []string{"error plan-bad-part "},
		},
		{
			name: "packages, mounts, other modules",
			data: doc(t, cc("c", "packages: [curl, [vim, '2:9']]\nmounts:\n  - [/dev/vdb, /data]\ntimezone: UTC\nfrobnicate: 1\n")),
			want: []string{
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network mounts mount /data",
				"modules-config timezone read-keys",
				"modules-final package-update-upgrade-install update-packages",
				"modules-final package-update-upgrade-install install-package curl",
				"modules-final package-update-upgrade-install install-package vim=2:9",
			},
			findings: []string{"info plan-unknown-key frobnicate"},
		},
		{
			name: "the image's cloud.cfg lacks scripts-user",
			data: doc(t, script(ext, "a", "a")),
			opts: PlanOptions{CloudCfg: &CloudCfg{Source: "test", Init: entries("bootcmd"), Final: entries("scripts-per-boot")}},
			want: []string{
				"init-network user-data write-script a",
			},
			findings: []string{"error plan-no-module "},
		},
		{
			name: "user data sets a module list",
			data: doc(t, cc("c", "cloud_final_modules: [[scripts-user, always]]\n"), script(ext, "a", "a")),
			want: []string{
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network user-data write-script a",
				"modules-final scripts-user run-script a",
			},
			later: []string{
				"init-network user-data merge-config dict(replace)+list()+str()",
				"init-network user-data write-script a",
				"modules-final scripts-user run-script a",
			},
			findings: []string{"info plan-module-lists cloud_final_modules"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, tc.data, tc.opts)
			if tc.want != nil {
				if got := runs(p, false); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
					t.Errorf("actions:\n got %q\nwant %q", got, tc.want)
				}
			}
			if tc.later != nil {
				if got := runs(p, true); !slices.Equal(got, tc.later) {
					t.Errorf("later boots:\n got %q\nwant %q", got, tc.later)
				}
			}
			if got := findingRules(p); !slices.Equal(got, tc.findings) && !(len(got) == 0 && len(tc.findings) == 0) {
				t.Errorf("findings:\n got %q\nwant %q\n%s", got, tc.findings, p.Findings)
			}
			if t.Failed() {
				t.Logf("plan:\n%s", p.Text("test"))
			}
		})
	}
}

// The stop hook udkit builds is armed by the runcmd script in
// scripts-user on the first boot and, enabled, by systemd later.
func TestPlanStopHook(t *testing.T) {
	b, err := Build(&Spec{Name: "app", Deregister: &Action{Command: []string{"/usr/local/bin/dereg"}}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Encode(Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, data, PlanOptions{})
	var arm *PlanAction
	for _, st := range p.Stages {
		for _, s := range st.Steps {
			for i, a := range s.Actions {
				if a.Kind == "arm-stop-hook" {
					if st.Name != StageFinal || s.Module != "scripts-user" {
						t.Errorf("armed in %s %s", st.Name, s.Module)
					}
					arm = &s.Actions[i]
				}
			}
		}
	}
	if arm == nil {
		t.Fatalf("no arm-stop-hook action:\n%s", p.Text("test"))
	}
	if arm.Name != "app-deregister.service" || !arm.EveryBoot {
		t.Errorf("arm = %+v, want app-deregister.service, every boot (enabled)", arm)
	}
	if len(p.Findings) != 0 {
		t.Errorf("findings on udkit's own user data: %s", p.Findings)
	}

	// A unit with ExecStop= that nothing starts.
	data = doc(t, cc("c", "write_files:\n  - path: /etc/systemd/system/x.service\n    content: |\n      [Service]\n      ExecStop=/bin/true\n"))
	p = mustPlan(t, data, PlanOptions{})
	if got := findingRules(p); !slices.Equal(got, []string{"warning plan-stop-hook write_files[0]"}) {
		t.Errorf("findings = %q", got)
	}
}

func TestParseCloudCfg(t *testing.T) {
	base := []byte("cloud_init_modules: [bootcmd, write-files]\ncloud_config_modules: [runcmd]\ncloud_final_modules: [scripts-user]\n")
	c, err := ParseCloudCfg(
		CloudCfgFile{Name: "cloud.cfg", Data: base},
		CloudCfgFile{Name: "10.cfg", Data: []byte("cloud_final_modules: [scripts-per-boot, [scripts-user, always], {name: final-message, frequency: once}]\n")},
		CloudCfgFile{Name: "20.cfg", Data: []byte("cloud_config_modules: [[runcmd, bogus]]\n")},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := &CloudCfg{
		Source: "cloud.cfg, 10.cfg, 20.cfg",
		Units:  DebianBookworm().Units,
		Init:   []ModuleEntry{{"bootcmd", "bootcmd", FreqAlways}, {"write-files", "write_files", FreqInstance}},
		Config: []ModuleEntry{{"runcmd", "runcmd", FreqInstance}},
		Final:  []ModuleEntry{{"scripts-per-boot", "scripts_per_boot", FreqAlways}, {"scripts-user", "scripts_user", FreqAlways}, {"final-message", "final_message", FreqOnce}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ParseCloudCfg:\n got %+v\nwant %+v", c, want)
	}
	if _, err := ParseCloudCfg(CloudCfgFile{Name: "bad", Data: []byte("cloud_init_modules: 3\n")}); err == nil || !strings.Contains(err.Error(), "bad: cloud_init_modules") {
		t.Errorf("bad list: err = %v", err)
	}
}

// The built-in Debian 12 lists are the installed package's, where this
// machine has Debian 12's cloud-init.
func TestDebianBookwormMatchesInstalled(t *testing.T) {
	const path = "/etc/cloud/cloud.cfg"
	data, err := os.ReadFile(path)
	if err != nil {
		realtools.Missing(t, path+": "+err.Error())
	}
	if !bytes.Contains(data, []byte("distro: debian")) {
		t.Skip(path + " is not Debian's")
	}
	out, _ := exec.Command(realtools.Python, "-c", "import cloudinit.version as v; print(v.version_string())").Output()
	if !strings.HasPrefix(string(out), "22.4") {
		t.Skipf("installed cloud-init is %q, not 22.4", out)
	}
	got, err := ParseCloudCfg(CloudCfgFile{Name: path, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	want := DebianBookworm()
	if !reflect.DeepEqual([][]ModuleEntry{got.Init, got.Config, got.Final}, [][]ModuleEntry{want.Init, want.Config, want.Final}) {
		t.Errorf("DebianBookworm() differs from %s:\n got %v\nwant %v", path, got, want)
	}
}

// The module table's frequencies and activation keys are cloud-init's own.
func TestModuleTableMatchesCloudInit(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit.config")
	const script = `
import importlib, json, pkgutil, cloudinit.config as c
out = {}
for m in pkgutil.iter_modules(c.__path__):
    if m.name.startswith("cc_"):
        mod = importlib.import_module("cloudinit.config." + m.name)
        out[m.name[3:]] = [mod.meta["frequency"], mod.meta.get("activate_by_schema_keys") or []]
print(json.dumps(out))
`
	out, err := exec.Command(realtools.Python, "-c", script).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var meta map[string][2]any
	if err := json.Unmarshal(out, &meta); err != nil {
		t.Fatal(err)
	}
	for id, m := range meta {
		info, ok := modules[id]
		if !ok {
			t.Errorf("module %s (cloud-init) not in the table", id)
			continue
		}
		if info.freq != m[0] {
			t.Errorf("%s: frequency %s, cloud-init says %v", id, info.freq, m[0])
		}
		keys := m[1].([]any)
		if info.activate != (len(keys) > 0) {
			t.Errorf("%s: activate %v, cloud-init's activate_by_schema_keys %v", id, info.activate, keys)
		}
		for _, k := range keys {
			if !slices.Contains(info.keys, k.(string)) {
				t.Errorf("%s: activation key %v missing", id, k)
			}
		}
	}
}

// mergeScript merges the cloud-config parts of each document with
// cloud-init's own CloudConfigPartHandler, after its UserDataProcessor
// (includes and archives off), and prints the merged configs as JSON.
const mergeScript = `
import base64, json, sys, logging
logging.disable(logging.CRITICAL)
from cloudinit import user_data as ud, handlers
from cloudinit.handlers.cloud_config import CloudConfigPartHandler
ud.INCLUDE_TYPES = []
ud.ARCHIVE_TYPES = []
class Paths:
    def get_ipath(self, name):
        return None
out = []
for d in json.load(sys.stdin):
    msg = ud.UserDataProcessor(None).process(base64.b64decode(d))
    h = CloudConfigPartHandler(Paths())
    h.handle_part(None, handlers.CONTENT_START, None, None, None, None)
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        ct = part.get_content_type()
        if ct not in ("text/cloud-config",):
            continue
        h.handle_part(None, ct, part.get_filename(), part.get_payload(decode=True).decode(), "always", dict(part))
    out.append(h.cloud_buf if h.file_names else {})
json.dump(out, sys.stdout, sort_keys=True)
`

// TestPlanMergeMatchesCloudInit merges documents with cloud-init's own
// handler and with Plan's merger and compares the results.
func TestPlanMergeMatchesCloudInit(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit.handlers.cloud_config")
	docs := [][]byte{
		doc(t, cc("a", "runcmd: [a]\nfinal_message: x\n"), cc("b", "runcmd: [b]\n")),
		doc(t, ccm("a", userdata.MergeAppend, "runcmd: [a]\nwrite_files: [{path: /a}]\n"), ccm("b", userdata.MergeAppend, "runcmd: [b]\nwrite_files: [{path: /b}]\nfinal_message: y\n")),
		doc(t, cc("a", "final_message: one\napt: {sources: {a: 1}}\n"), cc("b", "merge_how: dict(no_replace,recurse_dict)+list(prepend)+str(append)\nfinal_message: two\napt: {sources: {b: 2}}\nruncmd: [z]\n")),
		doc(t, ccm("a", "list(append)", "runcmd: [a]\n"), cc("b", "runcmd: [b]\n")),
		doc(t, cc("a", "runcmd: [a, b, c]\n"), ccm("b", "dict(no_replace,recurse_list)+list()", "runcmd: [x]\n")),
		doc(t, cc("a", "runcmd: [a]\n"), ccm("b", "frob()", "runcmd: [x]\n"), ccm("c", "dict(replace,allow_delete)", "runcmd: null\n")),
		doc(t, cc("a", "merge_how: [{name: dict, settings: [no_replace, recurse_list]}, {name: list, settings: [append]}]\nruncmd: [a]\n"), cc("b", "merge_how: [[dict, recurse_list], [list, append]]\nruncmd: [b]\nbootcmd: [c]\n")),
		doc(t, cc("a", "runcmd: [a]\n"), ccm("b", "dict(recurse_str)+str(append)", "runcmd: x\nfinal_message: m\n"), ccm("c", "dict(recurse_str)+str(append)", "final_message: n\n")),
	}
	var in []string
	for _, d := range docs {
		in = append(in, base64.StdEncoding.EncodeToString(d))
	}
	js, _ := json.Marshal(in)
	cmd := exec.Command(realtools.Python, "-c", mergeScript)
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want []any
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
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
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPlanPartNamesMatchCloudInit: the part-NNN names are cloud-init's.
func TestPlanPartNamesMatchCloudInit(t *testing.T) {
	d := doc(t, script(userdata.ContentShellScript, "", "a"), cc("", "{}\n"), userdata.Part{ContentType: "text/plain", Body: []byte("x\n")},
		script(userdata.ContentShellScript, "named", "b"), userdata.Part{ContentType: userdata.ContentBoothook, Body: []byte("#cloud-boothook\n#!/bin/sh\n")})
	res := realtools.CloudInitParse(t, d)
	if res[0].Err != "" {
		t.Fatal(res[0].Err)
	}
	p := mustPlan(t, d, PlanOptions{})
	for i, part := range res[0].Parts {
		if p.Parts[i].Name != part.Name {
			t.Errorf("part %d: plan names it %q, cloud-init %q", i+1, p.Parts[i].Name, part.Name)
		}
	}
}

// The JSON schema: field names and order are pinned by a golden file.
func TestPlanJSONSchema(t *testing.T) {
	data := doc(t,
		userdata.Part{ContentType: userdata.ContentBoothook, Body: []byte("#cloud-boothook\n#!/bin/sh\necho\n")},
		cc("base", "bootcmd: [echo b]\nruncmd: [echo r]\nwrite_files:\n  - {path: /etc/a, permissions: '0600'}\n  - {path: /etc/b, defer: true, append: true}\npackages: [curl]\n"),
		script(userdata.ContentShellScript, "s.sh", "s"),
		script(userdata.ContentShellScriptPerBoot, "pb.sh", "p"),
		cc("over", "runcmd: [echo lost]\n"),
		userdata.Part{ContentType: "text/plain", Body: []byte("x\n")},
	)
	p := mustPlan(t, data, PlanOptions{})
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/plan/schema.json", b.Bytes())
	golden.AssertString(t, "testdata/plan/schema.txt", p.Text("schema"))
}

// Text escapes what comes from the user data.
func TestPlanTextEscapes(t *testing.T) {
	data := []byte("Content-Type: multipart/mixed; boundary=B\nMIME-Version: 1.0\n\n--B\nContent-Type: text/cloud-config\n\n" +
		"#cloud-config\nwrite_files:\n  - path: \"/etc/\\e[31mred\"\nruncmd:\n  - \"echo \\u202e\"\n" +
		"--B\nContent-Type: text/x-shellscript\nContent-Disposition: attachment; filename=\"x\x1b]0;t\x07\"\n\n#!/bin/sh\n--B--\n")
	txt := mustPlan(t, data, PlanOptions{}).Text("in\x1bput")
	for _, bad := range []string{"\x1b", "\u202e", "\x07"} {
		if strings.Contains(txt, bad) {
			t.Errorf("text output holds %q:\n%s", bad, txt)
		}
	}
}

func TestPlanRulesDocumented(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range PlanRules() {
		ids[r.ID] = true
	}
	for _, id := range []string{RulePlanIgnored, RulePlanReplaced, RulePlanDropped, RulePlanBadPart, RulePlanNotFetched, RulePlanNotRendered, RulePlanOverwritten, RulePlanNoModule, RulePlanUnknownKey, RulePlanNotRun, RulePlanModuleLists, RulePlanStopHook} {
		if !ids[id] {
			t.Errorf("rule %s not in PlanRules", id)
		}
	}
	_ = diag.Error
	_ = cloudconfig.Header
}

// FuzzPlan: Plan never panics on input Decode accepts, is deterministic,
// and its JSON and text forms can always be made. Seeds: the table tests'
// documents (testdata/fuzz/FuzzPlan) and userdata's decode corpus.
func FuzzPlan(f *testing.F) {
	files, _ := filepath.Glob("userdata/testdata/decode/*")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add(doc(f, cc("a", "runcmd: [a]\nwrite_files: [{path: /x, defer: true}]\n"), ccm("b", "list(append)+dict(recurse_list)", "runcmd: [b]\nmerge_how: [[dict, replace]]\n"),
		script(userdata.ContentShellScript, "", "x"), userdata.Part{ContentType: userdata.ContentBoothook, Body: []byte("#cloud-boothook\n")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := userdata.Decode(data, userdata.Limits{}); err != nil {
			if _, err := Plan(data, PlanOptions{}); err == nil {
				t.Fatal("Plan accepts what Decode refuses")
			}
			return
		}
		p1, err := Plan(data, PlanOptions{})
		if err != nil {
			t.Fatalf("Plan fails where Decode does not: %v", err)
		}
		p2, _ := Plan(data, PlanOptions{})
		j1, err := json.Marshal(p1)
		if err != nil {
			t.Fatal(err)
		}
		j2, _ := json.Marshal(p2)
		if !bytes.Equal(j1, j2) {
			t.Fatalf("two plans of the same input differ:\n%s\n%s", j1, j2)
		}
		if txt := p1.Text("fuzz"); strings.ContainsAny(txt, "\x1b\x07\r") {
			t.Fatalf("unescaped control character in the text:\n%q", txt)
		}
	})
}

// handlerScript runs cloud-init's own part handlers (shell scripts, the
// per-frequency scripts, boothooks, with the boothook's execution
// stubbed) on each document, in a temporary cloud_dir, and prints the
// files they wrote, relative to /var/lib/cloud with instances/iid shown
// as instance.
const handlerScript = `
import base64, json, os, sys, tempfile, logging
logging.disable(logging.CRITICAL)
from cloudinit import user_data as ud, handlers, helpers, subp
from cloudinit.handlers.shell_script import ShellScriptPartHandler
from cloudinit.handlers.shell_script_by_frequency import ShellScriptByFreqPartHandler
from cloudinit.handlers.boot_hook import BootHookPartHandler
from cloudinit.settings import PER_ALWAYS, PER_INSTANCE, PER_ONCE
ud.INCLUDE_TYPES = []
ud.ARCHIVE_TYPES = []
subp.subp = lambda *a, **k: ("", "")
class DS:
    def get_instance_id(self):
        return "iid"
out = []
for d in json.load(sys.stdin):
    tmp = tempfile.mkdtemp()
    paths = helpers.Paths({"cloud_dir": tmp}, ds=DS())
    os.makedirs(os.path.join(tmp, "instances", "iid"))
    os.symlink(os.path.join(tmp, "instances", "iid"), os.path.join(tmp, "instance"))
    ch = helpers.ContentHandlers()
    for h in [ShellScriptPartHandler(paths=paths), ShellScriptByFreqPartHandler(PER_ALWAYS, paths=paths),
              ShellScriptByFreqPartHandler(PER_INSTANCE, paths=paths), ShellScriptByFreqPartHandler(PER_ONCE, paths=paths),
              BootHookPartHandler(paths=paths, datasource=DS())]:
        ch.register(h)
    msg = ud.UserDataProcessor(paths).process(base64.b64decode(d))
    handlers.walk(msg, handlers.walker_callback, data={"handlers": ch, "data": None, "frequency": PER_INSTANCE,
        "handlercount": 0, "excluded": [], "handlerdir": tmp})
    files = []
    for root, dirs, fs in os.walk(tmp):
        for f in fs:
            rel = os.path.relpath(os.path.join(root, f), tmp).replace("instances/iid/", "instance/")
            files.append("/var/lib/cloud/" + rel)
    out.append(sorted(files))
json.dump(out, sys.stdout)
`

// TestPlanFilesMatchCloudInit: the files Plan says the handlers write
// (clean_filename, part-NNN, per-frequency directories, basename for the
// per-frequency scripts) are those cloud-init's own handlers write.
func TestPlanFilesMatchCloudInit(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit.handlers.shell_script_by_frequency")
	hook := func(name string) userdata.Part {
		return userdata.Part{ContentType: userdata.ContentBoothook, Filename: name, Body: []byte("#cloud-boothook\n#!/bin/sh\n")}
	}
	docs := [][]byte{
		doc(t, script(userdata.ContentShellScript, "", "a"), hook(""), cc("", "{}\n"), script(userdata.ContentShellScript, "", "b"),
			script(userdata.ContentShellScriptPerBoot, "", "c"), script(userdata.ContentShellScriptPerOnce, "", "d")),
		doc(t, script(userdata.ContentShellScript, "../up/x y(1).sh", "a"), script(userdata.ContentShellScriptPerBoot, "../up/x y(1).sh", "b"),
			script(userdata.ContentShellScriptPerInst, "dir/i.sh", "c"), hook("h/o o.k"), script(userdata.ContentShellScript, "a;b&c.sh", "d")),
		[]byte("#!/bin/sh\necho single\n"),
		[]byte("#cloud-boothook\n#!/bin/sh\necho hook\n"),
	}
	want := runHandlerScript(t, handlerScript, docs)
	for i, d := range docs {
		p := mustPlan(t, d, PlanOptions{})
		var got []string
		for _, pt := range p.Parts {
			if pt.File != "" {
				got = append(got, pt.File)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want[i]) {
			t.Errorf("document %d: plan writes\n %q\ncloud-init's handlers wrote\n %q", i, got, want[i])
		}
	}
}

// BenchmarkPlan plans the README's example document.
func BenchmarkPlan(b *testing.B) {
	data, err := os.ReadFile("testdata/plan/example.mime")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Plan(data, PlanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// runHandlerScript runs a Python script of cloud-init's handlers (such as
// handlerScript) with docs, base64 in a JSON list, on standard input, and
// returns the files it says each document makes.
func runHandlerScript(t *testing.T, script string, docs [][]byte) [][]string {
	t.Helper()
	var in []string
	for _, d := range docs {
		in = append(in, base64.StdEncoding.EncodeToString(d))
	}
	js, _ := json.Marshal(in)
	cmd := exec.Command(realtools.Python, "-c", script)
	cmd.Stdin = bytes.NewReader(js)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var want [][]string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	return want
}
