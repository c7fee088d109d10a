//go:build e2e && linux

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/unit"
)

// The canonical ordering holds for as long as ExecStop runs: a probe that
// waits up to 10 s for the mount or the network to go away sees neither go.
// The unit is the library's (unit.StopHook with the mount), which the
// linter passes. (TestControlMountGone and TestControlNetworkGone run the
// same probe under units without that ordering.)
func TestCanonicalOrderHoldsMountAndNetwork(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		text, arm, lint := stopHook(t, unit.StopHookConfig{Stop: []string{probePath, "mount", "network"}, Mounts: []string{mountPoint}}, nil)
		for _, d := range lint {
			if d.Severity != diag.Info {
				t.Errorf("lint on the library's own hook: %s", d)
			}
		}
		m, rcv := bootWithReceiver(t, img, func(url string) []byte { return hookUserData(t, url, text, arm, false) })
		checkHookArmed(t, m, hookUnit)
		m.poweroff()
		ev := m.file(evidenceLog)
		t.Logf("evidence log:\n%s", ev)
		want := "probe mount=mounted addr=" + containerAddr + "/24 http=204"
		if !strings.Contains(ev, want) {
			t.Fatalf("evidence log:\n%s\nwant a line %q", ev, want)
		}
		if got := rcv.methods(); got != "POST DELETE" {
			t.Errorf("registry calls = %q, want POST DELETE", got)
		}
		if _, err := os.Stat(filepath.Join(m.export, "deregistered-"+m.name)); err != nil {
			t.Errorf("the probe's record did not reach the host through the mount: %v", err)
		}
	})
}

// The negative control proves that the checks can fail: the library's
// hook with the linter's findings ignored (no RequiresMountsFor=, After=
// without Wants=) is stopped in parallel with the mount, and the probe in
// its ExecStop sees the mount disappear. That needs the mount to be
// nofail, as cloud-init's mounts module writes it by default (and as the
// image has it): without nofail the _netdev mount is Before=
// remote-fs.target, the hook's After=remote-fs.target orders the unmount
// after it, and the mount stays, which the second case shows.
//
// The network stays up for this unit, and the test does not claim
// otherwise: on Debian with cloud-init every service with default
// dependencies is stopped before ifupdown takes the network down
// (cloud-init.service, cloud-init-network.service in cloud-init 25.1, is
// After=networking.service and Before=sysinit.target,
// and every such service is After=basic.target), and cloud-config.service
// pulls in network-online.target, so After= without Wants= still orders
// here, although the linter rightly calls it an error in general.
// TestControlNetworkGone shows a unit that does lose the network.
func TestControlMountGone(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		text, arm, lint := stopHook(t, unit.StopHookConfig{Stop: []string{probePath, "mount"}},
			func(u *unit.Unit) { dropOption(u, "Unit", "Wants") })
		if !hasRule(lint, "network-online-wants") {
			t.Errorf("the linter did not report After=network-online.target without Wants=")
		}
		for _, tc := range []struct {
			name, options string
			gone          bool
		}{
			{"nofail", bootFstabOptions, true},
			{"without-nofail", "bind,_netdev", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				m, rcv := withReceiver(t, img, func(url string) []byte { return hookUserData(t, url, text, arm, false) })
				m.setFstab(tc.options)
				m.boot()
				checkHookArmed(t, m, hookUnit)
				m.poweroff()

				ev := m.file(evidenceLog)
				t.Logf("evidence log:\n%s", ev)
				t.Logf("registry calls (the network stays up here, see the doc comment): %v", rcv.calls())
				_, marker := os.Stat(filepath.Join(m.export, "deregistered-"+m.name))
				if !tc.gone {
					if !strings.Contains(ev, "probe mount=mounted") || marker != nil {
						t.Fatalf("evidence log:\n%s\nwant the probe to have seen %s mounted through its 10 s wait, and its record on the host", ev, mountPoint)
					}
					return
				}
				if !strings.Contains(ev, "probe mount=unmounted") {
					t.Fatalf("evidence log:\n%s\nwant the probe to have seen %s unmounted while ExecStop ran", ev, mountPoint)
				}
				if err := hookThenUnmount(m.journal(), hookUnit); err == nil {
					t.Errorf("journal: the hook stopped before the unmount; want the unmount first")
				}
				if marker == nil {
					t.Errorf("the probe's record reached the host through the mount; want the mount gone")
				}
			})
		}
	})
}

