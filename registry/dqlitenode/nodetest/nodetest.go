// Package nodetest starts real dqlite nodes on loopback for tests and
// benchmarks: one node, or a cluster of several whose members all vote.
package nodetest

import (
	"context"
	"net"
	"strings"
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
	n, _ := StartFresh(t, nil)
	return n
}

// StartFresh starts a node on a free loopback port in a fresh temporary
// directory, joining the given addresses if any, and returns it with its
// directory. A port found free by FreeLoopbackAddress may be taken by
// another process before the node binds it (dqlite needs a fixed address,
// so it cannot bind port 0): then StartFresh tries a new port and
// directory, up to 5 times.
func StartFresh(t testing.TB, join []string) (*dqlitenode.Node, string) {
	t.Helper()
	var errs []string
	for attempt := 0; attempt < 5; attempt++ {
		dir := t.TempDir()
		n, err := start(t, dir, FreeLoopbackAddress(t), join)
		if err == nil {
			return n, dir
		}
		if !isBindFailure(err) {
			t.Fatalf("nodetest: %v", err)
		}
		errs = append(errs, err.Error())
	}
	t.Fatalf("nodetest: no free port in 5 attempts: %s", strings.Join(errs, "; "))
	return nil, ""
}

// isBindFailure reports whether a start failed because the address was
// taken (go-dqlite says "failed to set bind address").
func isBindFailure(err error) bool {
	return strings.Contains(err.Error(), "failed to set bind address") || strings.Contains(err.Error(), "address already in use")
}

// StartIn starts a node in dir at addr, joining the given addresses if any,
// and closes it when the test ends (a no-op if the test closed it first).
func StartIn(t testing.TB, dir, addr string, join []string) *dqlitenode.Node {
	t.Helper()
	n, err := start(t, dir, addr, join)
	if err != nil {
		t.Fatalf("nodetest: %v", err)
	}
	return n
}

func start(t testing.TB, dir, addr string, join []string) (*dqlitenode.Node, error) {
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
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Close(ctx)
	})
	return n, nil
}

// StartCluster starts size nodes, the first one bootstrapping the cluster
// and the others joining it, and waits until the cluster has min(size, 3)
// voters so that it survives the loss of any one node when size >= 3.
func StartCluster(t testing.TB, size int) []*dqlitenode.Node {
	t.Helper()
	nodes := make([]*dqlitenode.Node, 0, size)
	first, _ := StartFresh(t, nil)
	nodes = append(nodes, first)
	for i := 1; i < size; i++ {
		n, _ := StartFresh(t, []string{first.Address()})
		nodes = append(nodes, n)
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
