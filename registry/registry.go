// Package registry is udkit's registration service: instances register with
// their cluster when they launch and deregister from their stop hook when
// they shut down; operators list who is in each cluster.
//
// This package holds what a program that only renders user data needs,
// and imports neither net/http, crypto/tls nor database/sql: the domain
// types ([Member], [RegisterRequest], ...), their validation, the tokens'
// form, the API's [Error], and the generators of the register and
// deregister shell scripts ([RegisterScript], [DeregisterScript]). The
// service itself is in sub-packages: registry/store (the store on
// database/sql, with schema migrations, group commit and retry of
// transient errors), registry/api (the HTTP/JSON API), registry/client (a
// Go client for that API) and the cgo package registry/dqlitenode (the
// dqlite node the store normally runs on); the daemon is cmd/udkitd.
//
// # Tokens
//
// Three kinds of bearer token, told apart by their prefix, each 32 random
// bytes in hex, and stored only as SHA-256 hashes:
//
//   - admin ("udka_"): operators; lists members, manages join and admin
//     tokens, reconciles, backs up, and may deregister any member. Every
//     udkitd node mints its own into DATA/admin.token, labelled with its
//     address ([AdminToken].Node). Rotate one by creating a new admin
//     token, installing it, and revoking the old one; the last one cannot
//     be revoked.
//   - join ("udkj_"): one cluster's; lets an instance register in that
//     cluster and nothing else.
//   - member ("udkm_"): one member's; the only token besides an admin's
//     that can deregister that member. A leaked join token therefore
//     cannot remove anyone.
//
// A registering instance should choose its own member token and send it in
// [RegisterRequest.MemberToken]: then a retried registration (the answer to
// the first attempt was lost) is recognised as the same one and answered
// 200 instead of 409. If it sends none, the service makes one and returns it
// once.
//
// # Instance ids stay their member's
//
// When a member deregisters with its member token (the stop hook at
// shutdown), its instance id stays bound to that token: only a
// registration that sends the same member token takes the id again (the
// instance at its next boot: the scripts keep the token under the state
// directory), and any other is refused 409. Without this, anyone holding
// the cluster's join token could take the id of an instance that is only
// rebooting, and the instance's own registration would get 409. An
// instance that registers without a member token of its own gets a new
// one from the service each time, and so cannot take its id back after
// deregistering: send one. An admin's deregistration of the id frees it
// (the instance lost its state directory), and so does a reconcile whose
// live set lacks it.
//
// # Instances that never deregister
//
// A stop hook cannot run on a forced stop, a terminate that skips the OS
// shutdown, or a hardware loss. Two remedies:
//
//   - Leases, opt-in per cluster ([Lease]): members renew with their
//     member token ([RenewScript], run by a systemd timer) and the Raft
//     leader evicts those whose lease ran out, recording why ("expired").
//     When far fewer members renewed than expected (self-preservation,
//     [LeaseStatus]), the registry is more likely cut off from them than
//     they are all gone, and eviction pauses until renewals recover.
//   - Reconcile: an operator (or a cron job that asks the cloud which
//     instances exist) calls reconcile with the live set, and every member
//     of that cluster that is not in it and registered before a given time
//     is removed.
package registry

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Member is one registered instance.
type Member struct {
	// Cluster is the name of the cluster the instance belongs to.
	Cluster string `json:"cluster"`
	// InstanceID is the cloud's instance id (cloud-init's
	// v1.instance_id), unique within the cluster.
	InstanceID string `json:"instance_id"`
	// Address is how the cluster reaches the instance: an IP address or
	// a host name, optionally with a port. May be empty.
	Address string `json:"address"`
	// Labels are free-form key/value pairs.
	Labels map[string]string `json:"labels,omitempty"`
	// UserDataSHA256 is the hex SHA-256 of the user data the instance
	// booted with, or empty if it did not say.
	UserDataSHA256 string `json:"user_data_sha256"`
	// RegisteredAt is when the instance first registered.
	RegisteredAt time.Time `json:"registered_at"`
	// UpdatedAt is when the registration was last repeated.
	UpdatedAt time.Time `json:"updated_at"`
	// RenewedAt is when the member last registered or renewed its lease
	// (POST .../renew). In a cluster with a lease ([Lease]), the member
	// is evicted once RenewedAt is more than the lease's TTL ago.
	RenewedAt time.Time `json:"renewed_at"`
}

