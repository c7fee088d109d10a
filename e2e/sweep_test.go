//go:build e2e && linux

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runDirPrefix names the temporary tree of one test process (in workDir);
// it holds a file "owner" with the process's PID.
const runDirPrefix = "udkit-e2e-"

// sweepStale removes what earlier test processes left behind when they were
// killed before their cleanups ran (go test -timeout ends the binary
// without them): their containers, stopped by PID, their overlays and
// trees, and their network namespaces. Leftovers of processes that still
// run are not touched.
func sweepStale() error {
	var errs []error
	dirs, _ := filepath.Glob(filepath.Join(workDir(), runDirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner"))
		if err != nil {
			continue // not ours, or being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || alive(pid) {
			continue
		}
		killContainersUnder(dir)
		if err := removeTree(dir); err != nil {
			errs = append(errs, err)
		}
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || alive(pid) {
			continue
		}
		n := &testNet{host: e.Name()}
		if err := n.remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("e2e: removing leftovers of killed runs: %w", err)
	}
	return nil
}

func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// killContainersUnder sends SIGKILL to every systemd-nspawn whose root
// directory is below dir, and to its container's PID 1 (which ends the
// container's PID namespace), and waits for them to go.
func killContainersUnder(dir string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var pids []int
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if filepath.Base(args[0]) != "systemd-nspawn" || !strings.Contains(string(b), "\x00"+dir+"/") {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		for _, k := range strings.Fields(string(kids)) {
			if kid, err := strconv.Atoi(k); err == nil {
				syscall.Kill(kid, syscall.SIGKILL)
				pids = append(pids, kid)
			}
		}
		syscall.Kill(pid, syscall.SIGKILL)
		pids = append(pids, pid)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		n := 0
		for _, pid := range pids {
			if alive(pid) {
				n++
			}
		}
		if n == 0 {
			return
		}
	}
}
