package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/udkit/udkit", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-03T13:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	want := `udkit v1.2.0
module   github.com/udkit/udkit
revision 0123456789abcdef0123456789abcdef01234567 (modified)
time     2026-12-03T13:00:00Z
go       go1.26.0
`
	if got := Format("udkit", bi, true); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// go install ...@v1.2.0: a version, no VCS information.
	bi = &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/udkit/udkit", Version: "v1.2.0"}}
	if got := Format("udkit", bi, true); !strings.Contains(got, "udkit v1.2.0\n") || !strings.Contains(got, "revision unknown\n") {
		t.Errorf("without VCS: %s", got)
	}
	// A build from a checkout: (devel) is "devel".
	bi.Main.Version = "(devel)"
	if got := Format("udkit", bi, true); !strings.HasPrefix(got, "udkit devel\n") {
		t.Errorf("devel: %s", got)
	}
	if got := Format("udkit", nil, false); got != "udkit devel\nrevision unknown (no build information)\n" {
		t.Errorf("no build info: %q", got)
	}
}
