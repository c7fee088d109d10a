// Package store keeps a udkit registry's members and tokens in a SQL
// database (dqlite in udkitd) through database/sql: schema migrations,
// group commit of registrations and deregistrations, and retry of
// transient errors. The domain types are package registry's.
package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/udkit/udkit/registry"
)

// Options tune a [Store]. The zero value is ready to use.
type Options struct {
	// MaxBatch is the most registrations and deregistrations committed in
	// one transaction (group commit). 0 means 256. 1 commits one row per
	// transaction, the baseline the benchmarks compare against.
	MaxBatch int
	// QueueLength is how many operations may wait for the writer before
	// callers block. 0 means 4096.
	QueueLength int
	// RetryFor bounds the time spent retrying one operation (or batch)
	// after transient errors. 0 means 30 s.
	RetryFor time.Duration
	// AttemptTimeout bounds one attempt, so that a request stuck on a
	// dead leader is retried on the new one. 0 means 5 s.
	AttemptTimeout time.Duration
	// Transient reports whether an error is worth retrying. nil means
	// [IsTransient].
	Transient func(error) bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnBatch, if set, is called by the writer goroutine with the number
	// of operations in each group-commit transaction it starts (the
	// batch-size histogram of udkitd's metrics). It must not block.
	OnBatch func(size int)
	// ChangeWindow is how many membership changes (all clusters) the
	// change index keeps for watchers (watch.go); a watcher further
	// behind must list again. 0 means DefaultChangeWindow.
	ChangeWindow int
	// ChangePoll is how often, while watchers wait, the store looks for
	// changes committed through other nodes. 0 means DefaultChangePoll.
	ChangePoll time.Duration
}

// Store keeps members and tokens in a SQL database reached through
// database/sql — dqlite in udkitd, any SQLite-compatible database in
// principle.
//
// Registrations and deregistrations go to one writer goroutine that commits
// whatever has queued up meanwhile in one transaction (group commit), so a
// launch storm pays one Raft round per batch, not per instance. Every
// operation is retried with backoff on transient errors (database is
// locked, leader changed, connection lost), for at most Options.RetryFor.
type Store struct {
	db        *sql.DB
	opt       Options
	batches   atomic.Int64
	batched   atomic.Int64
	retries   atomic.Int64
	ops       chan *op
	hub       *hub
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type opKind int

const (
	opRegister opKind = iota
	opDeregister
	opRenew
)

type op struct {
	ctx        context.Context
	kind       opKind
	cluster    string
	instanceID string
	// register
	req        registry.RegisterRequest
	joinHash   string
	memberTok  string // plaintext, returned to the caller
	memberHash string
	// deregister
	admin bool
	// renew: memberHash

	prev *result // outcome of an attempt whose commit was ambiguous
	out  chan result
}

type result struct {
	member  registry.Member
	created bool
	removed bool
	renewed bool
	ttl     time.Duration // renew: the cluster's lease, 0 for none
	err     error
}

// Open migrates the database schema to the newest version and starts
// the writer. Close the store before closing db.
func Open(ctx context.Context, db *sql.DB, opt Options) (*Store, error) {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 256
	}
	if opt.QueueLength <= 0 {
		opt.QueueLength = 4096
	}
	if opt.RetryFor <= 0 {
		opt.RetryFor = 30 * time.Second
	}
	if opt.AttemptTimeout <= 0 {
		opt.AttemptTimeout = 5 * time.Second
	}
	if opt.Transient == nil {
		opt.Transient = IsTransient
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.ChangeWindow <= 0 {
		opt.ChangeWindow = DefaultChangeWindow
	}
	if opt.ChangePoll <= 0 {
		opt.ChangePoll = DefaultChangePoll
	}
	s := &Store{
		db:   db,
		opt:  opt,
		ops:  make(chan *op, opt.QueueLength),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	s.hub = newHub(s)
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	go s.writer()
	return s, nil
}

// Close stops the writer. Operations still queued fail with
// [registry.CodeUnavailable]; drain the HTTP server first so there are none.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.done
	})
	return nil
}

// Stats counts what a store has done since it was opened.
type Stats struct {
	// Batches is the number of group-commit transactions (each retried
	// batch counts once); Batched the registrations and deregistrations
	// they carried.
	Batches, Batched int64
	// Retries counts attempts that failed with a transient error and were
	// retried, by any operation.
	Retries int64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Batched: s.batched.Load(), Retries: s.retries.Load()}
}

