package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// binary is udkitd built for the tests; udkitBinary is the pure-Go udkit
// CLI (CGO_ENABLED=0), whose `members` command is tested against it.
var binary, udkitBinary string

func TestMain(m *testing.M) {
	if url := os.Getenv("UDKITD_FLOOD_URL"); url != "" {
		floodChild(url) // this binary as the flood of flood_test.go
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "udkitd-test-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "udkitd")
	cmd := exec.Command("go", "build", "-tags", "libsqlite3", "-o", binary, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		panic("build udkitd: " + err.Error())
	}
	udkitBinary = filepath.Join(dir, "udkit")
	cmd = exec.Command("go", "build", "-o", udkitBinary, "../udkit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		panic("build udkit: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address whose port was free a moment ago.
// Another process may take it before udkitd binds it: start daemons with
// startFresh, which retries on a new port when that happens.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// bindFailedRE matches udkitd's error when its dqlite address is taken
// (go-dqlite reports it as "failed to set bind address").
var bindFailedRE = regexp.MustCompile(`failed to set bind address|address already in use`)

// startFresh starts `udkitd serve` with the arguments args builds for a
// dqlite address from pick and a fresh data directory. dqlite needs a
// fixed address (it is advertised to the other nodes and kept across
// restarts), so udkitd cannot bind :0 for it; instead, if the port was
// taken between pick and the bind, udkitd exits before it is ready and
// startFresh tries again with a new address and data directory, up to 5
// times. It returns the daemon, its dqlite address and its data directory.
func startFresh(t testing.TB, pick func(testing.TB) string, args func(dq, data string) []string) (*daemon, string, string) {
	t.Helper()
	var logs []string
	for attempt := 0; attempt < 5; attempt++ {
		dq, data := pick(t), t.TempDir()
		d, err := tryStartDaemon(t, args(dq, data)...)
		if err == nil {
			return d, dq, data
		}
		if !bindFailedRE.MatchString(d.logs()) {
			t.Fatalf("%v\n%s", err, d.logs())
		}
		logs = append(logs, d.logs())
	}
	t.Fatalf("udkitd could not bind a dqlite address in 5 attempts:\n%s", strings.Join(logs, "\n"))
	return nil, "", ""
}

// daemon is a udkitd serve process.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	log  bytes.Buffer
	done chan error
}

var readyRE = regexp.MustCompile(`msg=ready url=(\S+)|"msg":"ready","url":"([^"]+)"`)

// startDaemon runs `udkitd serve` with args and waits for it to be ready.
func startDaemon(t testing.TB, args ...string) *daemon {
	t.Helper()
	d, err := tryStartDaemon(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, d.logs())
	}
	return d
}

// tryStartDaemon runs `udkitd serve` with args and waits for it to be
// ready; the error says why it is not (its log is in d.logs()).
func tryStartDaemon(t testing.TB, args ...string) (*daemon, error) {
	t.Helper()
	d := &daemon{cmd: exec.Command(binary, append([]string{"serve"}, args...)...), done: make(chan error, 1)}
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.mu.Lock()
			d.log.WriteString(sc.Text() + "\n")
			d.mu.Unlock()
			if m := readyRE.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1] + m[2]
			}
		}
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	select {
	case d.url = <-ready:
		return d, nil
	case err := <-d.done:
		return d, fmt.Errorf("udkitd exited before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		return d, errors.New("udkitd not ready after 60s")
	}
}

func (d *daemon) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

// stop sends SIGTERM and checks the process exits 0 after a clean
// shutdown.
func (d *daemon) stop(t testing.TB) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("udkitd after SIGTERM: %v\n%s", err, d.logs())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("udkitd did not stop within 60s of SIGTERM:\n%s", d.logs())
	}
	for _, want := range []string{"draining HTTP requests", "dqlite node stopped after handover"} {
		if !strings.Contains(d.logs(), want) {
			t.Errorf("shutdown log lacks %q:\n%s", want, d.logs())
		}
	}
}

