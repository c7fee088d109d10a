package schema_test

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/cloudconfig/schema"
	"github.com/udkit/udkit/internal/realtools"
)

func load(t *testing.T) *schema.Schema {
	t.Helper()
	path := realtools.RequireCloudInitSchemaFile(t)
	if realtools.JudgeRoot() == "" && path != schema.DefaultPath { // a judge root has its own
		t.Fatalf("DefaultPath %s is not where cloud-init installs the schema (%s)", schema.DefaultPath, path)
	}
	s, err := schema.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadErrors(t *testing.T) {
	if _, err := schema.Load("/nonexistent/schema.json"); err == nil || !strings.Contains(err.Error(), "schema: open /nonexistent/schema.json: no such file or directory (is cloud-init installed?") {
		t.Errorf("err = %v", err)
	}
	if _, err := schema.Load("schema.go"); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("err = %v", err)
	}
}

func TestValidate(t *testing.T) {
	s := load(t)
	tests := []struct {
		name string
		doc  string
		want []string // Path [Rule] of each problem, in order
	}{
		{"valid", "runcmd:\n  - [ls]\nwrite_files:\n  - path: /x\n    permissions: '0644'\n    content: !!binary aGk=\n", nil},
		{"types", "write_files:\n  - path: /x\n    permissions: 0644\n    encoding: rot13\n    bogus: 1\nruncmd:\n  - 42\n  - [ls]\n", []string{
			"write_files[0] [schema-additionalProperties]",
			"write_files[0].permissions [schema-type]",
			"write_files[0].encoding [schema-enum]",
			"runcmd[0] [schema-oneOf]",
		}},
		{"missing path", "write_files:\n  - content: x\n", []string{"write_files[0] [schema-required]"}},
		{"empty list, date, uri", "runcmd: []\nfinal_message: 2024-01-02\nphone_home:\n  url: 'not a uri'\n", []string{
			"runcmd [schema-minItems]",
			"final_message [schema-type]",
			"phone_home.url [schema-format]",
		}},
		{"merge keys applied", "x: &w\n  path: /x\n  permissions: 420\nwrite_files:\n  - <<: *w\n    permissions: '0644'\n", nil},
	}
	if !strings.HasPrefix(realtools.CloudInitVersion(t), "22.") {
		// cloud-init 25.1's schema has additionalProperties: false at the
		// top level: the anchor holder x is an error there (docs/versions.md).
		tests[len(tests)-1].want = []string{"(document) [schema-additionalProperties]"}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cloudconfig.Parse([]byte("#cloud-config\n" + tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate(c)
			var got []string
			var ve *cloudconfig.ValidationError
			if errors.As(err, &ve) {
				for _, d := range ve.Diagnostics {
					got = append(got, d.Path+" ["+d.Rule+"]")
					if d.Message == "" {
						t.Errorf("%s: empty message", d.Path)
					}
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s\n(%v)", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), err)
			}
		})
	}
}

// The Go validator and the real `cloud-init schema` give the same verdict,
// and report the same places, on the corpus, the goldens and a set of
// broken documents.
func TestAgreesWithCloudInit(t *testing.T) {
	s := load(t)
	var docs []struct {
		name string
		data []byte
	}
	for _, pattern := range []string{"../testdata/corpus/*.yaml", "../testdata/render/*.golden", "../testdata/roundtrip/*.golden"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			docs = append(docs, struct {
				name string
				data []byte
			}{filepath.Base(f), readFile(t, f)})
		}
	}
	for i, d := range []string{
		"runcmd: 5\n", "bootcmd: [[]]\n", "packages: [[a]]\n", "packages: [[a, b, c]]\n", "package_update: 1\n",
		"mounts: [[a, b, c, d, e, f, g]]\n", "mounts: [[]]\n", "users: 5\n", "ntp: {enabled: yes, servers: 5}\n",
		"write_files: [{path: /x, append: 'true'}]\n", "write_files: [{path: /x, defer: 1}]\n", "hostname: [a]\n",
		"power_state: {mode: sleep}\n", "ssh_pwauth: maybe\n", "timezone: 5\n", "swap: {size: 10X}\n",
	} {
		docs = append(docs, struct {
			name string
			data []byte
		}{"broken-" + string(rune('a'+i)), []byte("#cloud-config\n" + d)})
	}
	if len(docs) < 40 {
		t.Fatalf("only %d documents", len(docs))
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			c, err := cloudconfig.Parse(d.data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			ci := realtools.CloudInitSchema(t, out)
			goErr := s.Validate(c)
			if ci.Valid != (goErr == nil) {
				t.Fatalf("cloud-init says valid=%v, Go says %v\ncloud-init: %s\n%s", ci.Valid, goErr, ci.Output, out)
			}
			var ve *cloudconfig.ValidationError
			if errors.As(goErr, &ve) {
				for _, diag := range ve.Diagnostics {
					if diag.Path == "(document)" && strings.Contains(ci.Output, "Additional properties are not allowed") {
						continue // the top level (cloud-init 25.1's schema closes it; 22.4's does not)
					}
					if dotted := dotPath(diag.Path); !strings.Contains(ci.Output, dotted+":") {
						t.Errorf("Go reports %s (%s), cloud-init does not mention %s:\n%s", diag.Path, diag.Message, dotted, ci.Output)
					}
				}
			}
		})
	}
}

var reIndex = regexp.MustCompile(`\[(\d+)\]`)

// dotPath turns write_files[0].path into cloud-init's write_files.0.path.
func dotPath(p string) string {
	return strings.TrimPrefix(reIndex.ReplaceAllString(p, ".$1"), ".")
}
