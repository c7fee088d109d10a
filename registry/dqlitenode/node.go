// Package dqlitenode starts a dqlite node — the first node of a new cluster
// or one that joins an existing cluster — and hands out the *sql.DB that the
// registry store runs on.
//
// It is the only registry package that needs cgo: build with
// `-tags libsqlite3` against Debian's libdqlite-dev and libraft-dev
// (go-dqlite v1.11.5 matches bookworm's libdqlite 1.11.1).
//
// dqlite's own port speaks an unauthenticated protocol. [Start] therefore
// refuses a non-loopback address unless TLS is configured (mutual TLS with a
// cluster CA, through app.WithTLS); on loopback TLS is optional.
//
// Shut a node down with [Node.Close]: it closes the database handle, hands
// leadership and voting rights over to another node when there is one, and
// stops the node. [Node.Kill] stops it without the handover, as a crash
// would; tests use it to prove that acknowledged writes survive the loss of
// the leader.
package dqlitenode

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/canonical/go-dqlite/app"
	"github.com/canonical/go-dqlite/client"
)

// DefaultAddress is the dqlite address a node binds when none is given:
// loopback only, since the dqlite protocol has no authentication.
const DefaultAddress = "127.0.0.1:9180"

// DefaultRolesAdjustment is how often the leader rebalances roles unless
// Config.RolesAdjustment says otherwise (go-dqlite's own default is 30 s).
const DefaultRolesAdjustment = 3 * time.Second

// DefaultDatabase is the name of the database the node opens.
const DefaultDatabase = "udkit-registry"

// Config says how to start a node.
type Config struct {
	// Dir is the node's data directory. It is created (0700) if missing.
	Dir string
	// Address is the host:port the node listens on for dqlite traffic and
	// advertises to the other nodes; DefaultAddress if empty. A restarted
	// node must use the address it first started with.
	Address string
	// Join lists addresses of existing cluster members. Empty starts (or
	// restarts) the bootstrap node of a new cluster. Ignored on restart:
	// the node remembers its cluster in Dir.
	Join []string
	// TLS, if set, encrypts and mutually authenticates all dqlite traffic.
	// Required for a non-loopback Address.
	TLS *TLS
	// NetworkLatency is the expected one-way latency between nodes; raft's
	// heartbeat and election timeouts scale with it. Zero keeps dqlite's
	// default. Small values (a few ms) make failover fast on a LAN.
	NetworkLatency time.Duration
	// RolesAdjustment is how often the leader checks the nodes' roles:
	// it demotes voters that went offline and promotes stand-bys or spares
	// in their place, so that a cluster of four or more regains three
	// live voters after losing one. 0 means DefaultRolesAdjustment.
	RolesAdjustment time.Duration
	// Database is the database name; DefaultDatabase if empty.
	Database string
	// Log receives dqlite's log lines; nil discards them.
	Log func(level, msg string)
	// MaxOpenConns caps the database handle's connections to the
	// leader, so that a flood of requests queues in the process instead
	// of opening a connection (and a dqlite session) each. 0 means
	// DefaultMaxOpenConns.
	MaxOpenConns int
}

// DefaultMaxOpenConns is the connection cap of a node's database handle
// unless Config.MaxOpenConns says otherwise.
const DefaultMaxOpenConns = 32

// TLS holds the PEM files for dqlite's mutual TLS: every node presents
// CertFile and accepts peers whose certificate is signed by CAFile. A node
// verifies its peers against the first DNS name of its own certificate, so
// all nodes' certificates must start with the same DNS name; the simplest
// setup is one cluster certificate (with a DNS name such as
// "udkit-cluster") that every node shares.
type TLS struct {
	CertFile string
	KeyFile  string
	CAFile   string
}

var startMu sync.Mutex

// Node is a running dqlite node and its database handle.
type Node struct {
	app  *app.App
	db   *sql.DB
	once sync.Once
	err  error
}

