package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/udkit/udkit/registry"
)

// The change index (migration 6): every change of a membership adds a
// row to the changes table in the transaction that makes it, so the
// index orders changes as the Raft log does, on every node. Watchers
// (GET .../changes, GET .../members?index=N) read it; they learn of a
// commit on their own node at once (the writer wakes them) and of one
// on another node within Options.ChangePoll (one shared poller per
// store, running only while someone waits, reads the rows added since
// its last look).

// Defaults of the change index's options.
const (
	// DefaultChangeWindow is how many changes (of all clusters) the
	// registry keeps: about 100 bytes each in dqlite's memory.
	DefaultChangeWindow = 100000
	// DefaultChangePoll is how often a node looks for changes committed
	// through other nodes while watchers wait.
	DefaultChangePoll = 100 * time.Millisecond
	// MaxChangesPage is the most changes one [Store.Changes] answer holds.
	MaxChangesPage = 1000
)

// change is one change to record in a write transaction.
type change struct {
	cluster, instanceID string
	kind                registry.ChangeKind
}

// recordChanges inserts chs (one seq each, in order) in tx and prunes the
// changes table to the window now and then. It returns the last seq
// assigned (0 when chs is empty).
func (s *Store) recordChanges(ctx context.Context, tx *sql.Tx, chs []change, at int64) (int64, error) {
	if len(chs) == 0 {
		return 0, nil
	}
	const cols = 4
	var last int64
	for _, chunk := range chunks(chs, sqlParams/cols) {
		var q strings.Builder
		q.WriteString(`INSERT INTO changes (cluster, instance_id, kind, at) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		for i, c := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?)")
			args = append(args, c.cluster, c.instanceID, string(c.kind), at)
		}
		res, err := tx.ExecContext(ctx, q.String(), args...)
		if err != nil {
			return 0, err
		}
		if last, err = res.LastInsertId(); err != nil {
			return 0, err
		}
	}
	// The rows of one transaction get consecutive seqs (one writer at a
	// time). Prune when the batch crosses a multiple of the prune step,
	// so that most batches pay nothing for it.
	window := int64(s.opt.ChangeWindow)
	step := min(max(window/8, 1), 1024)
	first := last - int64(len(chs)) + 1
	if last > window && (first-1)/step != last/step {
		cut := last - window
		if _, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE seq <= ?`, cut); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE change_horizon SET through = ? WHERE id = 1 AND through < ?`, cut, cut); err != nil {
			return 0, err
		}
	}
	return last, nil
}

// changed wakes the watchers of the clusters of chs, committed with
// seqs up to last.
func (s *Store) changed(chs []change, last int64) {
	if len(chs) == 0 || last <= 0 {
		return
	}
	clusters := make(map[string]int64, 1)
	for _, c := range chs {
		clusters[c.cluster] = last
	}
	s.hub.wake(clusters)
}

// ChangeIndex returns the registry's change index: the seq of the last
// change committed (of any cluster), 0 before the first.
func (s *Store) ChangeIndex(ctx context.Context) (uint64, error) {
	var head, horizon int64
	err := s.retry(ctx, "read the change index", func(ctx context.Context) error {
		var err error
		head, horizon, err = readHead(ctx, s.db)
		return err
	})
	return uint64(max(head, horizon)), err
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readHead returns the last seq committed and the highest seq pruned.
func readHead(ctx context.Context, q rowQuerier) (head, horizon int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM changes), 0), (SELECT through FROM change_horizon WHERE id = 1)`).Scan(&head, &horizon)
	return head, horizon, err
}

// Changes returns the changes of cluster after the index after, oldest
// first, at most limit of them (0 or more than [MaxChangesPage]:
// MaxChangesPage), without waiting. It fails with [registry.CodeGone]
// when changes after after were pruned (the window is
// Options.ChangeWindow) or when after is beyond the registry's index (a
// registry restored from a backup, or another one): the caller must list
// the members again and continue from that list's index.
func (s *Store) Changes(ctx context.Context, cluster string, after uint64, limit int) (registry.ChangesResponse, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.ChangesResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if limit <= 0 || limit > MaxChangesPage {
		limit = MaxChangesPage
	}
	var out registry.ChangesResponse
	err := s.retry(ctx, "read the changes of "+cluster, func(ctx context.Context) error {
		var err error
		out, err = s.readChanges(ctx, cluster, after, limit)
		return err
	})
	return out, err
}