func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestServeTokensSigtermRestart(t *testing.T) {
	d, dq, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	fi, err := os.Stat(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.token mode %v, want 0600", fi.Mode().Perm())
	}
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d.url, "--data", data)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errs)
	}
	join := strings.TrimSpace(out)
	if k, err := registry.ParseToken(join); err != nil || k != registry.KindJoin {
		t.Fatalf("token create printed %q", out)
	}
	code, out, errs = runCLI(t, "token", "list", "--cluster", "web", "--url", d.url, "--data", data)
	if code != 0 || len(strings.Fields(out)) != 2 {
		t.Fatalf("token list: %d %q %s", code, out, errs)
	}
	// A bad live set names the line.
	badLive := filepath.Join(t.TempDir(), "live")
	os.WriteFile(badLive, []byte("i-1\nnot an id\n"), 0o600)
	if code, _, errs := runCLI(t, "reconcile", "--cluster", "web", "--url", d.url, "--data", data, "--live", badLive, "--registered-before", "2030-01-01T00:00:00Z"); code != exitUsage || !strings.Contains(errs, "line 2: instance_id") {
		t.Fatalf("reconcile with a bad live set: %d %s", code, errs)
	}
	id := strings.Fields(out)[0]

	ctx := context.Background()
	c, err := client.New(d.url, join, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range []string{"i-1", "i-2"} {
		if _, err := c.Register(ctx, "web", registry.RegisterRequest{InstanceID: inst}); err != nil {
			t.Fatal(err)
		}
	}
	d.stop(t)

	d = startDaemon(t, "--data", data, "--http", "127.0.0.1:0", "--dqlite", dq)
	admin, err := registry.ReadTokenFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := client.New(d.url, admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := ac.Members(ctx, "web")
	if err != nil || len(ms) != 2 {
		t.Fatalf("members after restart: %+v, %v", ms, err)
	}
	// The pure-Go CLI lists them through the HTTP API.
	out2, err := exec.Command(udkitBinary, "members", "--url", d.url, "--token-file", filepath.Join(data, "admin.token"), "web").CombinedOutput()
	if err != nil || !strings.Contains(string(out2), "\ni-1 ") || !strings.Contains(string(out2), "\ni-2 ") || !strings.Contains(string(out2), "2 member(s)") {
		t.Fatalf("udkit members: %v\n%s", err, out2)
	}
	cmd := exec.Command(udkitBinary, "members", "--json")
	cmd.Env = append(os.Environ(), "UDKIT_REGISTRY_URL="+d.url, "UDKIT_REGISTRY_TOKEN_FILE="+filepath.Join(data, "admin.token"))
	out2, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out2), `"cluster": "web"`) || !strings.Contains(string(out2), `"members": 2`) {
		t.Fatalf("udkit members --json (clusters): %v\n%s", err, out2)
	}
	// Reconcile: i-2's instance is gone without deregistering.
	snapshot := time.Now().UTC().Format(time.RFC3339Nano) // taken before asking the cloud
	live := filepath.Join(t.TempDir(), "live")
	os.WriteFile(live, []byte("# from the cloud's API\ni-1\n\n"), 0o600)
	code, out, errs = runCLI(t, "reconcile", "--cluster", "web", "--url", d.url, "--data", data, "--live", live, "--registered-before", snapshot)
	if code != 0 || out != "i-2\n" {
		t.Fatalf("reconcile: %d %q %s", code, out, errs)
	}
	// A live set taken from an empty file (a failed cloud query) removes
	// no one: refused before it reaches the registry.
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("# the cloud query printed nothing\n"), 0o600)
	if code, out, errs := runCLI(t, "reconcile", "--cluster", "web", "--url", d.url, "--data", data, "--live", empty, "--registered-before", snapshot); code != exitUsage || out != "" || !strings.Contains(errs, "--allow-empty") {
		t.Fatalf("reconcile with an empty live set: %d %q %s", code, out, errs)
	}
	// A time in the future would remove members registered after the
	// live set was taken: the registry refuses it.
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if code, out, errs := runCLI(t, "reconcile", "--cluster", "web", "--url", d.url, "--data", data, "--live", live, "--registered-before", future); code != exitFail || out != "" || !strings.Contains(errs, "later than the registry's clock") {
		t.Fatalf("reconcile with a future time: %d %q %s", code, out, errs)
	}
	if ms, err := ac.Members(ctx, "web"); err != nil || len(ms) != 1 || ms[0].InstanceID != "i-1" {
		t.Fatalf("members after refused reconciles: %+v, %v", ms, err)
	}
	// A member registered after the live set was taken stays.
	code, out, errs = runCLI(t, "reconcile", "--cluster", "web", "--url", d.url, "--data", data, "--live", live, "--registered-before", "2000-01-01T00:00:00Z")
	if code != 0 || out != "" {
		t.Fatalf("reconcile with an old snapshot: %d %q %s", code, out, errs)
	}
	if ms, err := ac.Members(ctx, "web"); err != nil || len(ms) != 1 || ms[0].InstanceID != "i-1" {
		t.Fatalf("members after reconcile: %+v, %v", ms, err)
	}
	code, _, errs = runCLI(t, "token", "revoke", "--cluster", "web", "--url", d.url, "--data", data, id)
	if code != 0 {
		t.Fatalf("token revoke: %d %s", code, errs)
	}
	code, _, errs = runCLI(t, "token", "revoke", "--cluster", "web", "--url", d.url, "--data", data, id)
	if code != exitFail || !strings.Contains(errs, "already revoked") {
		t.Fatalf("second revoke: %d %s", code, errs)
	}
	c, _ = client.New(d.url, join, nil)
	if _, err := c.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-3"}); !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("register with the revoked join token: %v", err)
	}
	d.stop(t)
}

