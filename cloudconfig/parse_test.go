package cloudconfig_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/realtools"
)

func TestParse(t *testing.T) {
	doc := "#cloud-config\n" +
		"write_files:\n" +
		"  - path: /etc/x\n" +
		"    content: |\n" +
		"      hello\n" +
		"    owner: app:app\n" +
		"    permissions: '0640'\n" +
		"    append: false\n" +
		"    defer: yes\n" +
		"bootcmd: [echo boot]\n" +
		"runcmd:\n" +
		"  - [systemctl, enable, --now, x.service]\n" +
		"  - echo \"$HOME\"\n" +
		"packages: [jq]\n" +
		"package_update: on\n" +
		"package_upgrade: False\n" +
		"mounts:\n" +
		"  - [sdb, /data]\n" +
		"final_message: done\n" +
		"hostname: h1\n"
	c, err := cloudconfig.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := &cloudconfig.Config{
		WriteFiles:     []cloudconfig.WriteFile{{Path: "/etc/x", Content: "hello\n", Owner: "app:app", Permissions: "0640", Defer: true}},
		Bootcmd:        []cloudconfig.Command{cloudconfig.Shell("echo boot")},
		Runcmd:         []cloudconfig.Command{cloudconfig.Argv("systemctl", "enable", "--now", "x.service"), cloudconfig.Shell(`echo "$HOME"`)},
		Packages:       []string{"jq"},
		PackageUpdate:  cloudconfig.Bool(true),
		PackageUpgrade: cloudconfig.Bool(false),
		Mounts:         [][]string{{"sdb", "/data"}},
		FinalMessage:   "done",
	}
	extra := c.Extra
	c.Extra = nil
	if diff := cmp.Diff(want, c, cmpopts.IgnoreUnexported(cloudconfig.Config{})); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
	if len(extra) != 1 || extra[0].Key != "hostname" || extra[0].Value.Value != "h1" {
		t.Errorf("Extra = %+v, want hostname: h1", extra)
	}
}

// Known keys whose values do not fit the typed fields stay verbatim in
// Extra, in document order.
func TestParseKeepsMisfitsVerbatim(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		key  string
	}{
		{"runcmd entry is a number", "runcmd:\n  - 42\n", "runcmd"},
		{"runcmd entry is a mapping", "runcmd:\n  - echo a: b\n", "runcmd"},
		{"runcmd is a string", "runcmd: echo hi\n", "runcmd"},
		{"argv word is a number", "runcmd:\n  - [sleep, 5]\n", "runcmd"},
		{"unquoted permissions", "write_files:\n  - path: /x\n    permissions: 0644\n", "write_files"},
		{"write_files without path", "write_files:\n  - content: x\n", "write_files"},
		{"unknown write_files key", "write_files:\n  - path: /x\n    source: {uri: 'http://192.0.2.1/x'}\n", "write_files"},
		{"binary content", "write_files:\n  - path: /x\n    content: !!binary aGk=\n", "write_files"},
		{"package with version", "packages:\n  - [jq, '1.6']\n", "packages"},
		{"package_update as string", "package_update: 'true'\n", "package_update"},
		{"mount field is a number", "mounts:\n  - [sdb, /data, auto, defaults, 0, 2]\n", "mounts"},
		{"empty runcmd", "runcmd: []\n", "runcmd"},
		{"null bootcmd", "bootcmd:\n", "bootcmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cloudconfig.Parse([]byte("#cloud-config\n" + tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if c.Lookup(tt.key) == nil {
				t.Fatalf("%s not kept in Extra: %+v", tt.key, c)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if want := "#cloud-config\n" + tt.doc; string(out) != want && !strings.Contains(string(out), tt.key+":") {
				t.Errorf("rendered:\n%s\nwant the key %s back", out, tt.key)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"no header", "runcmd: [ls]\n", `cloudconfig: line 1: must start with "#cloud-config"`},
		{"shell script", "#!/bin/sh\necho hi\n", `found "#!/bin/sh"`},
		{"archive", "#cloud-config-archive\n- type: text/x-shellscript\n", "cloud-config-archive"},
		{"jinja", "## template: jinja\n#cloud-config\n", "jinja"},
		{"bom", "\xef\xbb\xbf#cloud-config\n{}\n", "line 1:1: document starts with a UTF-8 byte order mark"},
		{"empty", "#cloud-config\n", "document is empty"},
		{"only comments", "#cloud-config\n# nothing\n", "document is empty"},
		{"null", "#cloud-config\n~\n", "line 2:1: document is empty (null)"},
		{"list", "#cloud-config\n- a\n", "line 2:1: the document must be a mapping of keys to values, not a list"},
		{"scalar", "#cloud-config\nhello\n", `line 2:1: the document must be a mapping of keys to values, not the string "hello"`},
		{"syntax", "#cloud-config\nruncmd:\n  - [a, b\n", "cloudconfig: line 2: did not find expected ',' or ']'"},
		{"tab indent", "#cloud-config\nruncmd:\n\t- ls\n", "cloudconfig: line 3: found character that cannot start any token (a tab in the indentation"},
		{"unquoted colon", "#cloud-config\nfinal_message: done: ok\n", "cloudconfig: line 2: mapping values are not allowed in this context (an unquoted value containing \": \"? quote it)"},
		{"duplicate key", "#cloud-config\nruncmd: [a]\nbootcmd: [b]\nruncmd: [c]\n", "line 4:1: duplicate key runcmd (first at line 2)"},
		{"boolean key", "#cloud-config\non: 1\n", "line 2:1: top-level key the boolean on is not a string"},
		{"list key", "#cloud-config\n? [a]\n: 1\n", "line 2:3: top-level key a list is not a string"},
		{"two documents", "#cloud-config\na: 1\n---\nb: 2\n", "line 3: a second YAML document"},
		{"unknown tag", "#cloud-config\na: !shell echo\n", "line 2:4: tag !shell is not one cloud-init's YAML loader"},
		{"unknown alias", "#cloud-config\na: *nope\n", "unknown anchor 'nope' referenced"},
		{"alias bomb", "#cloud-config\n" + aliasBomb(), "expands to more than 100000 YAML nodes"},
		// 20000 copies of a 4 KiB scalar: few nodes, 80 MB of text. The
		// error names the alias that goes over the limit, the 255th.
		{"alias text bomb", aliasTextBomb(4096, 20000), "line 3:1021: aliases expand the document to more than 1048576 bytes of text, the limit for a 84121-byte document"},
		{"over MaxSize", "#cloud-config\nfinal_message: " + strings.Repeat("x", cloudconfig.MaxSize) + "\n", "over the limit of 1048576 (cloudconfig.MaxSize)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cloudconfig.Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("no error; parsed %+v", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "cloudconfig: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// aliasTextBomb anchors a scalar of size bytes and aliases it n times, in
// a flow list starting on line 3, column 4.
func aliasTextBomb(size, n int) string {
	return "#cloud-config\na: &a " + strings.Repeat("x", size) + "\nb: [" + strings.TrimSuffix(strings.Repeat("*a, ", n), ", ") + "]\n"
}

// The limits on input size and alias expansion let through what fits.
func TestParseLimits(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"exactly MaxSize", "#cloud-config\nfinal_message: " + strings.Repeat("x", cloudconfig.MaxSize-len("#cloud-config\nfinal_message: \n")) + "\n", ""},
		{"MaxSize plus one", "#cloud-config\nfinal_message: " + strings.Repeat("x", cloudconfig.MaxSize+1-len("#cloud-config\nfinal_message: \n")) + "\n", "document is 1048577 bytes, over the limit"},
		// 1 MiB of text at least is always allowed.
		{"small document under 1 MiB", aliasTextBomb(4096, 250), ""},
		{"small document over 1 MiB", aliasTextBomb(4096, 260), "aliases expand the document to more than 1048576 bytes"},
		// Ten times the input for larger documents: a 100 KiB scalar
		// aliased 80 times in a 900 KiB document (8.1 MiB of text, the
		// limit is 9 MiB) parses, aliased 100 times it does not.
		{"large document within 10x", aliasTextBomb(100<<10, 80) + "#" + strings.Repeat(" ", 800<<10) + "\n", ""},
		{"large document over 10x", aliasTextBomb(100<<10, 100) + "#" + strings.Repeat(" ", 800<<10) + "\n", "aliases expand the document to more than 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cloudconfig.Parse([]byte(tt.doc))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("%d-byte document: %v", len(tt.doc), err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("%d-byte document parsed; want an error containing %q", len(tt.doc), tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q\ndoes not contain %q", err, tt.wantErr)
			}
		})
	}
}

