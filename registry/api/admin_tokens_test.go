package api_test

import (
	"testing"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// TestAdminTokenRotation: a second admin token is made, the first is
// revoked with it and stops working, cannot be added back, and the last
// admin token cannot be revoked (no lock-out).
func TestAdminTokenRotation(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	old := svc.Client
	list, err := old.AdminTokens(ctx)
	if err != nil || len(list) != 1 || list[0].Token != "" {
		t.Fatalf("admin tokens at start: %+v, %v", list, err)
	}
	oldID := list[0].ID
	created, err := old.CreateAdminToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := registry.ParseToken(created.Token); err != nil || k != registry.KindAdmin || created.ID == oldID {
		t.Fatalf("created %+v (%v)", created, err)
	}
	cur := old.WithToken(created.Token)
	if list, err := cur.AdminTokens(ctx); err != nil || len(list) != 2 || list[0].ID != oldID || list[1].ID != created.ID {
		t.Fatalf("admin tokens after create: %+v, %v", list, err)
	}
	if ok, err := cur.RevokeAdminToken(ctx, oldID); err != nil || !ok {
		t.Fatalf("revoke the old admin token: %v, %v", ok, err)
	}
	if _, err := old.Members(ctx, "web"); !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("the revoked admin token still works: %v", err)
	}
	if err := svc.Store.AddAdminToken(ctx, svc.Admin); !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("adding the revoked admin token back: got %v, want forbidden", err)
	}
	if _, err := old.Members(ctx, "web"); !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("the revoked admin token works again: %v", err)
	}
	if ok, err := cur.RevokeAdminToken(ctx, oldID); err != nil || ok {
		t.Fatalf("revoking it twice: %v, %v; want false", ok, err)
	}
	if _, err := cur.RevokeAdminToken(ctx, created.ID); !registry.IsCode(err, registry.CodeConflict) {
		t.Fatalf("revoking the last admin token: got %v, want conflict", err)
	}
	if _, err := cur.Members(ctx, "web"); err != nil {
		t.Fatalf("the current admin token: %v", err)
	}
	u := svc.Srv.URL
	tests := []struct {
		name, method, path, token string
		wantStatus                int
		wantCode                  registry.Code
	}{
		{"create with a join token", "POST", "/v1/admin-tokens", svc.Join, 403, registry.CodeForbidden},
		{"list without a token", "GET", "/v1/admin-tokens", "", 401, registry.CodeUnauthorized},
		{"revoke with the revoked token", "DELETE", "/v1/admin-tokens/" + created.ID, svc.Admin, 403, registry.CodeForbidden},
		{"revoke a malformed id", "DELETE", "/v1/admin-tokens/nope", created.Token, 400, registry.CodeInvalid},
		{"wrong method", "PUT", "/v1/admin-tokens", created.Token, 405, registry.CodeMethod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, e, body := call(t, tc.method, u+tc.path, tc.token, "", "")
			if status != tc.wantStatus || e.Code != tc.wantCode {
				t.Fatalf("got %d %q, want %d %q; body %s", status, e.Code, tc.wantStatus, tc.wantCode, body)
			}
		})
	}
}
