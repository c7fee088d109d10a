//go:build e2e && linux

package e2e

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/cloudconfig"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/userdata"
)

// The managed-server example adapted to the test image, talking to a real
// udkitd over HTTPS with a private CA, with user data built by the library
// (udkit.Render). Two shapes of the same hook:
//
//   - onMount: the register and deregister scripts are the registry's
//     own (registry.RegisterScript, registry.DeregisterScript), kept on the
//     _netdev mount as an operator keeps them on NFS; the spec refers to
//     them (Action.Command) and udkit writes nothing there.
//   - registryHookSpec: Spec.Registry, where Build generates the same
//     scripts and writes them to the root file system.
const (
	managedName   = "managed-server"
	managedUnit   = managedName + "-deregister.service"
	cluster       = "e2e"
	joinTokenPath = "/etc/udkit/join-token"
	caPath        = "/etc/udkit/registry-ca.pem"
)

// onMount is the spec that refers to the scripts shareScripts puts on the
// mount; registration once per instance.
func onMount(d *udkitd, token string) *udkit.Spec {
	return &udkit.Spec{
		Name:       managedName,
		Register:   &udkit.Action{Command: []string{mountPoint + "/bin/register"}},
		Deregister: &udkit.Action{Command: []string{mountPoint + "/bin/deregister"}},
		Mounts:     []string{mountPoint},
		Files: []cloudconfig.WriteFile{
			{Path: joinTokenPath, Content: token + "\n", Permissions: "0600"},
			{Path: caPath, Content: string(d.caPEM)},
		},
	}
}

// registryHook returns the spec that lets Build generate and write the
// registry's scripts, registering on every boot or once per instance.
func registryHook(everyBoot bool) func(*udkitd, string) *udkit.Spec {
	return func(d *udkitd, token string) *udkit.Spec { return registryHookSpec(d, token, everyBoot) }
}

func registryHookSpec(d *udkitd, token string, everyBoot bool) *udkit.Spec {
	return &udkit.Spec{
		Name: managedName,
		Registry: &udkit.RegistryHook{
			URL:           d.url,
			Cluster:       cluster,
			JoinTokenFile: joinTokenPath,
			JoinToken:     token,
			CAFile:        caPath,
			CA:            string(d.caPEM),
			EveryBoot:     everyBoot,
		},
		Mounts: []string{mountPoint},
	}
}

