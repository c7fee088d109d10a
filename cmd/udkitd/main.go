// Command udkitd is udkit's registration service: instances register with
// their cluster at launch and deregister from their stop hook; operators
// list them with `udkit members`. Its state lives in dqlite, embedded.
//
// Usage:
//
//	udkitd serve --data DIR [--http ADDR] [--dqlite ADDR] [--join ADDR,...] [flags]
//	udkitd token create --cluster NAME [--url URL] [--admin-token-file FILE | --data DIR]
//	udkitd token list   --cluster NAME [...]
//	udkitd token revoke --cluster NAME [...] ID
//	udkitd token admin-create|admin-list [...]
//	udkitd token admin-revoke [...] ID
//	udkitd reconcile --cluster NAME --live FILE --registered-before TIME [--allow-empty] [--dry-run] [...]
//	udkitd lease show|set --cluster NAME [--ttl DUR] [...]
//	udkitd backup FILE [--url URL] [--admin-token-file FILE | --data DIR]
//	udkitd restore FILE --data DIR [--dqlite ADDR]
//	udkitd unit
//	udkitd status [--url URL] [--json] [--admin-token-file FILE | --data DIR]
//
// `udkitd serve --data DIR` alone starts a single dqlite node on
// 127.0.0.1:9180 and the HTTP API on 127.0.0.1:8180. Every node, on its
// first start (the bootstrap node, a joining node, a restored one), mints
// its own admin token, stores its hash in the cluster-wide table labelled
// with the node's dqlite address, and writes it to DIR/admin.token (mode
// 0600); restarts keep it. So `--data DIR` works on every node without
// copying tokens, `udkitd token admin-list` shows which node each token
// belongs to, and `admin-revoke` revokes one node's token alone. A revoked
// token in a DIR/admin.token is not restored; delete the file and restart
// to mint a new one.
//
// `udkitd backup FILE` writes every table, read in one transaction, to a
// checksummed file (0600, atomically); `udkitd restore FILE --data DIR`
// makes a fresh node's data directory from it.
//
// More nodes: `udkitd serve --data DIR --dqlite ADDR --join ADDR1,...` with
// the address of any running node (first start only; a restarted node
// remembers its cluster). Three voters survive the loss of one; a fourth
// and later nodes are stand-bys that the leader promotes when a voter
// goes. The dqlite port has no authentication: a non-loopback --dqlite
// address needs --tls-cert, --tls-key and --tls-ca, and a non-loopback
// --http address needs --http-cert and --http-key (or --insecure-http).
//
// Monitoring: `udkitd serve --metrics ADDR` serves Prometheus metrics at
// http://ADDR/metrics on a listener of its own, without a token (off by
// default; the metrics name clusters and count members but carry no
// secret, so bind ADDR to loopback or a monitoring network). /healthz
// (liveness) names the leader and the node's role, /readyz answers 503
// while the database takes no writes, and `udkitd status` prints the
// cluster (GET /v1/status, admin token).
//
// SIGTERM or SIGINT shuts down cleanly: the HTTP server drains, the
// database closes, leadership and the vote are handed to another node, the
// node stops, and udkitd exits 0.
//
// Help: `udkitd help [COMMAND [SUBCOMMAND]]` or `udkitd COMMAND --help`,
// to standard output, exit 0. `udkitd version` (or --version) prints the
// module version and VCS revision from the build information.
//
// Exit status, as for udkit: 0 done; 1 the registry answered and refused
// the request; 2 could not do the job (a usage error, a missing or
// unreadable file, a registry that cannot be reached, a node that cannot
// start).
//
// Build with cgo and `-tags libsqlite3` (Debian: libdqlite-dev
// libraft-dev).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/udkit/udkit/internal/buildinfo"
	"github.com/udkit/udkit/registry"
)

// Exit codes: the contract of udkit (see the package doc).
const (
	exitOK = 0
	// exitFail: the registry answered and refused the request (an API
	// error: unknown or revoked token, the last admin token, a time ahead
	// of its clock), or there was nothing to do it to (already revoked).
	exitFail = 1
	// exitTrouble: could not do the job: usage, an unreadable file, a
	// registry that cannot be reached or whose certificate is not trusted,
	// a node that cannot start.
	exitTrouble = 2
	exitUsage   = exitTrouble
)

// requestExit is the exit code for an error of a registry request:
// exitFail when the registry answered with an API error (it refused),
// exitTrouble when it could not be asked (connection, TLS, timeout).
func requestExit(err error) int {
	var apiErr *registry.Error
	if errors.As(err, &apiErr) && apiErr.Status < 500 {
		return exitFail
	}
	return exitTrouble
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand; ctx ends when the process is told to
// stop.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	if len(args) > 1 && wantsHelp(args[1:]) {
		stderr = stdout // help goes to standard output
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "token":
		return token(ctx, args[1:], stdout, stderr)
	case "reconcile":
		return reconcile(ctx, args[1:], stdin, stdout, stderr)
	case "lease":
		return lease(ctx, args[1:], stdout, stderr)
	case "backup":
		return backup(ctx, args[1:], stdout, stderr)
	case "restore":
		return restore(ctx, args[1:], stdout, stderr)
	case "unit":
		return unitCmd(args[1:], stdout, stderr)
	case "status":
		return status(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && !wantsHelp(args[1:]) {
			// udkitd help COMMAND [SUBCOMMAND]: that command's -h.
			return run(ctx, append(append([]string{}, args[1:]...), "-h"), stdin, stdout, stdout)
		}
		usage(stdout)
		return exitOK
	case "version", "--version", "-version":
		if len(args) != 1 {
			fmt.Fprintf(stderr, "usage: udkitd %s\n", args[0])
			return exitUsage
		}
		io.WriteString(stdout, buildinfo.Text("udkitd"))
		return exitOK
	default:
		fmt.Fprintf(stderr, "udkitd: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
}

func usage(w io.Writer) {
	io.WriteString(w, `usage: udkitd <command> [flags]

commands:
  serve     run the registry: a dqlite node and the HTTP API
  token     create, list or revoke join tokens and admin tokens
  reconcile remove members whose instances no longer exist
  lease     show or set a cluster's lease TTL (members renew or are evicted)
  backup    write a consistent backup of the whole registry to a file
  restore   make a fresh node's data directory from a backup file
  unit      print udkitd's hardened systemd unit (dist/udkitd.service)
  status    print the cluster: nodes, roles, leader, members per cluster, lease state
  version   print the version and VCS revision (also --version)

Run "udkitd help COMMAND" (or "udkitd COMMAND --help") for its flags.
Exit status: 0 done; 1 the registry refused the request; 2 could not do
the job (usage, unreadable file, registry unreachable, node not started).
`)
}

// wantsHelp reports whether args ask for help (-h, -help, --help) before
// any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}
