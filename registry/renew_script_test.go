package registry_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/golden"
	"github.com/udkit/udkit/internal/realtools"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

var renewSpec = registry.ScriptSpec{
	URL:            "https://registry.internal:8180",
	Cluster:        "web",
	JoinTokenFile:  "/etc/udkit/join-token",
	CAFile:         "/etc/udkit/registry-ca.pem",
	RegisterScript: "/usr/local/lib/udkit/web-register",
	StopHookUnit:   "web-deregister.service",
}

func TestRenewScriptGoldenShellcheck(t *testing.T) {
	script, err := registry.RenewScript(renewSpec)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/renew-https-ca.sh.golden", script)
	if again, _ := registry.RenewScript(renewSpec); !bytes.Equal(script, again) {
		t.Error("same spec, different renew script")
	}
	for _, s := range []registry.ScriptSpec{renewSpec, {URL: "http://127.0.0.1:8180", Cluster: "db", JoinTokenFile: "/etc/j"}} {
		script, err := registry.RenewScript(s)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := shellcheck(t, script); err != nil {
			t.Fatalf("shellcheck: %v\n%s", err, out)
		}
		if out, err := exec.Command("sh", "-n", "-c", string(script)).CombinedOutput(); err != nil {
			t.Fatalf("sh -n: %v\n%s", err, out)
		}
	}
	for _, bad := range []registry.ScriptSpec{
		{URL: "http://127.0.0.1:8180", Cluster: "db", JoinTokenFile: "/etc/j", RegisterScript: "relative/register"},
		{URL: "http://127.0.0.1:8180", Cluster: "db", JoinTokenFile: "/etc/j", StopHookUnit: "web; reboot"},
		{URL: "http://127.0.0.1:8180", Cluster: "db", JoinTokenFile: "/etc/j", RenewMaxTime: 1500 * time.Millisecond},
	} {
		if _, err := registry.RenewScript(bad); err == nil {
			t.Errorf("RenewScript(%+v) accepted", bad)
		}
	}
}

// TestRenewScriptAgainstRegistry runs the generated scripts with sh and
// curl against a real registry (dqlite) whose clock the test moves: the
// renewal is silent, an evicted instance registers again with its kept
// token, and not when its stop hook is inactive.
func TestRenewScriptAgainstRegistry(t *testing.T) {
	realtools.Require(t, "curl")
	realtools.Require(t, "sh")
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	svc := newService(t, nil, store.Options{Now: clock})
	ctx := ctxT(t)
	if _, err := svc.Client.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 90}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	stub := "#!/bin/sh\ncase \"$2\" in\nv1.instance_id) echo i-0abc123 ;;\nv1.local_hostname) echo ip-10-0-0-7 ;;\n*) exit 1 ;;\nesac\n"
	os.WriteFile(filepath.Join(bin, "cloud-init"), []byte(stub), 0o755)
	// systemctl is-active answers from a file the test writes.
	active := filepath.Join(dir, "active")
	os.WriteFile(filepath.Join(bin, "systemctl"), []byte("#!/bin/sh\n[ \"$1 $2 $3\" = \"is-active --quiet web-deregister.service\" ] || exit 2\n[ -e "+active+" ]\n"), 0o755)
	os.WriteFile(active, nil, 0o644)
	joinFile := filepath.Join(dir, "join-token")
	os.WriteFile(joinFile, []byte(svc.Join+"\n"), 0o600)
	varTmp, err := os.MkdirTemp("/var/tmp", "udkit-renew-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	state := filepath.Join(varTmp, "state")
	regPath := filepath.Join(dir, "register")
	spec := registry.ScriptSpec{URL: svc.Srv.URL, Cluster: "web", JoinTokenFile: joinFile, StateDir: state,
		RegisterAttempts: 1, RegisterScript: regPath, StopHookUnit: "web-deregister.service"}
	reg, _ := registry.RegisterScript(spec)
	renew, err := registry.RenewScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(regPath, reg, 0o755)
	run := func(script []byte) (string, error) {
		cmd := exec.Command("sh", "-c", string(script))
		cmd.Env = []string{"PATH=" + bin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// Before the registration: nothing to renew.
	if out, err := run(renew); err != nil || !strings.Contains(out, "has not registered yet") {
		t.Fatalf("renew before registering: %v\n%s", err, out)
	}
	if out, err := run(reg); err != nil {
		t.Fatalf("register: %v\n%s", err, out)
	}
	token, _ := os.ReadFile(filepath.Join(state, registry.MemberTokenFileName))
	// A registration in progress (its request file is there) is left
	// alone.
	os.WriteFile(filepath.Join(state, "registration.request"), nil, 0o600)
	if out, err := run(renew); err != nil || !strings.Contains(out, "registration is in progress") {
		t.Fatalf("renew during a registration: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(state, "registration.request"))
	now.Add(int64(30 * time.Second))
	if out, err := run(renew); err != nil || out != "" {
		t.Fatalf("renew: %v, output %q (want none)", err, out)
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 1 || !ms[0].RenewedAt.Equal(clock().UTC()) {
		t.Fatalf("after the renewal: %+v, %v", ms, err)
	}
	// 91 s of silence: evicted (one member: within the tolerance).
	now.Add(int64(91 * time.Second))
	if res, err := svc.Store.Sweep(ctx, store.SweepOptions{}); err != nil || len(res.Evicted) != 1 {
		t.Fatalf("sweep: %+v, %v", res, err)
	}
	// The stop hook is not active (the instance is shutting down): the
	// renewal does not bring it back.
	os.Remove(active)
	if out, err := run(renew); err != nil || !strings.Contains(out, "not registering again") {
		t.Fatalf("renew after eviction, stop hook inactive: %v\n%s", err, out)
	}
	if ms, _ := svc.Client.Members(ctx, "web"); len(ms) != 0 {
		t.Fatalf("registered again with the stop hook inactive: %+v", ms)
	}
	os.WriteFile(active, nil, 0o644)
	out, err := run(renew)
	if err != nil || !strings.Contains(out, "registering again") || !strings.Contains(out, "registered i-0abc123 in cluster web (HTTP 201)") {
		t.Fatalf("renew after eviction: %v\n%s", err, out)
	}
	if strings.Contains(out, strings.TrimSpace(string(token))) || strings.Contains(out, "udkm_") || strings.Contains(out, svc.Join) {
		t.Fatalf("the output holds a token:\n%s", out)
	}
	if again, _ := os.ReadFile(filepath.Join(state, registry.MemberTokenFileName)); !bytes.Equal(again, token) {
		t.Fatal("the member token changed: the evicted id is bound to the kept one")
	}
	// An unreachable registry: one bounded attempt, a failure.
	spec.URL = "http://127.0.0.1:1"
	renew, _ = registry.RenewScript(spec)
	if out, err := run(renew); err == nil || !strings.Contains(out, "renewing the lease of i-0abc123 failed") {
		t.Fatalf("renew with no registry: %v\n%s", err, out)
	}
}
