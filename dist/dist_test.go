package dist_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/dist"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/unit"
)

// The embedded unit is the file in the repository, byte for byte.
func TestEmbedded(t *testing.T) {
	b, err := os.ReadFile("udkitd.service")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != dist.UdkitdService {
		t.Error("dist.UdkitdService differs from dist/udkitd.service: rebuild")
	}
}

func parse(t *testing.T) *unit.Unit {
	t.Helper()
	u, err := unit.Parse(strings.NewReader(dist.UdkitdService))
	if err != nil {
		t.Fatalf("udkitd.service does not parse: %v", err)
	}
	return u
}

// TestLint lints the unit with udkit's own unit linter, which checks a
// daemon (udkitd stops on SIGTERM: no ExecStop=, Type=notify) with the
// rules for every service: nothing above info may fire.
func TestLint(t *testing.T) {
	u := parse(t)
	if unit.IsStopHook(u) {
		t.Fatal("unit.IsStopHook(udkitd.service) = true: it is a daemon")
	}
	for _, d := range unit.Lint(u) {
		if d.Severity > diag.Info {
			t.Errorf("unit.Lint: %v", d)
		}
	}
}

// TestSettings pins what the brief of the unit promises: the hardening,
// readiness, restart and stop budget, and a stop budget above what udkitd
// needs at most (two --shutdown-timeout periods: HTTP drain, then the
// node's handover).
func TestSettings(t *testing.T) {
	u := parse(t)
	want := map[string]string{
		"Type":                    "notify",
		"DynamicUser":             "yes",
		"StateDirectory":          "udkitd",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"Restart":                 "on-failure",
		"KillSignal":              "SIGTERM",
		"LimitNOFILE":             "65536",
	}
	for k, v := range want {
		vs := u.Values("Service", k)
		if len(vs) == 0 || vs[len(vs)-1] != v {
			t.Errorf("[Service] %s=%q, want %q", k, vs, v)
		}
	}
	if vs := u.Values("Service", "SystemCallFilter"); len(vs) == 0 || vs[0] != "@system-service" {
		t.Errorf("SystemCallFilter=%q, want @system-service first", vs)
	}
	start := u.Values("Service", "ExecStart")
	if len(start) != 1 {
		t.Fatalf("ExecStart=%q, want one", start)
	}
	m := regexp.MustCompile(`--shutdown-timeout (\d+)s`).FindStringSubmatch(start[0])
	if m == nil {
		t.Fatalf("ExecStart= %q sets no --shutdown-timeout Ns", start[0])
	}
	shutdown, _ := strconv.Atoi(m[1])
	stop, err := strconv.Atoi(u.Values("Service", "TimeoutStopSec")[0])
	if err != nil {
		t.Fatal(err)
	}
	if stop <= 2*shutdown {
		t.Errorf("TimeoutStopSec=%d is not above twice --shutdown-timeout %ds (HTTP drain, then handover)", stop, shutdown)
	}
	if !strings.Contains(start[0], "--data /var/lib/udkitd ") {
		t.Errorf("ExecStart= %q does not keep its state in StateDirectory= /var/lib/udkitd", start[0])
	}
}

// TestSystemdVerify runs the real systemd-analyze verify on the unit (the
// program is a stub where udkitd is not installed).
func TestSystemdVerify(t *testing.T) {
	if out := realtools.SystemdVerify(t, dist.UdkitdServiceName, []byte(dist.UdkitdService)); out != "" {
		t.Errorf("systemd-analyze verify:\n%s", out)
	}
}

// maxExposure is the highest `systemd-analyze security` exposure score the
// unit may have (0 is best, 10 worst; 1.2 with systemd 252 when written).
const maxExposure = 2.0

// TestSecurity runs `systemd-analyze security --offline=true` on the unit
// and logs its exposure score, which must stay at most maxExposure.
func TestSecurity(t *testing.T) {
	realtools.Require(t, "systemd-analyze")
	dir := t.TempDir()
	f := dir + "/" + dist.UdkitdServiceName
	if err := os.WriteFile(f, []byte(dist.UdkitdService), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "systemd-analyze", "security", "--offline=true", "--no-pager", f)
	cmd.Env = append(os.Environ(), "SYSTEMD_COLORS=0", "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`Overall exposure level for udkitd\.service: ([0-9.]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out.String())
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "✗") {
			t.Log(strings.Join(strings.Fields(line), " "))
		}
	}
	if score > maxExposure {
		t.Errorf("exposure %.1f, above %.1f:\n%s", score, maxExposure, out.String())
	}
}
