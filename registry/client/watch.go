package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/udkit/udkit/registry"
)

// WatchWait is the wait [Client.Watch] asks the registry for per request,
// cut to three quarters of the HTTP client's timeout when that is
// shorter, so that a quiet cluster never looks like a failure.
const WatchWait = 60 * time.Second

// Changes returns the changes of cluster after the change index after
// (admin token), waiting up to wait for the first when there is none (0:
// answer at once; the registry cuts waits to 5 minutes). An error with
// [registry.CodeGone] (HTTP 410) means the registry no longer has every
// change after after, or its index is lower (restored from a backup):
// list the members again ([Client.MembersAt]) and continue from that
// list's index. The HTTP client's timeout must be longer than wait.
func (c *Client) Changes(ctx context.Context, cluster string, after uint64, wait time.Duration) (registry.ChangesResponse, error) {
	q := url.Values{}
	q.Set("after", strconv.FormatUint(after, 10))
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	var out registry.ChangesResponse
	err := c.do(ctx, "GET", "/v1/clusters/"+url.PathEscape(cluster)+"/changes?"+q.Encode(), nil, &out)
	return out, err
}

// WatchEvent is what [Client.Watch] hands its function: a listing, some
// changes, or a failure it is about to retry.
type WatchEvent struct {
	// Index is the change index after this event: a Watch started
	// from it continues where this one is.
	Index uint64
	// Listed is true when the watch (re)listed the members: Members is
	// then the whole membership as of Index. It happens first when
	// Watch starts from index 0, and again whenever the registry no
	// longer has the changes since the last index (HTTP 410: the
	// watcher was away longer than the registry keeps changes, or the
	// registry was restored from a backup).
	Listed  bool
	Members []registry.Member
	// Changes are the changes since the previous event, oldest first.
	// After a listing, the first changes may repeat what the list holds.
	Changes []registry.Change
	// Err, when set, is a failure (connection lost, registry
	// unavailable) that Watch retries after a pause; the event carries
	// nothing else. Return it from the function to stop watching.
	Err error
}

// Watch follows the changes of cluster (admin token) after the change
// index after, calling fn with each batch, until ctx ends (it returns
// ctx's error) or fn returns an error (it returns that error). From
// index 0 it lists the members first. It survives lost connections and
// registry restarts (retrying with backoff from the last index, with an
// event whose Err says why), and lists again when the registry answers
// 410. It stops with the error when the registry refuses (a 4xx other
// than 410: a wrong token, an invalid cluster name).
func (c *Client) Watch(ctx context.Context, cluster string, after uint64, fn func(WatchEvent) error) error {
	wait := WatchWait
	if t := c.hc.Timeout; t > 0 && t*3/4 < wait {
		wait = t * 3 / 4
	}
	if wait < time.Second {
		return fmt.Errorf("registry: watch %s: the HTTP client's timeout %v is too short for a blocking query; give one of a few seconds at least", cluster, c.hc.Timeout)
	}
	index := after
	relist := after == 0
	backoff := 100 * time.Millisecond
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var ev WatchEvent
		var err error
		if relist {
			var ms []registry.Member
			ms, ev.Index, err = c.MembersAt(ctx, cluster)
			ev.Listed, ev.Members = true, ms
		} else {
			var res registry.ChangesResponse
			res, err = c.Changes(ctx, cluster, index, wait)
			ev.Index, ev.Changes = res.Index, res.Changes
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if registry.IsCode(err, registry.CodeGone) {
				relist = true
				continue
			}
			var apiErr *registry.Error
			if errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500 {
				return err
			}
			if ferr := fn(WatchEvent{Index: index, Err: err}); ferr != nil {
				return ferr
			}
			select {
			case <-time.After(backoff/2 + rand.N(backoff/2+1)):
			case <-ctx.Done():
				return ctx.Err()
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		relist = false
		if ev.Index < index && !ev.Listed {
			// Cannot happen with a registry that answers 410 for an
			// index beyond its own; list again rather than go back.
			relist = true
			continue
		}
		index = ev.Index
		if ev.Listed || len(ev.Changes) > 0 {
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
}
