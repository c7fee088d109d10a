package realtools_test

import (
	"strings"
	"testing"

	"github.com/udkit/udkit/internal/realtools"
)

// validWord is what `cloud-init schema` prints for a valid file: "Valid
// cloud-config: FILE" in 22.4, "Valid schema FILE" in 25.1.
func validWord(t *testing.T) string {
	if strings.HasPrefix(realtools.CloudInitVersion(t), "22.") {
		return "Valid cloud-config"
	}
	return "Valid schema"
}

// The checker must discriminate: a known-bad config fails with the errors
// that make it bad, a good one passes.
func TestCloudInitSchema(t *testing.T) {
	t.Logf("judge: %s", realtools.Judge(t))
	tests := []struct {
		name  string
		doc   string
		valid bool
		want  []string // substrings of the output
	}{
		{"valid", "#cloud-config\nruncmd:\n  - [systemctl, daemon-reload]\nwrite_files:\n  - path: /etc/x\n    permissions: '0644'\n", true, []string{validWord(t)}},
		{"empty mapping", "#cloud-config\n{}\n", true, nil},
		{"runcmd not a list", "#cloud-config\nruncmd: 5\n", false, []string{"runcmd: 5 is not of type 'array'"}},
		{"unquoted permissions", "#cloud-config\nwrite_files:\n  - path: /etc/x\n    permissions: 0644\n", false, []string{"write_files.0.permissions: 420 is not of type 'string'"}},
		{"empty runcmd", "#cloud-config\nruncmd: []\n", false, []string{"runcmd: [] is too short"}},
		{"no header", "runcmd:\n  - [true]\n", false, []string{"#cloud-config"}},
		{"empty document", "#cloud-config\n", false, []string{"not a YAML dict"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := realtools.CloudInitSchema(t, []byte(tt.doc))
			if v.Valid != tt.valid {
				t.Fatalf("valid = %v, want %v; output:\n%s", v.Valid, tt.valid, v.Output)
			}
			for _, w := range tt.want {
				if !strings.Contains(v.Output, w) {
					t.Errorf("output lacks %q:\n%s", w, v.Output)
				}
			}
		})
	}
}
