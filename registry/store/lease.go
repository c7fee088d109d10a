package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/udkit/udkit/registry"
)

// Renew renews the lease of a member, authorised by its member token. It
// goes through the group-commit writer like a registration, so that many
// renewals share one transaction. It is idempotent. A member that is not
// there, or whose token is another, answers Renewed=false (the instance
// should register again with its kept member token); an admin or join
// token is [registry.CodeForbidden]. A member of a cluster without a lease
// may renew, too: it only records the time.
func (s *Store) Renew(ctx context.Context, cluster, instanceID, token string) (registry.RenewResponse, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.RenewResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if err := registry.ValidateInstanceID(instanceID); err != nil {
		return registry.RenewResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	k, err := registry.ParseToken(token)
	if err != nil {
		return registry.RenewResponse{}, registry.Errorf(registry.CodeUnauthorized, "renew: %s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if k != registry.KindMember {
		return registry.RenewResponse{}, registry.Errorf(registry.CodeForbidden, "renew: a %s token cannot renew a lease; use the member token returned at registration (udkm_...)", k)
	}
	o := &op{ctx: ctx, kind: opRenew, cluster: cluster, instanceID: instanceID, memberHash: hashToken(token)}
	start := s.opt.Now().UTC()
	r, err := s.submit(o)
	if err != nil {
		return registry.RenewResponse{}, err
	}
	out := registry.RenewResponse{Renewed: r.renewed}
	if r.renewed && r.ttl > 0 {
		// The commit's time is at least start: the lease ends no
		// earlier than this.
		out.ExpiresAt = start.Add(r.ttl)
	}
	return out, nil
}

// querier is a *sql.Tx or a *sql.DB.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// applyRenewals renews a batch of leases: per cluster and chunk, one
// UPDATE in its own implicit transaction that stamps the members whose
// instance id and own token hash the batch names, then a read of those
// members to tell each renewal whether it took (its instance id with its
// token): the member is there with the
// renewal's token and renewed no earlier than the stamp. A member
// deregistered or evicted in between answers false (it is gone either
// way); one registered in between answers true (its registration stamped
// it). Renewing again is harmless, so a retry after an ambiguous commit
// needs no memory of the attempt.
func (s *Store) applyRenewals(ctx context.Context, ops []*op) ([]result, error) {
	now := s.opt.Now().UTC().UnixNano()
	byCluster := map[string][]int{}
	for i, o := range ops {
		byCluster[o.cluster] = append(byCluster[o.cluster], i)
	}
	clusters := sortedKeys(byCluster)
	ttls, err := loadLeaseTTLs(ctx, s.db, clusters)
	if err != nil {
		return nil, err
	}
	results := make([]result, len(ops))
	for _, c := range clusters {
		for _, chunk := range chunks(byCluster[c], (sqlParams-2)/2) {
			args := make([]any, 0, 2+2*len(chunk))
			args = append(args, now, c)
			for _, i := range chunk {
				args = append(args, ops[i].instanceID)
			}
			for _, i := range chunk {
				args = append(args, ops[i].memberHash)
			}
			// Ids and hashes as two sets, so that SQLite looks the ids
			// up by the primary key. A member is stamped only if its own
			// token hash is among those sent: a token hash belongs to
			// one member, so only that token's holder renews it.
			if _, err := s.db.ExecContext(ctx, `UPDATE members SET renewed_at = ? WHERE cluster = ? AND instance_id IN (`+placeholders(len(chunk))+`) AND token_hash IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
				return nil, err
			}
			ids := make([]any, 0, 1+len(chunk))
			ids = append(ids, c)
			for _, i := range chunk {
				ids = append(ids, ops[i].instanceID)
			}
			rows, err := s.db.QueryContext(ctx, `SELECT instance_id, token_hash, renewed_at FROM members WHERE cluster = ? AND instance_id IN (`+placeholders(len(chunk))+`)`, ids...)
			if err != nil {
				return nil, err
			}
			type got struct {
				hash    string
				renewed int64
			}
			found := map[string]got{}
			for rows.Next() {
				var id string
				var g got
				if err := rows.Scan(&id, &g.hash, &g.renewed); err != nil {
					rows.Close()
					return nil, err
				}
				found[id] = g
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
			if err := rows.Err(); err != nil {
				return nil, err
			}
			for _, i := range chunk {
				g, ok := found[ops[i].instanceID]
				if ok && sameHash(g.hash, ops[i].memberHash) && g.renewed >= now {
					results[i] = result{renewed: true, ttl: ttls[c]}
				}
			}
		}
	}
	return results, nil
}

// loadLeaseTTLs returns the lease TTL of each of the clusters that has one.
func loadLeaseTTLs(ctx context.Context, tx querier, clusters []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, chunk := range chunks(clusters, sqlParams) {
		args := make([]any, len(chunk))
		for i, c := range chunk {
			args[i] = c
		}
		rows, err := tx.QueryContext(ctx, `SELECT cluster, ttl_ns FROM cluster_leases WHERE cluster IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c string
			var ttl int64
			if err := rows.Scan(&c, &ttl); err != nil {
				rows.Close()
				return nil, err
			}
			out[c] = time.Duration(ttl)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SetLease sets the lease of cluster (see [registry.LeaseRequest]): ttl
// 0 removes it. Setting a lease restarts every member's lease now.
func (s *Store) SetLease(ctx context.Context, cluster string, req registry.LeaseRequest) (registry.Lease, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.Lease{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if err := req.Validate(); err != nil {
		return registry.Lease{}, err
	}
	now := s.opt.Now().UTC()
	ttl := time.Duration(req.TTLSeconds) * time.Second
	err := s.retry(ctx, "set lease of "+cluster, func(ctx context.Context) error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if ttl == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM cluster_leases WHERE cluster = ?`, cluster); err != nil {
				return err
			}
			return tx.Commit()
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO cluster_leases (cluster, ttl_ns, updated_at) VALUES (?, ?, ?)`, cluster, int64(ttl), now.UnixNano()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET renewed_at = ? WHERE cluster = ? AND renewed_at < ?`, now.UnixNano(), cluster, now.UnixNano()); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return registry.Lease{}, err
	}
	out := registry.Lease{Cluster: cluster, TTLSeconds: req.TTLSeconds}
	if ttl > 0 {
		out.UpdatedAt = now
	}
	return out, nil
}

// Lease returns the lease of cluster (TTLSeconds 0: none).
func (s *Store) Lease(ctx context.Context, cluster string) (registry.Lease, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.Lease{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	out := registry.Lease{Cluster: cluster}
	err := s.retry(ctx, "read lease of "+cluster, func(ctx context.Context) error {
		var ttl, upd int64
		err := s.db.QueryRowContext(ctx, `SELECT ttl_ns, updated_at FROM cluster_leases WHERE cluster = ?`, cluster).Scan(&ttl, &upd)
		if err == sql.ErrNoRows {
			out.TTLSeconds, out.UpdatedAt = 0, time.Time{}
			return nil
		}
		if err != nil {
			return err
		}
		out.TTLSeconds = int(time.Duration(ttl) / time.Second)
		out.UpdatedAt = time.Unix(0, upd).UTC()
		return nil
	})
	return out, err
}

// Evicted is a member removed because its lease expired.
type Evicted struct {
	Cluster    string
	InstanceID string
	// TokenID is the public id of the member's token.
	TokenID   string
	RenewedAt time.Time
}

// SweepOptions tune one [Store.Sweep].
type SweepOptions struct {
	// Batch is the most members evicted per transaction. 0 means 256.
	Batch int
	// Threshold is the fraction of leased members that must have renewed
	// in the last window (half their TTL) for eviction to run. 0 means
	// 0.85 (Eureka's default); 1 would pause at the first late renewal.
	Threshold float64
	// Tolerance is how many leased members may be stale without ever
	// counting as a partition: a lost instance in a cluster of three is
	// evicted although it is a third of them. 0 means 1; -1 means none.
	Tolerance int
	// Since is when members could first renew with the node that sweeps:
	// a member is evicted only when both its last renewal and Since are
	// more than its TTL ago, so that a member is never evicted for
	// renewals it could not make while the registry was down or had no
	// leader. The Evictor sets it to when its node became the leader;
	// zero means no such bound.
	Since time.Time
	// onBatch, if set, is called with each committed batch (the
	// Evictor's audit lines: written as soon as a batch commits, so a
	// crash later in the sweep loses none of the earlier batches').
	onBatch func([]Evicted)
}

func (o *SweepOptions) defaults() {
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Threshold <= 0 {
		o.Threshold = 0.85
	}
	if o.Tolerance == 0 {
		o.Tolerance = 1
	}
	if o.Tolerance < 0 {
		o.Tolerance = 0
	}
}

// SweepResult says what one sweep found and did.
type SweepResult struct {
	// Leased and Fresh count, before the first batch, the members of
	// clusters with a lease and those that renewed in the last window.
	Leased, Fresh int
	// SelfPreservation is true when eviction paused: Fresh is below
	// Threshold of Leased and more than Tolerance members are stale.
	SelfPreservation bool
	// Evicted lists the members removed, in eviction order.
	Evicted []Evicted
}

// Sweep evicts the members whose lease expired at the store's clock, in
// transactions of at most opt.Batch, unless the registry is in
// self-preservation (checked again before each batch). Each batch reads
// and deletes in one transaction, so a member is evicted once however
// many sweeps run, even on two nodes at once or across a leader change;
// a member that renewed before the batch committed is not evicted. An
// evicted member's instance id stays bound to its token ("expired" in
// released_ids), as after its own deregistration: the instance, if alive,
// registers again with its kept token. Run it on the Raft leader only
// ([Evictor]).
func (s *Store) Sweep(ctx context.Context, opt SweepOptions) (SweepResult, error) {
	opt.defaults()
	var res SweepResult
	first := true
	for {
		var batch []Evicted
		var leased, fresh int
		var paused bool
		var chs []change
		var lastSeq int64
		err := s.retry(ctx, "evict expired leases", func(ctx context.Context) error {
			batch = batch[:0]
			tx, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			now := s.opt.Now().UTC().UnixNano()
			// Fresh: renewed within half the TTL. The renewal timer
			// runs every TTL/3 at most, so a registry cut off from its
			// members sees Fresh fall before the first lease expires.
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(m.renewed_at >= ? - l.ttl_ns / 2), 0)
				FROM members m JOIN cluster_leases l ON l.cluster = m.cluster`, now).Scan(&leased, &fresh); err != nil {
				return err
			}
			paused = selfPreserving(leased, fresh, opt)
			if paused {
				return nil
			}
			var since int64
			if !opt.Since.IsZero() {
				since = opt.Since.UnixNano()
			}
			rows, err := tx.QueryContext(ctx, `SELECT m.cluster, m.instance_id, m.token_hash, m.renewed_at
				FROM cluster_leases l JOIN members m ON m.cluster = l.cluster
				WHERE m.renewed_at < ? - l.ttl_ns AND ? < ? - l.ttl_ns
				ORDER BY m.renewed_at, m.cluster, m.instance_id LIMIT ?`, now, since, now, opt.Batch)
			if err != nil {
				return err
			}
			var hashes []string
			for rows.Next() {
				var e Evicted
				var h string
				var ren int64
				if err := rows.Scan(&e.Cluster, &e.InstanceID, &h, &ren); err != nil {
					rows.Close()
					return err
				}
				e.TokenID = tokenID(h)
				e.RenewedAt = time.Unix(0, ren).UTC()
				batch = append(batch, e)
				hashes = append(hashes, h)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if len(batch) == 0 {
				return nil
			}
			keys := make([]memberKey, len(batch))
			for i, e := range batch {
				keys[i] = memberKey{e.Cluster, e.InstanceID}
			}
			if err := deleteMembers(ctx, tx, keys); err != nil {
				return err
			}
			chs = chs[:0]
			for i, e := range batch {
				if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO released_ids (cluster, instance_id, token_hash, released_at, reason) VALUES (?, ?, ?, ?, 'expired')`,
					e.Cluster, e.InstanceID, hashes[i], now); err != nil {
					return err
				}
				chs = append(chs, change{e.Cluster, e.InstanceID, registry.ChangeEvicted})
			}
			if lastSeq, err = s.recordChanges(ctx, tx, chs, now); err != nil {
				return err
			}
			return tx.Commit()
		})
		if err != nil {
			return res, err
		}
		if len(batch) > 0 {
			s.changed(chs, lastSeq)
		}
		if first {
			res.Leased, res.Fresh = leased, fresh
			first = false
		}
		if paused {
			res.SelfPreservation = true
			return res, nil
		}
		res.Evicted = append(res.Evicted, batch...)
		if opt.onBatch != nil && len(batch) > 0 {
			opt.onBatch(batch)
		}
		if len(batch) < opt.Batch {
			return res, nil
		}
	}
}

// selfPreserving reports whether eviction pauses: fewer than Threshold of
// the leased members are fresh and more than Tolerance are stale.
func selfPreserving(leased, fresh int, opt SweepOptions) bool {
	if leased == 0 {
		return false
	}
	need := int(math.Ceil(opt.Threshold*float64(leased) - 1e-9))
	return fresh < need && leased-fresh > opt.Tolerance
}

// Evictor sweeps expired leases every Every on the Raft leader and keeps
// the state for /healthz. Set the fields, then call [Evictor.Run].
type Evictor struct {
	Store *Store
	// Every is the time between sweeps. 0 means 5 s.
	Every time.Duration
	// Options tune each sweep.
	Options SweepOptions
	// IsLeader reports whether this node is the Raft leader; only the
	// leader sweeps. nil: always (a single node).
	IsLeader func(context.Context) (bool, error)
	// Log receives an "audit" line per eviction (action "evict", reason
	// "expired") and a line when self-preservation starts or ends. nil
	// discards.
	Log *slog.Logger

	mu     sync.Mutex
	status registry.LeaseStatus
	// leading is when this evictor first saw its node lead (zero while
	// it does not): the sweeps' Since.
	leading time.Time
}

// Status returns the evictor's state as of its last sweep.
func (e *Evictor) Status() registry.LeaseStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.status
	o := e.Options
	o.defaults()
	st.Threshold = o.Threshold
	return st
}

// Run sweeps at once, then every Every, until ctx ends.
func (e *Evictor) Run(ctx context.Context) {
	every := e.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for first := true; ; first = false {
		// The first sweep runs at once: it starts the grace of a new
		// leader (SweepOptions.Since) and fills the status /healthz
		// shows.
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		if _, err := e.Sweep(ctx); err != nil && ctx.Err() == nil && e.Log != nil {
			e.Log.Warn("lease sweep failed; trying again at the next sweep", "err", err.Error())
		}
	}
}

// Sweep runs one sweep if this node is the leader, logs what it did and
// updates the status. It returns the sweep's result (zero on a follower).
func (e *Evictor) Sweep(ctx context.Context) (SweepResult, error) {
	if e.IsLeader != nil {
		lead, err := e.IsLeader(ctx)
		if err != nil {
			return SweepResult{}, fmt.Errorf("lease sweep: is this node the leader: %w", err)
		}
		if !lead {
			e.mu.Lock()
			e.status.Leader = false
			e.leading = time.Time{}
			e.mu.Unlock()
			return SweepResult{}, nil
		}
	}
	e.mu.Lock()
	if e.leading.IsZero() {
		// Renewals went to another leader, or nowhere while there was
		// none: each member gets a full TTL from now to renew here.
		e.leading = e.Store.opt.Now().UTC()
	}
	since := e.leading
	e.mu.Unlock()
	opt := e.Options
	opt.Since = since
	// Audit lines batch by batch, as each commits.
	opt.onBatch = func(batch []Evicted) {
		if e.Log == nil {
			return
		}
		for _, ev := range batch {
			e.Log.Info("audit", "action", "evict", "reason", "expired", "token_kind", "", "token_id", "",
				"cluster", ev.Cluster, "instance_id", ev.InstanceID, "member_token_id", ev.TokenID,
				"renewed_at", ev.RenewedAt.Format(time.RFC3339Nano))
		}
	}
	res, err := e.Store.Sweep(ctx, opt)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status.Evicted += int64(len(res.Evicted))
	if err != nil {
		return res, err
	}
	was := e.status.SelfPreservation
	e.status.Leader = true
	// As the sweep leaves them: res counts before its evictions, and
	// an evicted member was stale, never fresh.
	e.status.Leased, e.status.Fresh = res.Leased-len(res.Evicted), res.Fresh
	e.status.SelfPreservation = res.SelfPreservation
	e.status.LastSweep = e.Store.opt.Now().UTC()
	if e.Log != nil && was != res.SelfPreservation {
		o := e.Options
		o.defaults()
		if res.SelfPreservation {
			e.Log.Warn("lease self-preservation: eviction paused: fewer members renewed than expected; the registry may be cut off from them",
				"leased", res.Leased, "fresh", res.Fresh, "threshold", o.Threshold)
		} else {
			e.Log.Info("lease self-preservation ended: renewals recovered, eviction resumes",
				"leased", res.Leased, "fresh", res.Fresh, "threshold", o.Threshold)
		}
	}
	return res, nil
}
