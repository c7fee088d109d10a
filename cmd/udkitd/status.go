package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/registry"
)

const statusUsage = `usage: udkitd status [--url URL] [--json] [--admin-token-file FILE | --data DIR]

Prints the registry as the node at --url sees it: the dqlite nodes with
their roles and the leader, the member count of every cluster, and the lease
evictor's state (self-preservation, renewals expected and received). It
asks GET /v1/status with an admin token. Exit 0 when the node answered, 1
when it refused (a bad token), 2 when it could not be asked.

flags:
`

// status prints the cluster as one node sees it.
func status(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, o := statusFlags(stderr)
	fs.Usage = func() {
		io.WriteString(fs.Output(), statusUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "udkitd status: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	c, err := o.client()
	if err != nil {
		fmt.Fprintf(stderr, "udkitd status: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd status: %v\n", err)
		return requestExit(err)
	}
	if o.json {
		b, _ := json.MarshalIndent(st, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	io.WriteString(stdout, formatStatus(st))
	return exitOK
}

// statusFlags are the admin flags but --cluster: status covers every
// cluster.
func statusFlags(w io.Writer) (*flag.FlagSet, *tokenOptions) {
	all, o := adminFlags("udkitd status", w)
	fs := flag.NewFlagSet("udkitd status", flag.ContinueOnError)
	fs.SetOutput(w)
	all.VisitAll(func(f *flag.Flag) {
		if f.Name != "cluster" {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	return fs, o
}

// formatStatus renders a status for people: fixed order, one fact a line.
func formatStatus(st registry.StatusResponse) string {
	var b strings.Builder
	fmt.Fprintf(&b, "node:   %s (%s)\n", diag.Escape(st.Node), diag.Escape(st.Role))
	leader := st.Leader
	if leader == "" {
		leader = "none known"
	}
	fmt.Fprintf(&b, "leader: %s\n", diag.Escape(leader))
	fmt.Fprintf(&b, "nodes (%d):\n", len(st.Nodes))
	addrW, roleW := 0, 0
	for _, n := range st.Nodes {
		addrW = max(addrW, len(diag.Escape(n.Address)))
		roleW = max(roleW, len(diag.Escape(n.Role)))
	}
	for _, n := range st.Nodes {
		mark := ""
		if n.Leader {
			mark = "leader"
		}
		line := fmt.Sprintf("  %-*s  %-*s  %s", addrW, diag.Escape(n.Address), roleW, diag.Escape(n.Role), mark)
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	total := 0
	for _, c := range st.Clusters {
		total += c.Members
	}
	fmt.Fprintf(&b, "clusters (%d, %d members):\n", len(st.Clusters), total)
	nameW, numW := 0, 0
	for _, c := range st.Clusters {
		nameW = max(nameW, len(diag.Escape(c.Cluster)))
		numW = max(numW, len(fmt.Sprint(c.Members)))
	}
	for _, c := range st.Clusters {
		fmt.Fprintf(&b, "  %-*s  %*d\n", nameW, diag.Escape(c.Cluster), numW, c.Members)
	}
	if l := st.Lease; l != nil {
		state := "off"
		if l.SelfPreservation {
			state = "ON (eviction paused)"
		}
		fmt.Fprintf(&b, "lease:  self-preservation %s; %d of %d leased members renewed in the last window (threshold %g)\n",
			state, l.Fresh, l.Leased, l.Threshold)
		sweep := "never on this node"
		if !l.LastSweep.IsZero() {
			sweep = l.LastSweep.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "        evicted %d by this node; last sweep %s\n", l.Evicted, sweep)
	}
	return b.String()
}