func (s *Store) readChanges(ctx context.Context, cluster string, after uint64, limit int) (registry.ChangesResponse, error) {
	out := registry.ChangesResponse{Cluster: cluster, Changes: []registry.Change{}}
	head, horizon, err := readHead(ctx, s.db)
	if err != nil {
		return out, err
	}
	if err := checkIndex(cluster, after, head, horizon); err != nil {
		return out, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.seq, c.instance_id, c.kind, c.at, m.instance_id IS NOT NULL,
			COALESCE(m.address, ''), COALESCE(m.labels, '{}'), COALESCE(m.user_data_sha256, ''),
			COALESCE(m.registered_at, 0), COALESCE(m.updated_at, 0), COALESCE(m.renewed_at, 0)
		FROM changes c LEFT JOIN members m
			ON c.kind IN ('joined', 'replaced') AND m.cluster = c.cluster AND m.instance_id = c.instance_id
		WHERE c.cluster = ? AND c.seq > ? AND c.seq <= ?
		ORDER BY c.seq LIMIT ?`, cluster, int64(after), head, limit+1)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var c registry.Change
		var seq, at, reg, upd, ren int64
		var has bool
		var kind, labels string
		var m registry.Member
		if err := rows.Scan(&seq, &c.InstanceID, &kind, &at, &has, &m.Address, &labels, &m.UserDataSHA256, &reg, &upd, &ren); err != nil {
			return out, err
		}
		c.Seq, c.Cluster, c.Kind, c.At = uint64(seq), cluster, registry.ChangeKind(kind), time.Unix(0, at).UTC()
		if has {
			if err := json.Unmarshal([]byte(labels), &m.Labels); err != nil {
				return out, fmt.Errorf("member %s/%s: stored labels are not a JSON object: %w", cluster, c.InstanceID, err)
			}
			if len(m.Labels) == 0 {
				m.Labels = nil
			}
			m.Cluster, m.InstanceID = cluster, c.InstanceID
			m.RegisteredAt, m.UpdatedAt, m.RenewedAt = time.Unix(0, reg).UTC(), time.Unix(0, upd).UTC(), time.Unix(0, ren).UTC()
			c.Member = &m
		}
		out.Changes = append(out.Changes, c)
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	rows.Close()
	// Rows after after may have been pruned while they were read.
	if _, horizon, err = readHead(ctx, s.db); err != nil {
		return out, err
	}
	if err := checkIndex(cluster, after, head, horizon); err != nil {
		return out, err
	}
	out.Index = uint64(max(head, horizon))
	if len(out.Changes) > limit {
		out.Changes = out.Changes[:limit]
		out.Index = out.Changes[limit-1].Seq
		out.More = true
	}
	return out, nil
}

// checkIndex fails with CodeGone when the changes after after are not
// all kept, or after is beyond the index.
func checkIndex(cluster string, after uint64, head, horizon int64) error {
	if after < uint64(horizon) || after > uint64(max(head, horizon)) {
		return gone(cluster, after, head, horizon)
	}
	return nil
}

func gone(cluster string, after uint64, head, horizon int64) error {
	if after < uint64(horizon) {
		return registry.Errorf(registry.CodeGone, "changes of %s after index %d: the registry keeps changes after index %d only; re-list the members (GET /v1/clusters/%s/members) and watch from that list's index", cluster, after, horizon, cluster)
	}
	return registry.Errorf(registry.CodeGone, "changes of %s after index %d: the registry's index is %d, lower (a registry restored from a backup, or another registry); re-list the members (GET /v1/clusters/%s/members) and watch from that list's index", cluster, after, max(head, horizon), cluster)
}

// WaitChanges is [Store.Changes] that, when cluster has no change after
// after, waits for one until ctx ends, and then answers with no changes
// and the index as of its last look (a blocking query: give ctx the
// wait as its deadline). Errors are Changes'.
func (s *Store) WaitChanges(ctx context.Context, cluster string, after uint64, limit int) (registry.ChangesResponse, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.ChangesResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	w := s.hub.subscribe(cluster, int64(min(after, 1<<62)))
	defer s.hub.unsubscribe(w)
	var last registry.ChangesResponse
	woken := int64(-1)
	for {
		var out registry.ChangesResponse
		var err error
		if woken >= 0 {
			// Woken by a change: the watchers of the cluster that wait
			// from the same index share one read.
			out, err = s.hub.sharedChanges(ctx, cluster, after, limit)
			if err == nil && out.Index < uint64(woken) {
				out, err = s.Changes(ctx, cluster, after, limit) // a read from before the change
			}
		} else {
			out, err = s.Changes(ctx, cluster, after, limit)
		}
		if err != nil {
			if ctx.Err() != nil && last.Cluster != "" {
				return last, nil
			}
			return out, err
		}
		if len(out.Changes) > 0 {
			return out, nil
		}
		last = out
		select {
		case <-w.ch:
			s.hub.mu.Lock()
			woken = w.woken
			s.hub.mu.Unlock()
		case <-ctx.Done():
			return last, nil
		}
	}
}

// WaitCluster returns when cluster may have changed after the index
// after: at once if it has (or if the changes after after were pruned,
// or after is beyond the index), else when a change comes or ctx ends
// (then with nil: the caller answers with what it reads). It is the wait
// of GET .../members?index=N.
func (s *Store) WaitCluster(ctx context.Context, cluster string, after uint64) error {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	w := s.hub.subscribe(cluster, int64(min(after, 1<<62)))
	defer s.hub.unsubscribe(w)
	for {
		var changed bool
		err := s.retry(ctx, "read the changes of "+cluster, func(ctx context.Context) error {
			head, horizon, err := readHead(ctx, s.db)
			if err != nil {
				return err
			}
			if checkIndex(cluster, after, head, horizon) != nil {
				changed = true
				return nil
			}
			return s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM changes WHERE cluster = ? AND seq > ?)`, cluster, int64(after)).Scan(&changed)
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if changed {
			return nil
		}
		select {
		case <-w.ch:
		case <-ctx.Done():
			return nil
		}
	}
}

