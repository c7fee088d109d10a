//go:build e2e && linux

package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a minimal HTTP endpoint on hostAddr in the machine's host
// namespace that records every request the member's scripts make: it
// stands in for the registry's HTTP API where a test only needs to see the
// calls.
type receiver struct {
	url string // http://192.0.2.1:PORT
	// deleteDelay holds every DELETE this long before answering: a slow
	// registry, which makes the deregister script run that long.
	deleteDelay time.Duration
	mu          sync.Mutex
	events      []event
}

// event is one recorded request.
type event struct {
	Method, Path, Body string
	At                 time.Time
}

func (e event) String() string { return fmt.Sprintf("%s %s %q", e.Method, e.Path, e.Body) }

func newReceiver(t *testing.T, n *testNet) *receiver {
	t.Helper()
	l, err := n.listen(net.JoinHostPort(hostAddr, "0"))
	if err != nil {
		t.Fatalf("e2e: receiver: %v", err)
	}
	r := &receiver{url: "http://" + l.Addr().String()}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return r
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 64<<10))
	r.mu.Lock()
	r.events = append(r.events, event{Method: req.Method, Path: req.URL.Path, Body: strings.TrimSpace(string(body)), At: time.Now()})
	delay := r.deleteDelay
	r.mu.Unlock()
	if req.Method == http.MethodDelete && delay > 0 {
		time.Sleep(delay)
	}
	w.WriteHeader(http.StatusNoContent)
}

// calls returns the recorded requests in arrival order.
func (r *receiver) calls() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event(nil), r.events...)
}

// methods returns "POST DELETE ..." for the recorded requests.
func (r *receiver) methods() string {
	var s []string
	for _, e := range r.calls() {
		s = append(s, e.Method)
	}
	return strings.Join(s, " ")
}
