package api_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/internal/regtest"
	"github.com/udkit/udkit/registry/store"
)

// TestBackupEndpoint: only an admin gets a backup; what it gets checks.
func TestBackupEndpoint(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	if _, err := svc.Client.WithToken(svc.Join).Backup(ctx, &bytes.Buffer{}); !registry.IsCode(err, registry.CodeForbidden) {
		t.Fatalf("backup with a join token: %v, want forbidden", err)
	}
	if code, _, _ := regtest.Call(t, "GET", svc.Srv.URL+"/v1/backup", "", "", ""); code != 401 {
		t.Fatalf("backup without a token: %d", code)
	}
	if _, err := svc.Client.WithToken(svc.Join).Register(ctx, "web", registry.RegisterRequest{InstanceID: "i-1"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := svc.Client.Backup(ctx, &buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("backup: %d bytes, %v", n, err)
	}
	info, err := store.VerifyBackup(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if info.SchemaVersion != store.SchemaVersion || info.Rows == 0 || !strings.Contains(buf.String(), `"i-1"`) {
		t.Fatalf("backup %+v:\n%s", info, buf.String())
	}
}

// TestReconcileDryRunAPI: "dry_run": true answers dry_run and removes
// nothing; the real run then removes the same ids.
func TestReconcileDryRunAPI(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	ctx := ctxT(t)
	jc := svc.Client.WithToken(svc.Join)
	for _, id := range []string{"i-1", "i-2", "i-3"} {
		if _, err := jc.Register(ctx, "web", registry.RegisterRequest{InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	req := registry.ReconcileRequest{Live: []string{"i-2"}, RegisteredBefore: time.Now(), DryRun: true}
	dry, err := svc.Client.Reconcile(ctx, "web", req)
	if err != nil || strings.Join(dry, ",") != "i-1,i-3" {
		t.Fatalf("dry run: %v, %v", dry, err)
	}
	if ms, err := svc.Client.Members(ctx, "web"); err != nil || len(ms) != 3 {
		t.Fatalf("members after the dry run: %d, %v", len(ms), err)
	}
	req.DryRun = false
	real, err := svc.Client.Reconcile(ctx, "web", req)
	if err != nil || strings.Join(real, ",") != strings.Join(dry, ",") {
		t.Fatalf("real run removed %v (%v), the dry run said %v", real, err, dry)
	}
}
