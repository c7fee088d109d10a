package dqlitenode_test

import (
	"context"
	"testing"
	"time"

	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
)

func TestStartRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addr := nodetest.FreeLoopbackAddress(t)
	n, err := dqlitenode.Start(ctx, dqlitenode.Config{Dir: dir, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.DB().ExecContext(ctx, "CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	if _, err := n.DB().ExecContext(ctx, "INSERT INTO t VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n, err = dqlitenode.Start(ctx, dqlitenode.Config{Dir: dir, Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	var v string
	if err := n.DB().QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != "kept" {
		t.Fatalf("got %q after restart, want %q", v, "kept")
	}
}

func TestThreeNodeClusterFormsAndSurvivesLeaderKill(t *testing.T) {
	nodes := nodetest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	leader, err := nodes[0].Leader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("leader %s", leader)
	if _, err := nodes[1].DB().ExecContext(ctx, "CREATE TABLE t (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var survivors []*dqlitenode.Node
	for _, n := range nodes {
		if n.Address() == leader {
			start := time.Now()
			n.Kill()
			t.Logf("killed in %v", time.Since(start))
		} else {
			survivors = append(survivors, n)
		}
	}
	start := time.Now()
	for {
		_, err := survivors[0].DB().ExecContext(ctx, "INSERT INTO t VALUES (1)")
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("writes resumed after %v", time.Since(start))
}
