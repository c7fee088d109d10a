package api_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry/client"
	"github.com/udkit/udkit/registry/store"
)

// TestClientPlainHTTPToken: a bearer token goes over plain http only to a
// loopback host unless the caller opts in. The registry is real; the
// client's dialer connects every host name to it, so that non-loopback
// names can be tried without leaving the machine, and counts the
// connections it makes.
func TestClientPlainHTTPToken(t *testing.T) {
	svc := newService(t, nil, store.Options{})
	target := strings.TrimPrefix(svc.Srv.URL, "http://")
	_, port, _ := net.SplitHostPort(target)
	var dials atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	}}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx := ctxT(t)
	tests := []struct {
		name     string
		host     string
		optIn    bool
		wantSent bool
	}{
		{"loopback IPv4", "127.0.0.1", false, true},
		{"other loopback IPv4", "127.0.0.2", false, true},
		{"loopback IPv6", "[::1]", false, true},
		{"localhost", "localhost", false, true},
		{"host name", "registry.internal", false, false},
		{"private address", "10.0.0.5", false, false},
		{"name that looks loopback", "127.0.0.1.example.com", false, false},
		{"host name, opted in", "registry.internal", true, true},
		{"private address, opted in", "10.0.0.5", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []client.Option
			if tc.optIn {
				opts = append(opts, client.AllowInsecureHTTP())
			}
			c, err := client.New("http://"+tc.host+":"+port, svc.Admin, hc, opts...)
			if err != nil {
				t.Fatal(err)
			}
			before := dials.Load()
			tr.CloseIdleConnections()
			_, err = c.Members(ctx, "web")
			sent := dials.Load() > before
			if tc.wantSent {
				if err != nil || !sent {
					t.Fatalf("got %v (connected: %v), want the request sent and answered", err, sent)
				}
				return
			}
			if sent {
				t.Fatal("the client connected to send the token over plain http")
			}
			if err == nil || !strings.Contains(err.Error(), "refusing to send the token over plain http") || !strings.Contains(err.Error(), "AllowInsecureHTTP") {
				t.Fatalf("got %v, want a refusal naming the opt-in", err)
			}
			// Without a token (health), nothing secret is sent.
			if _, err := c.WithToken("").Health(ctx); err != nil {
				t.Fatalf("health without a token: %v", err)
			}
		})
	}
}