// With the deregister script on the mount but the ordering missing (the
// linter warns: exec-stop-mount), systemd starts the unmount while the
// script runs. The outcome is a race: umount fails with EBUSY (seen most
// often), or wins before the script is executed (status 203/EXEC), or,
// with a script that ends within the few milliseconds systemd takes to
// start umount, nothing is seen at all (seen under load). A slow registry
// (the receiver holds the DELETE 5 s) takes the last outcome away, and
// hookThenUnmount, which TestManagedServerWithUdkitd relies on, reports
// either of the others.
func TestControlScriptOnMount(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		text, arm, lint := stopHook(t, unit.StopHookConfig{Stop: []string{mountPoint + "/bin/deregister"}},
			func(u *unit.Unit) { dropOption(u, "Unit", "Wants") })
		if !hasRule(lint, "exec-stop-mount") {
			t.Errorf("the linter did not report an ExecStop= program outside the mounts")
		}
		m, rcv := withReceiver(t, img, func(url string) []byte { return hookUserData(t, url, text, arm, false) })
		rcv.mu.Lock()
		rcv.deleteDelay = 5 * time.Second
		rcv.mu.Unlock()
		m.boot()
		checkHookArmed(t, m, hookUnit)
		m.poweroff()
		err := hookThenUnmount(m.journal(), hookUnit)
		if err == nil {
			t.Fatal("journal: the hook stopped, then the mount was unmounted; want the unmount tried while the hook ran")
		}
		t.Logf("as expected: %v", err)
	})
}

// A hook with DefaultDependencies=no (Conflicts= and Before=
// shutdown.target kept, as the linter's default-dependencies rule asks)
// and no ordering against the network is stopped in parallel with
// networking.service: its ExecStop sees eth0 lose its address and cannot
// reach the registry. This proves the network half of the evidence can
// fail too. The linter has no finding for this unit: a gap, reported on
// the issue; the test logs what it says.
func TestControlNetworkGone(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		text, arm, _ := stopHook(t, unit.StopHookConfig{Stop: []string{probePath, "network"}}, func(u *unit.Unit) {
			dropOption(u, "Unit", "Wants")
			dropOption(u, "Unit", "After")
			u.Add("Unit", "DefaultDependencies", "no")
			u.Add("Unit", "Conflicts", "shutdown.target")
			u.Add("Unit", "Before", "shutdown.target")
		})
		m, rcv := bootWithReceiver(t, img, func(url string) []byte { return hookUserData(t, url, text, arm, false) })
		checkHookArmed(t, m, hookUnit)
		m.poweroff()

		ev := m.file(evidenceLog)
		t.Logf("evidence log:\n%s", ev)
		if !regexp.MustCompile(`probe mount=\S+ addr=none http=000`).MatchString(ev) {
			t.Fatalf("evidence log:\n%s\nwant the probe to have seen eth0 without an address and the registry unreachable", ev)
		}
		if got := rcv.methods(); got != "POST" {
			t.Errorf("registry calls = %q, want only the registration (the deregistration cannot get through)", got)
		}
	})
}

// bootWithReceiver prepares a machine with a receiver and boots it.
func bootWithReceiver(t *testing.T, img *osImage, userData func(url string) []byte) (*machine, *receiver) {
	t.Helper()
	m, rcv := withReceiver(t, img, userData)
	m.boot()
	return m, rcv
}

