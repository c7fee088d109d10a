//go:build e2e && linux

package e2e

import (
	"testing"

	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/unit"
)

// User data of the order tests and the negative controls: a stop hook
// built by the library (unit.StopHook) and, for the controls, stripped of
// what the linter asks for; scripts that record what they could see; a
// cloud-config rendered by the cloudconfig package. (The managed-server
// scenarios build theirs with udkit.Render, which refuses to write scripts
// onto a mount, and rightly so: see TestWriteFilesToMountNeedsDefer.)

// hookName is the name of the controls' stop hook, hookUnit its unit.
const (
	hookName = "udkit-e2e-member"
	hookUnit = hookName + ".service"
)

// evidenceLog is on the root file system, which is never unmounted: the
// scripts append what they saw there, and the host reads it from the
// overlay after the container has stopped.
const evidenceLog = "/var/log/udkit-e2e/evidence.log"

// probePath is where the probe (probeScript) is installed, on the root
// file system.
const probePath = "/usr/local/sbin/udkit-e2e-probe"

// registerScript posts this member to url/members/HOSTNAME.
func registerScript(url string) string {
	return `#!/bin/sh
# Register this instance (e2e stand-in for the registry hook).
set -eu
name=$(hostname)
boot=$(cat /proc/sys/kernel/random/boot_id)
mkdir -p /var/log/udkit-e2e
curl -sS --fail --max-time 10 -o /dev/null -X POST --data "boot=$boot" "` + url + `/members/$name"
echo "register boot=$boot" >> ` + evidenceLog + `
`
}

// recordState is the part of every deregister script that records what the
// script could see and tells the registry; the DELETE carries the same
// record, so a reachable registry proves the network was up.
func recordState(url, who string) string {
	return `name=$(hostname)
if mountpoint -q ` + mountPoint + `; then mnt=mounted; else mnt=unmounted; fi
addr=$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
state="mount=$mnt addr=${addr:-none}"
code=$(curl -sS --max-time 15 -o /dev/null -w '%{http_code}' -X DELETE --data "$state" "` + url + `/members/$name") || true
mkdir -p /var/log/udkit-e2e
echo "` + who + ` $state http=$code" | tee -a ` + evidenceLog + `
# Lands in the host's export directory only if the mount is still there.
echo "` + who + ` $state http=$code" >> ` + mountPoint + `/deregistered-$name || true
`
}

// deregisterScript is the canonical hook's ExecStop, kept on the mount.
func deregisterScript(url string) string {
	return "#!/bin/sh\n# Deregister this instance; record the mount and network state.\nset -u\n" + recordState(url, "deregister")
}

// probeScript is an ExecStop that watches the mount and/or the network
// ("mount", "network" as arguments). It lives on the root file system (a
// script on the mount keeps it busy, so umount fails with EBUSY instead of
// showing a missing order) and waits, at most 10 s, for anything it
// watches to go away before recording the state: with the unit ordered
// right nothing goes away while it runs and the wait runs out; without the
// order the stop jobs run in parallel and it goes within milliseconds. The
// outcome does not depend on the speed of the machine.
func probeScript(url string) string {
	return `#!/bin/sh
# Wait for the mount or the network to disappear, then record.
set -u
gone() {
	for what in "$@"; do
		case "$what" in
		mount) mountpoint -q ` + mountPoint + ` || return 0 ;;
		network) ip -4 -o addr show dev eth0 2>/dev/null | grep -q inet || return 0 ;;
		esac
	done
	return 1
}
i=0
while [ $i -lt 50 ] && ! gone "$@"; do
	sleep 0.2
	i=$((i+1))
done
` + recordState(url, "probe")
}

// stopHook builds the hook with the library (unit.StopHook), then lets
// edit change the unit: the controls undo what the linter asks for. It
// returns the unit file, the runcmd lines that arm it and the linter's
// findings on the edited unit.
func stopHook(t *testing.T, c unit.StopHookConfig, edit func(u *unit.Unit)) (text string, arm [][]string, lint diag.List) {
	t.Helper()
	c.Name = hookName
	h, err := unit.StopHook(c)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(h.Unit)
	}
	b, err := h.Unit.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	lint = unit.Lint(h.Unit)
	for _, d := range lint {
		t.Logf("unit lint: %s", d)
	}
	return string(b), h.Arm, lint
}

// dropOption removes every key= line from section.
func dropOption(u *unit.Unit, section, key string) {
	s := u.Section(section)
	kept := s.Options[:0]
	for _, o := range s.Options {
		if o.Key != key {
			kept = append(kept, o)
		}
	}
	s.Options = kept
}

// hasRule reports whether lint has a finding of rule.
func hasRule(lint diag.List, rule string) bool {
	for _, d := range lint {
		if d.Rule == rule {
			return true
		}
	}
	return false
}

// hookUserData is a cloud-config that writes the hook's unit, the probe
// and the register and deregister scripts (on the mount, with defer: true
// unless noDefer: see TestWriteFilesToMountNeedsDefer), then arms the hook
// and registers.
func hookUserData(t *testing.T, url, unitText string, arm [][]string, noDefer bool) []byte {
	t.Helper()
	c := &cloudconfig.Config{WriteFiles: []cloudconfig.WriteFile{
		{Path: "/etc/systemd/system/" + hookUnit, Content: unitText, Permissions: "0644"},
		{Path: probePath, Content: probeScript(url), Permissions: "0755"},
		{Path: mountPoint + "/bin/register", Content: registerScript(url), Permissions: "0755", Defer: !noDefer},
		{Path: mountPoint + "/bin/deregister", Content: deregisterScript(url), Permissions: "0755", Defer: !noDefer},
	}}
	for _, a := range arm {
		c.Runcmd = append(c.Runcmd, cloudconfig.Argv(a...))
	}
	c.Runcmd = append(c.Runcmd, cloudconfig.Argv(mountPoint+"/bin/register"))
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
