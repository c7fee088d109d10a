package realtools

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// verifyScript builds a throw-away root for systemd-analyze inside a
// private mount namespace: an overlay whose lower layer is the host's /
// (or the judge root, $UDKIT_VERIFY_LOWER) and
// whose upper layer is a tmpfs, with /proc, /dev and /sys from the host and
// fresh tmpfs on /run (systemd-analyze writes there) and /tmp. Stub
// programs and the unit file go into the overlay, so nothing on the host
// changes and no host directory is hidden. Arguments: $1 work directory,
// $2 unit name, $3 unit file on the host, then the stub paths.
const verifyScript = `
set -eu
work=$1 name=$2 unitfile=$3
shift 3
mkdir "$work/scratch" "$work/root"
mount -t tmpfs -o mode=0755 udkit-verify "$work/scratch"
mkdir "$work/scratch/upper" "$work/scratch/work"
mount -t overlay -o "lowerdir=${UDKIT_VERIFY_LOWER:-/},upperdir=$work/scratch/upper,workdir=$work/scratch/work" udkit-verify "$work/root"
r=$work/root
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
mount -t tmpfs -o mode=0755 tmpfs "$r/run"
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
# A judge root's empty machine-id (each boot makes its own) fails %m.
[ -s "$r/etc/machine-id" ] || echo ` + judgeMachineID + ` >"$r/etc/machine-id"
for stub in "$@"; do
	mkdir -p "$r$(dirname "$stub")"
	printf '#!/bin/sh\nexit 0\n' >"$r$stub"
	chmod 0755 "$r$stub"
done
mkdir -p "$r/etc/systemd/system"
cp "$unitfile" "$r/etc/systemd/system/$name"
rc=0
chroot "$r" /usr/bin/systemd-analyze verify --man=no "/etc/systemd/system/$name" >"$work/output" 2>&1 || rc=$?
echo "$rc" >"$work/status"
`

// SystemdVerify runs the real `systemd-analyze verify` on the unit file
// text, installed as /etc/systemd/system/name, and returns everything it
// printed. The systemd is the host's, or the judge root's when
// [JudgeRoot] is set. The unit passes only if the result is "": systemd-analyze
// reports unknown keys and bad values as warnings with exit status 0, so any
// output is a failure. A non-zero exit status without output is returned as
// "systemd-analyze exited with status N".
//
// It runs under `unshare -m` in a throw-away overlay of the host's root
// (see verifyScript), so it needs root. Programs named by Exec*= lines that
// do not exist on the host (the deregister script on an NFS mount, say) are
// replaced there by stubs that exit 0, because verify fails on a missing
// executable; programs that exist are used as they are. Programs that are
// not absolute paths get no stub.
//
// Problems of the harness itself (not root, a tool missing, a mount that
// fails) end the test through [Missing] or t.Fatal.
func SystemdVerify(t testing.TB, name string, text []byte) string {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "systemd-analyze verify runs in a mount namespace and needs root")
	}
	for _, tool := range []string{"unshare", "mount", "chroot", "/bin/sh"} {
		Require(t, tool)
	}
	root := JudgeRoot()
	if root != "" {
		requireInRoot(t, root, "/usr/bin/systemd-analyze")
	} else {
		Require(t, "/usr/bin/systemd-analyze")
	}
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		t.Fatalf("realtools: SystemdVerify: bad unit name %q; give a file name such as x.service", name)
	}
	work := t.TempDir()
	unitFile := filepath.Join(work, "unit")
	if err := os.WriteFile(unitFile, text, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-m", "--propagation", "private", "/bin/sh", "-c", verifyScript, "sh", work, name, unitFile}
	args = append(args, missingExecPaths(root, text)...)
	var env []string
	if root != "" {
		env = []string{"UDKIT_VERIFY_LOWER=" + root}
	}
	return runVerify(t, "SystemdVerify", work, args, env)
}

// MissingExecPaths returns the programs of the Exec*= lines in a unit file
// text that are absolute paths and do not exist on this machine, in order,
// without duplicates: the ones [SystemdVerify] replaces by stubs. It reads
// the first word after the "-@+!:" prefixes, with double or single quotes
// removed and "%%" reduced to "%"; continuation lines are not followed.
func MissingExecPaths(text []byte) []string { return missingExecPaths("", text) }

// missingExecPaths is MissingExecPaths for the root file system at root
// ("" for the host's).
func missingExecPaths(root string, text []byte) []string {
	var paths []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		key, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(strings.TrimSpace(key), "Exec") {
			continue
		}
		p := firstWord(strings.TrimSpace(value))
		p = strings.TrimLeft(p, "-@+!:")
		p = strings.ReplaceAll(p, "%%", "%")
		if !filepath.IsAbs(p) || seen[p] {
			continue
		}
		if _, err := os.Stat(filepath.Join("/", root, p)); err == nil {
			continue
		}
		seen[p] = true
		paths = append(paths, p)
	}
	return paths
}

