//go:build e2e && linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"
)

// Time limits. They bound waits so that a broken boot fails the test with
// logs instead of hanging until go test's -timeout; none of them is an
// assertion about speed.
const (
	bootLimit     = 3 * time.Minute // nspawn start to cloud-init done
	shutdownLimit = 2 * time.Minute // systemctl poweroff to nspawn exit
	execLimit     = time.Minute     // one command inside the container
)

// containerPath is PATH for commands run inside the container.
const containerPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var machineSeq atomic.Int32

// namePrefix starts every machine name and network namespace name; the
// test's PID follows it, which is how sweepStale finds leftovers of runs
// that were killed.
const namePrefix = "ue2e"

// machine is one container: an overlay over the shared image (so state
// survives a reboot), its own network, a host directory that the image's
// fstab mounts at mountPoint with _netdev, and a NoCloud seed.
type machine struct {
	t      *testing.T
	img    *osImage
	name   string // machine and hostname prefix, also the netns prefix
	dir    string // temporary tree holding everything below
	root   string // overlay mount: the container's root directory
	upper  string // overlay upper directory
	export string // host directory bound at exportDir
	seed   string // NoCloud seed directory
	net    *testNet

	nspawn  *exec.Cmd
	exited  chan struct{} // closed when nspawn has exited
	waitErr error         // nspawn's exit, valid once exited is closed
	pid1    int           // the container's PID 1, seen from the host
	boots   int
}

// timing is one measured step of a scenario, for the matrix TestMain
// prints: boot-to-done (nspawn start to cloud-init done) and poweroff
// (systemctl poweroff or reboot to nspawn exit). These are figures for
// the report, never assertions.
type timing struct {
	test, image, step string
	d                 time.Duration
}

var timings struct {
	sync.Mutex
	list []timing
}

func recordTiming(t *testing.T, img *osImage, step string, d time.Duration) {
	timings.Lock()
	defer timings.Unlock()
	timings.list = append(timings.list, timing{test: t.Name(), image: img.Name, step: step, d: d})
}

// printTimings writes the matrix of every measured step to w.
func printTimings(w io.Writer) {
	timings.Lock()
	defer timings.Unlock()
	if len(timings.list) == 0 {
		return
	}
	fmt.Fprintln(w, "e2e timings (boot N: nspawn start to cloud-init done; poweroff/reboot: systemctl to nspawn exit):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, x := range timings.list {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.1fs\n", x.test, x.image, x.step, x.d.Seconds())
	}
	tw.Flush()
}

// seedData is what the NoCloud seed holds.
type seedData struct {
	instanceID string
	userData   []byte
}

// newMachine prepares a machine on the default image (Debian 12); see
// newMachineOn.
func newMachine(t *testing.T) *machine {
	t.Helper()
	return newMachineOn(t, bookwormImage)
}

// newMachineOn prepares a machine on img (nothing runs yet; the seed is
// written with writeSeed) and registers its cleanup: stop what still runs,
// print the logs if the test failed, unmount, delete the namespaces,
// remove the tree.
func newMachineOn(t *testing.T, img *osImage) *machine {
	t.Helper()
	lower := img.root(t)
	m := &machine{t: t, img: img, name: fmt.Sprintf("%s%d-%d", namePrefix, os.Getpid(), machineSeq.Add(1))}
	var err error
	m.dir, err = os.MkdirTemp(filepath.Dir(lower), m.name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.cleanup)
	m.root = filepath.Join(m.dir, "root")
	m.upper = filepath.Join(m.dir, "upper")
	m.export = filepath.Join(m.dir, "export")
	m.seed = filepath.Join(m.dir, "seed")
	for _, d := range []string{m.root, m.upper, filepath.Join(m.dir, "work"), m.export, m.seed} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, m.upper, filepath.Join(m.dir, "work"))
	if out, err := exec.Command("mount", "-t", "overlay", "overlay", "-o", opts, m.root).CombinedOutput(); err != nil {
		t.Fatalf("e2e: overlay for %s: %v: %s", m.name, err, out)
	}
	m.setFstab(bootFstabOptions)
	if m.net, err = newTestNet(m.name); err != nil {
		t.Fatal(err)
	}
	return m
}

// writeSeed writes the NoCloud seed: meta-data with the instance ID and
// the machine's name as hostname, and the user data as given.
func (m *machine) writeSeed(seed seedData) {
	m.t.Helper()
	meta := fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", seed.instanceID, m.name)
	if err := os.WriteFile(filepath.Join(m.seed, "meta-data"), []byte(meta), 0o644); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.seed, "user-data"), seed.userData, 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// setFstab replaces the image's /etc/fstab (in the machine's overlay,
