// Package api is the udkit registry's HTTP/JSON API ([NewHandler]) on a
// [store.Store], with limits that keep an unauthenticated flood from
// stalling registrations.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/store"
)

// Request body limits.
const (
	// MaxBodyBytes bounds every request body but reconcile's.
	MaxBodyBytes = 16 << 10
	// MaxReconcileBodyBytes bounds a reconcile body (a live set of some
	// 100,000 instance ids).
	MaxReconcileBodyBytes = 4 << 20
)

// Handler serves the API; make one with [NewHandler].
type Handler struct {
	st  *store.Store
	log *slog.Logger
	mux *http.ServeMux

	limits     Limits
	unauth     chan struct{} // a turn per unauthenticated request served
	auth       chan struct{} // a turn per authenticated request served
	watchers   chan struct{} // a turn per blocking query (watch.go)
	readyCheck func(context.Context) (string, string, error)
	leaseState func() registry.LeaseStatus
	rd         readiness
	ratelog    *rateState
	info       infoCache // WithClusterInfo
	metrics    *Metrics  // WithMetrics

	mu       sync.Mutex
	counters Counters
}

// Option changes how [NewHandler] sets up the handler.
type Option func(*Handler)

// NewHandler returns the HTTP/JSON API on store. log receives one line per
// failed request with a 5xx answer (and per failed health check), with the
// error's detail and a request id; the client gets a generic message with
// that id (also in the X-Request-Id header), never database error text.
// nil discards.
//
// The API, all JSON (request bodies need Content-Type: application/json);
// tokens go in "Authorization: Bearer TOKEN":
//
//	GET    /healthz                                     none    registry.HealthResponse (200: the process serves; no database)
//	GET    /readyz                                      none    registry.HealthResponse (200 with the leader and role, or 503)
//	GET    /v1/status                                   admin   registry.StatusResponse (with WithClusterInfo)
//	GET    /v1/clusters                                 admin   registry.ClustersResponse
//	POST   /v1/clusters/{cluster}/members               join    registry.RegisterRequest -> registry.RegisterResponse (201 new, 200 repeated)
//	GET    /v1/clusters/{cluster}/members[?limit=N&after=ID] admin registry.MembersResponse (a page of N after ID; Next is the next page's after)
//	GET    /v1/clusters/{cluster}/members?index=I[&wait=D] admin registry.MembersResponse, blocking until a change after index I (watch.go)
//	GET    /v1/clusters/{cluster}/changes?after=I[&wait=D][&limit=N] admin registry.ChangesResponse (410: re-list)
//	DELETE /v1/clusters/{cluster}/members/{instance}    member or admin -> registry.DeregisterResponse
//	POST   /v1/clusters/{cluster}/members/{instance}/renew member -> registry.RenewResponse (no body; group-committed)
//	GET    /v1/clusters/{cluster}/lease                 admin   registry.Lease
//	PUT    /v1/clusters/{cluster}/lease                 admin   registry.LeaseRequest -> registry.Lease
//	POST   /v1/clusters/{cluster}/reconcile             admin   registry.ReconcileRequest -> registry.ReconcileResponse ("dry_run": true removes nothing)
//	POST   /v1/clusters/{cluster}/join-tokens           admin   -> registry.JoinToken (201, with the secret)
//	GET    /v1/clusters/{cluster}/join-tokens           admin   registry.JoinTokensResponse
//	DELETE /v1/clusters/{cluster}/join-tokens/{id}      admin   registry.RevokeResponse
//	POST   /v1/admin-tokens                             admin   -> registry.AdminToken (201, with the secret)
//	GET    /v1/admin-tokens                             admin   registry.AdminTokensResponse
//	DELETE /v1/admin-tokens/{id}                        admin   registry.RevokeResponse (409 for the last one)
//	GET    /v1/backup                                   admin   a backup file (application/vnd.udkit.backup; see store.Backup)
//
// Errors answer with the status of their [registry.Code] and an [registry.Error] body.
//
// [Limits] bound the requests served at once (unauthenticated ones tightly);
// a request over them is answered 503 with Retry-After: 1 at once. Log
// lines are rate-limited per message ([RateLimitLog], 10 a second).
func NewHandler(st *store.Store, log *slog.Logger, opts ...Option) *Handler {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	rl := RateLimitLog(log.Handler(), 10, time.Second).(*rateLog)
	h := &Handler{st: st, log: slog.New(rl), mux: http.NewServeMux(), limits: DefaultLimits, ratelog: rl.state}
	for _, o := range opts {
		o(h)
	}
	h.unauth = make(chan struct{}, h.limits.Unauthenticated)
	h.auth = make(chan struct{}, h.limits.Authenticated)
	h.watchers = make(chan struct{}, h.limits.Watchers)
	h.route("/healthz", map[string]http.HandlerFunc{"GET": h.health})
	h.route("/readyz", map[string]http.HandlerFunc{"GET": h.readyz})
	h.route("/v1/status", map[string]http.HandlerFunc{"GET": h.status})
	h.route("/v1/clusters", map[string]http.HandlerFunc{"GET": h.clusters})
	h.route("/v1/clusters/{cluster}/members", map[string]http.HandlerFunc{"POST": h.register, "GET": h.members})
	h.route("/v1/clusters/{cluster}/changes", map[string]http.HandlerFunc{"GET": h.changes})
	h.route("/v1/clusters/{cluster}/members/{instance}", map[string]http.HandlerFunc{"DELETE": h.deregister})
	h.route("/v1/clusters/{cluster}/members/{instance}/renew", map[string]http.HandlerFunc{"POST": h.renew})
	h.route("/v1/clusters/{cluster}/lease", map[string]http.HandlerFunc{"GET": h.lease, "PUT": h.setLease})
	h.route("/v1/clusters/{cluster}/reconcile", map[string]http.HandlerFunc{"POST": h.reconcile})
	h.route("/v1/clusters/{cluster}/join-tokens", map[string]http.HandlerFunc{"POST": h.createJoinToken, "GET": h.joinTokens})
	h.route("/v1/clusters/{cluster}/join-tokens/{id}", map[string]http.HandlerFunc{"DELETE": h.revokeJoinToken})
	h.route("/v1/admin-tokens", map[string]http.HandlerFunc{"POST": h.createAdminToken, "GET": h.adminTokens})
	h.route("/v1/admin-tokens/{id}", map[string]http.HandlerFunc{"DELETE": h.revokeAdminToken})
	h.route("/v1/backup", map[string]http.HandlerFunc{"GET": h.backup})
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, registry.Errorf(registry.CodeNotFound, "no such endpoint %q; see the API list in the documentation of api.NewHandler", truncate(r.URL.Path)))
	})
	if h.metrics != nil {
		h.metrics.attach(h)
	}
	return h
}

