package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/udkit/udkit/registry"
)

// Limits bound the work the handler takes on at once, so that a flood of
// requests (most cheaply, unauthenticated ones: health probes, calls
// without a token) cannot stall registrations or grow the service's
// memory without bound.
type Limits struct {
	// Unauthenticated is the most requests without a well-formed bearer
	// token (health and readiness probes, calls that will be refused
	// 401) served at once. More are answered at once with 503 and
	// Retry-After. 0 means DefaultLimits.Unauthenticated.
	Unauthenticated int
	// Authenticated is the most requests with a well-formed bearer token
	// served at once; each may cost a database query (a made-up admin
	// token costs a lookup). More wait up to Wait for a turn, then get
	// 503 and Retry-After. 0 means DefaultLimits.Authenticated.
	Authenticated int
	// Wait bounds an authenticated request's wait for a turn. 0 means
	// DefaultLimits.Wait.
	Wait time.Duration
	// Watchers is the most blocking queries (watches: GET
	// .../members?index=N, GET .../changes?wait=D) waiting at once. A
	// watch takes a watcher's turn for its whole wait instead of an
	// authenticated request's, so that watches cannot starve
	// registrations; more are answered 503 with Retry-After at once.
	// Each costs a goroutine, a connection and one query per change of
	// its cluster. 0 means DefaultLimits.Watchers.
	Watchers int
	// ReadyEvery is how often /readyz asks the database and the cluster;
	// answers in between repeat the last result, so that a flood of
	// probes costs one check per interval. 0 means
	// DefaultLimits.ReadyEvery.
	ReadyEvery time.Duration
}

// DefaultLimits are the limits of a handler made without [WithLimits].
var DefaultLimits = Limits{Unauthenticated: 64, Authenticated: 512, Watchers: 1024, Wait: 5 * time.Second, ReadyEvery: time.Second}

// WithLimits sets the handler's [Limits]; zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(h *Handler) {
		if l.Unauthenticated > 0 {
			h.limits.Unauthenticated = l.Unauthenticated
		}
		if l.Authenticated > 0 {
			h.limits.Authenticated = l.Authenticated
		}
		if l.Watchers > 0 {
			h.limits.Watchers = l.Watchers
		}
		if l.Wait > 0 {
			h.limits.Wait = l.Wait
		}
		if l.ReadyEvery > 0 {
			h.limits.ReadyEvery = l.ReadyEvery
		}
	}
}

// WithReadiness adds a check to /readyz besides the store's: udkitd's
// says whether the dqlite node knows a leader, and returns the leader's
// address and the node's own role ("voter", "stand-by", "spare").
func WithReadiness(check func(ctx context.Context) (leader, role string, err error)) Option {
	return func(h *Handler) { h.readyCheck = check }
}

// Counters count what a [Handler]'s limits did.
type Counters struct {
	// ShedUnauthenticated counts unauthenticated requests answered 503
	// because Limits.Unauthenticated were being served.
	ShedUnauthenticated int64
	// ShedAuthenticated counts authenticated requests answered 503 after
	// waiting Limits.Wait for a turn.
	ShedAuthenticated int64
	// ShedWatchers counts blocking queries answered 503 because
	// Limits.Watchers were waiting.
	ShedWatchers int64
	// ReadyChecks counts the readiness checks that reached the store.
	ReadyChecks int64
	// LogLinesSuppressed counts log lines the rate limit dropped.
	LogLinesSuppressed int64
}

// Counters returns what the handler's limits have done so far.
func (h *Handler) Counters() Counters {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.counters
	if h.ratelog != nil {
		c.LogLinesSuppressed = h.ratelog.suppressedTotal()
	}
	return c
}