func TestServeJoin(t *testing.T) {
	d1, dq1, first := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq, "--network-latency", "20ms"}
	})
	d2, _, _ := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq, "--join", dq1, "--network-latency", "20ms"}
	})
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d2.url, "--data", first)
	if code != 0 {
		t.Fatalf("token create through the joined node: %d %s", code, errs)
	}
	ctx := context.Background()
	c, _ := client.New(d2.url, strings.TrimSpace(out), nil)
	if _, err := c.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	admin, err := registry.ReadTokenFile(filepath.Join(first, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	ac, _ := client.New(d1.url, admin, nil)
	ms, err := ac.Members(ctx, "web")
	if err != nil || len(ms) != 1 || ms[0].InstanceID != "i-1" {
		t.Fatalf("members seen from the first node: %+v, %v", ms, err)
	}
	d2.stop(t)
	d1.stop(t)
}

func TestServeFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no data", []string{"serve"}, "--data DIR is required"},
		{"public http without tls", []string{"serve", "--data", "x", "--http", "192.0.2.1:8180"}, "not loopback"},
		// Issue 16 item 8: a join to another host in clear was retried
		// forever instead of refused.
		{"public join without tls", []string{"serve", "--data", "x", "--join", "127.0.0.1:9181, 192.0.2.1:9180"}, `--join "192.0.2.1:9180" is not loopback`},
		{"join host name without tls", []string{"serve", "--data", "x", "--join", "db.internal:9180"}, "no authentication"},
		{"bad join addr", []string{"serve", "--data", "x", "--join", "nope"}, "use host:port"},
		{"zero conns per client", []string{"serve", "--data", "x", "--max-conns-per-client", "0"}, "--max-conns-per-client must be 1 or more, or -1"},
		{"zero conns", []string{"serve", "--data", "x", "--max-conns", "0"}, "--max-conns must be 1 or more"},
		{"zero watchers", []string{"serve", "--data", "x", "--max-watchers", "0"}, "--max-watchers must be 1 or more"},
		{"zero change window", []string{"serve", "--data", "x", "--change-window", "0"}, "--change-window must be 1 or more"},
		{"bad log format", []string{"serve", "--data", "x", "--log-format", "xml"}, "want text or json"},
		{"bad http addr", []string{"serve", "--data", "x", "--http", "nope"}, "use host:port"},
		{"half http tls", []string{"serve", "--data", "x", "--http-cert", "c.pem"}, "go together"},
		{"half dqlite tls", []string{"serve", "--data", "x", "--tls-cert", "c.pem"}, "go together"},
		{"stray argument", []string{"serve", "--data", "x", "extra"}, `unexpected argument "extra"`},
		{"unknown command", []string{"frob"}, `unknown command "frob"`},
		{"token without cluster", []string{"token", "list", "--data", "x"}, "--cluster NAME is required"},
		{"token without admin token", []string{"token", "list", "--cluster", "web"}, "--admin-token-file"},
		{"token unknown sub", []string{"token", "mint"}, `unknown subcommand "mint"`},
		{"revoke without id", []string{"token", "revoke", "--cluster", "web", "--data", "x"}, "want 1 argument"},
		{"reconcile without live set", []string{"reconcile", "--cluster", "web", "--data", "x"}, "--live FILE are required"},
		{"reconcile bad time", []string{"reconcile", "--cluster", "web", "--live", "-", "--registered-before", "yesterday"}, "want RFC 3339"},
		{"reconcile missing file", []string{"reconcile", "--cluster", "web", "--live", "/nonexistent/live", "--registered-before", "2030-01-01T00:00:00Z"}, "no such file"},
		{"reconcile without registered-before", []string{"reconcile", "--cluster", "web", "--live", "/nonexistent/live"}, "--registered-before TIME is required"},
		{"reconcile stdin without registered-before", []string{"reconcile", "--cluster", "web", "--live", "-"}, "--registered-before TIME is required"},
		{"reconcile empty live set", []string{"reconcile", "--cluster", "web", "--live", "-", "--registered-before", "2030-01-01T00:00:00Z"}, "holds no instance id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errs, exitUsage, tc.want)
			}
		})
	}
}

