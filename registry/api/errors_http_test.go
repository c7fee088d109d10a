package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
	"github.com/udkit/udkit/registry/store"
)

// syncBuffer is a log sink the handler writes from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServerErrorsHideDetail: a database failure answers 500 (or 503 on
// /healthz, which needs no token) with a generic message and a request id;
// the SQL/dqlite error text goes to the log under that id only.
func TestServerErrorsHideDetail(t *testing.T) {
	node := nodetest.Start(t)
	db := node.DB()
	st := openStore(t, db, store.Options{RetryFor: time.Second})
	var logs syncBuffer
	srv := httptest.NewServer(api.NewHandler(st, slog.New(slog.NewTextHandler(&logs, nil))))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := mustToken(t, registry.AdminTokenPrefix)
	if err := st.AddAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	// A broken schema: every member query now fails inside SQLite.
	if _, err := db.ExecContext(ctx, `DROP TABLE members`); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, resp *http.Response, body []byte, wantStatus int, secret string) {
		t.Helper()
		if resp.StatusCode != wantStatus {
			t.Fatalf("status %d, want %d; body %s", resp.StatusCode, wantStatus, body)
		}
		if strings.Contains(strings.ToLower(string(body)), secret) {
			t.Errorf("the answer carries the database's error text %q: %s", secret, body)
		}
		id := resp.Header.Get("X-Request-Id")
		if len(id) != 16 {
			t.Fatalf("X-Request-Id %q, want 16 hex digits", id)
		}
		if !strings.Contains(string(body), id) {
			t.Errorf("the answer does not name request id %s: %s", id, body)
		}
		var line string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "request_id="+id) {
				line = l
			}
		}
		if !strings.Contains(strings.ToLower(line), secret) {
			t.Errorf("no log line with request id %s and the detail %q:\n%s", id, secret, logs.String())
		}
	}
	t.Run("500 on a SQL error", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/clusters/web/members", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `"code":"internal"`) {
			t.Errorf("body %s, want code internal", body)
		}
		check(t, resp, body, 500, "no such table")
	})
	t.Run("readyz with the database closed", func(t *testing.T) {
		db.Close()
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		check(t, resp, body, 503, "database is closed")
	})
	t.Run("healthz with the database closed", func(t *testing.T) {
		// Liveness asks nothing of the database (issue 16 item 6).
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
			t.Errorf("healthz: %d %s", resp.StatusCode, body)
		}
	})
}
