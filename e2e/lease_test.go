//go:build e2e && linux

package e2e

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/registry"
)

// TestRegistryLeaseWithUdkitd boots an instance of a cluster with a lease
// (TTL 15 s) whose spec renews every 5 s (RegistryHook.Renew): the timer
// is armed with the stop hook and the renewals arrive; then the machine is
// killed (SIGKILL to its PID 1: no shutdown, no stop hook), and udkitd's
// leader evicts it within TTL + a sweep, with an audit line.
func TestRegistryLeaseWithUdkitd(t *testing.T) {
	forEachImage(t, registryLeaseWithUdkitd)
}

func registryLeaseWithUdkitd(t *testing.T, img *osImage) {
	const timer = managedName + "-renew.timer"
	m, d := bootManaged(t, img, func(d *udkitd, token string) *udkit.Spec {
		if _, err := d.admin.SetLease(context.Background(), cluster, registry.LeaseRequest{TTLSeconds: 15}); err != nil {
			t.Fatalf("set lease: %v", err)
		}
		s := registryHookSpec(d, token, true)
		s.Registry.Renew = 5 * time.Second
		return s
	}, udkit.Options{})
	iid := "iid-" + m.name
	checkCloudInitLog(t, m)
	checkHookArmed(t, m, managedUnit)
	if out, err := m.exec("systemctl", "is-active", timer); err != nil || strings.TrimSpace(string(out)) != "active" {
		t.Fatalf("%s is not active: %q, %v", timer, out, err)
	}
	if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
		t.Fatalf("members after boot = %q, want [%s]", got, iid)
	}
	// Renewals arrive: renewed_at moves past the registration.
	ctx := context.Background()
	deadline := time.Now().Add(45 * time.Second)
	for {
		ms, err := d.admin.Members(ctx, cluster)
		if err != nil || len(ms) != 1 {
			t.Fatalf("members: %+v, %v", ms, err)
		}
		if ms[0].RenewedAt.After(ms[0].UpdatedAt) {
			t.Logf("renewed %v after the registration", ms[0].RenewedAt.Sub(ms[0].UpdatedAt).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no renewal in 45 s: %+v\n%s", ms[0], m.journal("-u", managedName+"-renew.service"))
		}
		time.Sleep(time.Second)
	}
	// Past three more renewal intervals the member is still there.
	time.Sleep(16 * time.Second)
	if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
		t.Fatalf("members while renewing = %q, want [%s]", got, iid)
	}
	if j := m.journal(); strings.Contains(j, "udkm_") || strings.Contains(j, "udkj_") {
		t.Errorf("the journal holds a token")
	}
	// A forced stop: no shutdown, so the stop hook never runs.
	syscall.Kill(m.pid1, syscall.SIGKILL)
	select {
	case <-m.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the machine did not exit after SIGKILL to its PID 1")
	}
	killed := time.Now()
	for len(d.members(t, cluster)) != 0 {
		if time.Since(killed) > 15*time.Second+5*time.Second+10*time.Second {
			t.Fatalf("not evicted %v after the kill (TTL 15 s, sweep 5 s)", time.Since(killed).Round(time.Second))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("evicted %v after the kill", time.Since(killed).Round(100*time.Millisecond))
	if !strings.Contains(d.log.String(), "action=evict reason=expired") {
		t.Errorf("udkitd logged no eviction audit line")
	}
}
