// Package nodetest starts real dqlite nodes on loopback for tests and
// benchmarks: one node, or a cluster of several whose members all vote.
package nodetest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/udkit/udkit/registry/dqlitenode"
)

// Latency is the network latency the test nodes are configured with. It is
// small so that a cluster elects a new leader quickly when one is killed,
// but not so small that a loaded, race-instrumented test machine misses
// heartbeats all the time.
const Latency = 20 * time.Millisecond

// FreeLoopbackAddress returns a 127.0.0.1 address whose port was free a
// moment ago.
func FreeLoopbackAddress(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("nodetest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts a single node in a fresh temporary directory and closes it
// (with handover) when the test ends.
func Start(t testing.TB) *dqlitenode.Node {
	t.Helper()
	return StartIn(t, t.TempDir(), FreeLoopbackAddress(t), nil)
}

// StartIn starts a node in dir at addr, joining the given addresses if any,
// and closes it when the test ends (a no-op if the test closed it first).
func StartIn(t testing.TB, dir, addr string, join []string) *dqlitenode.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := dqlitenode.Start(ctx, dqlitenode.Config{
		Dir:            dir,
		Address:        addr,
		Join:           join,
		NetworkLatency: Latency,
	})
	if err != nil {
		t.Fatalf("nodetest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Close(ctx)
	})
	return n
}

// StartCluster starts size nodes, the first one bootstrapping the cluster
// and the others joining it, and waits until the cluster has min(size, 3)
// voters so that it survives the loss of any one node when size >= 3.
func StartCluster(t testing.TB, size int) []*dqlitenode.Node {
	t.Helper()
	nodes := make([]*dqlitenode.Node, 0, size)
	first := StartIn(t, t.TempDir(), FreeLoopbackAddress(t), nil)
	nodes = append(nodes, first)
	for i := 1; i < size; i++ {
		nodes = append(nodes, StartIn(t, t.TempDir(), FreeLoopbackAddress(t), []string{first.Address()}))
	}
	want := size
	if want > 3 {
		want = 3
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		roles, err := first.Cluster(ctx)
		if err == nil {
			voters := 0
			for _, r := range roles {
				if r == "voter" {
					voters++
				}
			}
			if voters >= want {
				return nodes
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("nodetest: cluster of %d did not reach %d voters: roles %v, last error %v", size, want, roles, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
