package cloudconfig_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
	"gopkg.in/yaml.v3"
)

// renderCases are the renderer's golden cases: each renders to
// testdata/render/NAME.golden, and every golden file must pass the real
// `cloud-init schema`.
func renderCases() []struct {
	name string
	cfg  *cloudconfig.Config
} {
	gz := cloudconfig.WriteFile{Path: "/etc/udkit/large.txt", Permissions: "0600"}
	gz.SetData([]byte(strings.Repeat("repetitive line of configuration\n", 200)))
	bin := cloudconfig.WriteFile{Path: "/usr/local/share/udkit/blob.bin"}
	bin.SetData([]byte{0x00, 0xff, 0x10, 0x80, 'u', 'd', 'k'})
	users := &yaml.Node{}
	_ = users.Encode([]map[string]any{{"name": "deploy", "groups": "sudo", "shell": "/bin/bash", "lock_passwd": true}})
	return []struct {
		name string
		cfg  *cloudconfig.Config
	}{
		{"empty", &cloudconfig.Config{}},
		{"seed-scenario", seedScenario()},
		{"commands", &cloudconfig.Config{
			Bootcmd: []cloudconfig.Command{
				cloudconfig.Shell("echo booting > /dev/console"),
				cloudconfig.Argv("cloud-init-per", "once", "mkdata", "mkdir", "-p", "/var/lib/app"),
			},
			Runcmd: []cloudconfig.Command{
				cloudconfig.Argv("echo", "on", "yes", "0644", "a: b", "*star", "&anchor", "!tag", "a,b", "[x]", "#hash", ""),
				cloudconfig.Argv("printf", "%s\n", "it's"),
				cloudconfig.Shell("echo \"$(hostname)\" >> /var/log/boot-names"),
				cloudconfig.Shell("set -e\nif ! id app >/dev/null 2>&1; then\n  useradd --system app\nfi\n"),
				cloudconfig.Argv("sh", "-c", "line one\nline two"),
				cloudconfig.Shell("no trailing newline\nsecond line"),
			},
		}},
		{"write-files", &cloudconfig.Config{
			WriteFiles: []cloudconfig.WriteFile{
				{Path: "/etc/motd", Content: "Welcome.\n"},
				{Path: "/etc/app/indented.conf", Content: "  starts with spaces\nthen not\n", Owner: "root:adm", Permissions: "0640"},
				{Path: "/etc/app/no-newline", Content: "one line, no newline"},
				{Path: "/etc/app/extra-newlines", Content: "text\n\n\n"},
				{Path: "/var/log/app.log", Content: "appended\n", Append: true},
				{Path: "/home/deploy/.profile", Content: "export PATH=$HOME/bin:$PATH\n", Owner: "deploy:deploy", Defer: true},
				{Path: "/etc/app/yes", Content: "yes"},
				{Path: "/etc/app/tabs", Content: "a\tb\n"},
				gz,
				bin,
			},
		}},
		{"packages-mounts-extra", &cloudconfig.Config{
			PackageUpdate:  cloudconfig.Bool(true),
			PackageUpgrade: cloudconfig.Bool(false),
			Packages:       []string{"nfs-common", "jq"},
			Mounts: [][]string{
				{"/dev/xvdh", "/opt/data", "auto", "defaults,nofail", "0", "2"},
				{"swap", "none", "swap", "sw", "0", "0"},
			},
			FinalMessage: "up after $UPTIME s",
			Extra: []cloudconfig.Field{
				{Key: "hostname", Value: &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "app-1"}},
				{Key: "users", Value: users},
			},
		}},
	}
}

func TestMarshalGolden(t *testing.T) {
	for _, tt := range renderCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "render", tt.name+".golden"), got)
			again, err := tt.cfg.Marshal()
			if err != nil || !bytes.Equal(got, again) {
				t.Errorf("second Marshal differs (err %v)", err)
			}
			if !bytes.HasPrefix(got, []byte("#cloud-config\n")) || !bytes.HasSuffix(got, []byte("\n")) || bytes.HasSuffix(got, []byte("\n\n")) {
				t.Errorf("output must start with #cloud-config and end with exactly one newline:\n%s", got)
			}
			back, err := cloudconfig.Parse(got)
			if err != nil {
				t.Fatalf("rendered output does not parse: %v\n%s", err, got)
			}
			again, err = back.Marshal()
			if err != nil || !bytes.Equal(got, again) {
				t.Errorf("parse of the output renders differently (err %v):\n%s", err, again)
			}
		})
	}
}

// Every golden cloud-config passes the real cloud-init schema validator.
func TestGoldenCloudInitSchema(t *testing.T) {
	files, err := filepath.Glob("testdata/render/*.golden")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := readFile(t, f)
			if v := realtools.CloudInitSchema(t, data); !v.Valid {
				t.Errorf("cloud-init schema rejects %s:\n%s", f, v.Output)
			}
		})
	}
}
