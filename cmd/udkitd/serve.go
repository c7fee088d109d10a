package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdnotify "github.com/coreos/go-systemd/v22/daemon"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/api"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/store"
)

// DefaultHTTPAddress is where the API listens unless told otherwise.
const DefaultHTTPAddress = "127.0.0.1:8180"

type serveConfig struct {
	data            string
	httpAddr        string
	dqliteAddr      string
	join            string
	tlsCert         string
	tlsKey          string
	tlsCA           string
	httpCert        string
	httpKey         string
	insecureHTTP    bool
	latency         time.Duration
	shutdownTimeout time.Duration
	maxBatch        int
	connsPerClient  int
	conns           int
	logFormat       string
	leaseSweep      time.Duration
	leaseThreshold  float64
	leaseTolerance  int
	leaseBatch      int
	maxWatchers     int
	changeWindow    int
	metricsAddr     string
}

func serveFlags(w io.Writer) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("udkitd serve", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&c.data, "data", "", "data `DIR` (required): the dqlite node's files and admin.token")
	fs.StringVar(&c.httpAddr, "http", DefaultHTTPAddress, "`ADDR` the HTTP API listens on (port 0: any free port)")
	fs.StringVar(&c.dqliteAddr, "dqlite", dqlitenode.DefaultAddress, "`ADDR` of this dqlite node; a non-loopback one needs --tls-cert, --tls-key, --tls-ca")
	fs.StringVar(&c.join, "join", "", "comma-separated `ADDRS` of running nodes to join (first start only)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "PEM certificate `FILE` this node presents to other dqlite nodes")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM key `FILE` of --tls-cert")
	fs.StringVar(&c.tlsCA, "tls-ca", "", "PEM `FILE` of the CA that signs every node's certificate")
	fs.StringVar(&c.httpCert, "http-cert", "", "PEM certificate `FILE` to serve the API over HTTPS")
	fs.StringVar(&c.httpKey, "http-key", "", "PEM key `FILE` of --http-cert")
	fs.BoolVar(&c.insecureHTTP, "insecure-http", false, "allow plain HTTP on a non-loopback --http address (tokens travel in clear)")
	fs.DurationVar(&c.latency, "network-latency", 20*time.Millisecond, "expected one-way latency between nodes; raft heartbeat and election timeouts scale with it (20ms: a dead leader is replaced in about a second); 0 keeps dqlite's default")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long SIGTERM waits for requests to drain and leadership to move")
	fs.IntVar(&c.maxBatch, "max-batch", 0, "most registrations per transaction; 0 means 256, 1 disables group commit")
	fs.IntVar(&c.connsPerClient, "max-conns-per-client", api.DefaultListenerLimits.PerClient, "most HTTP connections open at once from one client IP; more are answered 503 and closed (-1: no limit, e.g. behind a proxy)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log line `FORMAT`: text (key=value) or json; both carry level, msg and, for every state change, an \"audit\" line")
	fs.DurationVar(&c.leaseSweep, "lease-sweep", 5*time.Second, "time between sweeps for expired leases (the Raft leader's only)")
	fs.Float64Var(&c.leaseThreshold, "lease-renewal-threshold", 0.85, "self-preservation: eviction pauses while fewer than this `FRACTION` of leased members renewed in the last half TTL")
	fs.IntVar(&c.leaseTolerance, "lease-tolerance", 1, "self-preservation never engages while at most this many leased members are late (a lost instance in a small cluster is still evicted)")
	fs.IntVar(&c.leaseBatch, "lease-batch", 256, "most members evicted per transaction")
	fs.StringVar(&c.metricsAddr, "metrics", "", "`ADDR` of a separate plain-HTTP listener serving Prometheus metrics at /metrics, without a token (they name clusters and count members, no secrets); empty: no metrics")
	fs.IntVar(&c.maxWatchers, "max-watchers", api.DefaultLimits.Watchers, "most blocking queries (watches) waiting at once; more are answered 503 with Retry-After")
	fs.IntVar(&c.changeWindow, "change-window", store.DefaultChangeWindow, "membership changes (all clusters) kept for watchers; a watcher further behind lists again")
	fs.IntVar(&c.conns, "max-conns", api.DefaultListenerLimits.Total, "most HTTP connections open at once; more are answered 503 and closed")
	return fs, c
}