// admit takes a turn for r, or answers 503 and returns false.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if !hasWellFormedToken(r) {
		select {
		case h.unauth <- struct{}{}:
			return func() { <-h.unauth }, true
		default:
			h.mu.Lock()
			h.counters.ShedUnauthenticated++
			h.mu.Unlock()
			shed(w)
			return nil, false
		}
	}
	if isWatch(r) {
		return h.admitWatch(w)
	}
	select {
	case h.auth <- struct{}{}:
		return func() { <-h.auth }, true
	default:
	}
	t := time.NewTimer(h.limits.Wait)
	defer t.Stop()
	select {
	case h.auth <- struct{}{}:
		return func() { <-h.auth }, true
	case <-t.C:
	case <-r.Context().Done():
	}
	h.mu.Lock()
	h.counters.ShedAuthenticated++
	h.mu.Unlock()
	shed(w)
	return nil, false
}

// shed answers 503 without logging: an overload is not an error of the
// service, and logging every shed request would itself be a flood.
func shed(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusServiceUnavailable, registry.Error{Code: registry.CodeUnavailable,
		Message: "registry: too many requests at once; retry after a second"})
}

func hasWellFormedToken(r *http.Request) bool {
	v := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	_, err := registry.ParseToken(strings.TrimSpace(tok))
	return err == nil
}

// readiness runs the readiness check at most once per ReadyEvery, however
// many probes ask; callers in between get the last result.
type readiness struct {
	mu           sync.Mutex
	at           time.Time
	leader, role string
	err          error
}

func (h *Handler) ready(ctx context.Context) (leader, role string, err error) {
	h.rd.mu.Lock()
	defer h.rd.mu.Unlock()
	if !h.rd.at.IsZero() && time.Since(h.rd.at) < h.limits.ReadyEvery {
		return h.rd.leader, h.rd.role, h.rd.err
	}
	h.mu.Lock()
	h.counters.ReadyChecks++
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err = h.st.Writable(ctx)
	if err == nil && h.readyCheck != nil {
		leader, role, err = h.readyCheck(ctx)
	}
	h.rd.at, h.rd.leader, h.rd.role, h.rd.err = time.Now(), leader, role, err
	return leader, role, err
}

// RateLimitLog returns a slog.Handler that passes at most burst records
// with the same level and message per interval to next, and counts the
// rest; the next record of that kind that passes carries
// "suppressed=N". A flood of failing requests then writes a few lines a
// second, not one per request. Only warnings and errors are limited:
// INFO lines (audit lines, one per state change) all pass.
func RateLimitLog(next slog.Handler, burst int, interval time.Duration) slog.Handler {
	return &rateLog{next: next, burst: burst, interval: interval, state: &rateState{keys: map[string]*rateKey{}}}
}

type rateLog struct {
	next     slog.Handler
	burst    int
	interval time.Duration
	state    *rateState
}

type rateState struct {
	mu    sync.Mutex
	keys  map[string]*rateKey
	total int64
}

type rateKey struct {
	start      time.Time
	n          int
	suppressed int64
}

func (l *rateLog) Enabled(ctx context.Context, level slog.Level) bool {
	return l.next.Enabled(ctx, level)
}

func (l *rateLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return l.next.Handle(ctx, r)
	}
	key := r.Level.String() + "\x00" + r.Message
	s := l.state
	s.mu.Lock()
	k := s.keys[key]
	if k == nil {
		if len(s.keys) > 1024 { // messages are constants; bound it anyway
			s.keys = map[string]*rateKey{}
		}
		k = &rateKey{}
		s.keys[key] = k
	}
	if r.Time.Sub(k.start) >= l.interval || r.Time.Before(k.start) {
		k.start, k.n = r.Time, 0
	}
	k.n++
	if k.n > l.burst {
		k.suppressed++
		s.total++
		s.mu.Unlock()
		return nil
	}
	suppressed := k.suppressed
	k.suppressed = 0
	s.mu.Unlock()
	if suppressed > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int64("suppressed", suppressed))
	}
	return l.next.Handle(ctx, r)
}

func (l *rateLog) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &rateLog{next: l.next.WithAttrs(attrs), burst: l.burst, interval: l.interval, state: l.state}
}

func (l *rateLog) WithGroup(name string) slog.Handler {
	return &rateLog{next: l.next.WithGroup(name), burst: l.burst, interval: l.interval, state: l.state}
}

func (s *rateState) suppressedTotal() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}
