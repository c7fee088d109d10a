package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

func init() {
	register("version", command{
		summary: "print the udkit version and VCS revision (also --version)",
		run:     runVersion,
	})
}

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: udkit version")
		return exitUsage
	}
	bi, ok := debug.ReadBuildInfo()
	io.WriteString(stdout, versionText(bi, ok))
	return exitOK
}

// moduleVersion is the module version the binary was built from, or
// "devel".
func moduleVersion(bi *debug.BuildInfo, ok bool) string {
	if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// versionText formats the build information as `udkit version` prints
// it:
//
//	udkit v1.2.0
//	module   github.com/udkit/udkit
//	revision 0123abcd… (modified)
//	time     2026-12-03T13:00:00Z
//	go       go1.26.0
//
// Lines whose value is unknown (no VCS information) say "unknown".
func versionText(bi *debug.BuildInfo, ok bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "udkit %s\n", moduleVersion(bi, ok))
	if !ok {
		b.WriteString("revision unknown (no build information)\n")
		return b.String()
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	path := bi.Main.Path
	if path == "" {
		path = "unknown"
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		rev = "unknown"
	} else if settings["vcs.modified"] == "true" {
		rev += " (modified)"
	}
	t := settings["vcs.time"]
	if t == "" {
		t = "unknown"
	}
	fmt.Fprintf(&b, "module   %s\nrevision %s\ntime     %s\ngo       %s\n", path, rev, t, bi.GoVersion)
	return b.String()
}