// IsTransient reports whether err is one of the errors that go away by
// themselves when retried: the connection to the database broke or was
// refused (driver.ErrBadConn — which is also what go-dqlite returns when
// the leader changed —, sql.ErrConnDone, io.EOF, io.ErrUnexpectedEOF,
// ECONNREFUSED, ECONNRESET, EPIPE, any net.Error), or, for drivers whose
// error types this pure-Go package cannot see, SQLite's own messages for a
// locked or busy database and dqlite's for a missing leader. Matching is
// on error identity and on those exact phrases, never on fragments such as
// "eof". Servers on dqlite should use dqlitenode.IsTransient, which checks
// dqlite's error codes first.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var apiErr *registry.Error
	if errors.As(err, &apiErr) {
		return false
	}
	for _, target := range []error{
		driver.ErrBadConn, sql.ErrConnDone, io.EOF, io.ErrUnexpectedEOF,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{
		"database is locked", "database is busy", "database table is locked",
		"not leader", "leadership lost", "lost leadership",
		"no available dqlite leader", "checkpoint in progress",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// retry runs f until it succeeds, fails with an error that is not
// transient, ctx ends, or Options.RetryFor has passed. Each attempt gets
// its own Options.AttemptTimeout.
func (s *Store) retry(ctx context.Context, what string, f func(ctx context.Context) error) error {
	return s.retryUpTo(ctx, what, 500*time.Millisecond, f)
}

// retryUpTo is retry whose pause between attempts grows to at most
// maxBackoff.
func (s *Store) retryUpTo(ctx context.Context, what string, maxBackoff time.Duration, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(s.opt.RetryFor)
	backoff := 5 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.opt.AttemptTimeout)
		err := f(actx)
		attemptTimedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return registry.Errorf(registry.CodeUnavailable, "%s: %v", what, ctx.Err())
		}
		if !attemptTimedOut && !s.opt.Transient(err) {
			var apiErr *registry.Error
			if errors.As(err, &apiErr) {
				return err
			}
			return registry.Errorf(registry.CodeInternal, "%s: %v", what, err)
		}
		s.retries.Add(1)
		sleep := backoff/2 + rand.N(backoff/2+1)
		if time.Now().Add(sleep).After(deadline) {
			return registry.Errorf(registry.CodeUnavailable, "%s: still failing after %d attempts in %v: %v; the database may have lost its quorum", what, attempt, s.opt.RetryFor, err)
		}
		select {
		case <-time.After(sleep):
		case <-ctx.Done():
			return registry.Errorf(registry.CodeUnavailable, "%s: %v", what, ctx.Err())
		}
		if backoff < maxBackoff {
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// Register registers a member of cluster, authorised by joinToken. It is
// idempotent: a repeated registration with the same member token updates
// the member and answers Created=false; one with another member token is a
// [registry.CodeConflict]. With an empty req.MemberToken the store makes one.
func (s *Store) Register(ctx context.Context, cluster, joinToken string, req registry.RegisterRequest) (registry.RegisterResponse, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.RegisterResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if err := req.Validate(); err != nil {
		return registry.RegisterResponse{}, err
	}
	if k, err := registry.ParseToken(joinToken); err != nil {
		return registry.RegisterResponse{}, registry.Errorf(registry.CodeUnauthorized, "register: %s", strings.TrimPrefix(err.Error(), "registry: "))
	} else if k != registry.KindJoin {
		return registry.RegisterResponse{}, registry.Errorf(registry.CodeForbidden, "register: a %s token cannot register; use the cluster's join token (udkj_...)", k)
	}
	o := &op{
		ctx: ctx, kind: opRegister, cluster: cluster, instanceID: req.InstanceID,
		req: req, joinHash: hashToken(joinToken), memberTok: req.MemberToken,
	}
	if o.memberTok == "" {
		tok, err := registry.NewToken(registry.MemberTokenPrefix)
		if err != nil {
			return registry.RegisterResponse{}, registry.Errorf(registry.CodeInternal, "%v", err)
		}
		o.memberTok = tok
	}
	o.memberHash = hashToken(o.memberTok)
	r, err := s.submit(o)
	if err != nil {
		return registry.RegisterResponse{}, err
	}
	return registry.RegisterResponse{Member: r.member, MemberToken: o.memberTok, Created: r.created}, nil
}

// Deregister removes a member, authorised by its member token or an admin
// token. It is idempotent: removing a member that is not there answers
// false. A member token answers false, too, when the member exists but
// the token is not its own, so that a made-up token cannot tell present
// members from absent ones. A join token is [registry.CodeForbidden].
func (s *Store) Deregister(ctx context.Context, cluster, instanceID, token string) (registry.DeregisterResponse, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.DeregisterResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if err := registry.ValidateInstanceID(instanceID); err != nil {
		return registry.DeregisterResponse{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	k, err := registry.ParseToken(token)
	if err != nil {
		return registry.DeregisterResponse{}, registry.Errorf(registry.CodeUnauthorized, "deregister: %s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	o := &op{ctx: ctx, kind: opDeregister, cluster: cluster, instanceID: instanceID}
	switch k {
	case registry.KindJoin:
		return registry.DeregisterResponse{}, registry.Errorf(registry.CodeForbidden, "deregister: a join token cannot deregister; use the member token returned at registration")
	case registry.KindAdmin:
		if err := s.CheckAdmin(ctx, token); err != nil {
			return registry.DeregisterResponse{}, err
		}
		o.admin = true
	default:
		o.memberHash = hashToken(token)
	}
	r, err := s.submit(o)
	if err != nil {
		return registry.DeregisterResponse{}, err
	}
	return registry.DeregisterResponse{Deregistered: r.removed}, nil
}

func (s *Store) submit(o *op) (result, error) {
	o.out = make(chan result, 1)
	select {
	case <-s.quit:
		return result{}, registry.Errorf(registry.CodeUnavailable, "%s: the store is shutting down", o.what())
	default:
	}
	select {
	case s.ops <- o:
	case <-o.ctx.Done():
		return result{}, registry.Errorf(registry.CodeUnavailable, "%s: not queued: %v", o.what(), o.ctx.Err())
	case <-s.quit:
		return result{}, registry.Errorf(registry.CodeUnavailable, "%s: the store is shutting down", o.what())
	}
	select {
	case r := <-o.out:
		return r, r.err
	case <-s.done:
		// The writer has stopped; it answered everything it took.
		select {
		case r := <-o.out:
			return r, r.err
		default:
			return result{}, registry.Errorf(registry.CodeUnavailable, "%s: the store is shutting down", o.what())
		}
	case <-o.ctx.Done():
		// The operation may still be committed; a retry with the same
		// member token is idempotent.
		return result{}, registry.Errorf(registry.CodeUnavailable, "%s: %v (it may still be committed; retrying is safe)", o.what(), o.ctx.Err())
	}
}

func (o *op) what() string {
	if o.kind == opRegister {
		return fmt.Sprintf("register %s/%s", o.cluster, o.instanceID)
	}
	if o.kind == opRenew {
		return fmt.Sprintf("renew %s/%s", o.cluster, o.instanceID)
	}
	return fmt.Sprintf("deregister %s/%s", o.cluster, o.instanceID)
}

// writer is the single goroutine that commits registrations and
// deregistrations, as many per transaction as have queued up.
func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*op, 0, s.opt.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case o := <-s.ops:
			batch = append(batch, o)
		case <-s.quit:
			s.failQueued()
			return
		}
	fill:
		for len(batch) < s.opt.MaxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
	}
}

func (s *Store) failQueued() {
	for {
		select {
		case o := <-s.ops:
			o.out <- result{err: registry.Errorf(registry.CodeUnavailable, "%s: the store is shutting down", o.what())}
		default:
			return
		}
	}
}

// commitBatch applies a batch in one transaction, retrying the whole batch
// on transient errors, and hands each operation its result.
func (s *Store) commitBatch(batch []*op) {
	live := make([]*op, 0, len(batch))
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.out <- result{err: registry.Errorf(registry.CodeUnavailable, "%s: %v before it was committed", o.what(), err)}
			continue
		}
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	s.batches.Add(1)
	s.batched.Add(int64(len(live)))
	if s.opt.OnBatch != nil {
		s.opt.OnBatch(len(live))
	}
	// The batch runs on its own context: callers that give up do not
	// abort the others' transaction.
	ctx, cancel := context.WithTimeout(context.Background(), s.opt.RetryFor+s.opt.AttemptTimeout)
	defer cancel()
	// Renewals take the short path (applyRenewals: one UPDATE per
	// chunk, no multi-statement transaction that holds the write lock
	// over several round trips to the leader); the rest one transaction.
	var renews, others []*op
	for _, o := range live {
		if o.kind == opRenew {
			renews = append(renews, o)
		} else {
			others = append(others, o)
		}
	}
	for _, part := range []struct {
		ops        []*op
		what       string
		apply      func(context.Context, []*op) ([]result, error)
		maxBackoff time.Duration
	}{
		{others, fmt.Sprintf("commit %d registrations/deregistrations", len(others)), s.applyBatch, 500 * time.Millisecond},
		// A renewal's statement is short: the lock it met is released
		// soon, so it tries again soon (and the writers of the other
		// nodes, each with a batch, do not back off for half a second).
		{renews, fmt.Sprintf("commit %d lease renewals", len(renews)), s.applyRenewals, 20 * time.Millisecond},
	} {
		if len(part.ops) == 0 {
			continue
		}
		var results []result
		err := s.retryUpTo(ctx, part.what, part.maxBackoff, func(ctx context.Context) error {
			var err error
			results, err = part.apply(ctx, part.ops)
			return err
		})
		for i, o := range part.ops {
			if err != nil {
				o.out <- result{err: err}
				continue
			}
			o.out <- results[i]
		}
	}
}

type memberKey struct{ cluster, instanceID string }

type row struct {
	registry.Member
	tokenHash string
}

// applyBatch runs one attempt for registrations and deregistrations (lease
// renewals go to applyRenewals): read the join tokens and current members
// the batch touches, decide each operation in order, write the net
// changes, commit.
func (s *Store) applyBatch(ctx context.Context, ops []*op) (results []result, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()

	// Join tokens of the clusters that get registrations.
	regClusters := map[string]bool{}
	keys := map[memberKey]bool{}
	for _, o := range ops {
		if o.kind == opRegister {
			regClusters[o.cluster] = true
		}
		keys[memberKey{o.cluster, o.instanceID}] = true
	}
	joinHashes, err := loadJoinHashes(ctx, tx, sortedKeys(regClusters))
	if err != nil {
		return nil, err
	}

	initial, err := loadMembers(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	// Who holds the member tokens the batch registers with: a member
	// token belongs to one member only (an image baked from a registered
	// instance must not hand its token to every clone).
	var regHashes []string
	for _, o := range ops {
		if o.kind == opRegister {
			regHashes = append(regHashes, o.memberHash)
		}
	}
	holders, err := loadTokenHolders(ctx, tx, regHashes)
	if err != nil {
		return nil, err
	}
	final := make(map[memberKey]*row, len(initial))
	for k, r := range initial {
		final[k] = r
	}
	// Instance ids their members deregistered, bound to their tokens.
	released, err := loadReleased(ctx, tx, keys)
	if err != nil {
		return nil, err
	}
	relFinal := make(map[memberKey]string, len(released))
	for k, h := range released {
		relFinal[k] = h
	}

	now := s.opt.Now().UTC()
	results = make([]result, len(ops))
	var chs []change // one per change, in order (watch.go)
	for i, o := range ops {
		k := memberKey{o.cluster, o.instanceID}
		cur := final[k]
		switch o.kind {
		case opRegister:
			ok := false
			for _, h := range joinHashes[o.cluster] {
				if sameHash(h, o.joinHash) {
					ok = true
				}
			}
			if !ok {
				results[i].err = registry.Errorf(registry.CodeForbidden, "register %s: the join token is not valid for cluster %q (unknown, revoked, or another cluster's)", o.instanceID, o.cluster)
				continue
			}
			if cur != nil && !sameHash(cur.tokenHash, o.memberHash) {
				results[i].err = registry.Errorf(registry.CodeConflict, "register %s: already registered in cluster %q with another member token; deregister it first (member token or admin token)", o.instanceID, o.cluster)
				continue
			}
			if h, ok := relFinal[k]; ok && cur == nil && !sameHash(h, o.memberHash) {
				results[i].err = registry.Errorf(registry.CodeConflict, "register %s: this instance id was deregistered by its member, and only that member's token registers it again (the instance keeps it across reboots); if this is that instance and it lost its member token, an admin frees the id: DELETE /v1/clusters/%s/members/%s with an admin token", o.instanceID, o.cluster, o.instanceID)
				continue
			}
			if h, ok := holders[o.memberHash]; ok && h != k {
				results[i].err = registry.Errorf(registry.CodeConflict, "register %s: its member token already belongs to another member; every instance needs its own (an instance cloned from a registered one must make a new token: the register script does so when the instance id changes)", o.instanceID)
				continue
			}
			holders[o.memberHash] = k
			delete(relFinal, k)
			nr := &row{tokenHash: o.memberHash, Member: registry.Member{
				Cluster: o.cluster, InstanceID: o.instanceID, Address: o.req.Address,
				Labels: copyLabels(o.req.Labels), UserDataSHA256: o.req.UserDataSHA256,
				RegisteredAt: now, UpdatedAt: now, RenewedAt: now,
			}}
			if cur != nil {
				nr.RegisteredAt = cur.RegisteredAt
			}
			final[k] = nr
			results[i] = result{member: nr.Member, created: cur == nil}
			kind := registry.ChangeJoined
			if cur != nil {
				kind = registry.ChangeReplaced
			}
			chs = append(chs, change{o.cluster, o.instanceID, kind})
		case opDeregister:
			if o.admin {
				delete(relFinal, k) // an admin frees the id
			}
			if cur == nil {
				continue // already gone: removed=false
			}
			if !o.admin && !sameHash(cur.tokenHash, o.memberHash) {
				// Answered as for an absent member: a member token
				// that is not this member's must not tell whether
				// the member exists.
				continue
			}
			final[k] = nil
			delete(holders, cur.tokenHash)
			if !o.admin {
				relFinal[k] = cur.tokenHash
			}
			results[i].removed = true
			chs = append(chs, change{o.cluster, o.instanceID, registry.ChangeLeft})
		}
	}

	// Net changes, in key order.
	var dels []memberKey
	var ins, upd []*row
	for _, k := range sortedMemberKeys(keys) {
		a, b := initial[k], final[k]
		switch {
		case a == nil && b != nil:
			ins = append(ins, b)
		case a != nil && b == nil:
			dels = append(dels, k)
		case a != nil && b != nil && a != b:
			upd = append(upd, b)
		}
	}
	if err := deleteMembers(ctx, tx, dels); err != nil {
		return nil, err
	}
	if err := insertMembers(ctx, tx, ins); err != nil {
		return nil, err
	}
	for _, k := range sortedMemberKeys(keys) {
		a, had := released[k]
		b, has := relFinal[k]
		switch {
		case had && !has:
			if _, err := tx.ExecContext(ctx, `DELETE FROM released_ids WHERE cluster = ? AND instance_id = ?`, k.cluster, k.instanceID); err != nil {
				return nil, err
			}
		case has && (!had || a != b):
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO released_ids (cluster, instance_id, token_hash, released_at) VALUES (?, ?, ?, ?)`, k.cluster, k.instanceID, b, now.UnixNano()); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range upd {
		labels, _ := json.Marshal(labelsOrEmpty(r.Labels))
		if _, err := tx.ExecContext(ctx, `UPDATE members SET address = ?, labels = ?, user_data_sha256 = ?, token_hash = ?, registered_at = ?, updated_at = ?, renewed_at = ? WHERE cluster = ? AND instance_id = ?`,
			r.Address, string(labels), r.UserDataSHA256, r.tokenHash, r.RegisteredAt.UnixNano(), r.UpdatedAt.UnixNano(), r.RenewedAt.UnixNano(), r.Cluster, r.InstanceID); err != nil {
			return nil, err
		}
	}
	lastSeq, err := s.recordChanges(ctx, tx, chs, now.UnixNano())
	if err != nil {
		return nil, err
	}

	if err := tx.Commit(); err != nil {
		committed = true // nothing left to roll back
		// The commit may or may not have been applied (a leader lost
		// after replicating): remember the outcome, so that a retry
		// that finds the work already done reports it as ours.
		for i, o := range ops {
			r := results[i]
			o.prev = &r
		}
		return nil, err
	}
	committed = true
	s.changed(chs, lastSeq)
	for i, o := range ops {
		if o.prev == nil || o.prev.err != nil || results[i].err != nil {
			continue
		}
		if o.kind == opRegister && o.prev.created && !results[i].created {
			results[i].created = true
		}
		if o.kind == opDeregister && o.prev.removed && !results[i].removed {
			results[i].removed = true
		}
	}
	return results, nil
}

// sqlParams is the most parameters put into one statement: dqlite's wire
// protocol carries at most 255.
const sqlParams = 240

func loadJoinHashes(ctx context.Context, tx *sql.Tx, clusters []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, chunk := range chunks(clusters, sqlParams) {
		args := make([]any, len(chunk))
		for i, c := range chunk {
			args[i] = c
		}
		rows, err := tx.QueryContext(ctx, `SELECT cluster, hash FROM join_tokens WHERE cluster IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c, h string
			if err := rows.Scan(&c, &h); err != nil {
				rows.Close()
				return nil, err
			}
			out[c] = append(out[c], h)
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

// loadTokenHolders returns which member holds each of the token hashes.
func loadTokenHolders(ctx context.Context, tx *sql.Tx, hashes []string) (map[string]memberKey, error) {
	out := make(map[string]memberKey, len(hashes))
	uniq := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		uniq[h] = true
	}
	for _, chunk := range chunks(sortedKeys(uniq), sqlParams) {
		args := make([]any, len(chunk))
		for i, h := range chunk {
			args[i] = h
		}
		rows, err := tx.QueryContext(ctx, `SELECT token_hash, cluster, instance_id FROM members WHERE token_hash IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var h string
			var k memberKey
			if err := rows.Scan(&h, &k.cluster, &k.instanceID); err != nil {
				rows.Close()
				return nil, err
			}
			out[h] = k
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

const memberColumns = `cluster, instance_id, address, labels, user_data_sha256, token_hash, registered_at, updated_at, renewed_at`

func loadMembers(ctx context.Context, tx *sql.Tx, keys map[memberKey]bool) (map[memberKey]*row, error) {
	byCluster := map[string][]string{}
	for k := range keys {
		byCluster[k.cluster] = append(byCluster[k.cluster], k.instanceID)
	}
	out := make(map[memberKey]*row, len(keys))
	for _, c := range sortedKeys(byCluster) {
		ids := byCluster[c]
		sort.Strings(ids)
		for _, chunk := range chunks(ids, sqlParams-1) {
			args := make([]any, 0, len(chunk)+1)
			args = append(args, c)
			for _, id := range chunk {
				args = append(args, id)
			}
			rows, err := tx.QueryContext(ctx, `SELECT `+memberColumns+` FROM members WHERE cluster = ? AND instance_id IN (`+placeholders(len(chunk))+`)`, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				r, err := scanRow(rows)
				if err != nil {
					rows.Close()
					return nil, err
				}
				out[memberKey{r.Cluster, r.InstanceID}] = r
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

type scanner interface{ Scan(...any) error }

func scanRow(sc scanner) (*row, error) {
	var r row
	var labels string
	var reg, upd, ren int64
	if err := sc.Scan(&r.Cluster, &r.InstanceID, &r.Address, &labels, &r.UserDataSHA256, &r.tokenHash, &reg, &upd, &ren); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(labels), &r.Labels); err != nil {
		return nil, fmt.Errorf("member %s/%s: stored labels are not a JSON object: %w", r.Cluster, r.InstanceID, err)
	}
	if len(r.Labels) == 0 {
		r.Labels = nil
	}
	r.RegisteredAt = time.Unix(0, reg).UTC()
	r.UpdatedAt = time.Unix(0, upd).UTC()
	r.RenewedAt = time.Unix(0, ren).UTC()
	return &r, nil
}

// loadReleased returns the token hashes the given instance ids are bound
// to since their members deregistered them.
func loadReleased(ctx context.Context, tx *sql.Tx, keys map[memberKey]bool) (map[memberKey]string, error) {
	byCluster := map[string][]string{}
	for k := range keys {
		byCluster[k.cluster] = append(byCluster[k.cluster], k.instanceID)
	}
	out := map[memberKey]string{}
	for _, c := range sortedKeys(byCluster) {
		ids := byCluster[c]
		sort.Strings(ids)
		for _, chunk := range chunks(ids, sqlParams-1) {
			args := make([]any, 0, len(chunk)+1)
			args = append(args, c)
			for _, id := range chunk {
				args = append(args, id)
			}
			rows, err := tx.QueryContext(ctx, `SELECT instance_id, token_hash FROM released_ids WHERE cluster = ? AND instance_id IN (`+placeholders(len(chunk))+`)`, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id, h string
				if err := rows.Scan(&id, &h); err != nil {
					rows.Close()
					return nil, err
				}
				out[memberKey{c, id}] = h
			}
			if err := rows.Close(); err != nil {
				return nil, err
			}
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func deleteMembers(ctx context.Context, tx *sql.Tx, keys []memberKey) error {
	byCluster := map[string][]string{}
	for _, k := range keys {
		byCluster[k.cluster] = append(byCluster[k.cluster], k.instanceID)
	}
	for _, c := range sortedKeys(byCluster) {
		for _, chunk := range chunks(byCluster[c], sqlParams-1) {
			args := make([]any, 0, len(chunk)+1)
			args = append(args, c)
			for _, id := range chunk {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE cluster = ? AND instance_id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
				return err
			}
		}
	}
	return nil
}

func insertMembers(ctx context.Context, tx *sql.Tx, rows []*row) error {
	const cols = 9
	for _, chunk := range chunks(rows, sqlParams/cols) {
		args := make([]any, 0, len(chunk)*cols)
		var q strings.Builder
		q.WriteString(`INSERT INTO members (` + memberColumns + `) VALUES `)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			labels, _ := json.Marshal(labelsOrEmpty(r.Labels))
			args = append(args, r.Cluster, r.InstanceID, r.Address, string(labels), r.UserDataSHA256, r.tokenHash, r.RegisteredAt.UnixNano(), r.UpdatedAt.UnixNano(), r.RenewedAt.UnixNano())
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Members returns the members of cluster, sorted by instance id.
func (s *Store) Members(ctx context.Context, cluster string) ([]registry.Member, error) {
	ms, _, err := s.MembersPage(ctx, cluster, "", 0)
	return ms, err
}

// MaxPageSize is the most members one page of [Store.MembersPage] holds.
const MaxPageSize = 10000

// MembersPage lists the members of cluster whose instance ids sort after
// after (all when empty), in instance id order, at most limit of them (0:
// all). next is the last instance id of the page when more follow, to
// pass as after for the next page, and empty on the last page: a cursor
// that stays valid whatever registers or leaves meanwhile (a member is
// listed once at most, and every member present through the whole
// listing is listed).
func (s *Store) MembersPage(ctx context.Context, cluster, after string, limit int) (members []registry.Member, next string, err error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return nil, "", registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if after != "" {
		if err := registry.ValidateInstanceID(after); err != nil {
			return nil, "", registry.Errorf(registry.CodeInvalid, "after: %s", strings.TrimPrefix(err.Error(), "registry: "))
		}
	}
	if limit < 0 || limit > MaxPageSize {
		return nil, "", registry.Errorf(registry.CodeInvalid, "limit %d: want 1 to %d (0: every member)", limit, MaxPageSize)
	}
	q := `SELECT ` + memberColumns + ` FROM members WHERE cluster = ? AND instance_id > ? ORDER BY instance_id`
	args := []any{cluster, after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit+1)
	}
	var out []registry.Member
	err = s.retry(ctx, "list members of "+cluster, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRow(rows)
			if err != nil {
				return err
			}
			out = append(out, r.Member)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
		next = out[limit-1].InstanceID
	}
	if out == nil {
		out = []registry.Member{}
	}
	return out, next, nil
}

// Clusters lists every cluster that has members or join tokens, with its
// member count, sorted by name.
func (s *Store) Clusters(ctx context.Context) ([]registry.ClusterSummary, error) {
	var out []registry.ClusterSummary
	err := s.retry(ctx, "list clusters", func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.db.QueryContext(ctx, `SELECT c, SUM(n) FROM (
			SELECT cluster AS c, COUNT(*) AS n FROM members GROUP BY cluster
			UNION ALL SELECT DISTINCT cluster, 0 FROM join_tokens
		) GROUP BY c ORDER BY c`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c registry.ClusterSummary
			if err := rows.Scan(&c.Cluster, &c.Members); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []registry.ClusterSummary{}
	}
	return out, nil
}

// Reconcile removes the members of cluster that are not in req.Live and
// registered before req.RegisteredBefore: instances whose stop hook never
// ran. It returns the removed instance ids, sorted. It refuses (with
// [registry.CodeInvalid]) a RegisteredBefore later than the store's clock plus
// [registry.MaxReconcileSkew], and an empty live set unless req.AllowEmpty.
//
// With req.DryRun it runs the same transaction and rolls it back: the
// answer lists what a real run would remove at that moment, and nothing
// changes.
func (s *Store) Reconcile(ctx context.Context, cluster string, req registry.ReconcileRequest) ([]string, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return nil, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if req.RegisteredBefore.IsZero() {
		return nil, registry.Errorf(registry.CodeInvalid, "reconcile: registered_before is required: take the time before you ask the cloud for the live instances")
	}
	if now := s.opt.Now(); req.RegisteredBefore.After(now.Add(registry.MaxReconcileSkew)) {
		return nil, registry.Errorf(registry.CodeInvalid, "reconcile: registered_before %s is later than the registry's clock (%s, allowing %v of skew): it would remove members that registered after the live set was taken; send the time taken before asking the cloud for the live instances",
			req.RegisteredBefore.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano), registry.MaxReconcileSkew)
	}
	if len(req.Live) == 0 && !req.AllowEmpty {
		return nil, registry.Errorf(registry.CodeInvalid, "reconcile: the live set is empty, which would remove every member of cluster %q; if no instance of it is alive, set allow_empty", cluster)
	}
	live := make(map[string]bool, len(req.Live))
	for i, id := range req.Live {
		if err := registry.ValidateInstanceID(id); err != nil {
			return nil, registry.Errorf(registry.CodeInvalid, "reconcile: live[%d]: %s", i, strings.TrimPrefix(err.Error(), "registry: "))
		}
		live[id] = true
	}
	before := req.RegisteredBefore.UnixNano()
	var removed []string
	var chs []change
	var lastSeq int64
	err := s.retry(ctx, "reconcile "+cluster, func(ctx context.Context) error {
		removed = removed[:0]
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		rows, err := tx.QueryContext(ctx, `SELECT instance_id, registered_at FROM members WHERE cluster = ? ORDER BY instance_id`, cluster)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var reg int64
			if err := rows.Scan(&id, &reg); err != nil {
				rows.Close()
				return err
			}
			if !live[id] && reg < before {
				removed = append(removed, id)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if req.DryRun {
			return nil // the deferred Rollback: nothing changes
		}
		keys := make([]memberKey, len(removed))
		for i, id := range removed {
			keys[i] = memberKey{cluster, id}
		}
		if err := deleteMembers(ctx, tx, keys); err != nil {
			return err
		}
		chs = chs[:0]
		for _, id := range removed {
			chs = append(chs, change{cluster, id, registry.ChangeReconciled})
		}
		if lastSeq, err = s.recordChanges(ctx, tx, chs, s.opt.Now().UTC().UnixNano()); err != nil {
			return err
		}
		// Ids bound to the token of a member that deregistered are
		// forgotten once the cloud says the instance is gone.
		rows, err = tx.QueryContext(ctx, `SELECT instance_id, released_at FROM released_ids WHERE cluster = ?`, cluster)
		if err != nil {
			return err
		}
		var forget []string
		for rows.Next() {
			var id string
			var at int64
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return err
			}
			if !live[id] && at < before {
				forget = append(forget, id)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, chunk := range chunks(forget, sqlParams-1) {
			args := make([]any, 0, len(chunk)+1)
			args = append(args, cluster)
			for _, id := range chunk {
				args = append(args, id)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM released_ids WHERE cluster = ? AND instance_id IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
				return err
			}
		}
		return tx.Commit()
	})
	if err != nil {
		return nil, err
	}
	s.changed(chs, lastSeq)
	if removed == nil {
		removed = []string{}
	}
	return removed, nil
}

// CreateJoinToken makes a new join token for cluster and returns it; its
// Token field is the only copy of the secret.
func (s *Store) CreateJoinToken(ctx context.Context, cluster string) (registry.JoinToken, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return registry.JoinToken{}, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	tok, err := registry.NewToken(registry.JoinTokenPrefix)
	if err != nil {
		return registry.JoinToken{}, registry.Errorf(registry.CodeInternal, "%v", err)
	}
	h := hashToken(tok)
	jt := registry.JoinToken{Cluster: cluster, ID: tokenID(h), CreatedAt: s.opt.Now().UTC(), Token: tok}
	err = s.retry(ctx, "create join token for "+cluster, func(ctx context.Context) error {
		// OR IGNORE: a retry after an ambiguous commit is harmless.
		_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO join_tokens (cluster, id, hash, created_at) VALUES (?, ?, ?, ?)`,
			cluster, jt.ID, h, jt.CreatedAt.UnixNano())
		return err
	})
	if err != nil {
		return registry.JoinToken{}, err
	}
	return jt, nil
}

// JoinTokens lists the join tokens of cluster (without their secrets),
// oldest first.
func (s *Store) JoinTokens(ctx context.Context, cluster string) ([]registry.JoinToken, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return nil, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	var out []registry.JoinToken
	err := s.retry(ctx, "list join tokens of "+cluster, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.db.QueryContext(ctx, `SELECT id, created_at FROM join_tokens WHERE cluster = ? ORDER BY created_at, id`, cluster)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			jt := registry.JoinToken{Cluster: cluster}
			var created int64
			if err := rows.Scan(&jt.ID, &created); err != nil {
				return err
			}
			jt.CreatedAt = time.Unix(0, created).UTC()
			out = append(out, jt)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []registry.JoinToken{}
	}
	return out, nil
}

// RevokeJoinToken deletes the join token with the given id. Members that
// registered with it stay.
func (s *Store) RevokeJoinToken(ctx context.Context, cluster, id string) (bool, error) {
	if err := registry.ValidateCluster(cluster); err != nil {
		return false, registry.Errorf(registry.CodeInvalid, "%s", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if !tokenIDRE.MatchString(id) {
		return false, registry.Errorf(registry.CodeInvalid, "revoke: join token id %q: want 16 lower-case hex digits (see the token list)", truncate(id))
	}
	var n int64
	err := s.retry(ctx, "revoke join token "+id, func(ctx context.Context) error {
		res, err := s.db.ExecContext(ctx, `DELETE FROM join_tokens WHERE cluster = ? AND id = ?`, cluster, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// AddAdminToken stores the hash of an admin token (make one with
// registry.NewToken(registry.AdminTokenPrefix)). Adding a token that is already there does
// nothing; adding one that was revoked is a [registry.CodeForbidden] error, so that
// an old copy of a token (a node's DATA/admin.token) cannot bring it back.
func (s *Store) AddAdminToken(ctx context.Context, tok string) error {
	return s.AddNodeAdminToken(ctx, tok, "")
}

// AddNodeAdminToken is [Store.AddAdminToken] for the token a node keeps
// in its DATA/admin.token, labelled with the node's address (shown by
// [Store.AdminTokens]). A token already stored keeps its label.
func (s *Store) AddNodeAdminToken(ctx context.Context, tok, node string) error {
	if k, err := registry.ParseToken(tok); err != nil || k != registry.KindAdmin {
		return registry.Errorf(registry.CodeInvalid, "add admin token: want udka_ and 64 lower-case hex digits")
	}
	h := hashToken(tok)
	id := tokenID(h)
	now := s.opt.Now().UTC().UnixNano()
	revoked := false
	err := s.retry(ctx, "add admin token", func(ctx context.Context) error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM revoked_admin_tokens WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if revoked = n > 0; revoked {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO admin_tokens (id, hash, created_at, node) VALUES (?, ?, ?, ?)`, id, h, now, node); err != nil {
			return err
		}
		return tx.Commit()
	})
	if err != nil {
		return err
	}
	if revoked {
		return registry.Errorf(registry.CodeForbidden, "add admin token: admin token %s was revoked; use a current one (udkitd token admin-create)", id)
	}
	return nil
}

// CreateAdminToken makes a new admin token and returns it; its Token field
// is the only copy of the secret.
func (s *Store) CreateAdminToken(ctx context.Context) (registry.AdminToken, error) {
	tok, err := registry.NewToken(registry.AdminTokenPrefix)
	if err != nil {
		return registry.AdminToken{}, registry.Errorf(registry.CodeInternal, "%v", err)
	}
	h := hashToken(tok)
	at := registry.AdminToken{ID: tokenID(h), CreatedAt: s.opt.Now().UTC(), Token: tok}
	err = s.retry(ctx, "create admin token", func(ctx context.Context) error {
		// OR IGNORE: a retry after an ambiguous commit is harmless.
		_, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO admin_tokens (id, hash, created_at) VALUES (?, ?, ?)`, at.ID, h, at.CreatedAt.UnixNano())
		return err
	})
	if err != nil {
		return registry.AdminToken{}, err
	}
	return at, nil
}

// AdminTokens lists the admin tokens (without their secrets), oldest
// first.
func (s *Store) AdminTokens(ctx context.Context) ([]registry.AdminToken, error) {
	var out []registry.AdminToken
	err := s.retry(ctx, "list admin tokens", func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.db.QueryContext(ctx, `SELECT id, created_at, node FROM admin_tokens ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var at registry.AdminToken
			var created int64
			if err := rows.Scan(&at.ID, &created, &at.Node); err != nil {
				return err
			}
			at.CreatedAt = time.Unix(0, created).UTC()
			out = append(out, at)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []registry.AdminToken{}
	}
	return out, nil
}

// RevokeAdminToken deletes the admin token with the given id and remembers
// the id, so that the token cannot be added again. It answers false if no
// such token exists, and refuses ([registry.CodeConflict]) to revoke the last one:
// create its successor first.
func (s *Store) RevokeAdminToken(ctx context.Context, id string) (bool, error) {
	if !tokenIDRE.MatchString(id) {
		return false, registry.Errorf(registry.CodeInvalid, "revoke: admin token id %q: want 16 lower-case hex digits (see the admin token list)", truncate(id))
	}
	var removed, last bool
	now := s.opt.Now().UTC().UnixNano()
	err := s.retry(ctx, "revoke admin token "+id, func(ctx context.Context) error {
		removed, last = false, false
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var exists, total int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(id = ?), 0) FROM admin_tokens`, id).Scan(&total, &exists); err != nil {
			return err
		}
		if exists == 0 {
			return nil
		}
		if total == 1 {
			last = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_tokens WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO revoked_admin_tokens (id, revoked_at) VALUES (?, ?)`, id, now); err != nil {
			return err
		}
		removed = true
		return tx.Commit()
	})
	if err != nil {
		return false, err
	}
	if last {
		return false, registry.Errorf(registry.CodeConflict, "revoke: admin token %s is the last one; create another (udkitd token admin-create), install it, then revoke this one", id)
	}
	return removed, nil
}

// HasAdminToken reports whether any admin token exists.
func (s *Store) HasAdminToken(ctx context.Context) (bool, error) {
	var n int
	err := s.retry(ctx, "count admin tokens", func(ctx context.Context) error {
		return s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM admin_tokens`).Scan(&n)
	})
	return n > 0, err
}

// CheckAdmin returns nil if tok is a valid admin token, a [registry.CodeUnauthorized]
// error if it is missing or malformed, and a [registry.CodeForbidden] one otherwise.
func (s *Store) CheckAdmin(ctx context.Context, tok string) error {
	k, err := registry.ParseToken(tok)
	if err != nil {
		return registry.Errorf(registry.CodeUnauthorized, "%s; this needs an admin token (udka_...)", strings.TrimPrefix(err.Error(), "registry: "))
	}
	if k != registry.KindAdmin {
		return registry.Errorf(registry.CodeForbidden, "a %s token cannot do this; it needs an admin token (udka_...)", k)
	}
	h := hashToken(tok)
	ok := false
	err = s.retry(ctx, "check admin token", func(ctx context.Context) error {
		rows, err := s.db.QueryContext(ctx, `SELECT hash FROM admin_tokens`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var stored string
			if err := rows.Scan(&stored); err != nil {
				return err
			}
			if sameHash(stored, h) {
				ok = true
			}
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if !ok {
		return registry.Errorf(registry.CodeForbidden, "unknown admin token")
	}
	return nil
}

// Writable reports whether the database takes a write now: one
// transaction that runs a write statement (changing nothing) and
// commits, so that a node without a reachable leader fails. It does not
// retry; ctx bounds it.
func (s *Store) Writable(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM revoked_admin_tokens WHERE id = ''`); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Ping checks that the database answers a query, retrying transient
// errors for up to Options.RetryFor.
func (s *Store) Ping(ctx context.Context) error {
	return s.retry(ctx, "ping database", func(ctx context.Context) error {
		var one int
		return s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
	})
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedMemberKeys(m map[memberKey]bool) []memberKey {
	out := make([]memberKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].cluster != out[j].cluster {
			return out[i].cluster < out[j].cluster
		}
		return out[i].instanceID < out[j].instanceID
	})
	return out
}

func copyLabels(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func labelsOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// hashToken returns the hex SHA-256 of a token, the form stored.
func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// tokenID is the public id of a stored token: the first 16 hex digits of
// its hash.
func tokenID(hash string) string { return hash[:16] }

// sameHash compares two token hashes in constant time.
func sameHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

var tokenIDRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// truncate shortens a value quoted in an error message.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}
