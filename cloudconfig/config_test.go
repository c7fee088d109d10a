package cloudconfig_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/internal/realtools"
	"gopkg.in/yaml.v3"
)

func TestSetData(t *testing.T) {
	big := []byte(strings.Repeat("compressible text\n", 300))
	random := make([]byte, 5000)
	x := uint32(1)
	for i := range random {
		x = x*1664525 + 1013904223
		random[i] = byte(x >> 24)
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"short text", []byte("hello\n"), ""},
		{"tabs are text", []byte("a\tb\n"), ""},
		{"empty", nil, ""},
		{"invalid utf-8", []byte{0xff, 'a'}, "b64"},
		{"control character", []byte("bell\a"), "b64"},
		{"carriage return", []byte("dos\r\n"), "b64"},
		{"bom", []byte("\uFEFFtext"), "b64"},
		{"large text compresses", big, "gz+b64"},
		{"large random does not", random, "b64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f cloudconfig.WriteFile
			f.SetData(tt.data)
			if f.Encoding != tt.encoding {
				t.Errorf("encoding = %q, want %q", f.Encoding, tt.encoding)
			}
			got, err := f.Data()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Errorf("Data() does not give back the bytes")
			}
			var g cloudconfig.WriteFile
			g.SetData(tt.data)
			if g != f {
				t.Errorf("SetData is not deterministic")
			}
		})
	}
}

// Data decodes every encoding name cloud-init accepts.
func TestDataEncodings(t *testing.T) {
	want := []byte("payload\x00\xff")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(want)
	zw.Close()
	b64 := base64.StdEncoding.EncodeToString(want)
	gzb64 := base64.StdEncoding.EncodeToString(gz.Bytes())
	for _, tt := range []struct{ enc, content string }{
		{"b64", b64}, {"base64", b64}, {" B64 ", b64},
		{"gz", gz.String()}, {"gzip", gz.String()},
		{"gz+b64", gzb64}, {"gz+base64", gzb64}, {"gzip+b64", gzb64}, {"GZIP+BASE64", gzb64},
		{"text/plain", string(want)}, {"", string(want)},
	} {
		f := cloudconfig.WriteFile{Path: "/x", Encoding: tt.enc, Content: tt.content}
		got, err := f.Data()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("encoding %q: %q, %v", tt.enc, got, err)
		}
	}
	if _, err := (cloudconfig.WriteFile{Path: "/x", Encoding: "rot13"}).Data(); err == nil || !strings.Contains(err.Error(), `cloudconfig: write_files /x: content has unknown encoding "rot13"`) {
		t.Errorf("err = %v", err)
	}
}

// gzipped returns a gz+b64 entry whose content inflates to data.
func gzipped(t testing.TB, path string, data []byte) cloudconfig.WriteFile {
	t.Helper()
	f := cloudconfig.WriteFile{Path: path}
	f.SetData(data)
	if f.Encoding != "gz+b64" {
		t.Fatalf("SetData chose %q, want gz+b64", f.Encoding)
	}
	return f
}

// Data inflates gzip content up to 4 MiB and refuses more as a bomb.
func TestDataGzipLimit(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		wantErr string
	}{
		{"4 MiB", 4 << 20, ""},
		{"4 MiB and one byte", 4<<20 + 1, "cloudconfig: write_files /bomb: content expands to more than 4194304 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := gzipped(t, "/bomb", make([]byte, tt.size)).Data()
			switch {
			case tt.wantErr == "" && (err != nil || len(got) != tt.size):
				t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, tt.size)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("inflated %d bytes; want an error containing %q", len(got), tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q\ndoes not contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  cloudconfig.Config
		want string
	}{
		{"invalid utf-8 content", cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{{Path: "/x", Content: "\xff"}}}, "cloudconfig: write_files[0].content: not valid UTF-8"},
		{"invalid utf-8 argv", cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Argv("a", "\xfe")}}, "cloudconfig: runcmd[0][1]: not valid UTF-8"},
		{"nil extra", cloudconfig.Config{Extra: []cloudconfig.Field{{Key: "a"}}}, "cloudconfig: a: extra value is nil"},
		{"duplicate extra", cloudconfig.Config{Extra: []cloudconfig.Field{{Key: "a", Value: &yaml.Node{Kind: yaml.ScalarNode, Value: "1"}}, {Key: "a", Value: &yaml.Node{Kind: yaml.ScalarNode, Value: "2"}}}}, "cloudconfig: extra[1]: duplicate key a"},
		{"typed and extra", cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Shell("x")}, Extra: []cloudconfig.Field{{Key: "runcmd", Value: &yaml.Node{Kind: yaml.ScalarNode, Value: "1"}}}}, "cloudconfig: runcmd is set both in its typed field and in Extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.cfg.Marshal()
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v, want prefix %q; output:\n%s", err, tt.want, out)
			}
		})
	}
}