func TestServeRefusesPublicDqliteWithoutTLS(t *testing.T) {
	// 192.0.2.1 (TEST-NET-1) is never bound here: the check must refuse
	// before trying to listen.
	var errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--data", t.TempDir(), "--http", "127.0.0.1:0", "--dqlite", "192.0.2.1:9180"}, strings.NewReader(""), io.Discard, &errb)
	if code != exitTrouble || !strings.Contains(errb.String(), "no authentication") {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
}

// TestStartFreshRetriesATakenPort: the port freeAddr found free is taken by
// someone else before udkitd binds it (here, on purpose, by the test). The
// start must move to another port instead of failing the test.
func TestStartFreshRetriesATakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	picks := 0
	pick := func(t testing.TB) string {
		picks++
		if picks == 1 {
			return taken.Addr().String()
		}
		return freeAddr(t)
	}
	d, dq, _ := startFresh(t, pick, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	if picks != 2 || dq == taken.Addr().String() {
		t.Fatalf("%d picks, dqlite on %s (taken: %s); want a second pick on another port", picks, dq, taken.Addr())
	}
	d.stop(t)
}

// TestAdminTokenRotationSurvivesRestart: rotate the admin token with the
// CLI, restart the node with the old token still in DATA/admin.token: the
// revoked token stays revoked (udkitd used to re-add that file at every
// start), the new one works.
func TestAdminTokenRotationSurvivesRestart(t *testing.T) {
	d, dq, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	code, out, errs := runCLI(t, "token", "admin-list", "--url", d.url, "--data", data)
	if code != 0 || len(strings.Fields(out)) != 3 {
		t.Fatalf("admin-list: %d %q %s", code, out, errs)
	}
	oldID := strings.Fields(out)[0]
	code, out, errs = runCLI(t, "token", "admin-create", "--url", d.url, "--data", data)
	if code != 0 {
		t.Fatalf("admin-create: %d %s", code, errs)
	}
	newTok := strings.TrimSpace(out)
	newFile := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(newFile, []byte(newTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "token", "admin-revoke", "--url", d.url, "--admin-token-file", newFile, oldID); code != 0 || out != "revoked "+oldID+"\n" {
		t.Fatalf("admin-revoke: %d %q %s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "token", "admin-list", "--url", d.url, "--data", data); code != exitFail || !strings.Contains(errs, "unknown admin token") {
		t.Fatalf("admin-list with the revoked token: %d %s", code, errs)
	}
	d.stop(t)

	d = startDaemon(t, "--data", data, "--http", "127.0.0.1:0", "--dqlite", dq)
	if !strings.Contains(d.logs(), "not restoring the admin token") {
		t.Errorf("no warning about the revoked DATA/admin.token:\n%s", d.logs())
	}
	if code, _, errs := runCLI(t, "token", "admin-list", "--url", d.url, "--data", data); code != exitFail || !strings.Contains(errs, "unknown admin token") {
		t.Fatalf("the revoked admin token works again after a restart: %d %s", code, errs)
	}
	code, out, errs = runCLI(t, "token", "admin-list", "--url", d.url, "--admin-token-file", newFile)
	if code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 1 || strings.Contains(out, oldID) {
		t.Fatalf("admin-list with the new token: %d %q %s", code, out, errs)
	}
	newID := strings.Fields(out)[0]
	if code, _, errs := runCLI(t, "token", "admin-revoke", "--url", d.url, "--admin-token-file", newFile, newID); code != exitFail || !strings.Contains(errs, "last one") {
		t.Fatalf("revoking the last admin token: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "token", "admin-list", "--cluster", "web", "--url", d.url, "--admin-token-file", newFile); code != exitUsage || !strings.Contains(errs, "drop --cluster") {
		t.Fatalf("admin-list with --cluster: %d %s", code, errs)
	}
	d.stop(t)
}

// TestLooseAdminTokenFile (issue 16 item 14): an admin token file others
// may read. udkitd wrote DATA/admin.token 0600; found looser at start, it
// refuses to start. The client commands warn and go on (a mounted secret
// may be 0644 by design in its container).
func TestLooseAdminTokenFile(t *testing.T) {
	d, dq, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	tok, err := os.ReadFile(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(t.TempDir(), "admin.token")
	if err := os.WriteFile(loose, tok, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(loose, 0o644) // whatever the umask
	code, out, errs := runCLI(t, "token", "admin-list", "--url", d.url, "--admin-token-file", loose)
	if code != 0 || out == "" || !strings.Contains(errs, "udkitd token: warning: token file "+loose+" is mode 0644") {
		t.Fatalf("admin-list with a 0644 token file: %d %q %s", code, out, errs)
	}
	if strings.Contains(errs, strings.TrimSpace(string(tok))) {
		t.Fatalf("the warning repeats the token: %s", errs)
	}
	d.stop(t)
	if err := os.Chmod(filepath.Join(data, "admin.token"), 0o640); err != nil {
		t.Fatal(err)
	}
	d, err = tryStartDaemon(t, "--data", data, "--http", "127.0.0.1:0", "--dqlite", dq)
	if err == nil {
		d.stop(t)
		t.Fatal("udkitd started with DATA/admin.token mode 0640")
	}
	if !strings.Contains(d.logs(), "refusing to start: token file") || !strings.Contains(d.logs(), "is mode 0640") || !strings.Contains(d.logs(), "chmod 600") {
		t.Fatalf("the refusal does not say why:\n%s", d.logs())
	}
	os.Chmod(filepath.Join(data, "admin.token"), 0o600)
	d = startDaemon(t, "--data", data, "--http", "127.0.0.1:0", "--dqlite", dq)
	d.stop(t)
}

// TestReadyz: /readyz of a running node says it is ready and names the
// leader (itself, alone); /healthz says it is alive.
func TestReadyz(t *testing.T) {
	d, dq, _ := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	c, err := client.New(d.url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Ready(context.Background())
	if err != nil || r.Status != "ready" || r.Leader != dq || r.Role != "voter" {
		t.Fatalf("ready: %+v, %v; want ready with leader %s, role voter", r, err, dq)
	}
	if h, err := c.Health(context.Background()); err != nil || h.Status != "ok" {
		t.Fatalf("health: %+v, %v", h, err)
	}
	d.stop(t)
}

// TestJSONLogs: with --log-format json every line is one JSON object with
// a level, and a registration writes an audit line naming the join
// token's id, never the token.
func TestJSONLogs(t *testing.T) {
	d, _, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq, "--log-format", "json"}
	})
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d.url, "--data", data)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, errs)
	}
	join := strings.TrimSpace(out)
	c, _ := client.New(d.url, join, nil)
	if _, err := c.Register(context.Background(), "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	d.stop(t)
	audits := 0
	for _, line := range strings.Split(strings.TrimSpace(d.logs()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["level"] == nil {
			t.Fatalf("not a JSON log line with a level: %s", line)
		}
		if strings.Contains(line, join) {
			t.Fatalf("a log line holds the join token: %s", line)
		}
		if rec["msg"] == "audit" && rec["action"] == "register" {
			audits++
			if rec["token_id"] != registry.TokenID(join) || rec["instance_id"] != "i-1" || rec["token_kind"] != "join" {
				t.Errorf("audit line %s", line)
			}
		}
	}
	if audits != 1 {
		t.Fatalf("%d register audit lines, want 1:\n%s", audits, d.logs())
	}
}