// RegisterRequest is the body of a registration.
type RegisterRequest struct {
	InstanceID     string            `json:"instance_id"`
	Address        string            `json:"address,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	UserDataSHA256 string            `json:"user_data_sha256,omitempty"`
	// MemberToken is the token that will authorise this member's
	// deregistration ("udkm_" and 64 lower-case hex digits). Optional;
	// see the package documentation for why an instance should send it.
	MemberToken string `json:"member_token,omitempty"`
}

// RegisterResponse answers a registration.
type RegisterResponse struct {
	Member Member `json:"member"`
	// MemberToken is the token that alone (besides an admin token) can
	// deregister this member.
	MemberToken string `json:"member_token"`
	// Created is false when the member was already registered with the
	// same member token (a retried registration).
	Created bool `json:"created"`
}

// DeregisterResponse answers a deregistration.
type DeregisterResponse struct {
	// Deregistered is false when no member of that instance id holds the
	// token (already deregistered, never registered, or, for a member
	// token, registered with another token): the answer is the same
	// whether or not the member exists, so that a member token tells
	// nothing about other members.
	Deregistered bool `json:"deregistered"`
}

// MembersResponse lists the members of a cluster, sorted by instance id:
// all of them, or one page (GET ...?limit=N&after=ID).
type MembersResponse struct {
	Cluster string   `json:"cluster"`
	Members []Member `json:"members"`
	// Next, when set, is the cursor of the next page: ask again with
	// after=Next. Empty on the last page (and when not paging).
	Next string `json:"next,omitempty"`
	// Index is the registry's change index when the list was read
	// (also in the X-Udkit-Index header): the list holds every change
	// up to it. Watch from it (GET .../changes?after=Index); when paging,
	// use the first page's. See [ChangesResponse].
	Index uint64 `json:"index"`
}

// Lease is a cluster's lease setting. A cluster with a lease (TTLSeconds
// > 0) evicts every member that has neither registered nor renewed for
// TTLSeconds, unless the registry is in self-preservation (see
// [LeaseStatus]). TTLSeconds 0: no lease; members stay until they
// deregister (the default).
type Lease struct {
	Cluster    string `json:"cluster"`
	TTLSeconds int    `json:"ttl_seconds"`
	// UpdatedAt is when the setting last changed (zero: never set).
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// LeaseRequest sets a cluster's lease (PUT /v1/clusters/{cluster}/lease).
type LeaseRequest struct {
	// TTLSeconds is the lease's length, [MinLeaseTTL] to [MaxLeaseTTL] in
	// seconds, or 0 to remove the lease. Setting it restarts every
	// member's lease at the time of the change, so that members that
	// never renewed are not evicted at once. Members should renew every
	// TTL/3 or more often.
	TTLSeconds int `json:"ttl_seconds"`
}

// Bounds of a lease's TTL.
const (
	MinLeaseTTL = 5 * time.Second
	MaxLeaseTTL = 7 * 24 * time.Hour
)

// Validate checks the request.
func (r *LeaseRequest) Validate() error {
	if r.TTLSeconds == 0 {
		return nil
	}
	if r.TTLSeconds < int(MinLeaseTTL/time.Second) || r.TTLSeconds > int(MaxLeaseTTL/time.Second) {
		return Errorf(CodeInvalid, "ttl_seconds %d: want %d to %d, or 0 to remove the lease", r.TTLSeconds, int(MinLeaseTTL/time.Second), int(MaxLeaseTTL/time.Second))
	}
	return nil
}

// RenewResponse answers a lease renewal.
type RenewResponse struct {
	// Renewed is false when no member of that instance id holds the
	// token (never registered, deregistered, evicted, or registered with
	// another token): the instance should register again, with its kept
	// member token. The answer is the same whether or not the member
	// exists.
	Renewed bool `json:"renewed"`
	// ExpiresAt is when the lease ends unless renewed again; zero when
	// the cluster has no lease.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// LeaseStatus is the lease evictor's state, in /healthz.
type LeaseStatus struct {
	// SelfPreservation is true while eviction is paused: fewer leased
	// members renewed in the last window than Threshold of them, which
	// looks like the registry cut off from its members rather than the
	// members gone.
	SelfPreservation bool `json:"self_preservation"`
	// Leased counts the members of clusters with a lease as the last
	// sweep left them (its evictions taken off); Fresh those that renewed (or registered) in the last window
	// (half their cluster's TTL).
	Leased int `json:"leased"`
	Fresh  int `json:"fresh"`
	// Threshold is the fraction of Leased that must be Fresh for
	// eviction to run.
	Threshold float64 `json:"threshold"`
	// Evicted counts the members this node evicted since it started.
	Evicted int64 `json:"evicted"`
	// Leader is true when this node ran the last sweep (only the Raft
	// leader evicts); a follower reports the counts it saw last, if any.
	Leader bool `json:"leader"`
	// LastSweep is when the last sweep ran on this node (zero: never).
	LastSweep time.Time `json:"last_sweep,omitzero"`
}

// ClusterSummary counts the members of one cluster.
type ClusterSummary struct {
	Cluster string `json:"cluster"`
	Members int    `json:"members"`
}

// ClustersResponse lists the clusters that have members or join tokens,
// sorted by name.
type ClustersResponse struct {
	Clusters []ClusterSummary `json:"clusters"`
}

// ReconcileRequest names the instances of a cluster that are still alive.
type ReconcileRequest struct {
	// Live lists the instance ids that exist. Members not in it are
	// removed, if they registered before RegisteredBefore.
	Live []string `json:"live"`
	// RegisteredBefore protects instances that registered after the live
	// set was taken. Take the time before asking the cloud for the live
	// set. Required, and no later than the service's clock plus
	// [MaxReconcileSkew]: a time in the future would remove members that
	// registered after the live set was taken.
	RegisteredBefore time.Time `json:"registered_before"`
	// AllowEmpty must be true for an empty Live: without it, an empty
	// live set (a failed cloud query, an empty file) is refused instead of
	// removing every member of the cluster.
	AllowEmpty bool `json:"allow_empty,omitempty"`
	// DryRun asks what the reconcile would remove without removing
	// anything: the answer lists the same ids a real run would at that
	// moment, and changes nothing. A registry older than dry runs
	// refuses the field (400) rather than removing.
	DryRun bool `json:"dry_run,omitempty"`
}

// MaxReconcileSkew is how far a reconcile's RegisteredBefore may be ahead
// of the service's clock (clock skew between the caller and the service);
// a later time is refused (400).
const MaxReconcileSkew = 5 * time.Second

// ReconcileResponse lists the instance ids that reconcile removed, sorted.
type ReconcileResponse struct {
	Removed []string `json:"removed"`
	// DryRun is true in the answer to a dry run: Removed lists what a
	// real run would remove, and nothing was.
	DryRun bool `json:"dry_run,omitempty"`
}

// JoinToken describes a join token. The token itself is shown once, when it
// is created, and never stored.
type JoinToken struct {
	Cluster   string    `json:"cluster"`
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	// Token is set only in the answer to the creation.
	Token string `json:"token,omitempty"`
}

// AdminToken describes an admin token. The token itself is shown once,
// when it is created, and never stored.
type AdminToken struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	// Node is the dqlite address of the udkitd node that minted this
	// token for its own DATA/admin.token; empty for a token made through
	// the API (udkitd token admin-create).
	Node string `json:"node,omitempty"`
	// Token is set only in the answer to the creation.
	Token string `json:"token,omitempty"`
}

// AdminTokensResponse lists the admin tokens, oldest first.
type AdminTokensResponse struct {
	AdminTokens []AdminToken `json:"admin_tokens"`
}

// JoinTokensResponse lists a cluster's join tokens, sorted by creation.
type JoinTokensResponse struct {
	JoinTokens []JoinToken `json:"join_tokens"`
}

// RevokeResponse answers the revocation of a join token.
type RevokeResponse struct {
	Revoked bool `json:"revoked"`
}

// HealthResponse answers a health check.
type HealthResponse struct {
	// Status is "ok" (/healthz), "ready" or "unavailable" (/readyz).
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Leader is the dqlite address of the cluster's leader (/readyz,
	// and /healthz once the node has asked; omitted while unknown).
	Leader string `json:"leader,omitempty"`
	// Role is the answering node's role in the cluster: "voter",
	// "stand-by" or "spare" (/readyz, and /healthz like Leader).
	Role string `json:"role,omitempty"`
	// Lease is the lease evictor's state (/healthz, when the daemon runs
	// one).
	Lease *LeaseStatus `json:"lease,omitempty"`
}

// NodeStatus is one dqlite node of the registry's Raft cluster.
type NodeStatus struct {
	// Address is the node's dqlite address.
	Address string `json:"address"`
	// Role is "voter", "stand-by" or "spare", as the leader reports it.
	Role string `json:"role"`
	// Leader is true for the cluster's Raft leader.
	Leader bool `json:"leader,omitempty"`
}

// StatusResponse describes the registry as one node sees it (GET
// /v1/status, admin): its Raft cluster, the member count of every
// cluster and the lease evictor's state.
type StatusResponse struct {
	// Node is the dqlite address of the node that answered; Role its
	// role ("voter", "stand-by", "spare").
	Node string `json:"node"`
	Role string `json:"role"`
	// Leader is the dqlite address of the Raft leader.
	Leader string `json:"leader"`
	// Nodes lists the cluster's nodes, sorted by address.
	Nodes []NodeStatus `json:"nodes"`
	// Clusters counts the members of every cluster, sorted by name.
	Clusters []ClusterSummary `json:"clusters"`
	// Lease is the answering node's lease evictor state, when it runs one.
	Lease *LeaseStatus `json:"lease,omitempty"`
}

// Code classifies an [Error]; each maps to one HTTP status.
type Code string

// The error codes of the API.
const (
	CodeInvalid          Code = "invalid_request"        // 400
	CodeUnauthorized     Code = "unauthorized"           // 401: no or malformed token
	CodeForbidden        Code = "forbidden"              // 403: token does not allow this
	CodeNotFound         Code = "not_found"              // 404
	CodeMethod           Code = "method_not_allowed"     // 405
	CodeConflict         Code = "conflict"               // 409
	CodeGone             Code = "gone"                   // 410: a change index older than the kept changes: re-list
	CodeTooLarge         Code = "too_large"              // 413
	CodeUnsupportedMedia Code = "unsupported_media_type" // 415
	CodeInternal         Code = "internal"               // 500
	CodeUnavailable      Code = "unavailable"            // 503
)

// Status returns the HTTP status code for c.
func (c Code) Status() int {
	switch c {
	case CodeInvalid:
		return 400
	case CodeUnauthorized:
		return 401
	case CodeForbidden:
		return 403
	case CodeNotFound:
		return 404
	case CodeMethod:
		return 405
	case CodeConflict:
		return 409
	case CodeGone:
		return 410
	case CodeTooLarge:
		return 413
	case CodeUnsupportedMedia:
		return 415
	case CodeUnavailable:
		return 503
	default:
		return 500
	}
}

// Error is an API error: the JSON body of every 4xx and 5xx answer, and the
// error the store (registry/store) and the client (registry/client) return for a refused request.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Status is the HTTP status the client received (not sent in JSON).
	Status int `json:"-"`
}

// Error returns the message, which starts with "registry: ".
func (e *Error) Error() string {
	if strings.HasPrefix(e.Message, "registry: ") {
		return e.Message
	}
	return "registry: " + e.Message
}

// IsCode reports whether err is an [*Error] with the given code.
func IsCode(err error, code Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// Errorf returns an [*Error] with the given code whose message is
// "registry: " and the formatted text.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: "registry: " + fmt.Sprintf(format, args...), Status: code.Status()}
}

// Token prefixes.
const (
	AdminTokenPrefix  = "udka_"
	JoinTokenPrefix   = "udkj_"
	MemberTokenPrefix = "udkm_"
)

// TokenKind names the kind of a well-formed token.
type TokenKind string

// Token kinds, as returned by [ParseToken].
const (
	KindAdmin  TokenKind = "admin"
	KindJoin   TokenKind = "join"
	KindMember TokenKind = "member"
)

var tokenRE = regexp.MustCompile(`^udk[ajm]_[0-9a-f]{64}$`)

// ParseToken reports the kind of a well-formed token (a prefix and 64
// lower-case hex digits), or an error that says what is wrong with it.
func ParseToken(tok string) (TokenKind, error) {
	if !tokenRE.MatchString(tok) {
		return "", fmt.Errorf("registry: malformed token (%d bytes): want udka_, udkj_ or udkm_ and 64 lower-case hex digits", len(tok))
	}
	switch tok[:5] {
	case AdminTokenPrefix:
		return KindAdmin, nil
	case JoinTokenPrefix:
		return KindJoin, nil
	default:
		return KindMember, nil
	}
}

// TokenID returns the public id of a token: the first 16 hex digits of
// its SHA-256, the id that lists and revocations use and that logs may
// show (never the token).
func TokenID(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:8])
}

// NewToken returns a fresh random token with the given prefix
// ([AdminTokenPrefix], [JoinTokenPrefix] or [MemberTokenPrefix]).
func NewToken(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("registry: read random bytes for a token: %w", err)
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

var (
	clusterRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	instanceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)
	labelKeyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hostRE     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$`)
)

