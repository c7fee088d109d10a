package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/store"
)

var readyTokenFileRE = regexp.MustCompile(`msg=ready .*admin_token_file=(\S+)`)

// TestClusterAdminTokens runs a real 3-node loopback cluster: every node
// mints its own admin token into its DATA/admin.token (0600) and names it
// in its ready line; node 3's file works against node 1's API; admin-list
// shows each token's node; revoking node 2's token leaves the others
// working; a restart keeps the token; no token is ever logged.
func TestClusterAdminTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("3-process cluster test skipped in -short mode")
	}
	common := []string{"--http", "127.0.0.1:0", "--network-latency", "20ms", "--shutdown-timeout", "5s"}
	d1, dq1, data1 := startFresh(t, freeAddr, func(dq, data string) []string {
		return append([]string{"--data", data, "--dqlite", dq}, common...)
	})
	ds, dqs, datas := []*daemon{d1}, []string{dq1}, []string{data1}
	for i := 0; i < 2; i++ {
		d, dq, data := startFresh(t, freeAddr, func(dq, data string) []string {
			return append([]string{"--data", data, "--dqlite", dq, "--join", dq1}, common...)
		})
		ds, dqs, datas = append(ds, d), append(dqs, dq), append(datas, data)
	}
	toks := make([]string, 3)
	for i, d := range ds {
		m := readyTokenFileRE.FindStringSubmatch(d.logs())
		if m == nil || m[1] != filepath.Join(datas[i], "admin.token") {
			t.Fatalf("node %d: the ready line does not name %s/admin.token:\n%s", i+1, datas[i], d.logs())
		}
		fi, err := os.Stat(m[1])
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("node %d: %s: %v %v", i+1, m[1], fi, err)
		}
		if toks[i], err = registry.ReadTokenFile(m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if toks[0] == toks[1] || toks[1] == toks[2] || toks[0] == toks[2] {
		t.Fatal("two nodes share an admin token")
	}
	// Node 3's file against node 1's API (and every pair).
	for i := range ds {
		for j := range ds {
			if code, _, errs := runCLI(t, "token", "list", "--cluster", "web", "--url", ds[j].url, "--data", datas[i]); code != 0 {
				t.Fatalf("node %d's admin token against node %d: %d %s", i+1, j+1, code, errs)
			}
		}
	}
	code, out, errs := runCLI(t, "token", "admin-list", "--url", ds[0].url, "--data", datas[2])
	if code != 0 {
		t.Fatalf("admin-list: %d %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("admin-list: %q, want one token per node", out)
	}
	ids := map[string]string{} // node address -> token id
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("admin-list line %q: want id, time, node", l)
		}
		ids[f[2]] = f[0]
	}
	for i, dq := range dqs {
		if ids[dq] != registry.TokenID(toks[i]) {
			t.Fatalf("admin-list %q: node %s's token id is not %s", out, dq, registry.TokenID(toks[i]))
		}
	}
	// A backup through a follower is the leader's one transaction: it
	// holds the three nodes' tokens.
	file := filepath.Join(t.TempDir(), "cluster.udkb")
	if code, _, errs := runCLI(t, "backup", file, "--url", ds[2].url, "--data", datas[2]); code != 0 {
		t.Fatalf("backup through node 3: %d %s", code, errs)
	}
	if rows := backupRows(t, file)["admin_tokens"]; len(rows) != 3 {
		t.Fatalf("the cluster's backup holds %d admin tokens, want 3: %v", len(rows), rows)
	}
	// Revoke node 2's token, authenticated by node 3's.
	if code, _, errs := runCLI(t, "token", "admin-revoke", "--url", ds[0].url, "--data", datas[2], ids[dqs[1]]); code != 0 {
		t.Fatalf("admin-revoke node 2's token: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "token", "admin-list", "--url", ds[0].url, "--data", datas[1]); code != exitFail || !strings.Contains(errs, "unknown admin token") {
		t.Fatalf("node 2's revoked token: %d %s", code, errs)
	}
	for _, i := range []int{0, 2} {
		if code, _, errs := runCLI(t, "token", "admin-list", "--url", ds[1].url, "--data", datas[i]); code != 0 {
			t.Fatalf("node %d's token after node 2's was revoked: %d %s", i+1, code, errs)
		}
	}
	// A restart keeps node 3's token and mints nothing.
	ds[2].stop(t)
	ds[2] = startDaemon(t, append([]string{"--data", datas[2], "--dqlite", dqs[2]}, common...)...)
	if tok, err := registry.ReadTokenFile(filepath.Join(datas[2], "admin.token")); err != nil || tok != toks[2] {
		t.Fatalf("node 3's token changed across a restart (%v)", err)
	}
	if code, out, errs := runCLI(t, "token", "admin-list", "--url", ds[0].url, "--data", datas[2]); code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 2 {
		t.Fatalf("admin-list after the restart: %d %q %s", code, out, errs)
	}
	// Node 2 restarted with its revoked token: warned, not restored, and
	// its ready line names no file.
	ds[1].stop(t)
	ds[1] = startDaemon(t, append([]string{"--data", datas[1], "--dqlite", dqs[1]}, common...)...)
	if readyTokenFileRE.MatchString(ds[1].logs()) || !strings.Contains(ds[1].logs(), "not restoring the admin token") {
		t.Fatalf("node 2 with a revoked token file:\n%s", ds[1].logs())
	}
	for i, d := range ds {
		for _, tok := range toks {
			if strings.Contains(d.logs(), tok) || strings.Contains(d.logs(), strings.TrimPrefix(tok, registry.AdminTokenPrefix)) {
				t.Fatalf("node %d logged an admin token", i+1)
			}
		}
	}
	for _, d := range []*daemon{ds[2], ds[1], ds[0]} {
		d.stop(t)
	}
}

