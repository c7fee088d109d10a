package realtools

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// verifyScript builds a throw-away root for systemd-analyze inside a
// private mount namespace: an overlay whose lower layer is the host's / and
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
cp "$unitfile" "$r/etc/systemd/system/$name"
rc=0
chroot "$r" /usr/bin/systemd-analyze verify --man=no "/etc/systemd/system/$name" >"$work/output" 2>&1 || rc=$?
echo "$rc" >"$work/status"
`

// SystemdVerify runs the real `systemd-analyze verify` on the unit file
// text, installed as /etc/systemd/system/name, and returns everything it
// printed. The unit passes only if the result is "": systemd-analyze
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
	for _, tool := range []string{"/usr/bin/systemd-analyze", "unshare", "mount", "chroot", "/bin/sh"} {
		Require(t, tool)
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
	args = append(args, MissingExecPaths(text)...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "SYSTEMD_LOG_COLOR=0", "SYSTEMD_PAGER=cat")
	var harness bytes.Buffer
	cmd.Stdout = &harness
	cmd.Stderr = &harness
	if err := cmd.Run(); err != nil {
		t.Fatalf("realtools: SystemdVerify: setting up the namespace failed: %v\n%s", err, harness.String())
	}
	out, err := os.ReadFile(filepath.Join(work, "output"))
	if err != nil {
		t.Fatalf("realtools: SystemdVerify: %v", err)
	}
	status, err := os.ReadFile(filepath.Join(work, "status"))
	if err != nil {
		t.Fatalf("realtools: SystemdVerify: %v", err)
	}
	if s := strings.TrimSpace(string(status)); s != "0" && len(out) == 0 {
		return "systemd-analyze exited with status " + s
	}
	return string(out)
}

// MissingExecPaths returns the programs of the Exec*= lines in a unit file
// text that are absolute paths and do not exist on this machine, in order,
// without duplicates: the ones [SystemdVerify] replaces by stubs. It reads
// the first word after the "-@+!:" prefixes, with double or single quotes
// removed and "%%" reduced to "%"; continuation lines are not followed.
func MissingExecPaths(text []byte) []string {
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
		if _, err := os.Stat(p); err == nil {
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