// What cloud-init accepts as a header.
func TestParseHeaders(t *testing.T) {
	for _, h := range []string{"#cloud-config", "#Cloud-Config", "  #cloud-config", "#cloud-config   ", "#cloud-config\r", "\n#cloud-config"} {
		if _, err := cloudconfig.Parse([]byte(h + "\n{}\n")); err != nil {
			t.Errorf("header %q: %v", h, err)
		}
	}
}

// Round trip over a corpus in the shapes of cloud-init's documented
// examples: parse, render, parse again and render again gives the same
// bytes; PyYAML (cloud-init's own loader) reads the original and the
// rendering as the same data; and cloud-init's schema verdict is unchanged.
func TestCorpusRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/corpus/*.yaml")
	if err != nil || len(files) < 10 {
		t.Fatalf("corpus missing (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			orig := readFile(t, f)
			c, err := cloudconfig.Parse(orig)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			c2, err := cloudconfig.Parse(out)
			if err != nil {
				t.Fatalf("rendering does not parse: %v\n%s", err, out)
			}
			out2, err := c2.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, out2) {
				t.Errorf("second render differs:\n%s", cmp.Diff(string(out), string(out2)))
			}
			golden := filepath.Join("testdata", "roundtrip", strings.TrimSuffix(filepath.Base(f), ".yaml")+".golden")
			assertGolden(t, golden, out)
			samePyYAML(t, orig, out)
			if bytes.HasPrefix(orig, []byte("#cloud-config\n")) {
				v1 := realtools.CloudInitSchema(t, orig)
				v2 := realtools.CloudInitSchema(t, out)
				if v1.Valid != v2.Valid {
					t.Errorf("cloud-init schema verdict changed from %v to %v:\n%s\n%s", v1.Valid, v2.Valid, v1.Output, v2.Output)
				}
			}
		})
	}
}

// pyCompare loads two YAML files with PyYAML's safe loader, as cloud-init
// does, and prints "same" when they hold equal data.
const pyCompare = `
import sys, yaml
a = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
b = yaml.safe_load(open(sys.argv[2], encoding="utf-8"))
print("same" if a == b else "differ:\n%r\n%r" % (a, b))
`

func samePyYAML(t *testing.T, a, b []byte) {
	t.Helper()
	realtools.RequirePythonModule(t, "yaml")
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	writeFile(t, pa, a)
	writeFile(t, pb, b)
	out, err := runTool(toolTimeout, true, realtools.Python, "-c", pyCompare, pa, pb)
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "same" {
		t.Errorf("PyYAML reads the rendering differently from the original: %s", out)
	}
}