// TestReconcileDryRunCLI: --dry-run prints what the real run then
// removes, and removes nothing.
func TestReconcileDryRunCLI(t *testing.T) {
	d, _, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d.url, "--data", data)
	if code != 0 {
		t.Fatalf("token create: %s", errs)
	}
	ctx := context.Background()
	jc, _ := client.New(d.url, strings.TrimSpace(out), nil)
	for i := 0; i < 10; i++ {
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("i-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	live := filepath.Join(t.TempDir(), "live")
	os.WriteFile(live, []byte("i-0\ni-3\ni-7\n"), 0o600)
	before := time.Now().UTC().Format(time.RFC3339Nano)
	args := []string{"reconcile", "--cluster", "web", "--live", live, "--registered-before", before, "--url", d.url, "--data", data}
	code, dry, errs := runCLI(t, append(args, "--dry-run")...)
	if code != 0 || !strings.Contains(errs, "dry run: 7 member(s)") {
		t.Fatalf("dry run: %d %q %s", code, dry, errs)
	}
	admin, _ := registry.ReadTokenFile(filepath.Join(data, "admin.token"))
	ac, _ := client.New(d.url, admin, nil)
	if ms, err := ac.Members(ctx, "web"); err != nil || len(ms) != 10 {
		t.Fatalf("members after the dry run: %d %v", len(ms), err)
	}
	code, real, errs := runCLI(t, args...)
	if code != 0 || real != dry || len(strings.Fields(real)) != 7 {
		t.Fatalf("real run printed %q (%d %s), the dry run %q", real, code, errs, dry)
	}
	if ms, err := ac.Members(ctx, "web"); err != nil || len(ms) != 3 {
		t.Fatalf("members after the real run: %d %v", len(ms), err)
	}
	d.stop(t)
}

// backupRows reads a backup file into its rows, by table, sorted.
func backupRows(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := store.VerifyBackup(f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	f.Seek(0, 0)
	out := map[string][]string{}
	tableRE := regexp.MustCompile(`^\{"table":\{"name":"([a-z_]+)"`)
	cur := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, store.MaxBackupLine)
	for sc.Scan() {
		if m := tableRE.FindStringSubmatch(sc.Text()); m != nil {
			cur = m[1]
			out[cur] = []string{}
		} else if strings.HasPrefix(sc.Text(), "[") {
			out[cur] = append(out[cur], sc.Text())
		}
	}
	for _, rows := range out {
		sort.Strings(rows)
	}
	return out
}

// TestBackupRestoreCLI fills a registry (members with labels, a lease,
// join tokens, admin tokens, a revoked one, released ids), backs it up with
// `udkitd backup` while registrations go on, restores it with `udkitd
// restore` into a fresh directory, starts the restored node and compares
// every row of every table with the file (the source at backup time): the
// same, but for the admin token the restored node mints for itself. The
// source's tokens work on it.
func TestBackupRestoreCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("backup/restore with real nodes skipped in -short mode")
	}
	d, _, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq}
	})
	ctx := context.Background()
	admin, _ := registry.ReadTokenFile(filepath.Join(data, "admin.token"))
	ac, _ := client.New(d.url, admin, nil)
	jt, err := ac.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ac.CreateAdminToken(ctx)
	gone, _ := ac.CreateAdminToken(ctx)
	if _, err := ac.RevokeAdminToken(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	jc := ac.WithToken(jt.Token)
	memberToks := map[string]string{}
	for i := 0; i < 200; i++ {
		id := fmt.Sprintf("i-%03d", i)
		res, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, Labels: map[string]string{"role": "api", "n": fmt.Sprint(i % 5)}})
		if err != nil {
			t.Fatal(err)
		}
		memberToks[id] = res.MemberToken
	}
	for i := 0; i < 200; i += 10 {
		id := fmt.Sprintf("i-%03d", i)
		if _, err := ac.WithToken(memberToks[id]).Deregister(ctx, "web", id); err != nil {
			t.Fatal(err)
		}
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: fmt.Sprintf("w-%05d", i)}); err != nil {
				t.Errorf("register during the backup: %v", err)
				return
			}
			writes.Add(1)
		}
	}()
	for writes.Load() < 10 {
		time.Sleep(5 * time.Millisecond)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "registry.udkb")
	code, out, errs := runCLI(t, "backup", file, "--url", d.url, "--data", data)
	stop.Store(true)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "sha256 ") {
		t.Fatalf("backup: %d %q %s", code, out, errs)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("backup left %d files in its directory", len(es))
	}
	want := backupRows(t, file)
	d.stop(t)

	// Restore refuses a directory that is not empty, and leaves it.
	if code, _, errs := runCLI(t, "restore", file, "--data", data); code != exitTrouble || !strings.Contains(errs, "not empty") {
		t.Fatalf("restore into a used directory: %d %s", code, errs)
	}
	var d2 *daemon
	var rdata string
	for attempt := 0; ; attempt++ {
		rdata = filepath.Join(t.TempDir(), "restored")
		dq := freeAddr(t)
		code, out, errs = runCLI(t, "restore", file, "--data", rdata, "--dqlite", dq)
		if code != 0 {
			if attempt < 4 && bindFailedRE.MatchString(errs) {
				continue
			}
			t.Fatalf("restore: %d %s", code, errs)
		}
		if !strings.Contains(out, "restored ") {
			t.Fatalf("restore printed %q", out)
		}
		d2 = startDaemon(t, "--data", rdata, "--http", "127.0.0.1:0", "--dqlite", dq)
		break
	}
	// The restored node's own admin token works; a backup of it holds
	// exactly the source's rows plus that token.
	file2 := filepath.Join(t.TempDir(), "again.udkb")
	if code, _, errs := runCLI(t, "backup", file2, "--url", d2.url, "--data", rdata); code != 0 {
		t.Fatalf("backup of the restored node: %d %s", code, errs)
	}
	got := backupRows(t, file2)
	own, _ := registry.ReadTokenFile(filepath.Join(rdata, "admin.token"))
	var mine []string
	for i, r := range got["admin_tokens"] {
		if strings.HasPrefix(r, `["`+registry.TokenID(own)+`"`) {
			mine = append(mine, r)
			got["admin_tokens"] = append(got["admin_tokens"][:i:i], got["admin_tokens"][i+1:]...)
			break
		}
	}
	if len(mine) != 1 {
		t.Fatalf("the restored node's own admin token is not in its table: %v", got["admin_tokens"])
	}
	if !reflect.DeepEqual(got, want) {
		for tbl := range want {
			if !reflect.DeepEqual(got[tbl], want[tbl]) {
				t.Errorf("table %s: %d rows in the backup, %d restored", tbl, len(want[tbl]), len(got[tbl]))
			}
		}
		t.Fatal("the restored registry differs from the backup")
	}
	if len(want["members"]) < 190 || len(want["released_ids"]) != 20 || len(want["cluster_leases"]) != 1 || len(want["revoked_admin_tokens"]) != 1 {
		t.Fatalf("the backup lacks rows: %d members, %d released, %d leases, %d revoked admin tokens",
			len(want["members"]), len(want["released_ids"]), len(want["cluster_leases"]), len(want["revoked_admin_tokens"]))
	}
	// The source's tokens authenticate on the restored node.
	rc, _ := client.New(d2.url, admin, nil)
	if _, err := rc.Members(ctx, "web"); err != nil {
		t.Fatalf("the source node's admin token: %v", err)
	}
	if _, err := rc.WithToken(other.Token).AdminTokens(ctx); err != nil {
		t.Fatalf("an API-made admin token: %v", err)
	}
	if _, err := rc.WithToken(gone.Token).AdminTokens(ctx); err == nil {
		t.Fatal("a revoked admin token works after the restore")
	}
	if _, err := rc.WithToken(jt.Token).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-new"}); err != nil {
		t.Fatalf("the join token: %v", err)
	}
	if r, err := rc.WithToken(memberToks["i-001"]).Deregister(ctx, "web", "i-001"); err != nil || !r.Deregistered {
		t.Fatalf("a member token: %+v %v", r, err)
	}
	d2.stop(t)
}

