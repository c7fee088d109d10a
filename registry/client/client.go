// Package client is a Go client for the udkit registry's HTTP/JSON API
// (package registry/api).
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/udkit/udkit/registry"
)

// maxAnswerBytes bounds an answer the client reads.
const maxAnswerBytes = 32 << 20

// Client calls the registry's HTTP API. It never retries: the caller
// decides (registration and deregistration are idempotent, so retrying is
// safe).
type Client struct {
	base         *url.URL
	token        string
	hc           *http.Client
	insecureHTTP bool
}

// DefaultTimeout bounds every request of a [Client] made with a nil
// *http.Client.
const DefaultTimeout = 30 * time.Second

// Option changes how [New] sets up a client.
type Option func(*Client)

// AllowInsecureHTTP lets the client send its bearer token over plain
// http:// to a host that is not loopback, where anyone on the path can
// read it. Without it, such a request fails before anything is sent. Use it
// only on a network you trust; prefer https.
func AllowInsecureHTTP() Option {
	return func(c *Client) { c.insecureHTTP = true }
}

// New returns a client for the registry at baseURL (http or https,
// e.g. "http://127.0.0.1:8180") that authenticates with token (may be
// empty for Health). hc nil means a client with DefaultTimeout; give
// one with a TLS configuration for a private CA ([HTTPClient]). A token is
// sent over plain http only to a loopback host (127.0.0.0/8, ::1,
// localhost) unless [AllowInsecureHTTP] is given.
func New(baseURL, token string, hc *http.Client, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("registry: URL %q: %v", truncate(baseURL), err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("registry: URL %q: want http(s)://host[:port][/prefix], without user, query or fragment", truncate(baseURL))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	// A copy, so that the caller's client keeps its own redirect policy.
	own := *hc
	own.CheckRedirect = checkRedirect(hc.CheckRedirect)
	c := &Client{base: u, token: token, hc: &own}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// checkRedirect wraps a redirect policy (nil: Go's default of at most 10)
// so that a request carrying a bearer token never follows a redirect to
// another scheme or host: Go's http.Client would forward Authorization
// across a change from https to http on the same host, or to another port.
// The registry never redirects; whoever does is not to get the token.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		if first.Header.Get("Authorization") != "" &&
			(!strings.EqualFold(req.URL.Scheme, first.URL.Scheme) || !strings.EqualFold(req.URL.Host, first.URL.Host)) {
			req.Header.Del("Authorization")
			return fmt.Errorf("registry: the answer redirected to %s, another scheme or host than %s://%s; not following it with the token: give the client the registry's real URL", redact(*req.URL), first.URL.Scheme, first.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// isLoopbackHost reports whether host (no port) names this machine
// without a DNS lookup: localhost, or a loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	return &cc
}

// Ready asks whether the service can take registrations now: its
// database takes a write (the cluster has a leader). The answer names the
// leader when the service knows it.
func (c *Client) Ready(ctx context.Context) (registry.HealthResponse, error) {
	var out registry.HealthResponse
	err := c.do(ctx, "GET", "/readyz", nil, &out)
	return out, err
}

// Health asks whether the service is alive (it serves HTTP); it does not
// ask the database, see [Client.Ready].
func (c *Client) Health(ctx context.Context) (registry.HealthResponse, error) {
	var out registry.HealthResponse
	err := c.do(ctx, "GET", "/healthz", nil, &out)
	return out, err
}

// Status describes the registry as the node asked sees it: its Raft
// nodes and leader, member counts per cluster, lease state (admin token).
func (c *Client) Status(ctx context.Context) (registry.StatusResponse, error) {
	var out registry.StatusResponse
	err := c.do(ctx, "GET", "/v1/status", nil, &out)
	return out, err
}

// Register registers an instance in cluster; the client's token must be the
// cluster's join token.
func (c *Client) Register(ctx context.Context, cluster string, req registry.RegisterRequest) (registry.RegisterResponse, error) {
	var out registry.RegisterResponse
	err := c.do(ctx, "POST", "/v1/clusters/"+url.PathEscape(cluster)+"/members", req, &out)
	return out, err
}

// Deregister removes an instance from cluster; the client's token must be
// the member's token or an admin token.
func (c *Client) Deregister(ctx context.Context, cluster, instanceID string) (registry.DeregisterResponse, error) {
	var out registry.DeregisterResponse
	err := c.do(ctx, "DELETE", "/v1/clusters/"+url.PathEscape(cluster)+"/members/"+url.PathEscape(instanceID), nil, &out)
	return out, err
}

// Renew renews the lease of a member of cluster; the client's token must
// be the member's token. Renewed=false: the member is not registered
// (evicted, deregistered) with this token; register again.
func (c *Client) Renew(ctx context.Context, cluster, instanceID string) (registry.RenewResponse, error) {
	var out registry.RenewResponse
	err := c.do(ctx, "POST", "/v1/clusters/"+url.PathEscape(cluster)+"/members/"+url.PathEscape(instanceID)+"/renew", nil, &out)
	return out, err
}

// Lease returns the lease setting of cluster (admin token).
func (c *Client) Lease(ctx context.Context, cluster string) (registry.Lease, error) {
	var out registry.Lease
	err := c.do(ctx, "GET", "/v1/clusters/"+url.PathEscape(cluster)+"/lease", nil, &out)
	return out, err
}

// SetLease sets the lease of cluster (admin token); a TTL of 0 removes it.
func (c *Client) SetLease(ctx context.Context, cluster string, req registry.LeaseRequest) (registry.Lease, error) {
	var out registry.Lease
	err := c.do(ctx, "PUT", "/v1/clusters/"+url.PathEscape(cluster)+"/lease", req, &out)
	return out, err
}

// MembersPageSize is how many members the client asks for per page.
const MembersPageSize = 1000

// Members lists the members of cluster (admin token), following the
// pages of MembersPageSize until the last.
func (c *Client) Members(ctx context.Context, cluster string) ([]registry.Member, error) {
	ms, _, err := c.MembersAt(ctx, cluster)
	return ms, err
}

// MembersAt is [Client.Members] that also returns the registry's change
// index as of the list (the first page's): the list holds every change
// up to it, so a watch from it ([Client.Watch], [Client.Changes]) misses
// none (and may repeat some already in the list).
func (c *Client) MembersAt(ctx context.Context, cluster string) ([]registry.Member, uint64, error) {
	var all []registry.Member
	after := ""
	var index uint64
	for {
		page, err := c.membersPage(ctx, cluster, after, MembersPageSize)
		if err != nil {
			return nil, 0, err
		}
		if after == "" {
			index = page.Index
		}
		all = append(all, page.Members...)
		if page.Next == "" {
			if all == nil {
				all = []registry.Member{}
			}
			return all, index, nil
		}
		if page.Next <= after {
			return nil, 0, fmt.Errorf("registry: list members of %s: the registry's next page cursor %q does not advance past %q", cluster, truncate(page.Next), truncate(after))
		}
		after = page.Next
	}
}

// MembersPage lists one page of the members of cluster (admin token): at
// most limit, whose instance ids sort after after ("" for the first
// page). next is the after of the following page, "" after the last.
func (c *Client) MembersPage(ctx context.Context, cluster, after string, limit int) (members []registry.Member, next string, err error) {
	out, err := c.membersPage(ctx, cluster, after, limit)
	return out.Members, out.Next, err
}

func (c *Client) membersPage(ctx context.Context, cluster, after string, limit int) (registry.MembersResponse, error) {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(limit))
	if after != "" {
		q.Set("after", after)
	}
	var out registry.MembersResponse
	err := c.do(ctx, "GET", "/v1/clusters/"+url.PathEscape(cluster)+"/members?"+q.Encode(), nil, &out)
	return out, err
}

// Clusters lists the clusters with their member counts (admin token).
func (c *Client) Clusters(ctx context.Context) ([]registry.ClusterSummary, error) {
	var out registry.ClustersResponse
	err := c.do(ctx, "GET", "/v1/clusters", nil, &out)
	return out.Clusters, err
}

// Reconcile removes the members of cluster not in the live set (admin
// token) and returns their instance ids.
//
// With req.DryRun the registry removes nothing and answers what a real
// run would remove; an answer that does not confirm the dry run is an
// error.
func (c *Client) Reconcile(ctx context.Context, cluster string, req registry.ReconcileRequest) ([]string, error) {
	var out registry.ReconcileResponse
	err := c.do(ctx, "POST", "/v1/clusters/"+url.PathEscape(cluster)+"/reconcile", req, &out)
	if err == nil && req.DryRun && !out.DryRun {
		return nil, fmt.Errorf("registry: reconcile of cluster %q: the answer to a dry run does not say dry_run; the registry may not support it, and may have removed the listed members: %s", cluster, strings.Join(out.Removed, " "))
	}
	return out.Removed, err
}

// Backup streams a backup file of the whole registry (admin token) to w
// and returns its size in bytes. Check what w got with store.VerifyBackup
// before trusting it: a registry that fails half-way sends a truncated
// file. The file holds token hashes: keep it 0600.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	u, err := url.Parse(c.base.String() + "/v1/backup")
	if err != nil {
		return 0, fmt.Errorf("registry: backup: %w", err)
	}
	if u.Scheme == "http" && !c.insecureHTTP && !isLoopbackHost(u.Hostname()) {
		return 0, fmt.Errorf("registry: GET %s: refusing to send the token over plain http to %s, which is not loopback: use an https URL, or opt in explicitly (client.AllowInsecureHTTP, --insecure-http) on a network you trust", redact(*u), u.Host)
	}
	if strings.ContainsAny(c.token, "\r\n") {
		return 0, errors.New("registry: backup: the token contains a line break; check the token file")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("registry: backup: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("registry: GET %s: %w", redact(*u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		var e registry.Error
		if json.Unmarshal(data, &e) != nil || e.Code == "" {
			return 0, &registry.Error{Code: codeForStatus(resp.StatusCode), Status: resp.StatusCode,
				Message: fmt.Sprintf("registry: GET %s: %s: %s", redact(*u), resp.Status, truncate(strings.TrimSpace(string(data))))}
		}
		e.Status = resp.StatusCode
		return 0, &e
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("registry: GET %s: after %d bytes: %w", redact(*u), n, err)
	}
	return n, nil
}

// CreateJoinToken makes a join token for cluster (admin token); the
// answer's Token is the only copy of the secret.
func (c *Client) CreateJoinToken(ctx context.Context, cluster string) (registry.JoinToken, error) {
	var out registry.JoinToken
	err := c.do(ctx, "POST", "/v1/clusters/"+url.PathEscape(cluster)+"/join-tokens", nil, &out)
	return out, err
}

// JoinTokens lists the join tokens of cluster (admin token).
func (c *Client) JoinTokens(ctx context.Context, cluster string) ([]registry.JoinToken, error) {
	var out registry.JoinTokensResponse
	err := c.do(ctx, "GET", "/v1/clusters/"+url.PathEscape(cluster)+"/join-tokens", nil, &out)
	return out.JoinTokens, err
}

// RevokeJoinToken deletes a join token of cluster by id (admin token).
func (c *Client) RevokeJoinToken(ctx context.Context, cluster, id string) (bool, error) {
	var out registry.RevokeResponse
	err := c.do(ctx, "DELETE", "/v1/clusters/"+url.PathEscape(cluster)+"/join-tokens/"+url.PathEscape(id), nil, &out)
	return out.Revoked, err
}

// CreateAdminToken makes a new admin token (admin token); the answer's
// Token is the only copy of the secret.
func (c *Client) CreateAdminToken(ctx context.Context) (registry.AdminToken, error) {
	var out registry.AdminToken
	err := c.do(ctx, "POST", "/v1/admin-tokens", nil, &out)
	return out, err
}

// AdminTokens lists the admin tokens (admin token).
func (c *Client) AdminTokens(ctx context.Context) ([]registry.AdminToken, error) {
	var out registry.AdminTokensResponse
	err := c.do(ctx, "GET", "/v1/admin-tokens", nil, &out)
	return out.AdminTokens, err
}

// RevokeAdminToken deletes an admin token by id (admin token). The last
// admin token cannot be revoked ([registry.CodeConflict]).
func (c *Client) RevokeAdminToken(ctx context.Context, id string) (bool, error) {
	var out registry.RevokeResponse
	err := c.do(ctx, "DELETE", "/v1/admin-tokens/"+url.PathEscape(id), nil, &out)
	return out.Revoked, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	// The path's segments are escaped already.
	u, err := url.Parse(c.base.String() + path)
	if err != nil {
		return fmt.Errorf("registry: %s %s: %w", method, path, err)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("registry: %s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("registry: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		if u.Scheme == "http" && !c.insecureHTTP && !isLoopbackHost(u.Hostname()) {
			return fmt.Errorf("registry: %s %s: refusing to send the token over plain http to %s, which is not loopback: anyone on the path could read it; use an https URL (with a CA file for a private CA), or opt in explicitly (client.AllowInsecureHTTP, --insecure-http) on a network you trust", method, redact(*u), u.Host)
		}
		if strings.ContainsAny(c.token, "\r\n") {
			return fmt.Errorf("registry: %s %s: the token contains a line break; check the token file", method, path)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("registry: %s %s: %w", method, redact(*u), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return fmt.Errorf("registry: %s %s: read answer: %w", method, redact(*u), err)
	}
	if len(data) > maxAnswerBytes {
		return fmt.Errorf("registry: %s %s: answer is over %d bytes", method, redact(*u), maxAnswerBytes)
	}
	if resp.StatusCode >= 400 {
		var e registry.Error
		if json.Unmarshal(data, &e) != nil || e.Code == "" {
			return &registry.Error{Code: codeForStatus(resp.StatusCode), Status: resp.StatusCode,
				Message: fmt.Sprintf("registry: %s %s: %s: %s", method, redact(*u), resp.Status, truncate(strings.TrimSpace(string(data))))}
		}
		e.Status = resp.StatusCode
		return &e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("registry: %s %s: answer is not the expected JSON: %w", method, redact(*u), err)
	}
	return nil
}

func redact(u url.URL) string {
	u.User = nil
	return u.String()
}

func codeForStatus(status int) registry.Code {
	for _, c := range []registry.Code{registry.CodeInvalid, registry.CodeUnauthorized, registry.CodeForbidden, registry.CodeNotFound, registry.CodeMethod, registry.CodeConflict, registry.CodeGone, registry.CodeTooLarge, registry.CodeUnsupportedMedia, registry.CodeUnavailable} {
		if c.Status() == status {
			return c
		}
	}
	return registry.CodeInternal
}

// HTTPClient returns an HTTP client with the given overall timeout that,
// when caFile is not empty, trusts only the CA certificates (PEM) in that
// file for https URLs — for a registry behind a private CA.
func HTTPClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("registry: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("registry: CA file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// truncate shortens a value quoted in an error message.
func truncate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:77] + "..."
}