func TestSetExtra(t *testing.T) {
	var c cloudconfig.Config
	if err := c.SetExtra("hostname", "on"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetExtra("ntp", map[string]any{"enabled": true, "servers": []string{"0644", "192.0.2.1"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetExtra("hostname", "web-1"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetExtra("runcmd", []string{"x"}); err == nil || !strings.Contains(err.Error(), "runcmd has a typed field") {
		t.Errorf("SetExtra(runcmd) err = %v", err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "#cloud-config\nhostname: web-1\nntp:\n  enabled: true\n  servers:\n    - '0644'\n    - 192.0.2.1\n"
	if string(out) != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if n := c.Lookup("ntp"); n == nil || n.Kind != yaml.MappingNode {
		t.Errorf("Lookup(ntp) = %v", n)
	}
	if c.Lookup("nope") != nil {
		t.Errorf("Lookup(nope) != nil")
	}
}

// The quoting rules: every string reads back as the same string.
func TestMarshalQuoting(t *testing.T) {
	words := []string{"on", "off", "yes", "No", "y", "n", "true", "null", "~", "", "0644", "0o644", "644", "1_000", "1e3", "1.5", ".5", "-1", "+1", "0x1F", "1:20", "2024-01-02", "<<", "=",
		"a: b", "a #b", "a:", "-", "- x", "--now", "-p", "*star", "&anchor", "!tag", "|pipe", ">gt", "%pct", "@at", "`tick", "'q'", `"q"`, "[x]", "{x}", "a,b", "#x", "?x", ":x",
		" lead", "trail ", "tab\there", "bell\a", "\uFEFFbom", "---", "...", "ünïcode", "a\nb", "a\n", "\nlead", "trailing space \nx", "\r\n", "é: x"}
	c := &cloudconfig.Config{Runcmd: []cloudconfig.Command{cloudconfig.Argv(words...)}, Packages: words[:], FinalMessage: "x"}
	for _, w := range words {
		if w != "" {
			c.Runcmd = append(c.Runcmd, cloudconfig.Shell(w))
		}
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := cloudconfig.Parse(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(back.Extra) != 0 || len(back.Runcmd) != len(c.Runcmd) {
		t.Fatalf("did not read back as typed fields:\n%s", out)
	}
	for i, w := range back.Runcmd[0].Args {
		if w != words[i] {
			t.Errorf("argv %q read back as %q", words[i], w)
		}
	}
	for i, cmd := range back.Runcmd[1:] {
		if cmd.Script != c.Runcmd[i+1].Script {
			t.Errorf("shell %q read back as %q", c.Runcmd[i+1].Script, cmd.Script)
		}
	}
	// And PyYAML, cloud-init's reader, reads every word back too.
	realtools.RequirePythonModule(t, "yaml")
	path := filepath.Join(t.TempDir(), "q.yaml")
	writeFile(t, path, out)
	py := "import sys, yaml, json; print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding='utf-8'))['runcmd'][0]))"
	got, err := runTool(toolTimeout, false, realtools.Python, "-c", py, path)
	if err != nil {
		t.Fatal(err)
	}
	var pyWords []string
	if err := json.Unmarshal(got, &pyWords); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if diff := cmp.Diff(words, pyWords); diff != "" {
		t.Errorf("PyYAML reads the argv differently (-want +got):\n%s", diff)
	}
}
