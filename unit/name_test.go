package unit

import (
	"strings"
	"testing"
)

// escapeCases are checked against the expected strings here and against
// the real systemd-escape --path in TestEscapePathSystemdEscape. want == ""
// means the path is refused.
var escapeCases = []struct {
	name, in, want string
}{
	{"simple", "/mnt/shared", "mnt-shared"},
	{"space", "/mnt/shared data", `mnt-shared\x20data`},
	{"root", "/", "-"},
	{"double slashes", "//mnt//shared//", "mnt-shared"},
	{"dot components", "/mnt/./shared/.", "mnt-shared"},
	{"dash", "/var/lib/my-app", `var-lib-my\x2dapp`},
	{"backslash", `/a\b`, `a\x5cb`},
	{"leading dot", "/.hidden/x", `\x2ehidden-x`},
	{"inner dot", "/a/.b", "a-.b"},
	{"allowed punctuation", "/a:b_c.d", "a:b_c.d"},
	{"tab is two hex digits", "/a\tb", `a\x09b`},
	{"control char", "/a\x01b", `a\x01b`},
	{"utf8 bytes", "/données", `donn\xc3\xa9es`},
	{"percent and at", "/a%b@c", `a\x25b\x40c`},
	{"relative", "mnt/x", "mnt-x"},
	{"dotdot refused", "/mnt/../etc", ""},
	{"trailing dotdot refused", "/mnt/..", ""},
	{"empty is root", "", "-"},
}

func TestEscapePath(t *testing.T) {
	for _, tt := range escapeCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EscapePath(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("EscapePath(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("EscapePath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means valid
	}{
		{"service", "deregister.service", ""},
		{"mount from escaped path", `mnt-shared\x20data.mount`, ""},
		{"template", "getty@.service", ""},
		{"instance", "getty@tty1.service", ""},
		{"target", "multi-user.target", ""},
		{"empty", "", "empty unit name"},
		{"no suffix", "deregister", "has no type suffix"},
		{"unknown suffix", "x.srvice", `unknown unit type "srvice"`},
		{"only suffix", ".service", "has no type suffix"},
		{"leading at", "@x.service", "starts with '@'"},
		{"space", "a b.service", "has character ' '"},
		{"slash", "a/b.service", "has character '/'"},
		{"too long", strings.Repeat("a", 248) + ".service", "over systemd's 255"},
		{"max length", strings.Repeat("a", 247) + ".service", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidName(tt.in)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidName(%q) = %v, want nil", tt.in, err)
			case tt.want != "" && err == nil:
				t.Errorf("ValidName(%q) = nil, want an error containing %q", tt.in, tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("ValidName(%q) = %q, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}
