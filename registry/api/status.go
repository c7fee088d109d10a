package api

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/udkit/udkit/registry"
)

// ClusterInfo is what a node knows of its Raft cluster: its own dqlite
// address, the leader's, and every node's role ("voter", "stand-by",
// "spare") by address.
type ClusterInfo struct {
	Self   string
	Leader string
	Nodes  map[string]string
}

// Role returns the node's own role: "leader" when it leads, otherwise its
// role in Nodes ("voter", "stand-by", "spare"), or "" when unknown.
func (c ClusterInfo) Role() string {
	if c.Self != "" && c.Self == c.Leader {
		return "leader"
	}
	return c.Nodes[c.Self]
}

// WithClusterInfo gives the handler a way to ask the node about its Raft
// cluster (udkitd's asks dqlite). It enables GET /v1/status (admin), adds
// the leader and the node's role to /healthz, and the Raft role to the
// metrics of [WithMetrics]. /healthz and the metrics ask at most once per
// Limits.ReadyEvery (after a failure, at the next call), one request at a
// time, and get the last answer meanwhile; /healthz waits for a first
// answer at most a second, so liveness does not hang on the database.
func WithClusterInfo(f func(ctx context.Context) (ClusterInfo, error)) Option {
	return func(h *Handler) { h.info.fetch = f }
}

// infoCache keeps the last ClusterInfo, refreshed at most once per
// interval by one goroutine however many callers ask.
type infoCache struct {
	fetch func(context.Context) (ClusterInfo, error)

	mu       sync.Mutex
	at       time.Time // when the last fetch ended
	info     ClusterInfo
	err      error
	inflight chan struct{} // closed when the running fetch ends
}

// get returns the cached info, starting a refresh in the background when
// it is older than every. Only a caller that finds no answer at all waits
// for the refresh, and at most wait; the others get the last answer at
// once.
func (c *infoCache) get(every, wait time.Duration) (ClusterInfo, error) {
	if c.fetch == nil {
		return ClusterInfo{}, errors.New("no cluster information")
	}
	c.mu.Lock()
	// A failure is not kept: the next caller starts a new refresh (one
	// at a time, each bounded), so the answer comes back as soon as
	// dqlite does.
	if !c.at.IsZero() && c.err == nil && time.Since(c.at) < every {
		info, err := c.info, c.err
		c.mu.Unlock()
		return info, err
	}
	done := c.inflight
	if done == nil {
		done = make(chan struct{})
		c.inflight = done
		go c.refresh(done)
	}
	known := !c.at.IsZero()
	c.mu.Unlock()
	if !known && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return ClusterInfo{}, errors.New("cluster information not known yet")
	}
	return c.info, c.err
}

func (c *infoCache) refresh(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	info, err := c.fetch(ctx)
	cancel()
	c.mu.Lock()
	c.at, c.info, c.err, c.inflight = time.Now(), info, err, nil
	c.mu.Unlock()
	close(done)
}

// status answers GET /v1/status (admin): the node's view of its Raft
// cluster, asked now, with the member count of every cluster.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	if h.info.fetch == nil {
		h.fail(w, r, registry.Errorf(registry.CodeNotFound, "this server has no cluster information (GET /v1/status needs api.WithClusterInfo)"))
		return
	}
	info, err := h.info.fetch(r.Context())
	if err != nil {
		h.fail(w, r, registry.Errorf(registry.CodeUnavailable, "cluster information: %v", err))
		return
	}
	cs, err := h.st.Clusters(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := registry.StatusResponse{Node: info.Self, Role: info.Nodes[info.Self], Leader: info.Leader, Nodes: []registry.NodeStatus{}, Clusters: cs}
	for addr, role := range info.Nodes {
		res.Nodes = append(res.Nodes, registry.NodeStatus{Address: addr, Role: role, Leader: addr == info.Leader})
	}
	sort.Slice(res.Nodes, func(i, j int) bool { return res.Nodes[i].Address < res.Nodes[j].Address })
	if h.leaseState != nil {
		st := h.leaseState()
		res.Lease = &st
	}
	writeJSON(w, http.StatusOK, res)
}
