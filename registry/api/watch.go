package api

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// Blocking queries (watches), as Consul's: GET .../members?index=N[&wait=D]
// answers at once when the cluster changed after the index N (or the
// registry cannot tell: N older than the kept changes, or beyond the
// index), else when it changes or after the wait; GET
// .../changes?after=N&wait=D answers with the changes after N, waiting
// as long for the first. Every answer carries the index in the
// X-Udkit-Index header and in its body.
const (
	// MaxWait caps a blocking query's wait; a longer one is cut to it.
	MaxWait = 5 * time.Minute
	// DefaultWait is the wait of GET .../members?index=N without wait.
	DefaultWait = MaxWait
	// IndexHeader is the header that carries the change index.
	IndexHeader = "X-Udkit-Index"
)

// watchQuery is a blocking query's parameters.
type watchQuery struct {
	index uint64        // index (members) or after (changes)
	wait  time.Duration // 0: answer at once
	limit int           // changes: at most this many (0: store.MaxChangesPage)
}

// parseWatchQuery decodes a blocking query's parameters. indexParam is
// "index" (members: blocking when it is present, the wait defaulting to
// DefaultWait) or "after" (changes: blocking when wait is present).
// wait is a Go duration ("30s", "1m30s") or whole seconds ("30"), from 0
// to any length (cut to MaxWait). Errors are CodeInvalid and name the
// parameter.
func parseWatchQuery(q url.Values, indexParam string) (watchQuery, error) {
	var wq watchQuery
	for _, name := range []string{indexParam, "wait", "limit"} {
		if len(q[name]) > 1 {
			return wq, registry.Errorf(registry.CodeInvalid, "%s: given %d times; give it once", name, len(q[name]))
		}
	}
	iv, hasIndex := q.Get(indexParam), q.Has(indexParam)
	if hasIndex {
		n, err := strconv.ParseUint(iv, 10, 64)
		if err != nil {
			return wq, registry.Errorf(registry.CodeInvalid, "%s %q: want a change index, a whole number from 0 (the X-Udkit-Index of an earlier answer)", indexParam, truncate(iv))
		}
		wq.index = n
	}
	if q.Has("wait") {
		d, err := parseWait(q.Get("wait"))
		if err != nil {
			return wq, err
		}
		wq.wait = d
	} else if indexParam == "index" && hasIndex {
		wq.wait = DefaultWait
	}
	if indexParam == "index" && !hasIndex {
		wq.wait = 0 // a plain listing: wait means nothing without index
	}
	if v := q.Get("limit"); v != "" && indexParam == "after" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxChangesPage {
			return wq, registry.Errorf(registry.CodeInvalid, "limit %q: want 1 to %d", truncate(v), store.MaxChangesPage)
		}
		wq.limit = n
	}
	return wq, nil
}

func parseWait(v string) (time.Duration, error) {
	bad := registry.Errorf(registry.CodeInvalid, "wait %q: want a duration such as 30s or 5m (at most %v), or whole seconds", truncate(v), MaxWait)
	if v == "" || len(v) > 32 {
		return 0, bad
	}
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if err != nil || n > uint64(MaxWait/time.Second) {
			return MaxWait, nil
		}
		d = time.Duration(n) * time.Second
	} else {
		var err error
		d, err = time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, bad
		}
	}
	return min(d, MaxWait), nil
}

// isWatch reports whether r is a blocking query, which takes a watcher's
// turn (Limits.Watchers) instead of an authenticated request's.
func isWatch(r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1/clusters/") {
		return false
	}
	q := r.URL.Query()
	switch {
	case strings.HasSuffix(r.URL.Path, "/members"):
		return q.Has("index")
	case strings.HasSuffix(r.URL.Path, "/changes"):
		return q.Has("wait")
	}
	return false
}

// holdOpen lets the connection outlive the server's read and write
// timeouts for the wait (udkitd's are 30 s and 60 s): a read deadline
// that passes cancels the request, and a write deadline loses the
// answer. It returns the wait to use: cut to 25 s when the deadlines
// cannot be moved (a ResponseWriter that hides them).
func holdOpen(w http.ResponseWriter, wait time.Duration) time.Duration {
	if wait <= 0 {
		return 0
	}
	// Spread the answers of watchers that started together (as Consul
	// does): up to 1/16 more.
	wait += rand.N(wait/16 + 1)
	rc := http.NewResponseController(w)
	until := time.Now().Add(wait + 30*time.Second)
	if rc.SetReadDeadline(until) != nil || rc.SetWriteDeadline(until) != nil {
		return min(wait, 25*time.Second)
	}
	return wait
}

// waitCtx returns the context a blocking query waits on: the request's,
// ending after wait.
func waitCtx(r *http.Request, wait time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), wait)
}

// changes answers GET /v1/clusters/{cluster}/changes?after=N[&wait=D][&limit=L].
func (h *Handler) changes(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	cluster := r.PathValue("cluster")
	wq, err := parseWatchQuery(r.URL.Query(), "after")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var res registry.ChangesResponse
	if wait := holdOpen(w, wq.wait); wait > 0 {
		ctx, cancel := waitCtx(r, wait)
		res, err = h.st.WaitChanges(ctx, cluster, wq.index, wq.limit)
		cancel()
	} else {
		res, err = h.st.Changes(r.Context(), cluster, wq.index, wq.limit)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.Context().Err() != nil {
		return // the watcher left
	}
	w.Header().Set(IndexHeader, strconv.FormatUint(res.Index, 10))
	writeJSON(w, http.StatusOK, res)
}

// waitMembers is the blocking part of GET .../members?index=N: it returns
// when the list is worth reading (or the watcher left: false).
func (h *Handler) waitMembers(w http.ResponseWriter, r *http.Request, cluster string) bool {
	wq, err := parseWatchQuery(r.URL.Query(), "index")
	if err != nil {
		h.fail(w, r, err)
		return false
	}
	if wait := holdOpen(w, wq.wait); wait > 0 {
		ctx, cancel := waitCtx(r, wait)
		err = h.st.WaitCluster(ctx, cluster, wq.index)
		cancel()
		if err != nil {
			h.fail(w, r, err)
			return false
		}
	}
	return r.Context().Err() == nil
}

// admitWatch takes a watcher's turn, or answers 503 at once.
func (h *Handler) admitWatch(w http.ResponseWriter) (func(), bool) {
	select {
	case h.watchers <- struct{}{}:
		return func() { <-h.watchers }, true
	default:
	}
	h.mu.Lock()
	h.counters.ShedWatchers++
	h.mu.Unlock()
	w.Header().Set("Retry-After", "5")
	writeJSON(w, http.StatusServiceUnavailable, registry.Error{Code: registry.CodeUnavailable,
		Message: "registry: too many watchers on this server (Limits.Watchers); retry in a few seconds, or watch through another node"})
	return nil, false
}