// withReceiver starts a receiver on a fresh machine's network and writes
// the seed with the user data rendered for the receiver's URL.
func withReceiver(t *testing.T, img *osImage, userData func(url string) []byte) (*machine, *receiver) {
	t.Helper()
	m := newMachineOn(t, img)
	rcv := newReceiver(t, m.net)
	m.writeSeed(seedData{instanceID: "iid-" + m.name, userData: userData(rcv.url)})
	return m, rcv
}

// checkHookArmed asserts that the hook unit is enabled and active.
func checkHookArmed(t *testing.T, m *machine, unit string) {
	t.Helper()
	out, _ := m.exec("systemctl", "is-enabled", unit)
	active, _ := m.exec("systemctl", "is-active", unit)
	if strings.TrimSpace(string(out)) != "enabled" || strings.TrimSpace(string(active)) != "active" {
		status, _ := m.exec("systemctl", "status", "--no-pager", unit)
		t.Fatalf("hook after boot %d: is-enabled %q, is-active %q, want enabled and active\n%s", m.boots, out, active, status)
	}
}

// checkVerify runs systemd's and cloud-init's own checkers inside the
// booted system and fails the test on anything they report.
func checkVerify(t *testing.T, m *machine, unit string) {
	t.Helper()
	for _, p := range verifyProblems(m, unit) {
		t.Error(p)
	}
}

// verifyProblems returns what `systemd-analyze verify` says about the
// unit (any output at all) and what `cloud-init schema --system` says
// about the instance's cloud-config, unless it is valid.
func verifyProblems(m *machine, unit string) []string {
	var probs []string
	out, err := m.exec("systemd-analyze", "verify", "/etc/systemd/system/"+unit)
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		probs = append(probs, fmt.Sprintf("systemd-analyze verify %s in the container: %v\n%s", unit, err, out))
	}
	out, err = m.exec("cloud-init", "schema", "--system")
	if err != nil || !validSchema.Match(out) {
		probs = append(probs, fmt.Sprintf("cloud-init schema --system in the container: %v\n%s", err, out))
	}
	return probs
}

// validSchema is what `cloud-init schema --system` prints for valid user
// data: "Valid cloud-config: system userdata" (cloud-init 22.4) or
// "Valid schema user-data" (25.1).
var validSchema = regexp.MustCompile(`Valid cloud-config: system userdata|Valid schema user-data`)

// locateFailed is systemd's journal line for an Exec program that does
// not exist: "Failed to locate executable PATH" (systemd 252) or "Unable
// to locate executable 'PATH'" (257).
func locateFailed(path string) *regexp.Regexp {
	return regexp.MustCompile(`(Failed|Unable) to locate executable '?` + regexp.QuoteMeta(path) + `'?:`)
}

// knownWarnings are cloud-init WARNINGs that the test image causes
// whatever the user data says (no SSH server is installed).
var knownWarnings = []*regexp.Regexp{
	regexp.MustCompile(`util\.py\[WARNING\]: Failed generating key type \w+ to file /etc/ssh/`),
	regexp.MustCompile(`cc_set_passwords\.py\[WARNING\]: Ignoring config 'ssh_pwauth: None'. SSH service 'ssh' is not installed\.`),
}

// checkCloudInitLog fails on cloud-init complaints about the user data:
// unhandled parts, invalid cloud-config, and any WARNING other than those
// the image causes on its own.
func checkCloudInitLog(t *testing.T, m *machine) {
	t.Helper()
	log := m.file("/var/log/cloud-init.log")
	if log == "" {
		t.Fatal("/var/log/cloud-init.log is empty or missing")
	}
	for i, line := range strings.Split(log, "\n") {
		bad := strings.Contains(line, "Unhandled") || strings.Contains(line, "Invalid cloud-config")
		if strings.Contains(line, "WARNING") {
			bad = true
			for _, re := range knownWarnings {
				if re.MatchString(line) {
					bad = false
				}
			}
		}
		if bad {
			t.Errorf("cloud-init.log line %d: %s", i+1, line)
		}
	}
}

