package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// Every command has full help, the same from `udkit help CMD` and from
// `udkit CMD --help` (or -h, -help), on stdout with exit 0: usage, flags,
// examples and exit status.
func TestHelpEveryCommand(t *testing.T) {
	for _, name := range commandNames() {
		t.Run(name, func(t *testing.T) {
			if _, ok := helpDocs[name]; !ok {
				t.Fatalf("command %s has no helpDoc in help.go: add its usage, flags, examples and exit status", name)
			}
			var want bytes.Buffer
			var errb bytes.Buffer
			if code := run([]string{"help", name}, strings.NewReader(""), &want, &errb); code != exitOK || errb.Len() > 0 {
				t.Fatalf("udkit help %s: exit %d, stderr %q", name, code, errb.String())
			}
			for _, s := range []string{"Usage:\n  udkit " + name, "\nExamples:\n  ", "\nExit status: "} {
				if !strings.Contains(want.String(), s) {
					t.Errorf("udkit help %s lacks %q:\n%s", name, s, want.String())
				}
			}
			for _, flag := range []string{"--help", "-h", "-help"} {
				var out, errb bytes.Buffer
				code := run([]string{name, flag}, strings.NewReader(""), &out, &errb)
				if code != exitOK || errb.Len() > 0 || out.String() != want.String() {
					t.Errorf("udkit %s %s: exit %d, stderr %q, stdout differs from udkit help %s", name, flag, code, errb.String(), name)
				}
			}
		})
	}
}

// The flags help.go documents (and the completion scripts offer) are
// those the commands define: each documented flag is known to the
// command, and each flag a command's flag set prints is documented.
func TestHelpFlagsMatch(t *testing.T) {
	t.Setenv(envRegistryTokenFile, "")
	defLine := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)
	for _, name := range commandNames() {
		h := helpDocs[name]
		c := commands[name]
		documented := map[string]bool{}
		for _, f := range h.flags {
			documented[f.name] = true
			var out, errb bytes.Buffer
			c.run([]string{"--" + f.name}, strings.NewReader(""), &out, &errb)
			if strings.Contains(errb.String(), "flag provided but not defined") {
				t.Errorf("help.go documents %s --%s, which %s does not define", name, f.name, name)
			}
		}
		// The command's own -h, bypassing run's help: the flag
		// package's PrintDefaults where the command prints it.
		var out, errb bytes.Buffer
		c.run([]string{"-h"}, strings.NewReader(""), &out, &errb)
		for _, m := range defLine.FindAllStringSubmatch(out.String()+errb.String(), -1) {
			if !documented[m[1]] {
				t.Errorf("%s defines -%s, which help.go does not document", name, m[1])
			}
		}
	}
}

func TestHelpTopLevel(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--help"}, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, name := range commandNames() {
		if !regexp.MustCompile(`(?m)^  ` + name + ` +\S`).MatchString(out.String()) {
			t.Errorf("udkit --help does not list %s:\n%s", name, out.String())
		}
	}
	out.Reset()
	if code := run([]string{"help", "exit-codes"}, strings.NewReader(""), &out, &errb); code != exitOK || !strings.Contains(out.String(), "2  could not do the job") {
		t.Errorf("udkit help exit-codes: exit %d\n%s", code, out.String())
	}
	// A typo gets a suggestion, on stderr, exit 2.
	out.Reset()
	errb.Reset()
	if code := run([]string{"rendr"}, strings.NewReader(""), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "Did you mean this?\n\trender") {
		t.Errorf("udkit rendr: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"help", "lnt"}, strings.NewReader(""), &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "\tlint") {
		t.Errorf("udkit help lnt: exit %d, stderr %q", code, errb.String())
	}
}

// Help is not taken from after "--": there it is an argument.
func TestWantsHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"-h"}, true},
		{[]string{"x", "--help"}, true},
		{[]string{"-help"}, true},
		{[]string{"--", "-h"}, false},
		{[]string{"x"}, false},
		{nil, false},
	} {
		if got := wantsHelp(tc.args); got != tc.want {
			t.Errorf("wantsHelp(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
