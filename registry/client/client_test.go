package client_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

func TestClientDefaultTimeout(t *testing.T) {
	c, err := client.New("http://127.0.0.1:8180", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.HTTPTimeout(); got != 30*time.Second {
		t.Fatalf("a nil *http.Client gave a timeout of %v, want 30s", got)
	}
}

// TestRedirectNeverCarriesToken reproduces issue 16 item 7: the registry
// URL is https, and an answer (a misconfigured proxy, or someone on the
// path of a plain-http hop) redirects with 307 to plain http on another
// host. Go's http.Client forwards Authorization across a scheme change to
// the same host and across ports; the client must not. Host names are
// mapped to loopback listeners by the dialer, so nothing leaves the
// machine.
func TestRedirectNeverCarriesToken(t *testing.T) {
	var leaked atomic.Int64
	var hits atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer sink.Close()
	var target atomic.Value
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/same/") {
			// A redirect within the same origin keeps the token.
			if r.Header.Get("Authorization") == "" {
				http.Error(w, `{"code":"unauthorized","message":"registry: no token"}`, 401)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"cluster":"web","members":[]}`)
			return
		}
		http.Redirect(w, r, target.Load().(string)+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	_, sinkPort, _ := net.SplitHostPort(sink.Listener.Addr().String())
	_, frontPort, _ := net.SplitHostPort(front.Listener.Addr().String())
	hc := front.Client()
	tr := hc.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		_, port, _ := net.SplitHostPort(addr)
		if port == sinkPort {
			return d.DialContext(ctx, network, sink.Listener.Addr().String())
		}
		return d.DialContext(ctx, network, front.Listener.Addr().String())
	}
	token, _ := registry.NewToken(registry.AdminTokenPrefix)
	// example.com is in httptest's certificate.
	for _, opts := range [][]client.Option{nil, {client.AllowInsecureHTTP()}} {
		c, err := client.New("https://example.com:"+frontPort, token, hc, opts...)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, to := range []string{
			"http://leak.example:" + sinkPort,            // https -> http, another host
			"http://example.com:" + sinkPort,             // https -> http, same host name
			"https://example.com:" + frontPort + "/same", // same origin: followed
		} {
			target.Store(to)
			before := hits.Load()
			_, err := c.Members(ctx, "web")
			if strings.Contains(to, "/same") {
				if err != nil {
					t.Errorf("redirect within the origin %s: %v", to, err)
				}
				continue
			}
			if err == nil || !strings.Contains(err.Error(), "redirect") {
				t.Errorf("redirect to %s: got %v, want an error that names the redirect", to, err)
			}
			if strings.Contains(fmt.Sprint(err), token) {
				t.Errorf("the error repeats the token: %v", err)
			}
			if hits.Load() != before {
				t.Errorf("redirect to %s: the client followed it", to)
			}
		}
		// Without a token (health), redirects are followed as usual.
		target.Store("http://leak.example:" + sinkPort)
		if _, err := c.WithToken("").Health(ctx); err != nil {
			t.Errorf("health without a token across a redirect: %v", err)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the bearer token reached the plain-http host %d times", n)
	}
}