// hookThenUnmount checks in the journal that the hook was stopped
// successfully and that systemd unmounted the _netdev mount afterwards,
// without a failed attempt before.
func hookThenUnmount(journal, unit string) error {
	stopped, unmounted, failed := -1, -1, -1
	for i, line := range strings.Split(journal, "\n") {
		switch {
		case stopped < 0 && strings.Contains(line, "Stopped "+unit):
			stopped = i
		case unmounted < 0 && strings.Contains(line, "Unmounted mnt-shared.mount"):
			unmounted = i
		case failed < 0 && (strings.Contains(line, "Failed unmounting mnt-shared.mount") ||
			strings.Contains(line, unit+": Control process exited")):
			failed = i
		}
	}
	switch {
	case failed >= 0:
		return fmt.Errorf("journal line %d: %s", failed+1, strings.Split(journal, "\n")[failed])
	case stopped < 0:
		return errors.New("journal: no line saying the hook was stopped")
	case unmounted < 0:
		return errors.New("journal: no line saying the mount was unmounted")
	case unmounted < stopped:
		return fmt.Errorf("journal: mount unmounted (line %d) before the hook stopped (line %d)", unmounted+1, stopped+1)
	}
	return nil
}

// write_files without defer: true runs in cloud-init.service, which is
// ordered before network-online.target and so before any _netdev mount:
// scripts written to the mount land in the directory under it and are
// hidden once it is mounted. Registration fails at launch (cloud-final
// fails, the system is degraded) and, worse, nothing deregisters at
// shutdown. This is why the scripts need defer: true.
func TestWriteFilesToMountNeedsDefer(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		text, arm, _ := stopHook(t, unit.StopHookConfig{Stop: []string{mountPoint + "/bin/deregister"}, Mounts: []string{mountPoint}}, nil)
		m, rcv := withReceiver(t, img, func(url string) []byte { return hookUserData(t, url, text, arm, true) })
		state, status := m.start()
		if state != "degraded" || !strings.Contains(status, "status: error") {
			t.Errorf("system %q, cloud-init %q; want degraded and error (runcmd cannot find the register script)", state, status)
		}
		if _, err := os.Stat(filepath.Join(m.export, "bin/deregister")); err == nil {
			t.Fatalf("bin/deregister reached the mount without defer: true")
		}
		if out, err := m.exec("test", "-e", mountPoint+"/bin/deregister"); err == nil {
			t.Fatalf("%s/bin/deregister is visible in the container without defer: true (%s)", mountPoint, out)
		}
		if _, err := os.Stat(filepath.Join(m.upper, mountPoint, "bin/deregister")); err != nil {
			t.Errorf("bin/deregister not found under the mount point in the root file system: %v", err)
		}
		// systemd-analyze verify, as checkVerify runs it, sees the hole too.
		probs := verifyProblems(m, hookUnit)
		if len(probs) != 1 || !strings.Contains(probs[0], mountPoint+"/bin/deregister") {
			t.Errorf("verify problems = %q, want one from systemd-analyze about %s/bin/deregister", probs, mountPoint)
		} else {
			t.Logf("as expected: %s", probs[0])
		}
		m.poweroff()
		if got := rcv.methods(); got != "" {
			t.Errorf("registry calls = %q, want none (both scripts are hidden)", got)
		}
		if j := m.journal(); !locateFailed(mountPoint + "/bin/deregister").MatchString(j) {
			t.Errorf("journal does not show the hook failing to find its ExecStop")
		}
	})
}

