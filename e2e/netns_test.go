//go:build e2e && linux

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
)

// testNet is a pair of named network namespaces joined by a veth: "host"
// stands for the cluster side (where the registry listens on hostAddr),
// "guest" is handed to systemd-nspawn and configured by ifupdown in the
// container (eth0, containerAddr). Nothing is added to the machine's own
// network namespace, so runs cannot disturb the host or each other.
type testNet struct {
	host, guest string // names under /run/netns
}

func newTestNet(prefix string) (*testNet, error) {
	n := &testNet{host: prefix + "-h", guest: prefix + "-c"}
	steps := [][]string{
		{"ip", "netns", "add", n.host},
		{"ip", "netns", "add", n.guest},
		{"ip", "-n", n.host, "link", "add", "veth-h", "type", "veth", "peer", "name", "eth0", "netns", n.guest},
		{"ip", "-n", n.host, "addr", "add", hostAddr + "/24", "dev", "veth-h"},
		{"ip", "-n", n.host, "link", "set", "veth-h", "up"},
		{"ip", "-n", n.host, "link", "set", "lo", "up"},
	}
	for _, argv := range steps {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			n.remove()
			return nil, fmt.Errorf("e2e: network: %s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return n, nil
}

func (n *testNet) path(name string) string { return "/run/netns/" + name }

// remove deletes both namespaces (the veth goes with them).
func (n *testNet) remove() error {
	var msgs []string
	for _, name := range []string{n.host, n.guest} {
		if name == "" {
			continue
		}
		if _, err := os.Stat(n.path(name)); err != nil {
			continue
		}
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			msgs = append(msgs, fmt.Sprintf("ip netns del %s: %v: %s", name, err, strings.TrimSpace(string(out))))
		}
	}
	if msgs != nil {
		return fmt.Errorf("e2e: network cleanup: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// inNetns runs fn on an OS thread that has joined the network namespace at
// path. Sockets created by fn stay in that namespace after it returns.
func inNetns(path string, fn func() error) error {
	runtime.LockOSThread()
	self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	target, err := os.Open(path)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := setns(target.Fd()); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("e2e: setns %s: %w", path, err)
	}
	ferr := fn()
	if err := setns(self.Fd()); err != nil {
		// Leave the thread locked: it ends with this goroutine instead of
		// running other goroutines in the wrong namespace.
		return fmt.Errorf("e2e: setns back from %s: %w", path, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

func setns(fd uintptr) error {
	if _, _, e := syscall.RawSyscall(sysSetns, fd, syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

// listen opens a TCP listener on addr inside the host namespace.
func (n *testNet) listen(addr string) (net.Listener, error) {
	var l net.Listener
	err := inNetns(n.path(n.host), func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	})
	return l, err
}

// dialContext connects from inside the host namespace; use it as an
// http.Transport's DialContext to reach servers on hostAddr.
func (n *testNet) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNetns(n.path(n.host), func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}
