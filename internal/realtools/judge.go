package realtools

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// JudgeRootEnv names the environment variable that makes every checker of
// this package run inside another Debian root file system instead of on
// the host: cloud-init's parser and `cloud-init schema` with that root's
// Python and cloud-init, `systemd-analyze verify` with that root's
// systemd. `make e2e` sets it to the extracted Debian 13 image (cloud-init
// 25.1, systemd 257) and runs the real-tool tests a second time (the
// second judge, see e2e/judge_test.go); unset, the host's tools judge
// (Debian 12: cloud-init 22.4, systemd 252).
const JudgeRootEnv = "UDKIT_JUDGE_ROOT"

// JudgeRoot returns the root file system whose tools judge (the value of
// [JudgeRootEnv], cleaned), or "" for the host's own tools.
func JudgeRoot() string {
	r := os.Getenv(JudgeRootEnv)
	if r == "" {
		return ""
	}
	return filepath.Clean(r)
}

// inRootScript runs a command inside the judge root without changing it:
// in a private mount namespace (the caller runs it under `unshare -m`), an
// overlay whose lower layer is the root and whose upper layer is a tmpfs,
// with /proc, /dev and /sys from the host and fresh tmpfs on /run and
// /tmp. The host directory io, when given, is bound at /udkit-io so that
// the command can read its inputs and write its outputs. Standard input
// and output pass through. Arguments: $1 root, $2 an empty host directory
// to mount the scratch tmpfs on, $3 io or "", then the command.
const inRootScript = `
set -eu
lower=$1 scratch=$2 io=$3
shift 3
mount -t tmpfs -o mode=0755 udkit-judge "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
mount -t overlay -o "lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work" udkit-judge "$scratch/root"
r=$scratch/root
mount -t proc proc "$r/proc"
mount --rbind /dev "$r/dev"
mount --rbind /sys "$r/sys"
mount -t tmpfs -o mode=0755 tmpfs "$r/run"
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
# An image's empty machine-id (each boot makes its own) fails %m.
[ -s "$r/etc/machine-id" ] || echo ` + judgeMachineID + ` >"$r/etc/machine-id"
if [ -n "$io" ]; then
	mkdir -p "$r/udkit-io"
	mount --bind "$io" "$r/udkit-io"
fi
exec chroot "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 LANG=C.UTF-8 HOME=/root SYSTEMD_LOG_COLOR=0 SYSTEMD_PAGER=cat "$@"
`

// judgeMachineID is the machine ID the judge root gets when its own
// /etc/machine-id is empty, as a freshly built image's is: systemd
// resolves %m from it, and fails without one.
const judgeMachineID = "75646b69746a75646765000000000001"

// judgeIODir is where the judge root sees the io directory of
// [judgeCommand].
const judgeIODir = "/udkit-io"

// judgeCommand returns a command that runs argv inside root (see
// inRootScript) with the host directory io (may be "") bound at
// /udkit-io. scratch must be an empty directory that the caller removes
// afterwards; it stays empty on the host. It needs root.
func judgeCommand(ctx context.Context, root, scratch, io string, argv ...string) *exec.Cmd {
	args := append([]string{"-m", "--propagation", "private", "/bin/sh", "-c", inRootScript, "sh", root, scratch, io}, argv...)
	return exec.CommandContext(ctx, "unshare", args...)
}

// checkJudgeRoot reports why root cannot judge: not root, unshare
// missing, or no such Debian root.
func checkJudgeRoot(root string) error {
	if os.Geteuid() != 0 {
		return errors.New(JudgeRootEnv + " is set: running the tools inside " + root + " takes a mount namespace and needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return fmt.Errorf("%s is set: unshare not found (%v)", JudgeRootEnv, err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/debian_version")); err != nil {
		return fmt.Errorf("%s=%s is not a Debian root file system: %v", JudgeRootEnv, root, err)
	}
	return nil
}

// requireInRoot ends the test (through [Missing]) unless the judge root
// can run commands and holds path (absolute, inside the root).
func requireInRoot(t testing.TB, root, path string) {
	t.Helper()
	if err := checkJudgeRoot(root); err != nil {
		Missing(t, err.Error())
	}
	if _, err := os.Lstat(filepath.Join(root, path)); err != nil {
		Missing(t, path+" not found in the judge root "+root+": "+err.Error())
	}
}

var judgeVersions struct {
	once                sync.Once
	cloudInit, systemd  string
	cloudInitE, systemE error
}

// CloudInitVersion returns the version (such as "22.4.2" or "25.1.4") of
// the cloud-init that judges: the host's, or the judge root's. Tests whose
// expectations differ between generations branch on it and name the
// version; it ends the test through [Missing] when cloud-init is missing.
func CloudInitVersion(t testing.TB) string {
	t.Helper()
	loadVersions()
	if judgeVersions.cloudInitE != nil {
		Missing(t, judgeVersions.cloudInitE.Error())
	}
	return judgeVersions.cloudInit
}

// SystemdVersion returns the major version (such as "252" or "257") of
// the systemd that judges, like [CloudInitVersion].
func SystemdVersion(t testing.TB) string {
	t.Helper()
	loadVersions()
	if judgeVersions.systemE != nil {
		Missing(t, judgeVersions.systemE.Error())
	}
	return judgeVersions.systemd
}

var versionRE = regexp.MustCompile(`\b(\d+\.\d+(?:\.\d+)?)`)

func loadVersions() {
	judgeVersions.once.Do(func() {
		out, err := judgeOutput("/usr/bin/cloud-init", "--version")
		if v := versionRE.FindString(string(out)); err == nil && v != "" {
			judgeVersions.cloudInit = v
		} else {
			judgeVersions.cloudInitE = fmt.Errorf("cloud-init --version: %v: %s", err, out)
		}
		out, err = judgeOutput("/usr/bin/systemctl", "--version")
		if f := strings.Fields(string(out)); err == nil && len(f) >= 2 && f[0] == "systemd" {
			judgeVersions.systemd = f[1]
		} else {
			judgeVersions.systemE = fmt.Errorf("systemctl --version: %v: %s", err, out)
		}
	})
}

// judgeOutput runs argv with the judging tools (on the host, or inside the
// judge root) and returns its combined output.
func judgeOutput(argv ...string) ([]byte, error) {
	root := JudgeRoot()
	if root == "" {
		return exec.Command(argv[0], argv[1:]...).CombinedOutput()
	}
	if err := checkJudgeRoot(root); err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "udkit-judge-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	ctx, cancel := context.WithTimeout(context.Background(), parserTimeout)
	defer cancel()
	cmd := judgeCommand(ctx, root, scratch, "", argv...)
	cmd.WaitDelay = waitDelay
	return cmd.CombinedOutput()
}

// Judge names the generation that judges, for test logs: "host" or the
// judge root, with the versions of cloud-init and systemd.
func Judge(t testing.TB) string {
	t.Helper()
	where := "host"
	if r := JudgeRoot(); r != "" {
		where = r
	}
	return fmt.Sprintf("%s (cloud-init %s, systemd %s)", where, CloudInitVersion(t), SystemdVersion(t))
}
