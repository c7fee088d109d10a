package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/udkit/udkit/registry"
)

const leaseUsage = `usage:
  udkitd lease show --cluster NAME [flags]            print the cluster's lease TTL (0s: no lease)
  udkitd lease set  --cluster NAME --ttl DUR [flags]  set it (--ttl 0 removes the lease)

A cluster with a lease evicts members that have not renewed for the TTL
(the Raft leader sweeps every --lease-sweep of udkitd serve), unless fewer
than --lease-renewal-threshold of its leased members renewed lately
(self-preservation: /healthz shows it). Members renew every TTL/3 or more
often: udkit's RegistryHook.Renew installs a systemd timer that does.
Setting a lease restarts every member's lease now.

flags:
`

// lease shows or sets a cluster's lease through the HTTP API of a running
// udkitd, authenticated with an admin token.
func lease(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w, code := stderr, exitUsage
		if len(args) > 0 {
			w, code = stdout, exitOK
		}
		fs, _, _ := leaseFlags(w)
		io.WriteString(w, leaseUsage)
		fs.PrintDefaults()
		return code
	}
	sub := args[0]
	if sub != "show" && sub != "set" {
		fmt.Fprintf(stderr, "udkitd lease: unknown subcommand %q; want show or set\n", sub)
		return exitUsage
	}
	fs, o, ttl := leaseFlags(stderr)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "udkitd lease %s: unexpected argument %q\n", sub, fs.Arg(0))
		return exitUsage
	}
	if o.cluster == "" {
		fmt.Fprintf(stderr, "udkitd lease %s: --cluster NAME is required\n", sub)
		return exitUsage
	}
	ttlSet := false
	fs.Visit(func(f *flag.Flag) { ttlSet = ttlSet || f.Name == "ttl" })
	if sub == "set" && !ttlSet {
		fmt.Fprintf(stderr, "udkitd lease set: --ttl DURATION is required (0 removes the lease)\n")
		return exitUsage
	}
	if sub == "show" && ttlSet {
		fmt.Fprintf(stderr, "udkitd lease show: --ttl belongs to lease set\n")
		return exitUsage
	}
	if *ttl < 0 || *ttl%time.Second != 0 {
		fmt.Fprintf(stderr, "udkitd lease set: --ttl %v: want whole seconds, %v to %v, or 0\n", *ttl, registry.MinLeaseTTL, registry.MaxLeaseTTL)
		return exitUsage
	}
	req := registry.LeaseRequest{TTLSeconds: int(*ttl / time.Second)}
	if err := req.Validate(); err != nil {
		fmt.Fprintf(stderr, "udkitd lease set: --ttl %v: want %v to %v, or 0 to remove the lease\n", *ttl, registry.MinLeaseTTL, registry.MaxLeaseTTL)
		return exitUsage
	}
	c, err := o.client()
	if err != nil {
		fmt.Fprintf(stderr, "udkitd lease %s: %v\n", sub, err)
		return exitUsage
	}
	var l registry.Lease
	if sub == "set" {
		l, err = c.SetLease(ctx, o.cluster, req)
	} else {
		l, err = c.Lease(ctx, o.cluster)
	}
	if err != nil {
		fmt.Fprintf(stderr, "udkitd lease %s: %v\n", sub, err)
		return requestExit(err)
	}
	if o.json {
		b, _ := json.MarshalIndent(l, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	fmt.Fprintf(stdout, "%s  ttl %v\n", l.Cluster, time.Duration(l.TTLSeconds)*time.Second)
	return exitOK
}

func leaseFlags(w io.Writer) (*flag.FlagSet, *tokenOptions, *time.Duration) {
	fs, o := adminFlags("udkitd lease", w)
	ttl := fs.Duration("ttl", 0, "lease `DURATION` (lease set): whole seconds, 5s to 168h; 0 removes the lease")
	return fs, o, ttl
}
