package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// TestMembersPagination lists 100,000 members of one cluster through the
// client, which follows the pages (issue 14: the client failed at about
// 100k members, one answer over its 32 MiB limit). The members are
// written straight into the database, as that many registrations would
// leave them; listing is what is tested. While a listing pages, members
// come and go: every member present throughout is listed once, none
// twice.
func TestMembersPagination(t *testing.T) {
	n := 100000
	if testing.Short() {
		n = 5000
	}
	svc := newService(t, nil, store.Options{})
	// 100,000 rows and about 100 pages with four requests each take well
	// over the usual 60 s context under -race on a busy 2-core machine:
	// this test checks the cursor, not speed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db := svc.DB
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const perStmt = 30 // 8 parameters a row, dqlite takes at most 255
	now := time.Now().UnixNano()
	for i := 0; i < n; i += perStmt {
		var vals []string
		var args []any
		for j := i; j < min(n, i+perStmt); j++ {
			vals = append(vals, "(?, ?, '', '{}', '', ?, ?, ?)")
			args = append(args, "web", fmt.Sprintf("i-%07d", j), fmt.Sprintf("h-%07d", j), now, now)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (cluster, instance_id, address, labels, user_data_sha256, token_hash, registered_at, updated_at) VALUES `+strings.Join(vals, ", "), args...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != n {
		t.Fatalf("listed %d members, want %d", len(ms), n)
	}
	for i, m := range ms {
		if want := fmt.Sprintf("i-%07d", i); m.InstanceID != want {
			t.Fatalf("member %d is %s, want %s", i, m.InstanceID, want)
		}
	}

	// Page by hand while members come and go between pages.
	joiner := svc.Client.WithToken(svc.Join)
	seen := map[string]int{}
	gone := map[string]bool{}
	after, pages := "", 0
	for {
		page, next, err := svc.Client.MembersPage(ctx, "web", after, 997)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			seen[m.InstanceID]++
		}
		pages++
		// One listed already and one not yet listed leave; two come,
		// one before the cursor and one after it.
		for _, id := range []string{fmt.Sprintf("i-%07d", pages*2), fmt.Sprintf("i-%07d", (pages*1009)%n)} {
			if _, err := svc.Client.Deregister(ctx, "web", id); err != nil {
				t.Fatal(err)
			}
			gone[id] = true
		}
		for _, id := range []string{fmt.Sprintf("a-%05d", pages), fmt.Sprintf("z-%05d", pages)} {
			if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: id}); err != nil {
				t.Fatal(err)
			}
		}
		if next == "" {
			break
		}
		if next <= after {
			t.Fatalf("cursor %q does not advance past %q", next, after)
		}
		after = next
	}
	for id, c := range seen {
		if c > 1 {
			t.Fatalf("%s listed %d times", id, c)
		}
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("i-%07d", i)
		if !gone[id] && seen[id] != 1 {
			t.Fatalf("%s, present throughout, listed %d times", id, seen[id])
		}
	}
	// The API checks its parameters; without limit it answers every
	// member at once, as before pagination.
	for _, q := range []string{"limit=0", "limit=10001", "limit=x", "limit=5&after=../x"} {
		if status, e, body := call(t, "GET", svc.Srv.URL+"/v1/clusters/web/members?"+q, svc.Admin, "", ""); status != 400 || e.Code != registry.CodeInvalid {
			t.Errorf("?%s: %d %s", q, status, body)
		}
	}
	if _, next, err := svc.Store.MembersPage(context.Background(), "web", "", 0); err != nil || next != "" {
		t.Errorf("every member at once: next %q, %v", next, err)
	}
}
