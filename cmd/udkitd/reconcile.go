package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/udkit/udkit/registry"
)

const reconcileUsage = `usage: udkitd reconcile --cluster NAME --live FILE --registered-before TIME [--allow-empty] [--dry-run] [flags]

Removes the members of the cluster whose instance id is not in FILE (one id
a line; "-" reads standard input; blank lines and #comments are skipped):
instances whose stop hook never ran (forced stop, hardware loss).

--registered-before is required: the time taken just BEFORE you asked the
cloud for the live instances (e.g. t=$(date -u +%Y-%m-%dT%H:%M:%SZ)).
Members that registered at or after it stay, since the live set could not
know them. The registry refuses a time more than a few seconds ahead of its
clock.

An empty live set would remove every member; it is refused unless
--allow-empty says the cluster really has no live instance. Prints the
removed ids.

--dry-run removes nothing and prints the ids a real run would remove at
that moment (the registry runs the same transaction and rolls it back).

flags:
`

// maxLiveIDs bounds the live set read from a file.
const maxLiveIDs = 100000

func reconcile(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, o := adminFlags("udkitd reconcile", stderr)
	live := fs.String("live", "", "`FILE` of live instance ids, one a line (\"-\": standard input); required")
	before := fs.String("registered-before", "", "RFC 3339 `TIME` taken before the live set was; only members registered before it may be removed; required")
	allowEmpty := fs.Bool("allow-empty", false, "accept an empty live set (removes every member registered before --registered-before)")
	dryRun := fs.Bool("dry-run", false, "remove nothing; print the ids a real run would remove")
	fs.Usage = func() {
		io.WriteString(stderr, reconcileUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "udkitd reconcile: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if o.cluster == "" || *live == "" {
		fmt.Fprintln(stderr, "udkitd reconcile: --cluster NAME and --live FILE are required")
		return exitUsage
	}
	if *before == "" {
		io.WriteString(stderr, "udkitd reconcile: --registered-before TIME is required: the time taken before you asked the cloud for the live instances (RFC 3339, e.g. from date -u +%Y-%m-%dT%H:%M:%SZ); members registered after it stay\n")
		return exitUsage
	}
	t, err := time.Parse(time.RFC3339Nano, *before)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd reconcile: --registered-before %q: want RFC 3339, e.g. 2030-01-02T15:04:05Z\n", *before)
		return exitUsage
	}
	req := registry.ReconcileRequest{RegisteredBefore: t, AllowEmpty: *allowEmpty, DryRun: *dryRun}
	ids, err := readLive(*live, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd reconcile: %v\n", err)
		return exitUsage
	}
	if len(ids) == 0 && !*allowEmpty {
		fmt.Fprintf(stderr, "udkitd reconcile: --live %s holds no instance id: that would remove every member of cluster %q; if none is alive, add --allow-empty\n", *live, o.cluster)
		return exitUsage
	}
	req.Live = ids
	c, err := o.client()
	if err != nil {
		fmt.Fprintf(stderr, "udkitd reconcile: %v\n", err)
		return exitUsage
	}
	removed, err := c.Reconcile(ctx, o.cluster, req)
	if err != nil {
		fmt.Fprintf(stderr, "udkitd reconcile: %v\n", err)
		return requestExit(err)
	}
	for _, id := range removed {
		fmt.Fprintln(stdout, id)
	}
	if *dryRun {
		fmt.Fprintf(stderr, "udkitd reconcile: dry run: %d member(s) of cluster %q would be removed; nothing changed\n", len(removed), o.cluster)
	}
	return exitOK
}

// readLive reads instance ids, one a line, checking each.
func readLive(path string, stdin io.Reader) ([]string, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--live: %w", err)
		}
		defer f.Close()
		r = f
	}
	ids := []string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := registry.ValidateInstanceID(line); err != nil {
			return nil, fmt.Errorf("--live %s line %d: %v", path, n, strings.TrimPrefix(err.Error(), "registry: "))
		}
		if len(ids) == maxLiveIDs {
			return nil, fmt.Errorf("--live %s: more than %d instance ids", path, maxLiveIDs)
		}
		ids = append(ids, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--live %s: %w", path, err)
	}
	return ids, nil
}
