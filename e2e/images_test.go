//go:build e2e && linux

package e2e

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// Each image carries the generation of cloud-init and systemd that the
// matrix and docs/versions.md name: a newer point release of the archive
// is fine, another major version is not what was proven.
func TestImageVersions(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		root := img.root(t)
		ci, err := exec.Command("chroot", root, "/usr/bin/cloud-init", "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("cloud-init --version in %s: %v: %s", img.Name, err, ci)
		}
		sd, err := exec.Command("chroot", root, "/usr/bin/systemctl", "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("systemctl --version in %s: %v: %s", img.Name, err, sd)
		}
		ciVersion := regexp.MustCompile(`\b(\d+\.\d+(\.\d+)?)`).FindString(string(ci))
		sdVersion := strings.Fields(strings.SplitN(string(sd), "\n", 2)[0])
		t.Logf("%s: cloud-init %s; %s", img.Name, ciVersion, strings.SplitN(string(sd), "\n", 2)[0])
		if !strings.HasPrefix(ciVersion, img.CloudInit) {
			t.Errorf("%s carries cloud-init %q, want %s.x (%s)", img.Name, ciVersion, img.CloudInit, img.Release)
		}
		if len(sdVersion) < 2 || sdVersion[1] != img.Systemd {
			t.Errorf("%s carries %q, want systemd %s (%s)", img.Name, sdVersion, img.Systemd, img.Release)
		}
	})
}