// Watchers returns how many watchers wait on this store now.
func (s *Store) Watchers() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.n
}

// hub wakes the watchers of a store: at once for a local commit, and
// through a poller that reads the changes other nodes committed.
type hub struct {
	s       *Store
	mu      sync.Mutex
	byC     map[string]map[*waiter]struct{}
	n       int
	polling bool
	seen    int64 // the poller's last seq seen; -1: not polled yet
	flights map[flightKey]*flight
}

type waiter struct {
	cluster string
	after   int64
	ch      chan struct{}
	woken   int64 // the seq that woke it last (under hub.mu)
}

// flightKey names a read of changes that woken watchers share.
type flightKey struct {
	cluster string
	after   uint64
	limit   int
}

type flight struct {
	done chan struct{}
	res  registry.ChangesResponse
	err  error
}

// sharedChanges is Changes for the woken watchers of a cluster: those
// that wait from the same index share one read in flight, so that a
// change seen by a thousand watchers costs one read, not a thousand.
func (h *hub) sharedChanges(ctx context.Context, cluster string, after uint64, limit int) (registry.ChangesResponse, error) {
	k := flightKey{cluster, after, limit}
	h.mu.Lock()
	f := h.flights[k]
	if f == nil {
		f = &flight{done: make(chan struct{})}
		h.flights[k] = f
		h.mu.Unlock()
		// Not the caller's context: the others wait on this read too.
		rctx, cancel := context.WithTimeout(context.Background(), h.s.opt.AttemptTimeout)
		f.res, f.err = h.s.Changes(rctx, cluster, after, limit)
		cancel()
		h.mu.Lock()
		delete(h.flights, k)
		h.mu.Unlock()
		close(f.done)
	} else {
		h.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return registry.ChangesResponse{}, registry.Errorf(registry.CodeUnavailable, "read the changes of %s: %v", cluster, ctx.Err())
	}
}

