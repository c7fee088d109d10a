package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// watchContext is the context `udkit members --watch` runs in: it ends on
// SIGINT or SIGTERM (tests replace it).
var watchContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// watchListLine is the JSON line of a listing (the first, and each
// re-listing after the registry dropped the changes the watch needed).
type watchListLine struct {
	Event   string            `json:"event"` // "list"
	Cluster string            `json:"cluster"`
	Index   uint64            `json:"index"`
	Members []registry.Member `json:"members"`
}

// watchChangeLine is the JSON line of one change.
type watchChangeLine struct {
	Event string `json:"event"` // "change"
	registry.Change
}

// watchMembers lists cluster, then prints each change until interrupted
// (exit 0) or refused (exit 1).
func watchMembers(c *client.Client, cluster string, asJSON bool, stdout, stderr io.Writer) int {
	ctx, stop := watchContext()
	defer stop()
	enc := json.NewEncoder(stdout)
	err := c.Watch(ctx, cluster, 0, func(ev client.WatchEvent) error {
		if ev.Err != nil {
			fmt.Fprintf(stderr, "udkit members: watch: %v; retrying from index %d\n", ev.Err, ev.Index)
			return nil
		}
		if ev.Listed {
			if asJSON {
				if err := enc.Encode(watchListLine{Event: "list", Cluster: cluster, Index: ev.Index, Members: ev.Members}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(stdout, "# %d member(s) of %s at index %d\n", len(ev.Members), memberCell(cluster), ev.Index)
				for _, m := range ev.Members {
					if _, err := io.WriteString(stdout, formatWatchLine("member", m.InstanceID, m.Address, m.RegisteredAt, m.Labels, 0)); err != nil {
						return err
					}
				}
			}
		}
		for _, ch := range ev.Changes {
			if asJSON {
				if err := enc.Encode(watchChangeLine{Event: "change", Change: ch}); err != nil {
					return err
				}
				continue
			}
			var addr string
			var labels map[string]string
			if ch.Member != nil {
				addr, labels = ch.Member.Address, ch.Member.Labels
			}
			if _, err := io.WriteString(stdout, formatWatchLine(string(ch.Kind), ch.InstanceID, addr, ch.At, labels, ch.Seq)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || errors.Is(err, context.Canceled) {
		return exitOK
	}
	fmt.Fprintf(stderr, "udkit members: watch %s: %v\n", cluster, err)
	return requestExit(err)
}

// formatWatchLine renders one member or change: kind, instance id,
// address, time, labels and, for a change, its seq. Values from the
// registry are escaped as in the member table.
func formatWatchLine(kind, id, addr string, at time.Time, labels map[string]string, seq uint64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %s %s %s %s", kind, memberCell(id), dash(memberCell(addr)), at.UTC().Format(time.RFC3339), dash(formatLabels(labels)))
	if seq > 0 {
		fmt.Fprintf(&b, " seq=%d", seq)
	}
	b.WriteByte('\n')
	return b.String()
}
