//go:build e2e && linux

package e2e

import (
	"fmt"
	"strings"
)

// Hand-written user data following STOPHOOK.md's canonical unit: a
// write_files unit plus scripts on the _netdev mount, armed by runcmd with
// daemon-reload and enable --now --no-block.

// hookName is the hand-written stop hook's name, hookUnit its unit.
const (
	hookName = "udkit-e2e-member"
	hookUnit = hookName + ".service"
)

// evidenceLog is on the root file system, which is never unmounted: the
// scripts append what they saw there, and the host reads it from the
// overlay after the container has stopped.
const evidenceLog = "/var/log/udkit-e2e/evidence.log"

// canonicalUnit is STOPHOOK.md's canonical unit for the hand-written hook.
func canonicalUnit() string {
	return stopHookUnit(hookName, "/bin/true", mountPoint+"/bin/deregister")
}

// stopHookUnit is STOPHOOK.md's canonical unit for a hook called name.
func stopHookUnit(name, execStart, execStop string) string {
	return `[Unit]
Description=Deregister ` + name + ` at shutdown
Wants=network-online.target
After=network-online.target network.target remote-fs.target
RequiresMountsFor=` + mountPoint + `

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=` + execStart + `
ExecStop=` + execStop + `
TimeoutStopSec=60
EnvironmentFile=-/etc/default/` + name + `
SyslogIdentifier=` + name + `

[Install]
WantedBy=multi-user.target
`
}

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

// file is one write_files entry.
type file struct {
	path, perm, content string
	deferred            bool // write in the final stage (after the _netdev mount is up)
}

// cloudConfig renders a #cloud-config with write_files and runcmd.
func cloudConfig(files []file, runcmd [][]string) string {
	var b strings.Builder
	b.WriteString("#cloud-config\nwrite_files:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  - path: %s\n    owner: root:root\n    permissions: '%s'\n", f.path, f.perm)
		if f.deferred {
			b.WriteString("    defer: true\n")
		}
		b.WriteString("    content: |\n")
		for _, line := range strings.SplitAfter(strings.TrimSuffix(f.content, "\n"), "\n") {
			b.WriteString("      " + line)
		}
		b.WriteString("\n")
	}
	b.WriteString("runcmd:\n")
	for _, argv := range runcmd {
		q := make([]string, len(argv))
		for i, a := range argv {
			q[i] = fmt.Sprintf("%q", a)
		}
		b.WriteString("  - [" + strings.Join(q, ", ") + "]\n")
	}
	return b.String()
}

// armHook is runcmd's part: load the unit and start it without waiting
// (a blocking start from cloud-final could deadlock).
func armHook(unit string) [][]string {
	return [][]string{
		{"systemctl", "daemon-reload"},
		{"systemctl", "enable", "--now", "--no-block", unit},
	}
}

// canonicalUserData is the stop hook as STOPHOOK.md prescribes it. The
// scripts go to the _netdev mount with defer: true: write_files without it
// runs in cloud-init.service, which is ordered before network-online.target
// and therefore before the _netdev mount, so the files would land under
// the mount point and be hidden by the mount.
func canonicalUserData(url string) string {
	files := []file{
		{path: "/etc/systemd/system/" + hookUnit, perm: "0644", content: canonicalUnit()},
		{path: mountPoint + "/bin/register", perm: "0755", content: registerScript(url), deferred: true},
		{path: mountPoint + "/bin/deregister", perm: "0755", content: deregisterScript(url), deferred: true},
	}
	return cloudConfig(files, append(armHook(hookUnit), []string{mountPoint + "/bin/register"}))
}

// probeUserData installs a unit whose ExecStop is the probe watching what
// ("mount", "network" or both). The unit text has @EXECSTOP@ where the
// ExecStop= line goes.
func probeUserData(url, unitText, what string) string {
	const probe = "/usr/local/sbin/udkit-e2e-probe"
	unit := strings.Replace(unitText, "@EXECSTOP@", "ExecStop="+probe+" "+what, 1)
	files := []file{
		{path: "/etc/systemd/system/" + hookUnit, perm: "0644", content: unit},
		{path: probe, perm: "0755", content: probeScript(url)},
		{path: mountPoint + "/bin/register", perm: "0755", content: registerScript(url), deferred: true},
	}
	return cloudConfig(files, append(armHook(hookUnit), []string{mountPoint + "/bin/register"}))
}