func firstWord(v string) string {
	if v == "" {
		return ""
	}
	if q := v[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(v[1:], q); end >= 0 {
			return v[1 : 1+end]
		}
		return v[1:]
	}
	if i := strings.IndexAny(v, " \t"); i >= 0 {
		return v[:i]
	}
	return v
}

// SystemdDump loads the unit file text, named name, into the real systemd
// manager (the judge root's when [JudgeRoot] is set) in test mode (`systemd --test --user`, run as nobody in a private
// mount namespace, which parses the units and dumps them without starting
// anything) and returns the lines it dumps for that unit, in order, with
// the unit's own indentation removed: "Description: ...",
// "RequiresMountsFor: /mnt/shared data (origin-file)", "-> ExecStop:",
// "\tCommand Line: ...". Problems of the harness end the test.
func SystemdDump(t testing.TB, name string, text []byte) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "systemd --test runs as nobody in a mount namespace and needs root to get there")
	}
	root := JudgeRoot()
	if root != "" {
		Require(t, "unshare")
		for _, tool := range []string{"/lib/systemd/systemd", "/usr/bin/setpriv", "/bin/sh"} {
			requireInRoot(t, root, tool)
		}
	} else {
		for _, tool := range []string{"/lib/systemd/systemd", "unshare", "setpriv", "mount", "/bin/sh"} {
			Require(t, tool)
		}
	}
	if name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		t.Fatalf("realtools: SystemdDump: bad unit name %q; give a file name such as x.service", name)
	}
	// t.TempDir's parents are private to root; nobody must read the unit.
	home, err := os.MkdirTemp("", "udkit-systemd-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	unitDir := filepath.Join(home, "config", "systemd", "user")
	if err := os.MkdirAll(unitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{home, filepath.Join(home, "config"), filepath.Join(home, "config", "systemd"), unitDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(unitDir, name), text, 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `set -eu
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0700 /run/udkit-rt && chown 65534:65534 /run/udkit-rt
exec setpriv --reuid=65534 --regid=65534 --clear-groups env -i HOME="$1" XDG_CONFIG_HOME="$1/config" XDG_RUNTIME_DIR=/run/udkit-rt PATH=/usr/bin:/bin LC_ALL=C SYSTEMD_LOG_COLOR=0 /lib/systemd/systemd --test --user --no-pager --unit="$2"
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if root != "" {
		// The same steps inside the judge root, with home bound at /udkit-io.
		scratch, err := os.MkdirTemp("", "udkit-judge-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(scratch)
		cmd = judgeCommand(ctx, root, scratch, home, "/bin/sh", "-c", script, "sh", judgeIODir, name)
	} else {
		cmd = exec.CommandContext(ctx, "unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", home, name)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("realtools: systemd --test: %v\n%s", err, stderr.String())
	}
	var lines []string
	found, in := false, false
	for _, l := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(l, "\t-> Unit "):
			in = l == "\t-> Unit "+name+":"
			found = found || in
		case in && strings.HasPrefix(l, "\t\t"):
			lines = append(lines, l[2:])
		}
	}
	if !found {
		t.Fatalf("realtools: systemd --test did not dump %s; stderr:\n%s", name, stderr.String())
	}
	return lines
}

// SystemdCommandLines returns the argv the real systemd makes of each
// Exec*= line of the unit file text, by key ("ExecStop"), in order, read
// from [SystemdDump]'s "Command Line:" lines (see
// [SplitSystemdCommandLine]). Prefixes ("-", "@", ...) are not part of the
// argv; specifiers are resolved, but "$VAR" and "$$" are not yet (systemd
// substitutes variables only when it runs the command).
func SystemdCommandLines(t testing.TB, name string, text []byte) map[string][][]string {
	t.Helper()
	lines := map[string][][]string{}
	key := ""
	for _, l := range SystemdDump(t, name, text) {
		switch {
		case strings.HasPrefix(l, "-> "):
			key = strings.TrimSuffix(strings.TrimPrefix(l, "-> "), ":")
		case strings.HasPrefix(l, "\tCommand Line: ") && strings.HasPrefix(key, "Exec"):
			argv, err := SplitSystemdCommandLine(strings.TrimPrefix(l, "\tCommand Line: "))
			if err != nil {
				t.Fatalf("realtools: systemd --test: %v", err)
			}
			lines[key] = append(lines[key], argv)
		case !strings.HasPrefix(l, "\t"):
			key = ""
		}
	}
	return lines
}

// SplitSystemdCommandLine splits a "Command Line:" of a systemd dump back
// into argv. systemd writes each word as is, or in double quotes when it
// holds blanks, shell metacharacters, control or non-ASCII bytes; inside
// the quotes '\' escapes '\', '"', '$' and '`', and C escapes (\n, \t,
// \NNN octal, \xHH) stand for control bytes.
func SplitSystemdCommandLine(s string) ([]string, error) {
	var argv []string
	for s != "" {
		if s[0] == ' ' {
			s = s[1:]
			continue
		}
		if s[0] != '"' {
			i := strings.IndexByte(s, ' ')
			if i < 0 {
				i = len(s)
			}
			argv = append(argv, s[:i])
			s = s[i:]
			continue
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 >= len(s) {
				return nil, fmt.Errorf("command line %q ends in a backslash", s)
			}
			i++
			switch c := s[i]; c {
			case '\\', '"', '$', '`', '\'':
				b.WriteByte(c)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'v':
				b.WriteByte('\v')
			case 'x':
				if i+2 >= len(s) {
					return nil, fmt.Errorf("command line %q: short \\x escape", s)
				}
				v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
				if err != nil {
					return nil, fmt.Errorf("command line %q: %v", s, err)
				}
				b.WriteByte(byte(v))
				i += 2
			case '0', '1', '2', '3':
				if i+2 >= len(s) {
					return nil, fmt.Errorf("command line %q: short octal escape", s)
				}
				v, err := strconv.ParseUint(s[i:i+3], 8, 8)
				if err != nil {
					return nil, fmt.Errorf("command line %q: %v", s, err)
				}
				b.WriteByte(byte(v))
				i += 2
			default:
				return nil, fmt.Errorf("command line %q: unknown escape \\%c", s, c)
			}
		}
		if i >= len(s) {
			return nil, fmt.Errorf("command line %q: unterminated quote", s)
		}
		argv = append(argv, b.String())
		s = s[i+1:]
	}
	return argv, nil
}

// SystemdVerifyUnits is [SystemdVerify] for units that belong together (a
// timer and the service it starts): every file of units is installed under
// /etc/systemd/system, and verify is run on all of them at once, so that
// a unit may name the others. names are sorted for the command line.
func SystemdVerifyUnits(t testing.TB, units map[string][]byte) string {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "systemd-analyze verify runs in a mount namespace and needs root")
	}
	for _, tool := range []string{"/usr/bin/systemd-analyze", "unshare", "mount", "chroot", "/bin/sh"} {
		Require(t, tool)
	}
	work := t.TempDir()
	dir := filepath.Join(work, "units")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	var stubs []string
	for name, text := range units {
		if name == "" || strings.ContainsAny(name, "/\x00 ") || name == "." || name == ".." {
			t.Fatalf("realtools: SystemdVerifyUnits: bad unit name %q", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), text, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		stubs = append(stubs, MissingExecPaths(text)...)
	}
	sort.Strings(names)
	args := []string{"-m", "--propagation", "private", "/bin/sh", "-c", verifyUnitsScript, "sh", work, dir, strings.Join(names, " ")}
	args = append(args, stubs...)
	return runVerify(t, "SystemdVerifyUnits", work, args, nil)
}

// runVerify runs a verify script in its own mount namespace (unshare
// args), with env added, and returns what systemd-analyze printed into
// work/output, or its exit status when it printed nothing; it ends the
// test, named by who, when the namespace cannot be set up.
func runVerify(t testing.TB, who, work string, args, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = append(append(os.Environ(), "LC_ALL=C", "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=cat"), env...)
	var harness bytes.Buffer
	cmd.Stdout = &harness
	cmd.Stderr = &harness
	if err := cmd.Run(); err != nil {
		t.Fatalf("realtools: %s: setting up the namespace failed: %v\n%s", who, err, harness.String())
	}
	out, err := os.ReadFile(filepath.Join(work, "output"))
	if err != nil {
		t.Fatalf("realtools: %s: %v", who, err)
	}
	status, err := os.ReadFile(filepath.Join(work, "status"))
	if err != nil {
		t.Fatalf("realtools: %s: %v", who, err)
	}
	if s := strings.TrimSpace(string(status)); s != "0" && len(out) == 0 {
		return "systemd-analyze exited with status " + s
	}
	return string(out)
}

// verifyUnitsScript is verifyScript for several units: $1 work directory,
// $2 directory of unit files, $3 their names separated by spaces, then the
// stub paths.
const verifyUnitsScript = `
set -eu
work=$1 units=$2 names=$3
shift 3
mkdir "$work/scratch" "$work/root"
mount -t tmpfs -o mode=0755 udkit-verify "$work/scratch"
mkdir "$work/scratch/upper" "$work/scratch/work"
mount -t overlay -o "lowerdir=/,upperdir=$work/scratch/upper,workdir=$work/scratch/work" udkit-verify "$work/root"
r=$work/root
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
mount -t tmpfs -o mode=0755 tmpfs "$r/run"
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
for stub in "$@"; do
	mkdir -p "$r$(dirname "$stub")"
	printf '#!/bin/sh\nexit 0\n' >"$r$stub"
	chmod 0755 "$r$stub"
done
mkdir -p "$r/etc/systemd/system"
paths=''
for name in $names; do
	cp "$units/$name" "$r/etc/systemd/system/$name"
	paths="$paths /etc/systemd/system/$name"
done
rc=0
# shellcheck disable=SC2086 # the paths are split on purpose
chroot "$r" /usr/bin/systemd-analyze verify --man=no $paths >"$work/output" 2>&1 || rc=$?
echo "$rc" >"$work/status"
`
