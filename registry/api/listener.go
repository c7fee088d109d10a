package api

import (
	"net"
	"sync"
)

// ListenerLimits bound the connections a [LimitListener] keeps open.
type ListenerLimits struct {
	// PerClient is the most connections open at once from one client IP
	// address; 0 means DefaultListenerLimits.PerClient, -1 no limit
	// (behind a proxy, where every client has the proxy's address).
	PerClient int
	// Total is the most connections open at once; 0 means
	// DefaultListenerLimits.Total.
	Total int
}

// DefaultListenerLimits are the limits of LimitListener's zero
// ListenerLimits.
var DefaultListenerLimits = ListenerLimits{PerClient: 256, Total: 4096}

// LimitListener wraps l so that a connection over the limits (too many
// from its client's IP address, or too many in all) is closed as soon as
// it is accepted, before a goroutine or a buffer is
// spent on it. A flood from one host then holds at most PerClient
// connections, and the others' registrations go on; the process's memory
// stays bounded by Total whatever the flood.
func LimitListener(l net.Listener, lim ListenerLimits) *Listener {
	if lim.PerClient == 0 {
		lim.PerClient = DefaultListenerLimits.PerClient
	}
	if lim.Total <= 0 {
		lim.Total = DefaultListenerLimits.Total
	}
	return &Listener{Listener: l, lim: lim, open: map[string]int{}}
}

// Listener is a net.Listener with [ListenerLimits]; see [LimitListener].
type Listener struct {
	net.Listener
	lim ListenerLimits

	mu       sync.Mutex
	open     map[string]int
	total    int
	refused  int64
	accepted int64
}

// Accept returns the next connection within the limits, closing the
// ones over them. (Answering those 503 would come before their request
// and read as an unsolicited answer; a closed connection is what a client
// that retries understands.)
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		if l.total >= l.lim.Total || l.lim.PerClient > 0 && l.open[ip] >= l.lim.PerClient {
			l.refused++
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[ip]++
		l.total++
		l.accepted++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, ip: ip}, nil
	}
}

// Refused returns how many connections were closed over the limits, and
// how many were accepted.
func (l *Listener) Refused() (refused, accepted int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refused, l.accepted
}

func (l *Listener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	h, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return h
}

type limitedConn struct {
	net.Conn
	l    *Listener
	ip   string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
