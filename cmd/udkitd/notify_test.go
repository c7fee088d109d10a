package main

import (
	"bytes"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/udkit/udkit/dist"
	"github.com/udkit/udkit/unit"
)

// TestServeNotifiesSystemd checks the readiness protocol of Type=notify
// (dist/udkitd.service): a real `udkitd serve` sends READY=1 on
// $NOTIFY_SOCKET once it serves, and STOPPING=1 on SIGTERM.
func TestServeNotifiesSystemd(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	d, _, _ := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq, "--shutdown-timeout", "5s"}
	})
	read := func(want string) {
		t.Helper()
		buf := make([]byte, 4096)
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("waiting for %s on NOTIFY_SOCKET: %v\n%s", want, err, d.logs())
		}
		if got := string(buf[:n]); !strings.Contains(got, want) {
			t.Fatalf("NOTIFY_SOCKET got %q, want %s", got, want)
		}
	}
	read("READY=1")
	d.stop(t)
	read("STOPPING=1")
}

// `udkitd unit` prints the shipped unit, byte for byte.
func TestUnitCommand(t *testing.T) {
	code, out, errs := runCLI(t, "unit")
	if code != exitOK || out != dist.UdkitdService || errs != "" {
		t.Errorf("udkitd unit: exit %d, stderr %q, output equal to dist/udkitd.service: %v", code, errs, out == dist.UdkitdService)
	}
	if code, _, errs := runCLI(t, "unit", "x"); code != exitUsage || !strings.Contains(errs, "unexpected argument") {
		t.Errorf("udkitd unit x: exit %d, stderr %q", code, errs)
	}
	if code, out, _ := runCLI(t, "help", "unit"); code != exitOK || !strings.Contains(out, "usage: udkitd unit") {
		t.Errorf("udkitd help unit: exit %d, stdout %q", code, out)
	}
}

// The shipped unit's ExecStart= is a command line `udkitd serve` accepts:
// a renamed or removed flag fails here, not at an operator's boot. The
// $UDKITD_OPTS word (empty unless /etc/default/udkitd sets it) is left
// out.
func TestUnitExecStartParses(t *testing.T) {
	u, err := unit.Parse(strings.NewReader(dist.UdkitdService))
	if err != nil {
		t.Fatal(err)
	}
	starts := u.Values("Service", "ExecStart")
	if len(starts) != 1 {
		t.Fatalf("ExecStart=%q, want one", starts)
	}
	c, err := unit.ParseExec(starts[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "/usr/local/bin/udkitd" || len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("ExecStart= runs %s %q, want /usr/local/bin/udkitd serve ...", c.Path, c.Args)
	}
	var args []string
	for _, a := range c.Args[1:] {
		if a != "$UDKITD_OPTS" {
			args = append(args, a)
		}
	}
	var errb bytes.Buffer
	fs, cfg := serveFlags(&errb)
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		t.Fatalf("udkitd serve %q: %v %q", args, err, errb.String())
	}
	if err := cfg.check(); err != nil {
		t.Fatalf("udkitd serve %q: %v", args, err)
	}
	if cfg.data != "/var/lib/udkitd" {
		t.Errorf("--data %q, want the StateDirectory= /var/lib/udkitd", cfg.data)
	}
}