// Limits on what a member may carry.
const (
	MaxLabels        = 32
	MaxLabelValueLen = 256
)

// ValidateCluster checks a cluster name: 1 to 63 characters of a-z, 0-9,
// '.', '_', '-', starting with a letter or digit.
func ValidateCluster(name string) error {
	if !clusterRE.MatchString(name) {
		return fmt.Errorf("registry: cluster %q: want 1-63 characters of a-z 0-9 . _ -, starting with a letter or digit", truncate(name))
	}
	return nil
}

// ValidateInstanceID checks an instance id: 1 to 128 characters of A-Z,
// a-z, 0-9, '.', '_', ':', '-', starting with a letter or digit.
func ValidateInstanceID(id string) error {
	if !instanceRE.MatchString(id) {
		return fmt.Errorf("registry: instance_id %q: want 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit", truncate(id))
	}
	return nil
}

// Validate checks a registration request and returns every problem found,
// each naming its field, joined in field order.
func (r *RegisterRequest) Validate() error {
	var probs []string
	if err := ValidateInstanceID(r.InstanceID); err != nil {
		probs = append(probs, strings.TrimPrefix(err.Error(), "registry: "))
	}
	if r.Address != "" && !validAddress(r.Address) {
		probs = append(probs, fmt.Sprintf("address %q: want an IP address or host name, optionally with :port", truncate(r.Address)))
	}
	if len(r.Labels) > MaxLabels {
		probs = append(probs, fmt.Sprintf("labels: %d labels, at most %d allowed", len(r.Labels), MaxLabels))
	} else {
		keys := make([]string, 0, len(r.Labels))
		for k := range r.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := r.Labels[k]
			if !labelKeyRE.MatchString(k) {
				probs = append(probs, fmt.Sprintf("labels key %q: want 1-63 characters of A-Z a-z 0-9 . _ / -, starting with a letter or digit", truncate(k)))
			}
			if len(v) > MaxLabelValueLen || !ValidLabelValue(v) {
				probs = append(probs, fmt.Sprintf("labels[%q]: want at most %d bytes of printable UTF-8: no control, format (bidi, zero-width) or line-separator characters", truncate(k), MaxLabelValueLen))
			}
		}
	}
	if r.UserDataSHA256 != "" && !sha256RE.MatchString(r.UserDataSHA256) {
		probs = append(probs, fmt.Sprintf("user_data_sha256 %q: want 64 lower-case hex digits", truncate(r.UserDataSHA256)))
	}
	if r.MemberToken != "" {
		if k, err := ParseToken(r.MemberToken); err != nil || k != KindMember {
			probs = append(probs, "member_token: want udkm_ and 64 lower-case hex digits (make one with `od -An -N32 -tx1 /dev/urandom`)")
		}
	}
	if len(probs) > 0 {
		return Errorf(CodeInvalid, "%s", strings.Join(probs, "; "))
	}
	return nil
}