// Start starts the node described by cfg, waits until it has joined the
// cluster and a leader is known (or ctx ends), and opens the database.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Dir == "" {
		return nil, errors.New("dqlitenode: no data directory given; pass Config.Dir")
	}
	addr := cfg.Address
	if addr == "" {
		addr = DefaultAddress
	}
	loop, err := isLoopback(addr)
	if err != nil {
		return nil, fmt.Errorf("dqlitenode: address %q: %v; use host:port, e.g. %s", addr, err, DefaultAddress)
	}
	if !loop && cfg.TLS == nil {
		return nil, fmt.Errorf("dqlitenode: address %q is not loopback and the dqlite protocol has no authentication: configure TLS (cert, key and cluster CA) or bind to 127.0.0.1", addr)
	}
	for i, j := range cfg.Join {
		loop, err := isLoopback(j)
		if err != nil {
			return nil, fmt.Errorf("dqlitenode: join address %d %q: %v; use host:port", i+1, j, err)
		}
		// The join handshake and everything after it would travel in
		// clear to a peer nobody authenticated.
		if !loop && cfg.TLS == nil {
			return nil, fmt.Errorf("dqlitenode: join address %d %q is not loopback and the dqlite protocol has no authentication: configure TLS (cert, key and cluster CA) to join a node on another host", i+1, j)
		}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("dqlitenode: data directory: %w", err)
	}

	opts := []app.Option{
		app.WithAddress(addr),
		app.WithLogFunc(logFunc(cfg.Log)),
	}
	if len(cfg.Join) > 0 {
		opts = append(opts, app.WithCluster(cfg.Join))
	}
	roles := cfg.RolesAdjustment
	if roles <= 0 {
		roles = DefaultRolesAdjustment
	}
	opts = append(opts, app.WithRolesAdjustmentFrequency(roles))
	if cfg.NetworkLatency > 0 {
		opts = append(opts, app.WithNetworkLatency(cfg.NetworkLatency))
	}
	if cfg.TLS != nil {
		listen, dial, err := loadTLS(cfg.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, app.WithTLS(listen, dial))
	}
	// app.New registers a database/sql driver under a counter it does
	// not guard: serialize.
	startMu.Lock()
	a, err := app.New(cfg.Dir, opts...)
	startMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("dqlitenode: start node in %s at %s: %w", cfg.Dir, addr, err)
	}
	if err := a.Ready(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("dqlitenode: node %s did not become ready (joined, leader known): %w", addr, err)
	}
	name := cfg.Database
	if name == "" {
		name = DefaultDatabase
	}
	db, err := a.Open(ctx, name)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("dqlitenode: open database %q on %s: %w", name, addr, err)
	}
	conns := cfg.MaxOpenConns
	if conns <= 0 {
		conns = DefaultMaxOpenConns
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return &Node{app: a, db: db}, nil
}

// DB returns the node's database handle. It stays valid until Close or Kill.
func (n *Node) DB() *sql.DB { return n.db }

// Address returns the node's dqlite address.
func (n *Node) Address() string { return n.app.Address() }

// ID returns the node's raft ID.
func (n *Node) ID() uint64 { return n.app.ID() }

// Leader returns the address of the current cluster leader, as seen from
// this node, or an error if none is known.
func (n *Node) Leader(ctx context.Context) (string, error) {
	cli, err := n.app.Leader(ctx)
	if err != nil {
		return "", fmt.Errorf("dqlitenode: find leader: %w", err)
	}
	defer cli.Close()
	info, err := cli.Leader(ctx)
	if err != nil {
		return "", fmt.Errorf("dqlitenode: find leader: %w", err)
	}
	if info == nil {
		return "", errors.New("dqlitenode: no leader elected yet")
	}
	return info.Address, nil
}

// IsLeader reports whether this node is the cluster's Raft leader now,
// as the leader it finds reports it. The answer can be stale by the time
// it is used: work that must happen once (lease eviction) has to be safe
// on two nodes at once anyway, and this only keeps followers from doing it.
func (n *Node) IsLeader(ctx context.Context) (bool, error) {
	leader, err := n.Leader(ctx)
	if err != nil {
		return false, err
	}
	return leader == n.Address(), nil
}

// Cluster returns the addresses of the cluster's nodes and their roles
// ("voter", "stand-by", "spare"), as the leader reports them.
func (n *Node) Cluster(ctx context.Context) (map[string]string, error) {
	cli, err := n.app.Leader(ctx)
	if err != nil {
		return nil, fmt.Errorf("dqlitenode: find leader: %w", err)
	}
	defer cli.Close()
	nodes, err := cli.Cluster(ctx)
	if err != nil {
		return nil, fmt.Errorf("dqlitenode: list cluster: %w", err)
	}
	out := make(map[string]string, len(nodes))
	for _, nd := range nodes {
		out[nd.Address] = nd.Role.String()
	}
	return out, nil
}