func newHub(s *Store) *hub {
	return &hub{s: s, byC: map[string]map[*waiter]struct{}{}, seen: -1, flights: map[flightKey]*flight{}}
}

func (h *hub) subscribe(cluster string, after int64) *waiter {
	w := &waiter{cluster: cluster, after: after, ch: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.byC[cluster]
	if set == nil {
		set = map[*waiter]struct{}{}
		h.byC[cluster] = set
	}
	set[w] = struct{}{}
	h.n++
	// The poller looks from the lowest index a waiter holds, so that a
	// change committed elsewhere before its first look is not missed.
	if h.seen < 0 || after < h.seen {
		h.seen = after
	}
	if !h.polling {
		h.polling = true
		go h.poll()
	}
	return w
}

func (h *hub) unsubscribe(w *waiter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.byC[w.cluster]; set != nil {
		if _, ok := set[w]; ok {
			delete(set, w)
			h.n--
		}
		if len(set) == 0 {
			delete(h.byC, w.cluster)
		}
	}
}

// wake wakes the waiters of each cluster whose index is below the
// cluster's given seq.
func (h *hub) wake(clusters map[string]int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c, seq := range clusters {
		for w := range h.byC[c] {
			if w.after < seq {
				w.woken = max(w.woken, seq)
				select {
				case w.ch <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.byC {
		for w := range set {
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
	}
}

// pollIdle is how long the poller goes on after the last watcher left:
// a watcher between two requests (it answered one, asks again) should not
// wait for a new poller's first tick.
const pollIdle = 10 * time.Second

// poll runs while anyone waits (and pollIdle after): every
// Options.ChangePoll one query for the clusters changed since its last
// look, whoever committed them.
func (h *hub) poll() {
	t := time.NewTicker(h.s.opt.ChangePoll)
	defer t.Stop()
	var idleSince time.Time
	for {
		select {
		case <-h.s.quit:
			h.mu.Lock()
			h.polling = false
			h.mu.Unlock()
			h.wakeAll()
			return
		case <-t.C:
		}
		h.mu.Lock()
		if h.n == 0 {
			if idleSince.IsZero() {
				idleSince = time.Now()
			}
			if time.Since(idleSince) >= pollIdle {
				h.polling = false
				h.seen = -1
				h.mu.Unlock()
				return
			}
		} else {
			idleSince = time.Time{}
		}
		from := h.seen
		h.mu.Unlock()
		got, head, err := h.look(from)
		if err != nil {
			continue // the watchers' own reads report trouble
		}
		h.mu.Lock()
		if head < from {
			// The index went back (a restore): everyone looks again.
			h.seen = head
			h.mu.Unlock()
			h.wakeAll()
			continue
		}
		if h.seen == from || head < h.seen {
			h.seen = head
		}
		h.mu.Unlock()
		if len(got) > 0 {
			h.wake(got)
		}
	}
}

// look returns the clusters with changes after from, each with its last
// seq, and the index.
func (h *hub) look(from int64) (map[string]int64, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), h.s.opt.AttemptTimeout)
	defer cancel()
	head, horizon, err := readHead(ctx, h.s.db)
	if err != nil {
		return nil, 0, err
	}
	head = max(head, horizon)
	got := map[string]int64{}
	if head <= from {
		return got, head, nil
	}
	rows, err := h.s.db.QueryContext(ctx, `SELECT cluster, MAX(seq) FROM changes WHERE seq > ? AND seq <= ? GROUP BY cluster`, from, head)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		var seq int64
		if err := rows.Scan(&c, &seq); err != nil {
			return nil, 0, err
		}
		got[c] = seq
	}
	return got, head, rows.Err()
}
