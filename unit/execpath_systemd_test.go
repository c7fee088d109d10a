package unit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/udkit/udkit/internal/realtools"
)

// TestExecPathBytesSystemd finds which bytes the real systemd refuses in
// the program path of an Exec*= line, and checks execPathRefused against
// it for every byte 0x01-0xff: one ExecStartPre= line per byte, with the
// "-" prefix so that systemd ignores the refused lines (logging
// "Executable name contains special characters, ignoring") instead of
// refusing the unit, and the dump lists the lines it kept. The byte is
// written as a \xHH escape inside double quotes, which systemd decodes
// before it checks the path. Bytes 0x80-0xff are tried both alone and
// inside a valid UTF-8 sequence (U+0080-U+00FF and a few format
// characters), which is all Exec writes.
func TestExecPathBytesSystemd(t *testing.T) {
	type probe struct {
		name string
		text string // the path as written in the unit
		path string // the path systemd should see
	}
	var probes []probe
	for c := 1; c <= 0xff; c++ {
		n := len(probes)
		probes = append(probes, probe{fmt.Sprintf("byte 0x%02x", c), fmt.Sprintf(`/usr/local/bin/p%03d-\x%02x-x`, n, c), fmt.Sprintf("/usr/local/bin/p%03d-", n) + string([]byte{byte(c)}) + "-x"})
	}
	for _, r := range []rune{0x80, 0x85, 0x9b, 0xa0, 0xad, 0xff, 0x2028, 0x202e, 0xfeff} {
		n := len(probes)
		var esc strings.Builder
		for _, b := range []byte(string(r)) {
			fmt.Fprintf(&esc, `\x%02x`, b)
		}
		probes = append(probes, probe{fmt.Sprintf("rune %U", r), fmt.Sprintf(`/usr/local/bin/p%03d-%s-x`, n, esc.String()), fmt.Sprintf("/usr/local/bin/p%03d-%c-x", n, r)})
	}
	var text strings.Builder
	text.WriteString("[Service]\nType=oneshot\nExecStart=/bin/true\n")
	for _, p := range probes {
		fmt.Fprintf(&text, "ExecStartPre=-\"%s\"\n", p.text)
	}
	kept := map[string]bool{}
	for _, argv := range realtools.SystemdCommandLines(t, "bytes.service", []byte(text.String()))["ExecStartPre"] {
		kept[argv[0]] = true
	}
	var refused []string
	for _, p := range probes {
		systemdRefuses := !kept[p.path]
		if systemdRefuses {
			refused = append(refused, p.name)
		}
		if !utf8.ValidString(p.path) {
			continue // Exec never writes it; CheckExecPath need not agree
		}
		if got := CheckExecPath(p.path) != nil; got != systemdRefuses {
			t.Errorf("%s: CheckExecPath refuses: %v, systemd refuses: %v", p.name, got, systemdRefuses)
		}
	}
	t.Logf("systemd refuses in a program path: %s", strings.Join(refused, ", "))
}

// TestExecPathSystemdFatal shows the failure Exec now prevents: without
// the "-" prefix, a program path with a quote makes the whole unit fail to
// load, so its ExecStop= never runs; and Exec refuses that path with an
// *ExecPathError.
func TestExecPathSystemdFatal(t *testing.T) {
	const prog = "/usr/local/bin/o'brien"
	text := "[Unit]\nDescription=x\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\nExecStop=\"" + prog + "\"\nTimeoutStopSec=60\n\n[Install]\nWantedBy=multi-user.target\n"
	out := realtools.SystemdVerify(t, "quote.service", []byte(text))
	// systemd 252 says "Executable name contains special characters",
	// 257 "Executable path contains special characters"; both then refuse
	// the whole unit.
	special := strings.Contains(out, "Executable name contains special characters") || strings.Contains(out, "Executable path contains special characters")
	if !special || !strings.Contains(out, "will not be started") {
		t.Errorf("systemd-analyze verify accepted ExecStop with a quote in the program path; output %q", out)
	}
	_, err := Exec([]string{prog})
	var pe *ExecPathError
	if !errors.As(err, &pe) || pe.Byte != '\'' || pe.Offset != strings.IndexByte(prog, '\'') {
		t.Errorf("Exec(%q) = %v, want an *ExecPathError at the quote", prog, err)
	}
}