func (c *serveConfig) check() error {
	if c.data == "" {
		return errors.New("--data DIR is required")
	}
	host, _, err := net.SplitHostPort(c.httpAddr)
	if err != nil {
		return fmt.Errorf("--http %q: %v; use host:port", c.httpAddr, err)
	}
	if (c.httpCert == "") != (c.httpKey == "") {
		return errors.New("--http-cert and --http-key go together")
	}
	if c.httpCert == "" && !c.insecureHTTP && !isLoopbackHost(host) {
		return fmt.Errorf("--http %q is not loopback: serve HTTPS with --http-cert and --http-key, or accept clear-text tokens with --insecure-http", c.httpAddr)
	}
	n := 0
	for _, f := range []string{c.tlsCert, c.tlsKey, c.tlsCA} {
		if f != "" {
			n++
		}
	}
	if n != 0 && n != 3 {
		return errors.New("--tls-cert, --tls-key and --tls-ca go together")
	}
	if c.tlsCert == "" {
		// Like --dqlite: the join handshake and the Raft traffic after
		// it would go in clear to a peer nobody authenticated.
		for _, a := range strings.Split(c.join, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			h, _, err := net.SplitHostPort(a)
			if err != nil {
				return fmt.Errorf("--join %q: %v; use host:port", a, err)
			}
			if !isLoopbackHost(h) {
				return fmt.Errorf("--join %q is not loopback and the dqlite protocol has no authentication: give --tls-cert, --tls-key and --tls-ca (every node of the cluster needs them)", a)
			}
		}
	}
	if c.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.metricsAddr); err != nil {
			return fmt.Errorf("--metrics %q: %v; use host:port", c.metricsAddr, err)
		}
	}
	if c.maxBatch < 0 {
		return errors.New("--max-batch must be 0 or more")
	}
	if c.connsPerClient == 0 || c.connsPerClient < -1 {
		return errors.New("--max-conns-per-client must be 1 or more, or -1 for no limit")
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.logFormat)
	}
	if c.conns < 1 {
		return errors.New("--max-conns must be 1 or more")
	}
	if c.maxWatchers < 1 {
		return errors.New("--max-watchers must be 1 or more")
	}
	if c.changeWindow < 1 {
		return errors.New("--change-window must be 1 or more")
	}
	if c.leaseSweep < 100*time.Millisecond {
		return errors.New("--lease-sweep must be 100ms or more")
	}
	if !(c.leaseThreshold > 0 && c.leaseThreshold <= 1) {
		return fmt.Errorf("--lease-renewal-threshold %v: want a fraction above 0, at most 1", c.leaseThreshold)
	}
	if c.leaseTolerance < 0 {
		return errors.New("--lease-tolerance must be 0 or more")
	}
	if c.leaseBatch < 1 {
		return errors.New("--lease-batch must be 1 or more")
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func serve(ctx context.Context, args []string, stderr io.Writer) int {
	fs, c := serveFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "udkitd serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if err := c.check(); err != nil {
		fmt.Fprintf(stderr, "udkitd serve: %v\n", err)
		return exitUsage
	}
	// Repeated lines (a failing request per client in a flood) are
	// rate-limited per message: 10 a second, then a count.
	var lh slog.Handler = slog.NewTextHandler(stderr, nil)
	if c.logFormat == "json" {
		lh = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(api.RateLimitLog(lh, 10, time.Second))
	if err := runServer(ctx, c, log); err != nil {
		log.Error("udkitd serve: " + err.Error())
		return exitTrouble
	}
	return exitOK
}

func runServer(ctx context.Context, c *serveConfig, log *slog.Logger) error {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	cfg := dqlitenode.Config{
		Dir:            filepath.Join(c.data, "dqlite"),
		Address:        c.dqliteAddr,
		NetworkLatency: c.latency,
		Log: func(level, msg string) {
			if level != "DEBUG" {
				log.Info("dqlite: "+msg, "level", level)
			}
		},
	}
	if c.join != "" {
		for _, a := range strings.Split(c.join, ",") {
			if a = strings.TrimSpace(a); a != "" {
				cfg.Join = append(cfg.Join, a)
			}
		}
	}
	if c.tlsCert != "" {
		cfg.TLS = &dqlitenode.TLS{CertFile: c.tlsCert, KeyFile: c.tlsKey, CAFile: c.tlsCA}
	}
	log.Info("starting dqlite node", "address", c.dqliteAddr, "join", cfg.Join, "dir", cfg.Dir)
	node, err := dqlitenode.Start(ctx, cfg)
	if err != nil {
		return err
	}
	shutdownNode := func() {
		sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
		defer cancel()
		if err := node.Close(sctx); err != nil {
			log.Warn("node shutdown: " + err.Error())
		} else {
			log.Info("dqlite node stopped after handover")
		}
	}
	sopt := store.Options{MaxBatch: c.maxBatch, Transient: dqlitenode.IsTransient, ChangeWindow: c.changeWindow}
	var metrics *api.Metrics
	if c.metricsAddr != "" {
		metrics = api.NewMetrics(api.MetricsOptions{})
		sopt.OnBatch = metrics.ObserveBatch
	}
	st, err := store.Open(ctx, node.DB(), sopt)
	if err != nil {
		shutdownNode()
		return err
	}
	tokenFile, err := ensureAdminToken(ctx, st, c, node.Address(), log)
	if err != nil {
		st.Close()
		shutdownNode()
		return err
	}

	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		st.Close()
		shutdownNode()
		return fmt.Errorf("listen for HTTP on %s: %w", c.httpAddr, err)
	}
	ln = api.LimitListener(ln, api.ListenerLimits{PerClient: c.connsPerClient, Total: c.conns})
	var metricsLn net.Listener
	if metrics != nil {
		if metricsLn, err = net.Listen("tcp", c.metricsAddr); err != nil {
			ln.Close()
			st.Close()
			shutdownNode()
			return fmt.Errorf("listen for metrics on %s: %w", c.metricsAddr, err)
		}
		// Scrapers are few: a flood of connections to this port must
		// not cost file descriptors the API needs.
		metricsLn = api.LimitListener(metricsLn, api.ListenerLimits{PerClient: 8, Total: 64})
	}
	tolerance := c.leaseTolerance
	if tolerance == 0 {
		tolerance = -1 // SweepOptions: -1 is none, 0 the default
	}
	ev := &store.Evictor{
		Store:    st,
		Every:    c.leaseSweep,
		Options:  store.SweepOptions{Batch: c.leaseBatch, Threshold: c.leaseThreshold, Tolerance: tolerance},
		IsLeader: node.IsLeader,
		Log:      log,
	}
	evCtx, stopEvictor := context.WithCancel(context.Background())
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		ev.Run(evCtx)
	}()
	hopts := []api.Option{api.WithLimits(api.Limits{Watchers: c.maxWatchers}), api.WithLeaseStatus(ev.Status), api.WithClusterInfo(func(ctx context.Context) (api.ClusterInfo, error) {
		return clusterInfo(ctx, node)
	})}
	if metrics != nil {
		hopts = append(hopts, api.WithMetrics(metrics))
	}
	srv := &http.Server{
		Handler: api.NewHandler(st, log, append(hopts, api.WithReadiness(func(ctx context.Context) (string, string, error) {
			leader, err := node.Leader(ctx)
			if err != nil {
				return "", "", err
			}
			nodes, err := node.Cluster(ctx)
			if err != nil {
				return "", "", err
			}
			return leader, nodes[node.Address()], nil
		}))...),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if c.httpCert != "" {
		scheme = "https"
	}
	errc := make(chan error, 1)
	go func() {
		if c.httpCert != "" {
			errc <- srv.ServeTLS(ln, c.httpCert, c.httpKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	var msrv *http.Server
	readyAttrs := []any{"url", scheme + "://" + ln.Addr().String(), "dqlite", node.Address()}
	if tokenFile != "" { // none: its token was revoked (warned above)
		readyAttrs = append(readyAttrs, "admin_token_file", tokenFile)
	}
	if metricsLn != nil {
		msrv = metricsServer(metrics, log)
		go func() {
			if err := msrv.Serve(metricsLn); !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped: " + err.Error())
			}
		}()
		readyAttrs = append(readyAttrs, "metrics_url", "http://"+metricsLn.Addr().String()+"/metrics")
	}
	log.Info("ready", readyAttrs...)
	// Type=notify (dist/udkitd.service); nothing without $NOTIFY_SOCKET.
	sdnotify.SdNotify(false, sdnotify.SdNotifyReady)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("stopping: draining HTTP requests")
	case serveErr = <-errc:
		log.Error("HTTP server stopped: " + serveErr.Error())
	}
	sdnotify.SdNotify(false, sdnotify.SdNotifyStopping)
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("HTTP drain: " + err.Error())
	}
	if msrv != nil {
		msrv.Shutdown(sctx)
	}
	cancel()
	stopEvictor()
	<-evDone
	st.Close()
	shutdownNode()
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

func adminTokenFile(c *serveConfig) string { return filepath.Join(c.data, "admin.token") }

// ensureAdminToken makes sure an operator can get in through every node,
// and returns the node's working admin token file ("" if it has none).
//
// A token already in DIR/admin.token is (re)stored, unless it was revoked:
// restarts keep it. A node without that file — the bootstrap node on its
// first start, a node joining the cluster, a node restored from a backup —
// mints its own admin token, labelled with its dqlite address (udkitd token
// admin-list shows it), stores its hash in the cluster-wide table and
// writes it to DIR/admin.token, 0600. The node is a member of the cluster
// (dqlite TLS, or loopback), so minting gives it nothing it did not have.
// A file holding a revoked token is left as it is, and no new one is
// minted: the node serves, and an operator puts a current token there or
// deletes the file so that the next start mints one.
func ensureAdminToken(ctx context.Context, st *store.Store, c *serveConfig, node string, log *slog.Logger) (string, error) {
	path := adminTokenFile(c)
	if _, err := os.Stat(path); err == nil {
		if loose := registry.LooseTokenFile(path); loose != "" {
			// udkitd wrote it 0600: someone loosened it, and every
			// local user could act as an administrator.
			return "", fmt.Errorf("refusing to start: %s", loose)
		}
		tok, err := registry.ReadTokenFile(path)
		if err != nil {
			return "", err
		}
		err = st.AddNodeAdminToken(ctx, tok, node)
		if registry.IsCode(err, registry.CodeForbidden) {
			// Revoked (udkitd token admin-revoke): a restart must not
			// bring it back. The node serves; operators use a current
			// token.
			log.Warn("not restoring the admin token in "+path+": it was revoked; put a current one there (udkitd token admin-create), or delete the file and restart to have this node mint its own", "token_id", registry.TokenID(tok))
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("admin token file: %w", err)
	}
	tok, err := registry.NewToken(registry.AdminTokenPrefix)
	if err != nil {
		return "", err
	}
	// The file first: a crash between the two leaves a file that the
	// next start stores, never a stored token nobody has.
	if err := writeSecret(path, tok+"\n"); err != nil {
		return "", fmt.Errorf("write the admin token file: %w", err)
	}
	if err := st.AddNodeAdminToken(ctx, tok, node); err != nil {
		os.Remove(path)
		return "", err
	}
	log.Info("made this node's admin token", "file", path, "token_id", registry.TokenID(tok), "node", node)
	return path, nil
}

// writeSecret writes a file readable by its owner only, atomically.
func writeSecret(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// clusterInfo asks the node for its Raft cluster: the leader and every
// node's role.
func clusterInfo(ctx context.Context, node *dqlitenode.Node) (api.ClusterInfo, error) {
	leader, err := node.Leader(ctx)
	if err != nil {
		return api.ClusterInfo{}, err
	}
	nodes, err := node.Cluster(ctx)
	if err != nil {
		return api.ClusterInfo{}, err
	}
	return api.ClusterInfo{Self: node.Address(), Leader: leader, Nodes: nodes}, nil
}

// metricsServer serves the metrics at /metrics on a listener of their own
// (--metrics): no token, plain HTTP, nothing else.
func metricsServer(m *api.Metrics, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
