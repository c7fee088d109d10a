package registry_test

import (
	"bytes"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
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
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

var scriptCases = []struct {
	name string
	spec registry.ScriptSpec
}{
	{"https-ca", registry.ScriptSpec{
		URL:           "https://registry.internal:8180",
		Cluster:       "web",
		JoinTokenFile: "/etc/udkit/join-token",
		CAFile:        "/etc/udkit/registry-ca.pem",
		Labels:        map[string]string{"role": "app", "owner": "team's \"ops\""},
	}},
	{"http-defaults", registry.ScriptSpec{
		URL:              "http://127.0.0.1:8180/",
		Cluster:          "db",
		JoinTokenFile:    "/mnt/shared/udkit/join token",
		StateDir:         "/var/lib/udkit-db",
		RegisterAttempts: 3, RegisterMaxTime: 5 * time.Second, DeregisterMaxTime: 15 * time.Second,
	}},
}

func TestScriptsGolden(t *testing.T) {
	for _, tc := range scriptCases {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := registry.RegisterScript(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			dereg, err := registry.DeregisterScript(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, "testdata/register-"+tc.name+".sh.golden", reg)
			golden.Assert(t, "testdata/deregister-"+tc.name+".sh.golden", dereg)
			again, _ := registry.RegisterScript(tc.spec)
			if !bytes.Equal(reg, again) {
				t.Error("same spec, different register script")
			}
		})
	}
}

func shellcheck(t *testing.T, script []byte) (string, error) {
	t.Helper()
	sc := realtools.Require(t, "shellcheck")
	cmd := exec.Command(sc, "--shell=sh", "--severity=style", "-")
	cmd.Stdin = bytes.NewReader(script)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestScriptsShellcheckClean(t *testing.T) {
	// The checker must discriminate: a script with an unquoted expansion
	// fails.
	if out, err := shellcheck(t, []byte("#!/bin/sh\nrm -rf $1/data\n")); err == nil {
		t.Fatalf("shellcheck passed a known-bad script: %s", out)
	}
	for _, tc := range scriptCases {
		for kind, gen := range map[string]func(registry.ScriptSpec) ([]byte, error){"register": registry.RegisterScript, "deregister": registry.DeregisterScript} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				script, err := gen(tc.spec)
				if err != nil {
					t.Fatal(err)
				}
				if out, err := shellcheck(t, script); err != nil {
					t.Fatalf("shellcheck: %v\n%s", err, out)
				}
				if out, err := exec.Command("sh", "-n", "-c", string(script)).CombinedOutput(); err != nil {
					t.Fatalf("sh -n: %v\n%s", err, out)
				}
			})
		}
	}
}

