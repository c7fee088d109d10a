package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

const tokenUsage = `usage:
  udkitd token create --cluster NAME [flags]       print a new join token (its only copy)
  udkitd token list   --cluster NAME [flags]       list the cluster's join tokens (ids, no secrets)
  udkitd token revoke --cluster NAME [flags] ID    revoke a join token
  udkitd token admin-create [flags]                print a new admin token (its only copy)
  udkitd token admin-list   [flags]                list the admin tokens: id, created, node (- if made here)
  udkitd token admin-revoke [flags] ID             revoke an admin token (not the last one)

Every node mints its own admin token on its first start (a joining node
too) and writes it to its DATA/admin.token (0600); admin-list shows each
with the dqlite address of its node, so one node's token is revoked alone.
Rotating a node's token: delete its DATA/admin.token and restart it (it
mints a new one), then admin-revoke the old id. A revoked token found in a
DATA/admin.token at start is not restored (and none is minted: delete the
file to get a new one).

flags:
`

// token manages join and admin tokens through the HTTP API of a running
// udkitd, authenticated with an admin token.
func token(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, code := stderr, exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fs, _ := tokenFlags(w)
		io.WriteString(w, tokenUsage)
		fs.PrintDefaults()
		return code
	}
	sub := args[0]
	admin := strings.HasPrefix(sub, "admin-")
	switch sub {
	case "create", "list", "revoke", "admin-create", "admin-list", "admin-revoke":
	default:
		fmt.Fprintf(stderr, "udkitd token: unknown subcommand %q; want create, list, revoke, admin-create, admin-list or admin-revoke\n", sub)
		return exitUsage
	}
	fs, o := tokenFlags(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	wantArgs := 0
	if strings.HasSuffix(sub, "revoke") {
		wantArgs = 1
	}
	if fs.NArg() != wantArgs {
		fmt.Fprintf(stderr, "udkitd token %s: want %d argument(s) after the flags, got %d\n", sub, wantArgs, fs.NArg())
		return exitUsage
	}
	if o.cluster == "" && !admin {
		fmt.Fprintf(stderr, "udkitd token %s: --cluster NAME is required\n", sub)
		return exitUsage
	}
	if o.cluster != "" && admin {
		fmt.Fprintf(stderr, "udkitd token %s: admin tokens belong to no cluster; drop --cluster\n", sub)
		return exitUsage
	}
	c, err := o.client()
	if err != nil {
		fmt.Fprintf(stderr, "udkitd token %s: %v\n", sub, err)
		return exitUsage
	}
	var out any
	switch sub {
	case "create":
		jt, err := c.CreateJoinToken(ctx, o.cluster)
		if err != nil {
			fmt.Fprintf(stderr, "udkitd token create: %v\n", err)
			return requestExit(err)
		}
		if !o.json {
			fmt.Fprintln(stdout, jt.Token)
			return exitOK
		}
		out = jt
	case "list":
		jts, err := c.JoinTokens(ctx, o.cluster)
		if err != nil {
			fmt.Fprintf(stderr, "udkitd token list: %v\n", err)
			return requestExit(err)
		}
		if !o.json {
			for _, jt := range jts {
				fmt.Fprintf(stdout, "%s  %s\n", jt.ID, jt.CreatedAt.Format(time.RFC3339))
			}
			return exitOK
		}
		out = registry.JoinTokensResponse{JoinTokens: jts}
	case "revoke":
		ok, err := c.RevokeJoinToken(ctx, o.cluster, fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "udkitd token revoke: %v\n", err)
			return requestExit(err)
		}
		if !ok {
			fmt.Fprintf(stderr, "udkitd token revoke: cluster %q has no join token %q (already revoked?)\n", o.cluster, fs.Arg(0))
			return exitFail
		}
		if !o.json {
			fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
			return exitOK
		}
		out = registry.RevokeResponse{Revoked: true}
	case "admin-create":
		at, err := c.CreateAdminToken(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "udkitd token admin-create: %v\n", err)
			return requestExit(err)
		}
		if !o.json {
			fmt.Fprintln(stdout, at.Token)
			return exitOK
		}
		out = at
	case "admin-list":
		ats, err := c.AdminTokens(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "udkitd token admin-list: %v\n", err)
			return requestExit(err)
		}
		if !o.json {
			for _, at := range ats {
				node := at.Node
				if node == "" {
					node = "-" // made through the API
				}
				fmt.Fprintf(stdout, "%s  %s  %s\n", at.ID, at.CreatedAt.Format(time.RFC3339), node)
			}
			return exitOK
		}
		out = registry.AdminTokensResponse{AdminTokens: ats}
	case "admin-revoke":
		ok, err := c.RevokeAdminToken(ctx, fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "udkitd token admin-revoke: %v\n", err)
			return requestExit(err)
		}
		if !ok {
			fmt.Fprintf(stderr, "udkitd token admin-revoke: no admin token %q (already revoked?)\n", fs.Arg(0))
			return exitFail
		}
		if !o.json {
			fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
			return exitOK
		}
		out = registry.RevokeResponse{Revoked: true}
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintf(stdout, "%s\n", b)
	return exitOK
}

type tokenOptions struct {
	cluster   string
	url       string
	adminFile string
	data      string
	caFile    string
	timeout   time.Duration
	json      bool
	insecure  bool
	name      string    // the command, for warnings
	stderr    io.Writer // where warnings go
}

// client returns a registry client authenticated with the admin token
// named by the flags.
func (o *tokenOptions) client() (*client.Client, error) {
	tokFile := o.adminFile
	if tokFile == "" {
		if o.data == "" {
			return nil, errors.New("give --admin-token-file FILE or --data DIR (reads DIR/admin.token)")
		}
		tokFile = filepath.Join(o.data, "admin.token")
	}
	admin, err := registry.ReadTokenFile(tokFile)
	if err != nil {
		return nil, err
	}
	if loose := registry.LooseTokenFile(tokFile); loose != "" && o.stderr != nil {
		fmt.Fprintf(o.stderr, "%s: warning: %s\n", o.name, loose)
	}
	hc, err := client.HTTPClient(o.caFile, o.timeout)
	if err != nil {
		return nil, err
	}
	var opts []client.Option
	if o.insecure {
		opts = append(opts, client.AllowInsecureHTTP())
	}
	return client.New(o.url, admin, hc, opts...)
}

func tokenFlags(w io.Writer) (*flag.FlagSet, *tokenOptions) {
	return adminFlags("udkitd token", w)
}

// adminFlags are the flags of the commands that call the API as an
// operator.
func adminFlags(name string, w io.Writer) (*flag.FlagSet, *tokenOptions) {
	o := &tokenOptions{name: name, stderr: w}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&o.cluster, "cluster", "", "cluster `NAME` (required, but for admin tokens)")
	fs.StringVar(&o.url, "url", "http://"+DefaultHTTPAddress, "registry `URL`")
	fs.StringVar(&o.adminFile, "admin-token-file", "", "`FILE` holding the admin token")
	fs.StringVar(&o.data, "data", "", "udkitd data `DIR`; the admin token is read from DIR/admin.token")
	fs.StringVar(&o.caFile, "ca", "", "PEM `FILE` of the CA to trust for an https URL")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "overall request timeout")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	fs.BoolVar(&o.insecure, "insecure-http", false, "send the admin token over plain http:// to a host that is not loopback (readable by anyone on the path; prefer https)")
	return fs, o
}