// ValidLabelValue reports whether v may be a label value: valid UTF-8
// whose every character is graphic (letters, marks, numbers, punctuation,
// symbols, spaces). Control characters (C0, DEL, C1 such as the CSI
// U+009B), format characters (bidi overrides such as U+202E, zero-width
// characters) and line or paragraph separators (U+2028, U+2029) are
// refused: a terminal or a log reader would act on them.
func ValidLabelValue(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if !unicode.IsGraphic(r) {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func validAddress(a string) bool {
	if len(a) > 261 {
		return false
	}
	host := a
	if h, p, err := net.SplitHostPort(a); err == nil {
		if !validPort(p) {
			return false
		}
		host = h
	}
	if net.ParseIP(host) != nil {
		return true
	}
	return hostRE.MatchString(host) && !strings.Contains(host, "..")
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n < 65536
}

// truncate shortens a value quoted in an error message.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}

// ReadTokenFile reads a token from a file holding it on one line (a
// trailing newline is fine) and checks its form.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("registry: token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return "", fmt.Errorf("registry: token file %s: %w", path, err)
	}
	tok := strings.TrimSpace(string(b))
	if _, err := ParseToken(tok); err != nil {
		return "", fmt.Errorf("registry: token file %s: %s", path, strings.TrimPrefix(err.Error(), "registry: "))
	}
	return tok, nil
}

// LooseTokenFile reports a token file that users other than its owner may
// read or write: a sentence naming the file, its mode and what to do, or
// "" when the mode is owner-only (or the file cannot be examined; reading
// it will say why). udkitd refuses to start on a loose DATA/admin.token,
// which it writes 0600 itself; the command-line clients warn, since a
// mounted secret (a Kubernetes secret volume is 0644 by default) may be
// readable by design inside its container.
func LooseTokenFile(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("token file %s is mode %04o: anyone who can read it holds the token; chmod 600 it (and rotate the token if others may have read it)", path, fi.Mode().Perm())
}