// shareScripts puts the registry's scripts on the share (the host
// directory behind the _netdev mount), plus a deregister wrapper that
// records the mount and network state before it runs udkit's script.
func shareScripts(t *testing.T, m *machine, d *udkitd) {
	t.Helper()
	spec := registry.ScriptSpec{URL: d.url, Cluster: cluster, JoinTokenFile: joinTokenPath, CAFile: caPath}
	reg, err := registry.RegisterScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	dereg, err := registry.DeregisterScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	wrapper := `#!/bin/sh
# Record what the stop hook could see, then deregister with udkit's script.
set -u
if mountpoint -q ` + mountPoint + `; then mnt=mounted; else mnt=unmounted; fi
addr=$(ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
` + mountPoint + `/bin/udkit-deregister
rc=$?
mkdir -p /var/log/udkit-e2e
echo "deregister mount=$mnt addr=${addr:-none} rc=$rc" | tee -a ` + evidenceLog + `
echo "deregister mount=$mnt addr=${addr:-none} rc=$rc" >> ` + mountPoint + `/deregistered-$(hostname) || true
exit $rc
`
	bin := filepath.Join(m.export, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"register": reg, "udkit-deregister": dereg, "deregister": []byte(wrapper)} {
		if err := os.WriteFile(filepath.Join(bin, name), body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// bootManaged starts udkitd, puts the registry's scripts on the share,
// renders the spec that specFor returns with o and boots a machine with it.
func bootManaged(t *testing.T, specFor func(d *udkitd, token string) *udkit.Spec, o udkit.Options) (*machine, *udkitd) {
	t.Helper()
	m := newMachine(t)
	d := startUdkitd(t, m)
	shareScripts(t, m, d)
	ud, diags, err := udkit.Render(specFor(d, d.joinToken(t, cluster)), o)
	if err != nil {
		t.Fatalf("udkit.Render: %v", err)
	}
	for _, dg := range diags {
		t.Logf("udkit diagnostic: %s", dg)
	}
	m.writeSeed(seedData{instanceID: "iid-" + m.name, userData: ud})
	m.boot()
	return m, d
}

// The managed server registers at launch and deregisters at poweroff, with
// udkitd's member list as the judge and the deregister wrapper's record
// of the mount and the network.
func TestManagedServerWithUdkitd(t *testing.T) {
	m, d := bootManaged(t, onMount, udkit.Options{})
	iid := "iid-" + m.name

	checkCloudInitLog(t, m)
	checkHookArmed(t, m, managedUnit)
	checkVerify(t, m, managedUnit)
	if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
		t.Fatalf("members of %s after boot = %q, want [%s]", cluster, got, iid)
	}

	m.poweroff()

	if got := d.members(t, cluster); len(got) != 0 {
		t.Errorf("members of %s after poweroff = %q, want none", cluster, got)
	}
	want := "deregister mount=mounted addr=" + containerAddr + "/24 rc=0"
	ev := m.file(evidenceLog)
	t.Logf("evidence log:\n%s", ev)
	if !strings.Contains(ev, want) {
		t.Errorf("evidence log:\n%s\nwant a line %q", ev, want)
	}
	if b, err := os.ReadFile(filepath.Join(m.export, "deregistered-"+m.name)); err != nil || !strings.Contains(string(b), want) {
		t.Errorf("record on the mount (host side): %q, %v; want %q", b, err, want)
	}
	if err := hookThenUnmount(m.journal(), managedUnit); err != nil {
		t.Error(err)
	}
	if j := m.journal(); !strings.Contains(j, "udkit-deregister: deregistered "+iid) {
		t.Errorf("journal has no line from udkit's deregister script saying it deregistered %s", iid)
	}
}

// The registry hook as the library builds it (Spec.Registry): the scripts
// are generated and written to the root file system, the mount is only
// kept for the instance's own use (RequiresMountsFor=).
func TestRegistryHookWithUdkitd(t *testing.T) {
	m, d := bootManaged(t, registryHook(false), udkit.Options{})
	iid := "iid-" + m.name

	checkCloudInitLog(t, m)
	checkHookArmed(t, m, managedUnit)
	checkVerify(t, m, managedUnit)
	if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
		t.Fatalf("members of %s after boot = %q, want [%s]", cluster, got, iid)
	}
	m.poweroff()
	if got := d.members(t, cluster); len(got) != 0 {
		t.Errorf("members of %s after poweroff = %q, want none", cluster, got)
	}
	j := m.journal()
	if !strings.Contains(j, "udkit-deregister: deregistered "+iid) {
		t.Errorf("journal has no line from udkit's deregister script saying it deregistered %s", iid)
	}
	if err := hookThenUnmount(j, managedUnit); err != nil {
		t.Error(err)
	}
}

// The same user data in the encodings cloud-init's NoCloud path accepts:
// gzip'd as a whole, with an extra part whose non-ASCII body the userdata
// package sends as base64 (Content-Transfer-Encoding); the part's script
// writes its text to a file, and the bytes must arrive intact. A whole
// document in base64 (the form launch templates take) is not decoded by
// NoCloud (only EC2's API takes base64, and its metadata service serves
// the decoded bytes): cloud-init leaves it unhandled and nothing runs,
// which the last case pins down.
func TestManagedServerEncodings(t *testing.T) {
	const text = "grüße aus dem e2e-test ✓"
	withMarker := func(d *udkitd, token string) *udkit.Spec {
		s := registryHookSpec(d, token, false)
		s.Parts = []udkit.Part{{
			ContentType: "text/x-shellscript",
			Filename:    "zz-marker.sh",
			Body:        []byte("#!/bin/sh\nmkdir -p /var/log/udkit-e2e\nprintf '%s\\n' '" + text + "' > /var/log/udkit-e2e/marker\n"),
		}}
		return s
	}
	t.Run("gzip-and-base64-part", func(t *testing.T) {
		m, d := bootManaged(t, withMarker, udkit.Options{Gzip: userdata.GzipAlways})
		iid := "iid-" + m.name
		raw, err := os.ReadFile(filepath.Join(m.seed, "user-data"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("user data is not gzip: %v", err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(plain, []byte("Content-Transfer-Encoding: base64")) {
			t.Fatalf("no base64 part in the user data:\n%s", plain)
		}
		checkCloudInitLog(t, m)
		checkHookArmed(t, m, managedUnit)
		checkVerify(t, m, managedUnit)
		if got := m.file("/var/log/udkit-e2e/marker"); got != text+"\n" {
			t.Errorf("marker written by the base64 part = %q, want %q", got, text+"\n")
		}
		if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
			t.Fatalf("members after boot = %q, want [%s]", got, iid)
		}
		m.poweroff()
		if got := d.members(t, cluster); len(got) != 0 {
			t.Errorf("members after poweroff = %q, want none", got)
		}
	})
	t.Run("whole-document-base64", func(t *testing.T) {
		m, d := bootManaged(t, withMarker, udkit.Options{Base64: true})
		if log := m.file("/var/log/cloud-init.log"); !strings.Contains(log, "Unhandled non-multipart (text/x-not-multipart) userdata") {
			t.Errorf("cloud-init.log does not say it left the base64 document unhandled")
		}
		if got := d.members(t, cluster); len(got) != 0 {
			t.Errorf("members = %q, want none: nothing should have run", got)
		}
		if got := m.file("/var/log/udkit-e2e/marker"); got != "" {
			t.Errorf("the marker part ran (%q); want nothing to run", got)
		}
		m.poweroff()
	})
}

// After a reboot the hook is armed again. Registration follows the spec:
// once per instance (runcmd) leaves the instance out of the registry after
// the reboot, since the hook deregistered it on the way down; every boot
// (the hook's ExecStart=) registers it again.
func TestRegistryHookReboot(t *testing.T) {
	for _, tc := range []struct {
		name      string
		everyBoot bool
	}{
		{"once-per-instance", false},
		{"every-boot", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, d := bootManaged(t, registryHook(tc.everyBoot), udkit.Options{})
			iid := "iid-" + m.name
			if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
				t.Fatalf("members after the first boot = %q, want [%s]", got, iid)
			}
			m.reboot()
			checkHookArmed(t, m, managedUnit)
			var want []string
			if tc.everyBoot {
				want = []string{iid}
			}
			if got := d.members(t, cluster); !slices.Equal(got, want) {
				t.Fatalf("members after the reboot = %q, want %q", got, want)
			}
			m.poweroff()
			if got := d.members(t, cluster); len(got) != 0 {
				t.Errorf("members after poweroff = %q, want none", got)
			}
			// Deregistered at the reboot and at the poweroff; once per
			// instance, the second finds nothing to remove, and the
			// script says so (issue 16 item 12: it used to log
			// "deregistered" for {"deregistered":false}).
			wantDereg, wantNone := 2, 0
			if !tc.everyBoot {
				wantDereg, wantNone = 1, 1
			}
			j := m.journal()
			if n := strings.Count(j, "udkit-deregister: deregistered "+iid); n != wantDereg {
				t.Errorf("journal: %d lines saying %s was deregistered, want %d", n, iid, wantDereg)
			}
			if n := strings.Count(j, "udkit-deregister: the registry holds no member "+iid); n != wantNone {
				t.Errorf("journal: %d lines saying the registry held no member %s, want %d", n, iid, wantNone)
			}
			if strings.Contains(j, "udkm_") || strings.Contains(j, "udkj_") {
				t.Errorf("the journal holds a token")
			}
		})
	}
}