func TestScriptSpecErrors(t *testing.T) {
	ok := registry.ScriptSpec{URL: "https://r.example:8180", Cluster: "web", JoinTokenFile: "/etc/udkit/join-token"}
	tests := []struct {
		name   string
		mutate func(*registry.ScriptSpec)
		want   string
	}{
		{"no url", func(s *registry.ScriptSpec) { s.URL = "" }, "URL: required"},
		{"ftp url", func(s *registry.ScriptSpec) { s.URL = "ftp://r.example" }, "want http(s)://"},
		{"url with query", func(s *registry.ScriptSpec) { s.URL = "https://r.example/?x=1" }, "without user, query"},
		{"url with quote", func(s *registry.ScriptSpec) { s.URL = "https://r.example/a'b" }, "must not contain quotes"},
		{"url with dollar", func(s *registry.ScriptSpec) { s.URL = "https://r.example/$(reboot)" }, "must not contain"},
		{"bad cluster", func(s *registry.ScriptSpec) { s.Cluster = "Web Servers" }, `cluster "Web Servers"`},
		{"no join token file", func(s *registry.ScriptSpec) { s.JoinTokenFile = "" }, "JoinTokenFile: required"},
		{"relative join token file", func(s *registry.ScriptSpec) { s.JoinTokenFile = "join-token" }, "JoinTokenFile"},
		{"newline in CA path", func(s *registry.ScriptSpec) { s.CAFile = "/etc/ca\n.pem" }, "CAFile"},
		{"CA with http", func(s *registry.ScriptSpec) { s.URL = "http://r.example"; s.CAFile = "/etc/ca.pem" }, "not https"},
		{"state under tmp", func(s *registry.ScriptSpec) { s.StateDir = "/tmp/udkit" }, "not under /tmp"},
		{"bad label", func(s *registry.ScriptSpec) { s.Labels = map[string]string{"a b": "c"} }, "labels key"},
		{"attempts", func(s *registry.ScriptSpec) { s.RegisterAttempts = 1000 }, "RegisterAttempts 1000"},
		{"fractional max time", func(s *registry.ScriptSpec) { s.DeregisterMaxTime = 1500 * time.Millisecond }, "DeregisterMaxTime 1.5s"},
		// Issue 16 item 11: curl expands {a,b} and [1-2] into several
		// requests.
		{"url with braces", func(s *registry.ScriptSpec) { s.URL = "https://r.example/{a,b}" }, "must not contain {, }, [ or ]"},
		{"url with brackets in path", func(s *registry.ScriptSpec) { s.URL = "https://r.example/v[1-2]" }, "must not contain {, }, [ or ]"},
		{"url with a bracketed non-address", func(s *registry.ScriptSpec) { s.URL = "https://[r.example]:8180" }, "invalid host"},
		{"all problems at once", func(s *registry.ScriptSpec) { s.URL = ""; s.Cluster = "" }, "URL: required (e.g. https://registry.internal:8180); cluster"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.mutate(&s)
			_, err1 := registry.RegisterScript(s)
			_, err2 := registry.DeregisterScript(s)
			for _, err := range []error{err1, err2} {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "registry: script spec: ") {
					t.Fatalf("got %v, want an error containing %q", err, tc.want)
				}
			}
		})
	}
	if _, err := registry.RegisterScript(ok); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
}

