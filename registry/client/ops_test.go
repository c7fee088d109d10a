package client_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// TestDryRunNeedsConfirmation: a registry whose answer to a dry run does
// not say dry_run (one that ignored the field and removed) is an error
// that names what it removed, never a quiet success.
func TestDryRunNeedsConfirmation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"removed":["i-1","i-2"]}`))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, "udka_"+strings.Repeat("0", 64), nil)
	_, err := c.Reconcile(context.Background(), "web", registry.ReconcileRequest{Live: []string{"i-3"}, RegisteredBefore: time.Now(), DryRun: true})
	if err == nil || !strings.Contains(err.Error(), "does not say dry_run") || !strings.Contains(err.Error(), "i-1 i-2") {
		t.Fatalf("unconfirmed dry run: %v", err)
	}
}

// TestBackupErrors: a refusal is a registry error with its code; the
// body of a success is copied as it is.
func TestBackupErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer udka_"+strings.Repeat("1", 64) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"code":"forbidden","message":"registry: unknown admin token"}`))
			return
		}
		w.Write([]byte("udkit-registry-backup 1\n"))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, "udka_"+strings.Repeat("0", 64), nil)
	var buf bytes.Buffer
	if _, err := c.Backup(context.Background(), &buf); !registry.IsCode(err, registry.CodeForbidden) || buf.Len() != 0 {
		t.Fatalf("refused backup: %v, %d bytes written", err, buf.Len())
	}
	n, err := c.WithToken("udka_"+strings.Repeat("1", 64)).Backup(context.Background(), &buf)
	if err != nil || n != int64(buf.Len()) || buf.String() != "udkit-registry-backup 1\n" {
		t.Fatalf("backup: %d %v %q", n, err, buf.String())
	}
	// Nothing is sent: the address is never dialled.
	c2, err := client.New("http://192.0.2.1:8180", "udka_"+strings.Repeat("0", 64), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Backup(context.Background(), &buf); err == nil || !strings.Contains(err.Error(), "refusing to send the token") {
		t.Fatalf("backup over plain http to a non-loopback host: %v", err)
	}
}
