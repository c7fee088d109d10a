package cloudconfig_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/realtools"
)

// pyRun loads a rendered cloud-config with cloud-init's own loader, writes
// its write_files under a root directory with cloud-init's own write_files
// (owners dropped: the test may not run as root), and prints the files'
// bytes and modes and cloud-init's runcmd script (util.shellify) as JSON.
const pyRun = `
import sys, os, json, base64, stat
from cloudinit import util
from cloudinit.config import cc_write_files
cfg = util.load_yaml(open(sys.argv[1]).read())
root = sys.argv[2]
files = []
for f in cfg["write_files"]:
    f = dict(f)
    f.pop("owner", None)
    f["path"] = root + f["path"]
    files.append(f)
cc_write_files.write_files("write_files", files, None)
out = {"files": {}, "runcmd": util.shellify(cfg["runcmd"])}
for f in cfg["write_files"]:
    p = root + f["path"]
    out["files"][f["path"]] = {"data": base64.b64encode(open(p, "rb").read()).decode(), "mode": stat.S_IMODE(os.stat(p).st_mode)}
print(json.dumps(out))
`

// cloud-init itself writes our write_files with the bytes Data() promises
// and the modes Permissions say, and its runcmd script, run by a real sh,
// passes every argv word through unchanged.
func TestCloudInitRunsRenderedConfig(t *testing.T) {
	realtools.RequirePythonModule(t, "cloudinit")
	sh := realtools.Require(t, "sh")
	large := cloudconfig.WriteFile{Path: "/etc/app/large.conf", Permissions: "0600"}
	large.SetData(bytes.Repeat([]byte("key = value # repeated line\n"), 400))
	binary := cloudconfig.WriteFile{Path: "/usr/local/lib/app/blob", Permissions: "755"}
	binary.SetData([]byte{0, 1, 2, 0xfe, 0xff, '\n', '\r'})
	words := []string{"it's", "$HOME", "`id`", "a b", "*", "on", "0644", "a: b", "#x", "", "\\", "\"q\"", "tab\there", "multi\nline", "ünï"}
	c := &cloudconfig.Config{
		WriteFiles: []cloudconfig.WriteFile{
			{Path: "/etc/app/plain.conf", Content: "a = 1\n  indented\n\ntrailing blank\n\n", Permissions: "0640"},
			{Path: "/etc/app/no-newline", Content: "no newline"},
			{Path: "/etc/app/octal-prefix", Content: "x\n", Permissions: "0o750"},
			large, binary,
			{Path: "/etc/app/appended", Content: "one\n"},
			{Path: "/etc/app/appended", Content: "two\n", Append: true},
		},
		Runcmd: []cloudconfig.Command{
			cloudconfig.Argv(append([]string{"printf", "[%s]\\n"}, words...)...),
			cloudconfig.Shell("echo shell: \"$((1 + 2))\""),
		},
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "user-data")
	writeFile(t, cfgPath, out)
	root := filepath.Join(dir, "root")
	res, err := runTool(toolTimeout, false, realtools.Python, "-c", pyRun, cfgPath, root)
	if err != nil {
		t.Fatalf("cloud-init: %v\n%s", err, res)
	}
	var got struct {
		Files map[string]struct {
			Data string
			Mode int
		}
		Runcmd string
	}
	if err := json.Unmarshal(res, &got); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	want := map[string][]byte{}
	for _, f := range c.WriteFiles {
		data, err := f.Data()
		if err != nil {
			t.Fatal(err)
		}
		if f.Append {
			data = append(want[f.Path], data...)
		}
		want[f.Path] = data
	}
	for _, f := range c.WriteFiles {
		g, ok := got.Files[f.Path]
		if !ok {
			t.Errorf("%s not written", f.Path)
			continue
		}
		data, _ := base64.StdEncoding.DecodeString(g.Data)
		if !bytes.Equal(data, want[f.Path]) {
			t.Errorf("%s: cloud-init wrote %q, want %q", f.Path, data, want[f.Path])
		}
		if f.Append {
			continue
		}
		mode := int64(0o644)
		if f.Permissions != "" {
			mode, _ = strconv.ParseInt(strings.TrimPrefix(f.Permissions, "0o"), 8, 32)
		}
		if int64(g.Mode) != mode {
			t.Errorf("%s: mode %04o, want %04o", f.Path, g.Mode, mode)
		}
	}
	// cloud-init's script is our Command.String lines.
	script := "#!/bin/sh\n"
	for _, cmd := range c.Runcmd {
		script += cmd.String() + "\n"
	}
	if got.Runcmd != script {
		t.Errorf("cloud-init's runcmd script:\n%s\nCommand.String gives:\n%s", got.Runcmd, script)
	}
	run, err := runTool(toolTimeout, true, sh, "-c", got.Runcmd)
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, run)
	}
	var wantOut strings.Builder
	for _, w := range words {
		wantOut.WriteString("[" + w + "]\n")
	}
	wantOut.WriteString("shell: 3\n")
	if string(run) != wantOut.String() {
		t.Errorf("runcmd output:\n%s\nwant:\n%s", run, wantOut.String())
	}
}
