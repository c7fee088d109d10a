// Package buildinfo formats the version of a udkit command from the Go
// build information the binary carries (runtime/debug.ReadBuildInfo): the
// module version, the VCS revision and time, and the Go version. It is
// what `udkit version` and `udkitd version` print.
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Text returns the version text of the running binary, named cmd.
func Text(cmd string) string {
	bi, ok := debug.ReadBuildInfo()
	return Format(cmd, bi, ok)
}

// Version returns the module version bi records, or "devel" for a build
// from a checkout ("(devel)") or without build information.
func Version(bi *debug.BuildInfo, ok bool) string {
	if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Format formats bi (ok as debug.ReadBuildInfo returns it) as
//
//	CMD v1.2.0
//	module   github.com/udkit/udkit
//	revision 0123abcd… (modified)
//	time     2026-12-03T13:00:00Z
//	go       go1.26.0
//
// A value the build did not record is "unknown": `go install …@vX.Y.Z`
// records a version but no revision; a build from a linked git worktree or
// with -buildvcs=false records no revision either.
func Format(cmd string, bi *debug.BuildInfo, ok bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", cmd, Version(bi, ok))
	if !ok {
		b.WriteString("revision unknown (no build information)\n")
		return b.String()
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	rev := unknown(settings["vcs.revision"])
	if settings["vcs.modified"] == "true" {
		rev += " (modified)"
	}
	fmt.Fprintf(&b, "module   %s\nrevision %s\ntime     %s\ngo       %s\n",
		unknown(bi.Main.Path), rev, unknown(settings["vcs.time"]), unknown(bi.GoVersion))
	return b.String()
}