// before the first boot) by the mount line with other options.
func (m *machine) setFstab(options string) {
	m.t.Helper()
	if err := os.WriteFile(filepath.Join(m.root, "etc/fstab"), []byte(fstabLine(options)), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// boot starts the container and waits until systemd has finished booting
// and cloud-init is done. It fails the test unless the system is running
// and cloud-init's status is done.
func (m *machine) boot() {
	m.t.Helper()
	state, status := m.start()
	if state != "running" {
		failed, _ := m.exec("systemctl", "--failed", "--no-legend")
		m.t.Fatalf("e2e: %s boot %d: system state %q, want running; failed units:\n%s", m.name, m.boots, state, failed)
	}
	if !strings.Contains(status, "status: done") {
		m.t.Fatalf("e2e: %s boot %d: cloud-init status:\n%s", m.name, m.boots, status)
	}
}

// start starts the container, waits for the end of the boot and for
// cloud-init, and returns systemd's state (running, degraded, ...) and the
// output of cloud-init status --long. It fails the test only when the
// container does not come up or the waits run out.
func (m *machine) start() (state, cloudInitStatus string) {
	t := m.t
	t.Helper()
	begin := time.Now()
	deadline := begin.Add(bootLimit)
	m.launch(deadline)
	// systemctl cannot talk to PID 1 before it has set up its private
	// socket: retry until it answers with a final state.
	for {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		o, _ := m.execContext(ctx, "systemctl", "is-system-running", "--wait")
		cancel()
		state = strings.TrimSpace(string(o))
		if state == "running" || state == "degraded" {
			break
		}
		if m.hasExited() {
			t.Fatalf("e2e: %s: systemd-nspawn exited during boot %d (%v)", m.name, m.boots, m.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: %s: boot %d not finished after %s (systemctl is-system-running: %q)", m.name, m.boots, bootLimit, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	booted := time.Since(begin)
	o, err := m.execContext(ctx, "cloud-init", "status", "--wait", "--long")
	if ctx.Err() != nil {
		t.Fatalf("e2e: %s boot %d: cloud-init status --wait: %v", m.name, m.boots, err)
	}
	done := time.Since(begin)
	recordTiming(t, m.img, fmt.Sprintf("boot %d", m.boots), done)
	t.Logf("%s (%s) boot %d: %s after %s, cloud-init finished after %s", m.name, m.img.Name, m.boots, state, booted.Round(time.Millisecond), done.Round(time.Millisecond))
	return state, string(o)
}

// launch starts systemd-nspawn on the machine's overlay and returns once
// the container's PID 1 is systemd; it does not wait for the boot (start
// does). It fails the test when nspawn cannot start or no PID 1 appears
// before deadline.
func (m *machine) launch(deadline time.Time) {
	t := m.t
	t.Helper()
	m.boots++
	out, err := os.Create(filepath.Join(m.dir, fmt.Sprintf("console-%d.log", m.boots)))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	m.nspawn = exec.Command("systemd-nspawn",
		"--quiet", "--register=no", "--keep-unit",
		"--machine="+m.name, "-D", m.root, "-b",
		"--console=read-only",
		"--network-namespace-path="+m.net.path(m.net.guest),
		// ifupdown configures eth0 itself; joining a namespace does not
		// grant the capability that --private-network would.
		"--capability=CAP_NET_ADMIN",
		"--bind-ro="+m.seed+":/var/lib/cloud/seed/nocloud",
		"--bind="+m.export+":"+exportDir,
	)
	m.nspawn.Stdout, m.nspawn.Stderr = out, out
	m.nspawn.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := m.nspawn.Start(); err != nil {
		t.Fatalf("e2e: starting systemd-nspawn: %v", err)
	}
	m.exited = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		m.waitErr = cmd.Wait()
		close(done)
	}(m.nspawn, m.exited)
	if m.pid1, err = m.findPID1(deadline); err != nil {
		t.Fatal(err)
	}
}

// findPID1 waits for nspawn's child that is PID 1 of a new PID namespace
// and has become systemd.
func (m *machine) findPID1(deadline time.Time) (int, error) {
	parent := m.nspawn.Process.Pid
	for time.Now().Before(deadline) {
		if m.hasExited() {
			return 0, fmt.Errorf("e2e: %s: systemd-nspawn exited before the container started (%v)", m.name, m.waitErr)
		}
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
		for _, f := range strings.Fields(string(kids)) {
			pid, _ := strconv.Atoi(f)
			status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if nspidIsOne(string(status)) && strings.TrimSpace(string(comm)) == "systemd" {
				return pid, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("e2e: %s: no container PID 1 under systemd-nspawn (PID %d) in time", m.name, parent)
}

func nspidIsOne(status string) bool {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "NSpid:" {
			return f[len(f)-1] == "1"
		}
	}
	return false
}

func (m *machine) hasExited() bool {
	select {
	case <-m.exited:
		return true
	default:
		return false
	}
}

// execContext runs argv inside the running container, with a clean
// environment, and returns its combined output.
func (m *machine) execContext(ctx context.Context, argv ...string) ([]byte, error) {
	if m.pid1 == 0 || m.hasExited() {
		return nil, errors.New("e2e: the container is not running")
	}
	args := append([]string{"-t", strconv.Itoa(m.pid1), "-m", "-u", "-i", "-n", "-p", "--",
		"/usr/bin/env", "-i", containerPath, "LANG=C.UTF-8", "SYSTEMD_COLORS=0"}, argv...)
	cmd := exec.CommandContext(ctx, "nsenter", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s: %w", strings.Join(argv, " "), ctx.Err())
	}
	return out.Bytes(), err
}

func (m *machine) exec(argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), execLimit)
	defer cancel()
	return m.execContext(ctx, argv...)
}

// poweroff shuts the container down from inside, the way a cloud
// instance's OS shuts down, and waits for nspawn to exit cleanly.
func (m *machine) poweroff() { m.t.Helper(); m.shutdown("poweroff", 0) }

// reboot reboots from inside and boots again on the same overlay, the way
// systemd-nspawn@.service restarts a container that exits with status 133.
func (m *machine) reboot() {
	m.t.Helper()
	m.shutdown("reboot", 133)
	m.boot()
}

func (m *machine) shutdown(verb string, wantStatus int) {
	t := m.t
	t.Helper()
	// The connection to PID 1 may drop before systemctl reports success:
	// what counts is nspawn's exit.
	begin := time.Now()
	out, err := m.exec("systemctl", verb)
	select {
	case <-m.exited:
	case <-time.After(shutdownLimit):
		t.Fatalf("e2e: %s: still running %s after systemctl %s (%v: %s)", m.name, shutdownLimit, verb, err, out)
	}
	status := 0
	var ee *exec.ExitError
	if errors.As(m.waitErr, &ee) {
		status = ee.ExitCode()
	} else if m.waitErr != nil {
		t.Fatalf("e2e: %s: systemd-nspawn: %v", m.name, m.waitErr)
	}
	if status != wantStatus {
		t.Fatalf("e2e: %s: systemd-nspawn exited with status %d after systemctl %s, want %d", m.name, status, verb, wantStatus)
	}
	recordTiming(t, m.img, verb, time.Since(begin))
	t.Logf("%s (%s): systemctl %s done in %s", m.name, m.img.Name, verb, time.Since(begin).Round(time.Millisecond))
	m.pid1 = 0
}

// file reads a file of the container's root file system from the host
// (works while it runs and after it stopped).
func (m *machine) file(path string) string {
	b, err := os.ReadFile(filepath.Join(m.root, path))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		m.t.Fatal(err)
	}
	return string(b)
}

// journal returns the container's persistent journal, all boots, in
// monotonic-precise order.
func (m *machine) journal(args ...string) string {
	argv := append([]string{"-D", filepath.Join(m.root, "var/log/journal"), "--no-pager", "-o", "short-precise"}, args...)
	out, err := exec.Command("journalctl", argv...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("journalctl %s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// stop ends a container that is still running: a poweroff request first,
// then SIGKILL to its PID 1 (which ends its whole PID namespace) and to
// nspawn, each by PID.
func (m *machine) stop() {
	if m.nspawn == nil || m.hasExited() {
		return
	}
	if m.pid1 != 0 {
		m.exec("systemctl", "poweroff")
		select {
		case <-m.exited:
			return
		case <-time.After(30 * time.Second):
		}
		syscall.Kill(m.pid1, syscall.SIGKILL)
	}
	syscall.Kill(m.nspawn.Process.Pid, syscall.SIGKILL)
	select {
	case <-m.exited:
	case <-time.After(30 * time.Second):
		m.t.Errorf("e2e: %s: systemd-nspawn (PID %d) did not exit after SIGKILL", m.name, m.nspawn.Process.Pid)
	}
}

func (m *machine) cleanup() {
	t := m.t
	m.stop()
	if t.Failed() {
		m.dumpLogs()
	}
	var errs []error
	if m.net != nil {
		errs = append(errs, m.net.remove())
	}
	errs = append(errs, removeTree(m.dir))
	if err := errors.Join(errs...); err != nil {
		t.Errorf("e2e: %s: cleanup: %v", m.name, err)
	}
}

// dumpLogs prints what explains a failure: the journal of every boot,
// cloud-init.log and nspawn's console output.
func (m *machine) dumpLogs() {
	t := m.t
	t.Logf("==== %s: journal ====\n%s", m.name, m.journal())
	t.Logf("==== %s: /var/log/cloud-init.log ====\n%s", m.name, m.file("/var/log/cloud-init.log"))
	for i := 1; i <= m.boots; i++ {
		b, _ := os.ReadFile(filepath.Join(m.dir, fmt.Sprintf("console-%d.log", i)))
		t.Logf("==== %s: console of boot %d ====\n%s", m.name, i, tail(string(b), 60))
	}
}