// ServeHTTP answers one API request, if the limits admit it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.metrics != nil {
		h.serveInstrumented(w, r)
		return
	}
	h.serve(w, r)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	release, ok := h.admit(w, r)
	if !ok {
		return
	}
	defer release()
	h.mux.ServeHTTP(w, r)
}

// route dispatches on the method itself, so that a wrong method gets a
// JSON 405 like every other error.
func (h *Handler) route(pattern string, byMethod map[string]http.HandlerFunc) {
	allowed := make([]string, 0, len(byMethod))
	for m := range byMethod {
		allowed = append(allowed, m)
	}
	sort.Strings(allowed)
	allow := strings.Join(allowed, ", ")
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		f, ok := byMethod[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			h.fail(w, r, registry.Errorf(registry.CodeMethod, "method %s not allowed on %s; use %s", r.Method, pattern, allow))
			return
		}
		f(w, r)
	})
}

// health answers liveness: the process serves HTTP. It asks nothing of
// the database, so that a flood of probes costs no query; /readyz does.
// The leader and role come from the cluster information cache
// ([WithClusterInfo]): refreshed at most once per Limits.ReadyEvery,
// waited for at most a second, left out while unknown.
func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	res := registry.HealthResponse{Status: "ok"}
	if h.info.fetch != nil {
		// Cached; a node that cannot ask dqlite is still alive.
		if info, err := h.info.get(h.limits.ReadyEvery, time.Second); err == nil {
			res.Leader, res.Role = info.Leader, info.Nodes[info.Self]
		}
	}
	if h.leaseState != nil {
		st := h.leaseState()
		res.Lease = &st
	}
	writeJSON(w, http.StatusOK, res)
}

// WithLeaseStatus makes /healthz report the lease evictor's state (from
// memory: no database query).
func WithLeaseStatus(f func() registry.LeaseStatus) Option {
	return func(h *Handler) { h.leaseState = f }
}