// Close shuts the node down cleanly: it closes the database handle, hands
// leadership and its voting role to another node when one is available
// (bounded by ctx and at most one minute), then stops the node. It is safe
// to call more than once; later calls return the first result.
func (n *Node) Close(ctx context.Context) error {
	n.once.Do(func() {
		var errs []error
		if err := n.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
		if err := n.handover(ctx); err != nil {
			errs = append(errs, fmt.Errorf("handover: %w", err))
		}
		if err := n.app.Close(); err != nil {
			errs = append(errs, fmt.Errorf("stop node: %w", err))
		}
		if err := errors.Join(errs...); err != nil {
			n.err = fmt.Errorf("dqlitenode: close %s: %w", n.app.Address(), err)
		}
	})
	return n.err
}

// handover runs app.Handover, retrying while ctx allows: right after a
// membership change raft refuses the next one ("a configuration change is
// already in progress"). If the handover got as far as promoting a
// replacement but could not demote this node, only the demotion is
// retried: running the whole handover again would find no candidate left
// and keep this node a voter, leaving the cluster with one voter too many
// once it is gone.
func (n *Node) handover(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	for {
		err := n.app.Handover(ctx)
		if err == nil {
			return nil
		}
		if strings.Contains(err.Error(), "demote ourselves") {
			return n.demoteSelf(ctx, err)
		}
		if !sleepCtx(ctx, &backoff) {
			return err
		}
	}
}

func (n *Node) demoteSelf(ctx context.Context, first error) error {
	backoff := 50 * time.Millisecond
	err := first
	for sleepCtx(ctx, &backoff) {
		var cli *client.Client
		cli, err = n.app.Leader(ctx)
		if err != nil {
			continue
		}
		err = cli.Assign(ctx, n.app.ID(), client.Spare)
		cli.Close()
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("demote %s to spare: %w", n.app.Address(), err)
}

// sleepCtx waits *backoff (then doubles it, up to a second) and reports
// whether ctx is still live.
func sleepCtx(ctx context.Context, backoff *time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(*backoff):
	}
	if *backoff < time.Second {
		*backoff *= 2
	}
	return ctx.Err() == nil
}

// Kill stops the node without handing anything over, as a crash would: the
// rest of the cluster notices only when heartbeats stop. Use Close for a
// clean shutdown.
func (n *Node) Kill() error {
	n.once.Do(func() {
		n.db.Close()
		if err := n.app.Close(); err != nil {
			n.err = fmt.Errorf("dqlitenode: kill %s: %w", n.app.Address(), err)
		}
	})
	return n.err
}

func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false, nil // a name: treat as non-loopback
	}
	return ip.IsLoopback(), nil
}

func loadTLS(t *TLS) (listen, dial *tls.Config, err error) {
	if t.CertFile == "" || t.KeyFile == "" || t.CAFile == "" {
		return nil, nil, errors.New("dqlitenode: TLS needs a certificate, its key and the cluster CA file")
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("dqlitenode: load TLS key pair %s, %s: %w", t.CertFile, t.KeyFile, err)
	}
	ca, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, nil, fmt.Errorf("dqlitenode: read TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, nil, fmt.Errorf("dqlitenode: TLS CA %s holds no PEM certificate", t.CAFile)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, nil, fmt.Errorf("dqlitenode: TLS certificate %s: %w", t.CertFile, err)
	}
	// go-dqlite dials peers expecting the first DNS name of our own
	// certificate (and panics without one).
	if len(leaf.DNSNames) == 0 {
		return nil, nil, fmt.Errorf("dqlitenode: TLS certificate %s has no DNS name: give it a subjectAltName DNS entry shared by all nodes (e.g. DNS:udkit-cluster)", t.CertFile)
	}
	listen, dial = app.SimpleTLSConfig(cert, pool)
	return listen, dial, nil
}

func logFunc(f func(level, msg string)) client.LogFunc {
	return func(l client.LogLevel, format string, a ...interface{}) {
		if f == nil {
			return
		}
		f(l.String(), fmt.Sprintf(format, a...))
	}
}