// STOPHOOK fact 3, re-proven on every generation: runcmd runs inside
// cloud-final.service; a hook ordered After=cloud-final.service and armed
// with a blocking `systemctl enable --now` waits for cloud-final to finish
// while cloud-final waits for it. The boot never ends: the hook's start
// job stays waiting and cloud-final stays activating (TimeoutSec=0: for
// ever). The library's arm lines (--no-block, used by every other
// scenario) boot to the end with the same ordering. After=multi-user.target,
// which STOPHOOK lists too, does not deadlock on either generation:
// cloud-final is itself After=multi-user.target, so that target has been
// reached when runcmd runs (docs/versions.md).
func TestControlBlockingStartDeadlocks(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		for _, tc := range []struct {
			name, after string
			noBlock     bool
			deadlock    bool
		}{
			{"blocking-after-cloud-final", "cloud-final.service", false, true},
			{"no-block-after-cloud-final", "cloud-final.service", true, false},
			// multi-user.target has been reached before cloud-final
			// starts (cloud-final is After= it), so nothing waits.
			{"blocking-after-multi-user", "multi-user.target", false, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				text, arm, lint := stopHook(t, unit.StopHookConfig{Stop: []string{probePath}},
					func(u *unit.Unit) { u.Add("Unit", "After", tc.after) })
				switch {
				case tc.deadlock && !hasRule(lint, "deadlock-after"):
					t.Errorf("the linter did not report After=%s", tc.after)
				case !tc.deadlock && tc.after == "multi-user.target" && hasRule(lint, "deadlock-after"):
					// Too strong on Debian 12 and 13: reported in the
					// issue note, left to the unit package's owner.
					t.Logf("the linter reports deadlock-after for After=%s, which does not deadlock here", tc.after)
				}
				if !tc.noBlock {
					for i, a := range arm {
						kept := []string{}
						for _, w := range a {
							if w != "--no-block" {
								kept = append(kept, w)
							}
						}
						arm[i] = kept
					}
				}
				m, _ := withReceiver(t, img, func(url string) []byte { return hookUserData(t, url, text, arm, false) })
				if !tc.deadlock {
					m.boot()
					checkHookArmed(t, m, hookUnit)
					m.poweroff()
					return
				}
				m.launch(time.Now().Add(bootLimit))
				// Both jobs must be seen stuck together for 20 s running.
				var jobs string
				stuckSince := time.Time{}
				for deadline := time.Now().Add(bootLimit); time.Now().Before(deadline); time.Sleep(time.Second) {
					out, _ := m.exec("systemctl", "list-jobs", "--no-legend", "--no-pager")
					jobs = string(out)
					if deadlocked(jobs, hookUnit) {
						if stuckSince.IsZero() {
							stuckSince = time.Now()
						}
						if time.Since(stuckSince) >= 20*time.Second {
							break
						}
					} else {
						stuckSince = time.Time{}
					}
				}
				if stuckSince.IsZero() || time.Since(stuckSince) < 20*time.Second {
					t.Fatalf("want %s's start job waiting and cloud-final.service's running for 20 s; systemctl list-jobs:\n%s", hookUnit, jobs)
				}
				t.Logf("deadlocked as STOPHOOK fact 3 says (%s); systemctl list-jobs:\n%s", img.Release, jobs)
				status, _ := m.exec("cloud-init", "status")
				if strings.Contains(string(status), "done") {
					t.Errorf("cloud-init status says done during the deadlock:\n%s", status)
				}
			})
		}
	})
}

// deadlocked reports whether systemctl list-jobs shows the hook's start
// job waiting and cloud-final.service's start job running.
func deadlocked(jobs, hook string) bool {
	hookWaiting, finalRunning := false, false
	for _, l := range strings.Split(jobs, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 || f[2] != "start" {
			continue
		}
		hookWaiting = hookWaiting || f[1] == hook && f[3] == "waiting"
		finalRunning = finalRunning || f[1] == "cloud-final.service" && f[3] == "running"
	}
	return hookWaiting && finalRunning
}
