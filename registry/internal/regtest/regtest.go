// Package regtest starts a registry for tests: a real dqlite node on
// loopback, the store on it and the HTTP API behind a real HTTP server,
// with an admin token and a join token for cluster "web".
package regtest

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// Service is a registry on a real dqlite node behind a real HTTP server on
// loopback.
type Service struct {
	DB     *sql.DB
	Store  *store.Store
	Srv    *httptest.Server
	Admin  string
	Join   string // join token of cluster "web"
	Client *client.Client
}

// OpenStore opens a store on db, retrying dqlite's transient errors as
// udkitd does, and closes it when the test ends.
func OpenStore(t testing.TB, db *sql.DB, opt store.Options) *store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opt.Transient == nil {
		opt.Transient = dqlitenode.IsTransient // as udkitd does
	}
	s, err := store.Open(ctx, db, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewService starts a node (unless db is given), a store and an HTTP
// server with the API (options hopt), and makes an admin token and a join
// token for cluster "web".
func NewService(t testing.TB, db *sql.DB, opt store.Options, hopt ...api.Option) *Service {
	t.Helper()
	if db == nil {
		db = nodetest.Start(t).DB()
	}
	s := OpenStore(t, db, opt)
	srv := httptest.NewServer(api.NewHandler(s, nil, hopt...))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := MustToken(t, registry.AdminTokenPrefix)
	if err := s.AddAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.URL, admin, &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	jt, err := c.CreateJoinToken(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	return &Service{DB: db, Store: s, Srv: srv, Admin: admin, Join: jt.Token, Client: c}
}

// Ctx returns a context that ends after a minute or with the test.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// MustToken returns a fresh token with the given prefix.
func MustToken(t testing.TB, prefix string) string {
	t.Helper()
	tok, err := registry.NewToken(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Call sends a raw request and returns the status, the decoded error (zero
// for a success) and the body. Every answer must be JSON and every error a
// registry error.
func Call(t testing.TB, method, url, token, contentType, body string) (int, registry.Error, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json (body %s)", method, url, ct, data)
	}
	var e registry.Error
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(data, &e); err != nil || e.Code == "" || !strings.HasPrefix(e.Message, "registry: ") {
			t.Errorf("%s %s: error body %s is not a registry error", method, url, data)
		}
	}
	return resp.StatusCode, e, data
}