// TestBackupRestoreUsage: help, usage errors, and a file that does not
// check is refused before anything is made.
func TestBackupRestoreUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"help", "backup"}, exitOK, "usage: udkitd backup FILE"},
		{[]string{"restore", "--help"}, exitOK, "usage: udkitd restore FILE"},
		{[]string{"help"}, exitOK, "restore   make a fresh node's data directory"},
		{[]string{"backup"}, exitUsage, "want one FILE argument"},
		{[]string{"backup", "f", "--cluster", "web", "--admin-token-file", "x"}, exitUsage, "drop --cluster"},
		{[]string{"backup", "f", "g"}, exitUsage, "want one FILE argument"},
		{[]string{"restore", "f"}, exitUsage, "want FILE and --data DIR"},
		{[]string{"restore", "f", "--data", "d", "--tls-cert", "c"}, exitUsage, "go together"},
		{[]string{"reconcile", "--help"}, exitOK, "-dry-run"},
	} {
		code, out, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.out) {
			t.Errorf("udkitd %q: %d, %q %q; want %d and %q", tc.args, code, out, errs, tc.code, tc.out)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.udkb")
	os.WriteFile(bad, []byte(store.BackupMagic+"\n{\"header\":{\"schema_version\":1}}\n"), 0o600)
	target := filepath.Join(dir, "new")
	code, _, errs := runCLI(t, "restore", bad, "--data", target)
	if code != exitTrouble || !strings.Contains(errs, "truncated") {
		t.Fatalf("restore of a truncated file: %d %s", code, errs)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("a refused restore made %s (%v)", target, err)
	}
}
