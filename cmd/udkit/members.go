package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/udkit/udkit/diag"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// Environment variables that give `udkit members` its defaults.
const (
	envRegistryURL       = "UDKIT_REGISTRY_URL"
	envRegistryTokenFile = "UDKIT_REGISTRY_TOKEN_FILE"
	envRegistryCA        = "UDKIT_REGISTRY_CA"
)

func init() {
	register("members", command{
		summary: "list the members of a cluster in the udkitd registry",
		run:     members,
	})
}

const membersUsage = `usage: udkit members [flags] [CLUSTER]

Lists the members of CLUSTER registered with udkitd, or every cluster and
its member count when no CLUSTER is given. Needs the admin token.
With --watch, lists CLUSTER and then prints its changes as they happen,
one line each, until interrupted.

flags:
`

func members(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("udkit members", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", envOr(envRegistryURL, "http://127.0.0.1:8180"), "registry `URL` (env "+envRegistryURL+")")
	tokenFile := fs.String("token-file", os.Getenv(envRegistryTokenFile), "`FILE` holding the admin token, e.g. udkitd's DATA/admin.token (env "+envRegistryTokenFile+")")
	ca := fs.String("ca", os.Getenv(envRegistryCA), "PEM `FILE` of the CA to trust for an https URL (env "+envRegistryCA+")")
	asJSON := fs.Bool("json", false, "print the registry's JSON answer")
	timeout := fs.Duration("timeout", 30*time.Second, "overall request timeout")
	watch := fs.Bool("watch", false, "list CLUSTER, then print each change as it happens (one line, or one JSON object with --json, per change) until interrupted")
	insecure := fs.Bool("insecure-http", false, "send the admin token over plain http:// to a host that is not loopback (readable by anyone on the path; prefer https)")
	fs.Usage = func() {
		io.WriteString(stderr, membersUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "udkit members: want at most one CLUSTER, got %d arguments\n", fs.NArg())
		return exitUsage
	}
	if *tokenFile == "" {
		fmt.Fprintf(stderr, "udkit members: no admin token: give --token-file FILE or set %s\n", envRegistryTokenFile)
		return exitUsage
	}
	tok, err := registry.ReadTokenFile(*tokenFile)
	if err != nil {
		fmt.Fprintf(stderr, "udkit members: %v\n", err)
		return exitUsage
	}
	if loose := registry.LooseTokenFile(*tokenFile); loose != "" {
		fmt.Fprintf(stderr, "udkit members: warning: %s\n", loose)
	}
	hc, err := client.HTTPClient(*ca, *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "udkit members: %v\n", err)
		return exitUsage
	}
	var opts []client.Option
	if *insecure {
		opts = append(opts, client.AllowInsecureHTTP())
	}
	c, err := client.New(*url, tok, hc, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "udkit members: %v\n", err)
		return exitUsage
	}
	ctx := context.Background()
	if fs.NArg() == 0 && *watch {
		fmt.Fprintf(stderr, "udkit members: --watch needs a CLUSTER\n")
		return exitUsage
	}
	if fs.NArg() == 0 {
		cs, err := c.Clusters(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "udkit members: %v\n", err)
			return requestExit(err)
		}
		if *asJSON {
			return printJSON(stdout, registry.ClustersResponse{Clusters: cs})
		}
		io.WriteString(stdout, formatClusters(cs))
		return exitOK
	}
	cluster := fs.Arg(0)
	if err := registry.ValidateCluster(cluster); err != nil {
		fmt.Fprintf(stderr, "udkit members: %v\n", err)
		return exitUsage
	}
	if *watch {
		return watchMembers(c, cluster, *asJSON, stdout, stderr)
	}
	ms, idx, err := c.MembersAt(ctx, cluster)
	if err != nil {
		fmt.Fprintf(stderr, "udkit members: %v\n", err)
		return requestExit(err)
	}
	if *asJSON {
		return printJSON(stdout, registry.MembersResponse{Cluster: cluster, Members: ms, Index: idx})
	}
	io.WriteString(stdout, formatMembers(ms))
	return exitOK
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func printJSON(w io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return exitTrouble
	}
	fmt.Fprintf(w, "%s\n", b)
	return exitOK
}

// formatMembers renders members as an aligned table, one per line, in the
// order given (the registry sorts by instance id).
func formatMembers(ms []registry.Member) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tADDRESS\tREGISTERED\tUPDATED\tRENEWED\tUSER-DATA\tLABELS")
	for _, m := range ms {
		ud := m.UserDataSHA256
		if len(ud) > 12 {
			ud = ud[:12]
		}
		renewed := "-" // a registry older than leases sends none
		if !m.RenewedAt.IsZero() {
			renewed = m.RenewedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", memberCell(m.InstanceID), dash(memberCell(m.Address)),
			m.RegisteredAt.UTC().Format(time.RFC3339), m.UpdatedAt.UTC().Format(time.RFC3339), renewed, dash(memberCell(ud)), dash(formatLabels(m.Labels)))
	}
	tw.Flush()
	fmt.Fprintf(&b, "%d member(s)\n", len(ms))
	return b.String()
}

func formatClusters(cs []registry.ClusterSummary) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tMEMBERS")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%d\n", memberCell(c.Cluster), c.Members)
	}
	tw.Flush()
	return b.String()
}

func formatLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = labelWord(k) + "=" + labelWord(l[k])
	}
	return strings.Join(parts, ",")
}

// labelWord prints a label key or value as is when that is unambiguous in
// "k=v,k=v" and safe on a terminal, and quoted (diag.Quote, with Go
// escapes for anything a terminal would act on) otherwise: a value with
// ',' or '=' must not read as more labels.
func labelWord(s string) string {
	if s != "" && !strings.ContainsAny(s, ",=\"\\ ") && memberCell(s) == s {
		return s
	}
	return diag.Quote(s)
}

// memberCell makes a value from the registry safe for one table cell: control,
// format (bidi) and separator characters and tabs escaped. The registry
// validates what it stores, but an older one did not, and the answer
// comes over the network.
func memberCell(s string) string {
	e := diag.Escape(s)
	if strings.ContainsAny(e, "\t\n\r") {
		return diag.Quote(s)
	}
	return e
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// requestExit is the exit code for an error of a registry request:
// exitFail when the registry answered with an API error below 500 (it
// refused: unknown token, unknown cluster), exitTrouble when it could not
// be asked (connection, TLS, timeout, a server error).
func requestExit(err error) int {
	var apiErr *registry.Error
	if errors.As(err, &apiErr) && apiErr.Status < 500 {
		return exitFail
	}
	return exitTrouble
}
