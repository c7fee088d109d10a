package api_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

func TestAuthRules(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	// A second cluster with its own join token, and two members of web.
	dbJoin, err := svc.Client.CreateJoinToken(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	joiner := svc.Client.WithToken(svc.Join)
	a, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-a"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-b"})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := svc.Client.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.Client.RevokeJoinToken(ctx, "web", revoked.ID); err != nil || !ok {
		t.Fatalf("revoke: %v, %v", ok, err)
	}
	unknownAdmin := mustToken(t, registry.AdminTokenPrefix)
	u := svc.Srv.URL
	reg := `{"instance_id":"i-new"}`
	const js = "application/json"

	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantCode                        registry.Code
	}{
		{"register without token", "POST", "/v1/clusters/web/members", "", reg, 401, registry.CodeUnauthorized},
		{"register with garbage token", "POST", "/v1/clusters/web/members", "hunter2", reg, 401, registry.CodeUnauthorized},
		{"register with another cluster's join token", "POST", "/v1/clusters/web/members", dbJoin.Token, reg, 403, registry.CodeForbidden},
		{"register with a revoked join token", "POST", "/v1/clusters/web/members", revoked.Token, reg, 403, registry.CodeForbidden},
		{"register with a member token", "POST", "/v1/clusters/web/members", a.MemberToken, reg, 403, registry.CodeForbidden},
		{"register with the admin token", "POST", "/v1/clusters/web/members", svc.Admin, reg, 403, registry.CodeForbidden},
		{"register in a cluster with no join token", "POST", "/v1/clusters/cache/members", svc.Join, reg, 403, registry.CodeForbidden},
		{"join token cannot deregister", "DELETE", "/v1/clusters/web/members/i-a", svc.Join, "", 403, registry.CodeForbidden},
		// Issue 16 item 9: a member token that is not B's gets the answer
		// for an absent member, whether or not B exists.
		{"member A cannot deregister B", "DELETE", "/v1/clusters/web/members/i-b", a.MemberToken, "", 200, ""},
		{"deregister without token", "DELETE", "/v1/clusters/web/members/i-a", "", "", 401, registry.CodeUnauthorized},
		{"deregister in the wrong cluster", "DELETE", "/v1/clusters/db/members/i-a", a.MemberToken, "", 200, ""},
		{"unknown admin token cannot deregister", "DELETE", "/v1/clusters/web/members/i-a", unknownAdmin, "", 403, registry.CodeForbidden},
		{"list without token", "GET", "/v1/clusters/web/members", "", "", 401, registry.CodeUnauthorized},
		{"list with a join token", "GET", "/v1/clusters/web/members", svc.Join, "", 403, registry.CodeForbidden},
		{"list with a member token", "GET", "/v1/clusters/web/members", a.MemberToken, "", 403, registry.CodeForbidden},
		{"list with an unknown admin token", "GET", "/v1/clusters/web/members", unknownAdmin, "", 403, registry.CodeForbidden},
		{"create join token with a join token", "POST", "/v1/clusters/web/join-tokens", svc.Join, "", 403, registry.CodeForbidden},
		{"reconcile with a join token", "POST", "/v1/clusters/web/reconcile", svc.Join, `{"live":[],"registered_before":"2030-01-01T00:00:00Z"}`, 403, registry.CodeForbidden},
		{"list clusters without token", "GET", "/v1/clusters", "", "", 401, registry.CodeUnauthorized},
		{"bearer scheme missing", "GET", "/v1/clusters", "", "", 401, registry.CodeUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := ""
			if tc.body != "" {
				ct = js
			}
			status, e, body := call(t, tc.method, u+tc.path, tc.token, ct, tc.body)
			if status != tc.wantStatus || e.Code != tc.wantCode {
				t.Fatalf("got %d %q, want %d %q; body %s", status, e.Code, tc.wantStatus, tc.wantCode, body)
			}
		})
	}
	// None of that removed or added anyone.
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].InstanceID != "i-a" || ms[1].InstanceID != "i-b" {
		t.Fatalf("members after refused requests: %+v", ms)
	}
	// The admin may deregister anyone; B's own token works for B.
	if r, err := svc.Client.Deregister(ctx, "web", "i-a"); err != nil || !r.Deregistered {
		t.Fatalf("admin deregister: %+v, %v", r, err)
	}
	if r, err := svc.Client.WithToken(b.MemberToken).Deregister(ctx, "web", "i-b"); err != nil || !r.Deregistered {
		t.Fatalf("member deregister: %+v, %v", r, err)
	}
}

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestRegisterIdempotent(t *testing.T) {
	clock := &testClock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	svc := newService(t, nil, store.Options{Now: clock.Now})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	mine := mustToken(t, registry.MemberTokenPrefix)
	req := registry.RegisterRequest{InstanceID: "i-1", Address: "10.0.0.1", MemberToken: mine}

	first, err := joiner.Register(ctx, "web", req)
	if err != nil || !first.Created || first.MemberToken != mine {
		t.Fatalf("first: %+v, %v", first, err)
	}
	// A retried launch: same token, maybe a new address. Answered 200,
	// updated, registered once.
	t0 := clock.Now()
	clock.Advance(time.Minute)
	req.Address = "10.0.0.2"
	second, err := joiner.Register(ctx, "web", req)
	if err != nil || second.Created || second.MemberToken != mine {
		t.Fatalf("second: %+v, %v", second, err)
	}
	if !first.Member.RegisteredAt.Equal(t0) || !first.Member.UpdatedAt.Equal(t0) ||
		!second.Member.RegisteredAt.Equal(t0) || !second.Member.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("timestamps: first %+v second %+v; want registered at %v, updated a minute later", first.Member, second.Member, t0)
	}
	status, e, _ := call(t, "POST", svc.Srv.URL+"/v1/clusters/web/members", svc.Join, "application/json", `{"instance_id":"i-1","member_token":"`+mine+`"}`)
	if status != 200 || e.Code != "" {
		t.Fatalf("raw repeat: %d %q, want 200", status, e.Code)
	}
	// Someone else with the join token cannot take the member over.
	_, err = joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1", MemberToken: mustToken(t, registry.MemberTokenPrefix)})
	if !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("takeover: got %v, want conflict", err)
	}
	_, err = joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"})
	if !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("takeover without token: got %v, want conflict", err)
	}
	ms, err := svc.Client.Members(ctx, "web")
	// The raw repeat sent no address: a repeated registration replaces
	// the member's fields.
	if err != nil || len(ms) != 1 || ms[0].Address != "" {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

func TestBadRequests(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	u := svc.Srv.URL + "/v1/clusters/web/members"
	const js = "application/json"
	big := `{"instance_id":"i-1","labels":{"k":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}}`
	tests := []struct {
		name, method, url, ct, body string
		wantStatus                  int
		wantCode                    registry.Code
		wantMsg                     string
	}{
		{"not JSON", "POST", u, js, `instance_id=i-1`, 400, registry.CodeInvalid, "invalid JSON"},
		{"truncated JSON", "POST", u, js, `{"instance_id":"i-1"`, 400, registry.CodeInvalid, "ends too early"},
		{"empty body", "POST", u, js, ``, 400, registry.CodeInvalid, "empty"},
		{"unknown field", "POST", u, js, `{"instance_id":"i-1","admin":true}`, 400, registry.CodeInvalid, `unknown field "admin"`},
		{"two values", "POST", u, js, `{"instance_id":"i-1"}{"instance_id":"i-2"}`, 400, registry.CodeInvalid, "more than one JSON value"},
		{"wrong type", "POST", u, js, `{"instance_id":7}`, 400, registry.CodeInvalid, `field "instance_id"`},
		{"array", "POST", u, js, `[]`, 400, registry.CodeInvalid, "want registry.RegisterRequest"},
		{"missing instance id", "POST", u, js, `{}`, 400, registry.CodeInvalid, "instance_id"},
		{"bad instance id", "POST", u, js, `{"instance_id":"../etc"}`, 400, registry.CodeInvalid, "instance_id"},
		{"bad address", "POST", u, js, `{"instance_id":"i-1","address":"a b"}`, 400, registry.CodeInvalid, "address"},
		{"bad sha", "POST", u, js, `{"instance_id":"i-1","user_data_sha256":"xyz"}`, 400, registry.CodeInvalid, "user_data_sha256"},
		{"bad member token", "POST", u, js, `{"instance_id":"i-1","member_token":"udkm_short"}`, 400, registry.CodeInvalid, "member_token"},
		{"bad label key", "POST", u, js, `{"instance_id":"i-1","labels":{"a b":"c"}}`, 400, registry.CodeInvalid, "labels key"},
		{"control char in label", "POST", u, js, `{"instance_id":"i-1","labels":{"a":"\n"}}`, 400, registry.CodeInvalid, "labels[\"a\"]"},
		// Issue 16 item 10: C1 controls, line separators and bidi or
		// zero-width format characters are stored no more.
		{"C1 CSI in label", "POST", u, js, `{"instance_id":"i-1","labels":{"a":"\u009b2J"}}`, 400, registry.CodeInvalid, "labels[\"a\"]"},
		{"U+2028 in label", "POST", u, js, `{"instance_id":"i-1","labels":{"a":"x\u2028y"}}`, 400, registry.CodeInvalid, "line-separator"},
		{"U+202E in label", "POST", u, js, `{"instance_id":"i-1","labels":{"a":"\u202etxt.exe"}}`, 400, registry.CodeInvalid, "bidi"},
		{"zero-width space in label", "POST", u, js, `{"instance_id":"i-1","labels":{"a":"x\u200by"}}`, 400, registry.CodeInvalid, "labels[\"a\"]"},
		{"every problem named", "POST", u, js, `{"instance_id":"","address":"a b"}`, 400, registry.CodeInvalid, "; address"},
		{"oversized body", "POST", u, js, big, 413, registry.CodeTooLarge, "over the limit"},
		{"wrong content type", "POST", u, "text/plain", `{"instance_id":"i-1"}`, 415, registry.CodeUnsupportedMedia, "application/json"},
		{"bad cluster name", "POST", svc.Srv.URL + "/v1/clusters/Web!/members", js, `{"instance_id":"i-1"}`, 400, registry.CodeInvalid, "cluster"},
		{"wrong method", "PUT", u, js, `{}`, 405, registry.CodeMethod, "use GET, POST"},
		{"unknown path", "GET", svc.Srv.URL + "/v2/nope", "", "", 404, registry.CodeNotFound, "no such endpoint"},
		{"body on delete", "DELETE", u + "/i-1", js, `{"x":1}`, 400, registry.CodeInvalid, "takes no request body"},
		{"reconcile without time", "POST", svc.Srv.URL + "/v1/clusters/web/reconcile", js, `{"live":[]}`, 400, registry.CodeInvalid, "registered_before"},
		{"revoke bad id", "DELETE", svc.Srv.URL + "/v1/clusters/web/join-tokens/zz", "", "", 400, registry.CodeInvalid, "16 lower-case hex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := svc.Join
			if tc.method != "POST" || strings.Contains(tc.url, "reconcile") {
				tok = svc.Admin
			}
			status, e, body := call(t, tc.method, tc.url, tok, tc.ct, tc.body)
			if status != tc.wantStatus || e.Code != tc.wantCode || !strings.Contains(e.Message, tc.wantMsg) {
				t.Fatalf("got %d %q, want %d %q containing %q; body %s", status, e.Code, tc.wantStatus, tc.wantCode, tc.wantMsg, body)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	svc := newService(t, nil, store.Options{Now: clock})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	for _, id := range []string{"i-1", "i-2", "i-3"} {
		if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := now.Add(time.Second)
	now = now.Add(2 * time.Second) // i-4 registers after the live set was taken
	if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-4"}); err != nil {
		t.Fatal(err)
	}
	removed, err := svc.Client.Reconcile(ctx, "web", registry.ReconcileRequest{Live: []string{"i-2"}, RegisteredBefore: snapshot})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(removed, ",") != "i-1,i-3" {
		t.Fatalf("removed %v, want i-1,i-3", removed)
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 2 || ms[0].InstanceID != "i-2" || ms[1].InstanceID != "i-4" {
		t.Fatalf("members after reconcile: %+v, %v", ms, err)
	}
}

// TestReconcileRefusals: a registered_before ahead of the service's clock
// (beyond MaxReconcileSkew) and an empty live set without allow_empty are
// refused with 400 and remove no one; within the skew, and with
// allow_empty, reconcile proceeds.
func TestReconcileRefusals(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc := newService(t, nil, store.Options{Now: clock})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	for _, id := range []string{"i-1", "i-2"} {
		if _, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	url := svc.Srv.URL + "/v1/clusters/web/reconcile"
	tests := []struct {
		name, body string
		want       string
	}{
		{"an hour ahead", `{"live":["i-1"],"registered_before":"2030-01-01T13:00:00Z"}`, "later than the registry's clock"},
		{"just past the skew", `{"live":["i-1"],"registered_before":"2030-01-01T12:00:05.001Z"}`, "later than the registry's clock"},
		{"empty live set", `{"live":[],"registered_before":"2030-01-01T12:00:00Z"}`, "allow_empty"},
		{"no live set", `{"registered_before":"2030-01-01T12:00:00Z"}`, "allow_empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, e, body := call(t, "POST", url, svc.Admin, "application/json", tc.body)
			if status != 400 || e.Code != registry.CodeInvalid || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("got %d %q; want 400 mentioning %q; body %s", status, e.Code, tc.want, body)
			}
		})
	}
	if ms, err := svc.Client.Members(ctx, "web"); err != nil || len(ms) != 2 {
		t.Fatalf("members after refused reconciles: %+v, %v", ms, err)
	}
	// Within the skew allowance: i-2 goes.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	removed, err := svc.Client.Reconcile(ctx, "web", registry.ReconcileRequest{Live: []string{"i-1"}, RegisteredBefore: clock().Add(registry.MaxReconcileSkew)})
	if err != nil || strings.Join(removed, ",") != "i-2" {
		t.Fatalf("reconcile within the skew: %v, %v", removed, err)
	}
	// An empty live set, said on purpose.
	removed, err = svc.Client.Reconcile(ctx, "web", registry.ReconcileRequest{RegisteredBefore: clock(), AllowEmpty: true})
	if err != nil || strings.Join(removed, ",") != "i-1" {
		t.Fatalf("reconcile with allow_empty: %v, %v", removed, err)
	}
}

func TestJoinTokens(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	second, err := svc.Client.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	list, err := svc.Client.JoinTokens(ctx, "web")
	if err != nil || len(list) != 2 || list[1].ID != second.ID || list[0].Token != "" || list[1].Token != "" {
		t.Fatalf("join tokens %+v, %v", list, err)
	}
	if ok, err := svc.Client.RevokeJoinToken(ctx, "web", second.ID); err != nil || !ok {
		t.Fatalf("revoke %v %v", ok, err)
	}
	if ok, err := svc.Client.RevokeJoinToken(ctx, "web", second.ID); err != nil || ok {
		t.Fatalf("second revoke %v %v", ok, err)
	}
	_, err = svc.Client.WithToken(second.Token).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"})
	if !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("register with revoked token: %v", err)
	}
	if _, err := svc.Client.WithToken(svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatalf("the other token still works: %v", err)
	}
}

func TestRestartKeepsMembers(t *testing.T) {
	dir := t.TempDir()
	addr := nodetest.FreeLoopbackAddress(t)
	node := nodetest.StartIn(t, dir, addr, nil)
	svc := newService(t, node.DB(), store.Options{})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	tokens := map[string]string{}
	for _, id := range []string{"i-1", "i-2", "i-3"} {
		r, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: id, Labels: map[string]string{"n": id}})
		if err != nil {
			t.Fatal(err)
		}
		tokens[id] = r.MemberToken
	}
	before, err := svc.Client.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	svc.Srv.Close()
	svc.Store.Close()
	if err := node.Close(ctx); err != nil {
		t.Fatal(err)
	}

	node = nodetest.StartIn(t, dir, addr, nil)
	st := openStore(t, node.DB(), store.Options{})
	after, err := st.Members(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("after restart %d members, want %d", len(after), len(before))
	}
	for i := range before {
		if before[i].InstanceID != after[i].InstanceID || !before[i].RegisteredAt.Equal(after[i].RegisteredAt) || before[i].Labels["n"] != after[i].Labels["n"] {
			t.Fatalf("member %d: before %+v after %+v", i, before[i], after[i])
		}
	}
	// The tokens survive too: the admin token and each member token.
	if err := st.CheckAdmin(ctx, svc.Admin); err != nil {
		t.Fatal(err)
	}
	if r, err := st.Deregister(ctx, "web", "i-2", tokens["i-2"]); err != nil || !r.Deregistered {
		t.Fatalf("deregister after restart: %+v, %v", r, err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	node := nodetest.Start(t)
	ctx := ctxT(t)
	openStore(t, node.DB(), store.Options{})
	// Opening again is a no-op migration.
	openStore(t, node.DB(), store.Options{})
	if _, err := node.DB().ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)`); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(ctx, node.DB(), store.Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 99, newer than this program's") {
		t.Fatalf("got %v", err)
	}
}

// TestMemberTokenIsNoOracle reproduces issue 16 item 9: with a member
// token it made up (or its own), a caller asked DELETE for instance ids
// and told present members (403) from absent ones (200 false). Both now
// get the same status and the same body, and nobody is removed.
func TestMemberTokenIsNoOracle(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	own, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-present"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-mine"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{mustToken(t, registry.MemberTokenPrefix), other.MemberToken} {
		sp, _, present := call(t, "DELETE", svc.Srv.URL+"/v1/clusters/web/members/i-present", tok, "", "")
		sa, _, absent := call(t, "DELETE", svc.Srv.URL+"/v1/clusters/web/members/i-absent", tok, "", "")
		if sp != sa || string(present) != string(absent) {
			t.Errorf("present member: %d %s; absent member: %d %s; want the same answer", sp, present, sa, absent)
		}
		if sp != 200 || strings.TrimSpace(string(present)) != `{"deregistered":false}` {
			t.Errorf("got %d %s, want 200 {\"deregistered\":false}", sp, present)
		}
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 2 {
		t.Fatalf("members: %+v, %v; want both still there", ms, err)
	}
	if r, err := svc.Client.WithToken(own.MemberToken).Deregister(ctx, "web", "i-present"); err != nil || !r.Deregistered {
		t.Fatalf("the member's own token: %+v, %v", r, err)
	}
}

// TestLabelSeparatorsStayOneLabel: ',' and '=' are allowed in a label
// value (issue 16 item 10 escapes them on output rather than refusing
// them); the registry keeps such a value as one label.
func TestLabelSeparatorsStayOneLabel(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	labels := map[string]string{"note": "x,admin=true", "city": "Zürich"}
	if _, err := svc.Client.WithToken(svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1", Labels: labels}); err != nil {
		t.Fatal(err)
	}
	ms, err := svc.Client.Members(ctx, "web")
	if err != nil || len(ms) != 1 || len(ms[0].Labels) != 2 || ms[0].Labels["note"] != "x,admin=true" {
		t.Fatalf("members: %+v, %v", ms, err)
	}
}

// TestDeregisteredIDStaysBound is the by-design threat of issue 16: a
// join-token holder took an instance id right after its member
// deregistered it (at shutdown, an every-boot hook), and the owner's
// registration at its next boot got 409. The id now stays bound to the
// member token that deregistered it, which the instance keeps across
// reboots: the owner gets it back, anyone else gets 409, and an admin's
// deregistration or a reconcile that finds the instance dead frees it.
func TestDeregisteredIDStaysBound(t *testing.T) {
	clock := &testClock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	svc := newService(t, nil, store.Options{Now: clock.Now})
	ctx := ctxT(t)
	joiner := svc.Client.WithToken(svc.Join)
	owner, thief := mustToken(t, registry.MemberTokenPrefix), mustToken(t, registry.MemberTokenPrefix)
	reg := func(tok string) (registry.RegisterResponse, error) {
		return joiner.Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1", MemberToken: tok})
	}
	if _, err := reg(owner); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Client.WithToken(owner).Deregister(ctx, "web", "i-1"); err != nil || !r.Deregistered {
		t.Fatalf("owner deregisters: %+v, %v", r, err)
	}
	if _, err := reg(thief); !registry.IsCode(err, registry.CodeConflict) || !strings.Contains(err.Error(), "only that member's token") {
		t.Fatalf("another token takes the released id: %v, want 409", err)
	}
	if r, err := reg(owner); err != nil || !r.Created {
		t.Fatalf("the owner registers again: %+v, %v", r, err)
	}
	// The owner leaves again; an admin frees the id (the instance lost
	// its token, say): anyone with the join token may take it.
	if _, err := svc.Client.WithToken(owner).Deregister(ctx, "web", "i-1"); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Client.Deregister(ctx, "web", "i-1"); err != nil || r.Deregistered {
		t.Fatalf("admin frees the id: %+v, %v", r, err)
	}
	if r, err := reg(thief); err != nil || !r.Created {
		t.Fatalf("a new token after the admin freed the id: %+v, %v", r, err)
	}
	// A reconcile that finds the instance dead forgets the binding.
	if _, err := svc.Client.WithToken(thief).Deregister(ctx, "web", "i-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg(owner); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("bound to the last token: %v, want 409", err)
	}
	clock.Advance(time.Minute)
	if _, err := svc.Client.Reconcile(ctx, "web", registry.ReconcileRequest{AllowEmpty: true, RegisteredBefore: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if r, err := reg(owner); err != nil || !r.Created {
		t.Fatalf("after a reconcile without i-1: %+v, %v", r, err)
	}
}
