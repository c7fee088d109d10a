package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/internal/regtest"
	"github.com/udkit/udkit/registry/store"
)

// fixture is a registry holding a row in every table: members with
// labels, a lease, join tokens (one revoked), admin tokens (a node's and a
// revoked one), released ids (deregistered and expired is the evictor's
// job; a deregistration makes one).
type fixture struct {
	st      *store.Store
	admin   string
	join    string
	members map[string]string // instance id -> member token
}

func fill(t *testing.T, ctx context.Context, st *store.Store) *fixture {
	t.Helper()
	f := &fixture{st: st, members: map[string]string{}}
	f.admin = regtest.MustToken(t, registry.AdminTokenPrefix)
	if err := st.AddNodeAdminToken(ctx, f.admin, "127.0.0.1:9180"); err != nil {
		t.Fatal(err)
	}
	old, err := st.CreateAdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := st.RevokeAdminToken(ctx, old.ID); err != nil || !ok {
		t.Fatalf("revoke admin token: %v %v", ok, err)
	}
	for _, cl := range []string{"web", "db"} {
		jt, err := st.CreateJoinToken(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if cl == "web" {
			f.join = jt.Token
		}
	}
	gone, _ := st.CreateJoinToken(ctx, "web")
	if _, err := st.RevokeJoinToken(ctx, "web", gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLease(ctx, "web", registry.LeaseRequest{TTLSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		id := fmt.Sprintf("i-%04d", i)
		res, err := st.Register(ctx, "web", f.join, registry.RegisterRequest{
			InstanceID: id, Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250),
			Labels:         map[string]string{"role": []string{"api", "worker"}[i%2], "zone": "z-" + fmt.Sprint(i%3)},
			UserDataSHA256: strings.Repeat("ab", 32),
		})
		if err != nil {
			t.Fatal(err)
		}
		f.members[id] = res.MemberToken
	}
	for i := 0; i < 300; i += 7 {
		id := fmt.Sprintf("i-%04d", i)
		if r, err := st.Deregister(ctx, "web", id, f.members[id]); err != nil || !r.Deregistered {
			t.Fatalf("deregister %s: %+v %v", id, r, err)
		}
		delete(f.members, id)
	}
	if _, err := st.Renew(ctx, "web", "i-0001", f.members["i-0001"]); err != nil {
		t.Fatal(err)
	}
	return f
}

func backupOf(t *testing.T, ctx context.Context, st *store.Store) ([]byte, store.BackupInfo) {
	t.Helper()
	var buf bytes.Buffer
	info, err := st.Backup(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), info
}

// restoreInto restores a backup into a fresh node and opens a store on it.
func restoreInto(t *testing.T, ctx context.Context, b []byte) (*store.Store, map[string][]string) {
	t.Helper()
	node := nodetest.Start(t)
	if _, err := store.Restore(ctx, node.DB(), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	rows, err := store.DumpRows(ctx, node.DB()) // before Open: exactly what was restored
	if err != nil {
		t.Fatal(err)
	}
	return regtest.OpenStore(t, node.DB(), store.Options{}), rows
}

// TestBackupRestoreEveryRow: a quiet registry backed up and restored into
// a fresh node holds the same rows in every table, and the source's
// tokens work there.
func TestBackupRestoreEveryRow(t *testing.T) {
	ctx := regtest.Ctx(t)
	db := nodetest.Start(t).DB()
	st := regtest.OpenStore(t, db, store.Options{})
	f := fill(t, ctx, st)
	want, err := store.DumpRows(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	b, info := backupOf(t, ctx, st)
	if info.SchemaVersion != store.SchemaVersion || info.Rows < 300 {
		t.Fatalf("backup info %+v", info)
	}
	// Every table of the source, whatever migrations made them.
	if int(info.Tables) != len(want) {
		t.Fatalf("backup holds %d tables, the database %d: %v", info.Tables, len(want), keys(want))
	}
	for _, tbl := range []string{"members", "join_tokens", "admin_tokens", "revoked_admin_tokens", "released_ids", "cluster_leases", "schema_migrations"} {
		if len(want[tbl]) == 0 {
			t.Fatalf("the fixture left table %s empty", tbl)
		}
	}
	st2, got := restoreInto(t, ctx, b)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("restored rows differ:\n%s", diffRows(want, got))
	}
	// The same bytes again from the restored copy (but the time).
	b2, _ := backupOf(t, ctx, st2)
	if strip(b) != strip(b2) {
		t.Fatal("a backup of the restored registry differs from the source's beyond the header")
	}
	if err := st2.CheckAdmin(ctx, f.admin); err != nil {
		t.Fatalf("the source's admin token on the restored registry: %v", err)
	}
	if _, err := st2.Register(ctx, "web", f.join, registry.RegisterRequest{InstanceID: "i-new"}); err != nil {
		t.Fatalf("the source's join token: %v", err)
	}
	if r, err := st2.Deregister(ctx, "web", "i-0002", f.members["i-0002"]); err != nil || !r.Deregistered {
		t.Fatalf("the source's member token: %+v %v", r, err)
	}
	// A released id stays bound to its member's token.
	if _, err := st2.Register(ctx, "web", f.join, registry.RegisterRequest{InstanceID: "i-0007"}); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("a released id taken with the join token after restore: %v", err)
	}
}

// strip drops the header line (its time) and the checksum.
func strip(b []byte) string {
	lines := strings.Split(string(b), "\n")
	return strings.Join(append([]string{lines[0]}, lines[2:len(lines)-2]...), "\n")
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func diffRows(want, got map[string][]string) string {
	var sb strings.Builder
	for tbl, w := range want {
		g := got[tbl]
		if !reflect.DeepEqual(w, g) {
			fmt.Fprintf(&sb, "table %s: %d rows in the source, %d restored\n", tbl, len(w), len(g))
			for i := 0; i < len(w) && i < len(g); i++ {
				if w[i] != g[i] {
					fmt.Fprintf(&sb, "  first difference:\n  source   %s\n  restored %s\n", w[i], g[i])
					break
				}
			}
		}
	}
	for tbl := range got {
		if _, ok := want[tbl]; !ok {
			fmt.Fprintf(&sb, "table %s only in the restored copy\n", tbl)
		}
	}
	return sb.String()
}

// TestBackupConsistentUnderWrites backs up while a writer registers and
// deregisters instances (a deregistration deletes a member row and
// inserts a released_ids row in one transaction). The restored copy must
// be one state of the source: the writer's ids a prefix, none both a member
// and released, and every other row equal to the source's.
func TestBackupConsistentUnderWrites(t *testing.T) {
	ctx := regtest.Ctx(t)
	db := nodetest.Start(t).DB()
	st := regtest.OpenStore(t, db, store.Options{})
	f := fill(t, ctx, st)
	// A large members table keeps each backup reading it for a while,
	// so that writes land between its read and released_ids' (which a
	// backup made of one transaction per table would show).
	bulkMembers(t, ctx, db, "bulk", 5000)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var done atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			id := fmt.Sprintf("w-%05d", i)
			res, err := st.Register(ctx, "web", f.join, registry.RegisterRequest{InstanceID: id, Labels: map[string]string{"w": "1"}})
			if err != nil {
				t.Errorf("register %s: %v", id, err)
				return
			}
			if _, err := st.Deregister(ctx, "web", id, res.MemberToken); err != nil {
				t.Errorf("deregister %s: %v", id, err)
				return
			}
			done.Add(1)
		}
	}()
	for done.Load() < 20 {
		time.Sleep(5 * time.Millisecond)
	}
	var backups [][]byte
	for i := 0; i < 5; i++ {
		b, _ := backupOf(t, ctx, st)
		backups = append(backups, b)
	}
	stop.Store(true)
	wg.Wait()
	if done.Load() < 25 {
		t.Fatalf("only %d write cycles ran: the backups did not overlap writes", done.Load())
	}
	final, err := store.DumpRows(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for n, b := range backups {
		_, got := restoreInto(t, ctx, b)
		// The writer's rows: a prefix w-00000..w-k, all released but the
		// last, which may be a member or released, never both.
		member, released := writerIDs(got["members"]), writerIDs(got["released_ids"])
		all := map[string]bool{}
		for id := range member {
			if released[id] {
				t.Fatalf("backup %d: %s is both a member and released: not one transaction", n, id)
			}
			all[id] = true
		}
		for id := range released {
			all[id] = true
		}
		for i := 0; i < len(all); i++ {
			if !all[fmt.Sprintf("w-%05d", i)] {
				t.Fatalf("backup %d: the writer's ids are not a prefix: w-%05d missing of %d", n, i, len(all))
			}
		}
		if len(member) > 1 {
			t.Fatalf("backup %d: %d writer members, want at most the last", n, len(member))
		}
		// The change index is in the same state: each writer cycle left
		// a joined and a left row, and a member still registered only
		// its joined one.
		changes := 0
		for _, r := range got["changes"] {
			if strings.Contains(r, `"w-`) {
				changes++
			}
		}
		if want := 2*len(released) + len(member); changes != want {
			t.Fatalf("backup %d: %d change rows of the writer, want %d for %d released and %d registered: not one transaction", n, changes, want, len(released), len(member))
		}
		// Everything else is the source's, row for row.
		want := withoutWriter(final)
		got = withoutWriter(got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("backup %d: rows differ:\n%s", n, diffRows(want, got))
		}
		t.Logf("backup %d: %d writer ids, %d still a member", n, len(all), len(member))
	}
}

// bulkMembers inserts n members of cluster with plain SQL.
func bulkMembers(t *testing.T, ctx context.Context, db *sql.DB, cluster string, n int) {
	t.Helper()
	const per = 20
	for i := 0; i < n; i += per {
		q := `INSERT INTO members (cluster, instance_id, address, labels, user_data_sha256, token_hash, registered_at, updated_at, renewed_at) VALUES `
		var args []any
		for j := i; j < i+per && j < n; j++ {
			if j > i {
				q += ", "
			}
			q += "(?, ?, '10.1.2.3', '{\"role\":\"bulk\"}', '', ?, 1, 1, 1)"
			args = append(args, cluster, fmt.Sprintf("b-%06d", j), fmt.Sprintf("bulk-%s-%d", cluster, j))
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
}

func writerIDs(rows []string) map[string]bool {
	out := map[string]bool{}
	for _, r := range rows {
		if i := strings.Index(r, `"w-`); i >= 0 {
			out[r[i+1:i+8]] = true
		}
	}
	return out
}

// withoutWriter drops the rows the writer of TestBackupConsistentUnderWrites
// touched: its members, released ids and changes, and the AUTOINCREMENT
// counter of changes, which its changes move.
func withoutWriter(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for tbl, rows := range m {
		keep := []string{}
		for _, r := range rows {
			if tbl == "sqlite_sequence" && strings.HasPrefix(r, `["changes",`) {
				continue
			}
			if !strings.Contains(r, `"w-`) {
				keep = append(keep, r)
			}
		}
		out[tbl] = keep
	}
	return out
}

// TestRestoreRefuses: a non-empty target, a damaged file, a truncated one
// and one from a newer schema are refused before anything is written.
func TestRestoreRefuses(t *testing.T) {
	ctx := regtest.Ctx(t)
	db := nodetest.Start(t).DB()
	st := regtest.OpenStore(t, db, store.Options{})
	fill(t, ctx, st)
	b, _ := backupOf(t, ctx, st)
	if _, err := store.Restore(ctx, db, bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into a used database: %v", err)
	}
	empty := nodetest.Start(t).DB()
	damaged := bytes.Replace(b, []byte(`"web"`), []byte(`"wep"`), 1)
	truncated := b[:len(b)/2]
	newer := bytes.Replace(b, []byte(fmt.Sprintf(`"schema_version":%d`, store.SchemaVersion)), []byte(`"schema_version":999`), 1)
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"damaged":   {damaged, "does not match"},
		"truncated": {truncated, "truncated"},
		"newer":     {newer, "does not match"}, // the checksum catches the edit first
		"garbage":   {[]byte("hello\n"), "not a udkit registry backup"},
	} {
		if _, err := store.Restore(ctx, empty, bytes.NewReader(tc.b)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	var n int
	if err := empty.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused restore left %d schema objects (%v)", n, err)
	}
}

// TestReconcileDryRun: a dry run lists what the real run then removes
// and changes no row.
func TestReconcileDryRun(t *testing.T) {
	ctx := regtest.Ctx(t)
	db := nodetest.Start(t).DB()
	st := regtest.OpenStore(t, db, store.Options{})
	fill(t, ctx, st)
	before, err := store.DumpRows(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var live []string
	for i := 0; i < 300; i += 2 {
		live = append(live, fmt.Sprintf("i-%04d", i))
	}
	req := registry.ReconcileRequest{Live: live, RegisteredBefore: time.Now(), DryRun: true}
	dry, err := st.Reconcile(ctx, "web", req)
	if err != nil {
		t.Fatal(err)
	}
	after, err := store.DumpRows(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("a dry run changed rows:\n%s", diffRows(before, after))
	}
	if len(dry) < 100 {
		t.Fatalf("dry run would remove %d members, want the odd ones", len(dry))
	}
	req.DryRun = false
	real, err := st.Reconcile(ctx, "web", req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dry, real) {
		t.Fatalf("dry run listed %d ids, the real run removed %d: %v vs %v", len(dry), len(real), dry, real)
	}
	if ms, _ := st.Members(ctx, "web"); len(ms) != 300-len(real)-43 {
		t.Fatalf("%d members left after removing %d", len(ms), len(real))
	}
}

// TestRestoreTypes restores a hand-written backup that holds every kind
// of value (integer, text, real, blob, null), an AUTOINCREMENT table
// with its sqlite_sequence counter and an index: all come back as they
// were, whatever the table (the restore knows no table by name).
func TestRestoreTypes(t *testing.T) {
	ctx := regtest.Ctx(t)
	b, err := os.ReadFile(filepath.Join("testdata", "backup-types.udkb"))
	if err != nil {
		t.Fatal(err)
	}
	db := nodetest.Start(t).DB()
	info, err := store.Restore(ctx, db, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if info.Tables != 4 || info.Rows != 10 || info.SchemaVersion != 6 {
		t.Fatalf("info %+v", info)
	}
	got, err := store.DumpRows(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`[1,{"blob":"AAEC/w=="},{"real":"1.5"},null,"café \"quoted\" \n line"]`,
		`[7,{"blob":""},{"real":"-2e-300"},-9223372036854775808,""]`,
	}
	if !reflect.DeepEqual(got["events"], want) {
		t.Fatalf("events:\n%s\nwant\n%s", strings.Join(got["events"], "\n"), strings.Join(want, "\n"))
	}
	if s := got["sqlite_sequence"]; len(s) != 1 || s[0] != `["events",42]` {
		t.Fatalf("sqlite_sequence %v, want the backup's counter 42", s)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_n'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("index events_n: %d %v", n, err)
	}
	// The counter goes on from the backup's, not from the rows.
	if _, err := db.ExecContext(ctx, `INSERT INTO events (t) VALUES ('next')`); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT seq FROM events WHERE t = 'next'`).Scan(&n); err != nil || n != 43 {
		t.Fatalf("next AUTOINCREMENT value %d (%v), want 43", n, err)
	}
}

// FuzzVerifyBackup: the backup decoder never panics, and what it accepts
// it accepts again (the checksum covers everything before it).
func FuzzVerifyBackup(f *testing.F) {
	// More seeds in testdata/fuzz/FuzzVerifyBackup.
	f.Add([]byte(store.BackupMagic + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := store.VerifyBackup(bytes.NewReader(b))
		if err != nil {
			if _, ok := err.(*store.BackupError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if info.SHA256 == "" || info.SchemaVersion < 1 {
			t.Fatalf("accepted with info %+v", info)
		}
	})
}