// TestScriptsAgainstRegistry runs the generated scripts with the real sh
// and curl against a registry on a real dqlite node. Only cloud-init is
// stood in for, by a script on PATH that answers `cloud-init query` as a
// booted instance would, since this host did not boot through cloud-init.
func TestScriptsAgainstRegistry(t *testing.T) {
	realtools.Require(t, "curl")
	realtools.Require(t, "sh")
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	stub := "#!/bin/sh\ncase \"$2\" in\nv1.instance_id) echo i-0abc123 ;;\nv1.local_hostname) echo ip-10-0-0-7 ;;\n*) exit 1 ;;\nesac\n"
	if err := os.WriteFile(filepath.Join(bin, "cloud-init"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	joinFile := filepath.Join(dir, "join-token")
	if err := os.WriteFile(joinFile, []byte(svc.Join+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The state directory may not be under /tmp (cleaned at boot), where
	// t.TempDir lives.
	varTmp, err := os.MkdirTemp("/var/tmp", "udkit-script-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	state := filepath.Join(varTmp, "state")
	spec := registry.ScriptSpec{URL: svc.Srv.URL, Cluster: "web", JoinTokenFile: joinFile, StateDir: state,
		Labels: map[string]string{"role": "app"}, RegisterAttempts: 2, RegisterMaxTime: 5 * time.Second, DeregisterMaxTime: 5 * time.Second}
	reg, err := registry.RegisterScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	dereg, err := registry.DeregisterScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	runScript := func(script []byte) (string, error) {
		cmd := exec.Command("sh", "-c", string(script))
		cmd.Env = []string{"PATH=" + bin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// Deregistering before registering is a no-op.
	if out, err := runScript(dereg); err != nil || !strings.Contains(out, "never registered") {
		t.Fatalf("deregister before register: %v\n%s", err, out)
	}
	out, err := runScript(reg)
	if err != nil || !strings.Contains(out, "registered i-0abc123 in cluster web (HTTP 201)") {
		t.Fatalf("register: %v\n%s", err, out)
	}
	fi, err := os.Stat(filepath.Join(state, registry.MemberTokenFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("member token file: %v, %v", fi, err)
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state dir: %v", err)
	}
	// Run again (a retried launch): same member, 200.
	if out, err := runScript(reg); err != nil || !strings.Contains(out, "(HTTP 200)") {
		t.Fatalf("second register: %v\n%s", err, out)
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 1 || ms[0].InstanceID != "i-0abc123" || ms[0].Address != "ip-10-0-0-7" || ms[0].Labels["role"] != "app" {
		t.Fatalf("members: %+v, %v", ms, err)
	}
	if out, err := runScript(dereg); err != nil || !strings.Contains(out, "deregistered i-0abc123 from cluster web (HTTP 200)") {
		t.Fatalf("deregister: %v\n%s", err, out)
	}
	if ms, err := svc.Client.Members(ctx, "web"); err != nil || len(ms) != 0 {
		t.Fatalf("members after deregister: %+v, %v", ms, err)
	}
	// Issue 16 item 12: the registry answers {"deregistered":false} (the
	// member is gone already); the script says so instead of claiming a
	// deregistration.
	if out, err := runScript(dereg); err != nil || strings.Contains(out, "deregistered i-0abc123 from") ||
		!strings.Contains(out, "holds no member i-0abc123 in cluster web for this member token") {
		t.Fatalf("deregister an absent member: %v\n%s", err, out)
	}
	memberToken, err := os.ReadFile(filepath.Join(state, registry.MemberTokenFileName))
	if err != nil {
		t.Fatal(err)
	}
	// The threat by design of issue 16: a join-token holder tries to take
	// the id the instance released at shutdown. It stays the instance's:
	// the next boot's registration, with the kept token, gets it back.
	if _, err := svc.Client.WithToken(svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-0abc123", MemberToken: mustToken(t, registry.MemberTokenPrefix)}); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("a join-token holder takes the released id: %v, want 409", err)
	}
	if out, err := runScript(reg); err != nil || !strings.Contains(out, "registered i-0abc123 in cluster web (HTTP 201)") {
		t.Fatalf("register at the next boot: %v\n%s", err, out)
	}
	// A wrong join token is refused at once, not retried.
	os.WriteFile(joinFile, []byte(mustToken(t, registry.JoinTokenPrefix)+"\n"), 0o600)
	// The script may make 2 attempts; a 403 must stop it after the first.
	if out, err := runScript(reg); err == nil || !strings.Contains(out, "refused i-0abc123 (HTTP 403)") {
		t.Fatalf("register with a wrong join token: %v\n%s", err, out)
	} else if strings.Contains(out, "retrying") || strings.Contains(out, "giving up") || strings.Count(out, "udkit-register:") != 1 {
		t.Errorf("a refused registration was retried:\n%s", out)
	} else {
		// Issue 16 item 12: the refusal reports what the registry said
		// this time, not the earlier registration.json, which holds the
		// member token.
		if !strings.Contains(out, "the join token is not valid for cluster") {
			t.Errorf("the refusal does not report the registry's answer:\n%s", out)
		}
		if strings.Contains(out, strings.TrimSpace(string(memberToken))) || strings.Contains(out, "udkm_") {
			t.Errorf("the refusal logs the member token:\n%s", out)
		}
		if b, err := os.ReadFile(filepath.Join(state, "registration.json")); err != nil || !strings.Contains(string(b), `"instance_id":"i-0abc123"`) {
			t.Errorf("registration.json is not the last successful answer: %s, %v", b, err)
		}
	}
	// An unreachable registry: bounded attempts, then failure.
	spec.URL = "http://127.0.0.1:1"
	reg, _ = registry.RegisterScript(spec)
	if out, err := runScript(reg); err == nil || !strings.Contains(out, "giving up after 2 attempts") {
		t.Fatalf("register with no registry: %v\n%s", err, out)
	}
	dereg, _ = registry.DeregisterScript(spec)
	if out, err := runScript(dereg); err == nil || !strings.Contains(out, "deregistering i-0abc123 failed") {
		t.Fatalf("deregister with no registry: %v\n%s", err, out)
	}
}

// TestScriptsOverHTTPSWithCA runs the scripts against a registry served
// over HTTPS with a private CA: curl must trust exactly that CA.
func TestScriptsOverHTTPSWithCA(t *testing.T) {
	realtools.Require(t, "curl")
	node := nodetest.Start(t)
	st := openStore(t, node.DB(), store.Options{})
	srv := httptest.NewTLSServer(api.NewHandler(st, nil))
	t.Cleanup(srv.Close)
	ctx := ctxT(t)
	jt, err := st.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "cloud-init"), []byte("#!/bin/sh\n[ \"$2\" = v1.instance_id ] && echo i-tls || exit 1\n"), 0o755)
	joinFile := filepath.Join(dir, "join-token")
	os.WriteFile(joinFile, []byte(jt.Token+"\n"), 0o600)
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	varTmp, err := os.MkdirTemp("/var/tmp", "udkit-script-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	spec := registry.ScriptSpec{URL: srv.URL, Cluster: "web", JoinTokenFile: joinFile, CAFile: caFile, StateDir: varTmp,
		RegisterAttempts: 1, RegisterMaxTime: 5 * time.Second, DeregisterMaxTime: 5 * time.Second}
	run := func(spec registry.ScriptSpec, gen func(registry.ScriptSpec) ([]byte, error)) (string, error) {
		script, err := gen(spec)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", string(script))
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// Without the CA, curl refuses the server: the check discriminates.
	noCA := spec
	noCA.CAFile = ""
	if out, err := run(noCA, registry.RegisterScript); err == nil || !strings.Contains(out, "certificate") {
		t.Fatalf("over HTTPS without trusting the CA: %v\n%s", err, out)
	}
	if out, err := run(spec, registry.RegisterScript); err != nil || !strings.Contains(out, "registered i-tls") {
		t.Fatalf("register over HTTPS: %v\n%s", err, out)
	}
	if out, err := run(spec, registry.DeregisterScript); err != nil || !strings.Contains(out, "deregistered i-tls") {
		t.Fatalf("deregister over HTTPS: %v\n%s", err, out)
	}
}

func TestScriptTimeouts(t *testing.T) {
	tests := []struct {
		name       string
		spec       registry.ScriptSpec
		reg, dereg time.Duration
	}{
		{"defaults", registry.ScriptSpec{}, 280 * time.Second, 20 * time.Second},
		{"one attempt", registry.ScriptSpec{RegisterAttempts: 1, RegisterMaxTime: 7 * time.Second, DeregisterMaxTime: 9 * time.Second}, 7 * time.Second, 9 * time.Second},
		{"three attempts", registry.ScriptSpec{RegisterAttempts: 3, RegisterMaxTime: 5 * time.Second}, 15*time.Second + 6*time.Second, 20 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.spec.RegisterTimeout(); got != tc.reg {
				t.Errorf("RegisterTimeout = %v, want %v", got, tc.reg)
			}
			if got := tc.spec.DeregisterTimeout(); got != tc.dereg {
				t.Errorf("DeregisterTimeout = %v, want %v", got, tc.dereg)
			}
		})
	}
}

// TestScriptsClonedInstance: an image baked from a registered instance
// carries its state directory (member token and instance id) to every
// clone. A clone must register with a token of its own, and its deregister
// script must neither use the original's id nor its token.
func TestScriptsClonedInstance(t *testing.T) {
	realtools.Require(t, "curl")
	realtools.Require(t, "sh")
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	// Stands in for cloud-init query only; the id comes from the test.
	stub := "#!/bin/sh\n[ \"$2\" = v1.instance_id ] && echo \"$TEST_INSTANCE_ID\" || exit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "cloud-init"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	joinFile := filepath.Join(dir, "join-token")
	os.WriteFile(joinFile, []byte(svc.Join+"\n"), 0o600)
	varTmp, err := os.MkdirTemp("/var/tmp", "udkit-script-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	state := filepath.Join(varTmp, "state")
	spec := registry.ScriptSpec{URL: svc.Srv.URL, Cluster: "web", JoinTokenFile: joinFile, StateDir: state,
		RegisterAttempts: 1, RegisterMaxTime: 5 * time.Second, DeregisterMaxTime: 5 * time.Second}
	reg, err := registry.RegisterScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	dereg, err := registry.DeregisterScript(spec)
	if err != nil {
		t.Fatal(err)
	}
	run := func(script []byte, instanceID string) (string, error) {
		cmd := exec.Command("sh", "-c", string(script))
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "TEST_INSTANCE_ID=" + instanceID}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	members := func() []string {
		ms, err := svc.Client.Members(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.InstanceID)
		}
		return ids
	}
	readToken := func() string {
		b, err := os.ReadFile(filepath.Join(state, registry.MemberTokenFileName))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}

	if out, err := run(reg, "i-original"); err != nil || !strings.Contains(out, "(HTTP 201)") {
		t.Fatalf("register the original: %v\n%s", err, out)
	}
	originalToken := readToken()
	// The image is baked now: the clone boots with the same state
	// directory. Before it registers, its stop hook must not touch the
	// original.
	if out, err := run(dereg, "i-clone"); err != nil || !strings.Contains(out, "never registered") {
		t.Fatalf("deregister on a clone that has not registered: %v\n%s", err, out)
	}
	if got := members(); len(got) != 1 || got[0] != "i-original" {
		t.Fatalf("members after the clone's stop hook: %v, want [i-original]", got)
	}
	if out, err := run(reg, "i-clone"); err != nil || !strings.Contains(out, "registered i-clone in cluster web (HTTP 201)") {
		t.Fatalf("register the clone: %v\n%s", err, out)
	}
	if tok := readToken(); tok == originalToken {
		t.Fatal("the clone registered with the original's member token")
	}
	if got := members(); len(got) != 2 {
		t.Fatalf("members: %v, want the original and the clone", got)
	}
	// The clone's token does not remove the original, and its stop hook
	// removes itself only.
	if r, err := svc.Client.WithToken(readToken()).Deregister(ctx, "web", "i-original"); err != nil || r.Deregistered {
		t.Fatalf("the clone's token deregistering the original: got %+v, %v, want not deregistered", r, err)
	}
	if out, err := run(dereg, "i-clone"); err != nil || !strings.Contains(out, "deregistered i-clone") {
		t.Fatalf("deregister the clone: %v\n%s", err, out)
	}
	if got := members(); len(got) != 1 || got[0] != "i-original" {
		t.Fatalf("members after the clone's deregistration: %v, want [i-original]", got)
	}
	// A reboot of the same instance keeps its token (a repeat, 200).
	if out, err := run(reg, "i-clone"); err != nil || !strings.Contains(out, "(HTTP 201)") {
		t.Fatalf("register the clone again: %v\n%s", err, out)
	}
	tok := readToken()
	if out, err := run(reg, "i-clone"); err != nil || !strings.Contains(out, "(HTTP 200)") || readToken() != tok {
		t.Fatalf("register the clone a second time: %v\n%s", err, out)
	}
}

// TestDeregisterScriptInstanceIDFallback: when `cloud-init query` fails at
// shutdown, the deregister script takes this boot's id from cloud-init's
// /run/cloud-init/.instance-id, and with neither it removes no one. /run is
// a private tmpfs in a mount namespace (unshare), so the host's is left
// alone.
func TestDeregisterScriptInstanceIDFallback(t *testing.T) {
	realtools.Require(t, "curl")
	unshare := realtools.Require(t, "unshare")
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	// Answers the query while TEST_INSTANCE_ID is set, fails otherwise.
	stub := "#!/bin/sh\n[ -n \"${TEST_INSTANCE_ID:-}\" ] && [ \"$2\" = v1.instance_id ] && echo \"$TEST_INSTANCE_ID\" || exit 1\n"
	os.WriteFile(filepath.Join(bin, "cloud-init"), []byte(stub), 0o755)
	joinFile := filepath.Join(dir, "join-token")
	os.WriteFile(joinFile, []byte(svc.Join+"\n"), 0o600)
	varTmp, err := os.MkdirTemp("/var/tmp", "udkit-script-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	spec := registry.ScriptSpec{URL: svc.Srv.URL, Cluster: "web", JoinTokenFile: joinFile, StateDir: filepath.Join(varTmp, "state"),
		RegisterAttempts: 1, RegisterMaxTime: 5 * time.Second, DeregisterMaxTime: 5 * time.Second}
	reg, _ := registry.RegisterScript(spec)
	dereg, _ := registry.DeregisterScript(spec)
	scriptFile := filepath.Join(dir, "deregister")
	os.WriteFile(scriptFile, dereg, 0o755)
	env := []string{"PATH=" + bin + ":/usr/bin:/bin"}
	cmd := exec.Command("sh", "-c", string(reg))
	cmd.Env = append(env, "TEST_INSTANCE_ID=i-fallback")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("register: %v\n%s", err, out)
	}
	// runWithRun runs the deregister script with a fresh /run that holds
	// .instance-id = runID (none if empty).
	runWithRun := func(runID string) (string, error) {
		setup := "mount -t tmpfs udkit-test-run /run && mkdir -p /run/cloud-init"
		if runID != "" {
			setup += " && printf '%s\\n' " + runID + " >/run/cloud-init/.instance-id"
		}
		cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c", setup+" && exec sh "+scriptFile)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := runWithRun("")
	if err == nil || !strings.Contains(out, "/run/cloud-init/.instance-id is unreadable") {
		t.Fatalf("deregister with no instance id at all: %v\n%s", err, out)
	}
	if ms, err := svc.Client.Members(ctx, "web"); err != nil || len(ms) != 1 {
		t.Fatalf("members: %+v, %v", ms, err)
	}
	if out, err := runWithRun("i-fallback"); err != nil || !strings.Contains(out, "deregistered i-fallback") {
		t.Fatalf("deregister with the id from /run: %v\n%s", err, out)
	}
	if ms, err := svc.Client.Members(ctx, "web"); err != nil || len(ms) != 0 {
		t.Fatalf("members after deregister: %+v, %v", ms, err)
	}
}

// TestScriptsGlobOffAndArgv runs the scripts against a registry on the
// IPv6 loopback, so that the URL holds [ and ] (issue 16 item 11): with
// --globoff curl takes them literally and sends exactly one request per
// attempt. A curl shim on PATH records curl's arguments: no token, join
// or member, is ever on a command line, where any local user can read it.
func TestScriptsGlobOffAndArgv(t *testing.T) {
	realtools.Require(t, "curl")
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	svc := newService(t, nil, store.Options{})
	var requests atomic.Int64
	h := api.NewHandler(svc.Store, nil)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "cloud-init"), []byte("#!/bin/sh\n[ \"$2\" = v1.instance_id ] && echo i-v6 || exit 1\n"), 0o755)
	argv := filepath.Join(dir, "argv")
	os.WriteFile(filepath.Join(bin, "curl"), []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" >>"+argv+"\nexec "+curl+" \"$@\"\n"), 0o755)
	joinFile := filepath.Join(dir, "join-token")
	os.WriteFile(joinFile, []byte(svc.Join+"\n"), 0o600)
	varTmp, err := os.MkdirTemp("/var/tmp", "udkit-script-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(varTmp) })
	spec := registry.ScriptSpec{URL: "http://" + ln.Addr().String() + "/", Cluster: "web", JoinTokenFile: joinFile, StateDir: varTmp,
		RegisterAttempts: 1, RegisterMaxTime: 5 * time.Second, DeregisterMaxTime: 5 * time.Second}
	if !strings.Contains(spec.URL, "[::1]") {
		t.Fatalf("URL %s has no brackets", spec.URL)
	}
	for _, step := range []struct {
		gen  func(registry.ScriptSpec) ([]byte, error)
		want string
	}{{registry.RegisterScript, "registered i-v6 in cluster web (HTTP 201)"}, {registry.DeregisterScript, "deregistered i-v6 from cluster web"}} {
		script, err := step.gen(spec)
		if err != nil {
			t.Fatal(err)
		}
		before := requests.Load()
		cmd := exec.Command("sh", "-c", string(script))
		cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), step.want) {
			t.Fatalf("%v\n%s", err, out)
		}
		if n := requests.Load() - before; n != 1 {
			t.Errorf("%d requests for one attempt, want 1", n)
		}
	}
	args, err := os.ReadFile(argv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(args), "udkj_") || strings.Contains(string(args), "udkm_") {
		t.Errorf("a token on curl's command line:\n%s", args)
	}
	if strings.Count(string(args), "--globoff") != 2 {
		t.Errorf("curl ran without --globoff:\n%s", args)
	}
}