// renew renews a member's lease (member token). Renewals write no audit
// line: every member sends one every few tens of seconds; evictions do.
func (h *Handler) renew(w http.ResponseWriter, r *http.Request) {
	tok, ok := h.bearer(w, r)
	if !ok {
		return
	}
	if !h.noBody(w, r) {
		return
	}
	res, err := h.st.Renew(r.Context(), r.PathValue("cluster"), r.PathValue("instance"), tok)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) lease(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	l, err := h.st.Lease(r.Context(), r.PathValue("cluster"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (h *Handler) setLease(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	var req registry.LeaseRequest
	if !h.decode(w, r, MaxBodyBytes, &req) {
		return
	}
	l, err := h.st.SetLease(r.Context(), r.PathValue("cluster"), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
	h.audit(r, "lease_set", "cluster", l.Cluster, "ttl_seconds", l.TTLSeconds)
}

// readyz answers readiness: the store takes a write (the cluster has a
// leader that answers) and the node's own check passes. Checked at most
// once per Limits.ReadyEvery.
func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	leader, role, err := h.ready(r.Context())
	if err != nil {
		// No token is needed here: the detail (database errors,
		// addresses) goes to the log only.
		id := newRequestID()
		h.log.Error("readiness check failed", "request_id", id, "err", err.Error())
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, registry.HealthResponse{Status: "unavailable", Error: "the database does not take writes (request id " + id + "; the service log has the detail)"})
		return
	}
	writeJSON(w, http.StatusOK, registry.HealthResponse{Status: "ready", Leader: leader, Role: role})
}

func (h *Handler) clusters(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	cs, err := h.st.Clusters(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, registry.ClustersResponse{Clusters: cs})
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	tok, ok := h.bearer(w, r)
	if !ok {
		return
	}
	var req registry.RegisterRequest
	if !h.decode(w, r, MaxBodyBytes, &req) {
		return
	}
	res, err := h.st.Register(r.Context(), r.PathValue("cluster"), tok, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
	h.audit(r, "register", "cluster", res.Member.Cluster, "instance_id", res.Member.InstanceID, "created", res.Created)
}

func (h *Handler) members(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	cluster := r.PathValue("cluster")
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			h.fail(w, r, registry.Errorf(registry.CodeInvalid, "limit %q: want 1 to %d", truncate(v), store.MaxPageSize))
			return
		}
		limit = n
	}
	if !h.waitMembers(w, r, cluster) {
		return
	}
	// The index first: the list holds every change up to it.
	idx, err := h.st.ChangeIndex(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ms, next, err := h.st.MembersPage(r.Context(), cluster, q.Get("after"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set(IndexHeader, strconv.FormatUint(idx, 10))
	writeJSON(w, http.StatusOK, registry.MembersResponse{Cluster: cluster, Members: ms, Next: next, Index: idx})
}

func (h *Handler) deregister(w http.ResponseWriter, r *http.Request) {
	tok, ok := h.bearer(w, r)
	if !ok {
		return
	}
	if !h.noBody(w, r) {
		return
	}
	res, err := h.st.Deregister(r.Context(), r.PathValue("cluster"), r.PathValue("instance"), tok)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.Deregistered {
		h.audit(r, "deregister", "cluster", r.PathValue("cluster"), "instance_id", r.PathValue("instance"))
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *Handler) reconcile(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	var req registry.ReconcileRequest
	if !h.decode(w, r, MaxReconcileBodyBytes, &req) {
		return
	}
	removed, err := h.st.Reconcile(r.Context(), r.PathValue("cluster"), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, registry.ReconcileResponse{Removed: removed, DryRun: req.DryRun})
	if !req.DryRun { // a dry run changes nothing: no audit line, no count
		if h.metrics != nil {
			h.metrics.reconciled.Add(int64(len(removed)))
		}
		h.audit(r, "reconcile", "cluster", r.PathValue("cluster"), "live", len(req.Live), "removed", len(removed))
	}
}

func (h *Handler) createJoinToken(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) || !h.noBody(w, r) {
		return
	}
	jt, err := h.st.CreateJoinToken(r.Context(), r.PathValue("cluster"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, jt)
	h.audit(r, "join_token_create", "cluster", jt.Cluster, "new_token_id", jt.ID)
}

func (h *Handler) joinTokens(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	jts, err := h.st.JoinTokens(r.Context(), r.PathValue("cluster"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, registry.JoinTokensResponse{JoinTokens: jts})
}

func (h *Handler) revokeJoinToken(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) || !h.noBody(w, r) {
		return
	}
	ok, err := h.st.RevokeJoinToken(r.Context(), r.PathValue("cluster"), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ok {
		h.audit(r, "join_token_revoke", "cluster", r.PathValue("cluster"), "revoked_token_id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, registry.RevokeResponse{Revoked: ok})
}

func (h *Handler) createAdminToken(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) || !h.noBody(w, r) {
		return
	}
	at, err := h.st.CreateAdminToken(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, at)
	h.audit(r, "admin_token_create", "new_token_id", at.ID)
}

func (h *Handler) adminTokens(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) {
		return
	}
	ats, err := h.st.AdminTokens(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, registry.AdminTokensResponse{AdminTokens: ats})
}

func (h *Handler) revokeAdminToken(w http.ResponseWriter, r *http.Request) {
	if !h.admin(w, r) || !h.noBody(w, r) {
		return
	}
	ok, err := h.st.RevokeAdminToken(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ok {
		h.audit(r, "admin_token_revoke", "revoked_token_id", r.PathValue("id"))
	}
	writeJSON(w, http.StatusOK, registry.RevokeResponse{Revoked: ok})
}

// audit logs one state change at level INFO, message "audit": the
// action, who (the kind and public id of the request's token, never the
// token) and what. Audit lines are never rate-limited.
func (h *Handler) audit(r *http.Request, action string, attrs ...any) {
	kind, id := "", ""
	if _, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok {
		tok = strings.TrimSpace(tok)
		if k, err := registry.ParseToken(tok); err == nil {
			kind, id = string(k), registry.TokenID(tok)
		}
	}
	h.log.Info("audit", append([]any{"action", action, "token_kind", kind, "token_id", id}, attrs...)...)
}

// bearer returns the request's bearer token, or answers 401.
func (h *Handler) bearer(w http.ResponseWriter, r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	if v == "" {
		h.fail(w, r, registry.Errorf(registry.CodeUnauthorized, "no Authorization header; send \"Authorization: Bearer TOKEN\""))
		return "", false
	}
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		h.fail(w, r, registry.Errorf(registry.CodeUnauthorized, "the Authorization header is not \"Bearer TOKEN\""))
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func (h *Handler) admin(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := h.bearer(w, r)
	if !ok {
		return false
	}
	if err := h.st.CheckAdmin(r.Context(), tok); err != nil {
		h.fail(w, r, err)
		return false
	}
	return true
}

// decode reads a JSON body strictly: the right media type, at most limit
// bytes, no unknown fields, exactly one value.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		h.fail(w, r, registry.Errorf(registry.CodeUnsupportedMedia, "Content-Type %q: send application/json", truncate(ct)))
		return false
	}
	if r.ContentLength > limit {
		h.fail(w, r, registry.Errorf(registry.CodeTooLarge, "request body of %d bytes is over the limit of %d", r.ContentLength, limit))
		return false
	}
	if err := decodeJSON(r.Body, limit, v); err != nil {
		h.fail(w, r, err)
		return false
	}
	return true
}

// errTooLarge marks a body over its limit.
var errTooLarge = errors.New("body too large")

// decodeJSON reads one JSON value from r into v strictly: at most limit
// bytes, no unknown fields, nothing after the value. Errors are *registry.Error.
func decodeJSON(r io.Reader, limit int64, v any) error {
	lr := &limitedReader{r: r, left: limit}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, limit)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		if err == nil {
			err = errors.New("more than one JSON value; send exactly one object")
		}
		return decodeError(err, limit)
	}
	return nil
}

// limitedReader fails with errTooLarge once more than left bytes are read.
type limitedReader struct {
	r    io.Reader
	left int64
}

// Read reads from the underlying reader, failing past the limit.
func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

func decodeError(err error, limit int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, errTooLarge):
		return registry.Errorf(registry.CodeTooLarge, "request body is over the limit of %d bytes", limit)
	case errors.As(err, &syn):
		return registry.Errorf(registry.CodeInvalid, "request body: invalid JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		return registry.Errorf(registry.CodeInvalid, "request body: field %q: got JSON %s, want %s", typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF):
		return registry.Errorf(registry.CodeInvalid, "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return registry.Errorf(registry.CodeInvalid, "request body: JSON ends too early")
	default:
		// Unknown fields, trailing data and the like.
		return registry.Errorf(registry.CodeInvalid, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
}

// noBody refuses a request that carries a body where none is expected.
func (h *Handler) noBody(w http.ResponseWriter, r *http.Request) bool {
	n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, 1))
	if n > 0 {
		h.fail(w, r, registry.Errorf(registry.CodeInvalid, "%s %s takes no request body", r.Method, r.URL.Path))
		return false
	}
	return true
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *registry.Error
	if !errors.As(err, &apiErr) {
		apiErr = registry.Errorf(registry.CodeInternal, "%v", err)
	}
	status := apiErr.Code.Status()
	msg := apiErr.Message
	if status >= 500 {
		// The detail (SQL, dqlite and network errors) is for the
		// operator's log, not for the client: the answer names the
		// request so that the two can be matched.
		id := newRequestID()
		h.log.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", status, "err", apiErr.Message)
		w.Header().Set("X-Request-Id", id)
		if status == http.StatusServiceUnavailable {
			msg = "registry: the service is unavailable for now (database unreachable, leader changing or shutting down); retry (request id " + id + ")"
		} else {
			msg = "registry: internal error (request id " + id + "; the service log has the detail)"
		}
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="udkit-registry"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, registry.Error{Code: apiErr.Code, Message: msg})
}

// newRequestID returns 16 random hex digits naming one failed request in
// both the answer and the log.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"code":"internal","message":"registry: encode answer: %s"}`, strings.ReplaceAll(err.Error(), `"`, `'`)))
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// truncate shortens a value quoted in an error message.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}
