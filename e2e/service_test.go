//go:build e2e && linux

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/udkit/udkit"
	"github.com/udkit/udkit/dist"
	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// TestUdkitdService boots udkitd the way an operator runs it: the shipped
// unit (dist/udkitd.service, Type=notify, DynamicUser=yes) enabled before
// the first boot, with the udkitd binary the host builds. It checks that
// the unit is active after boot and answers /healthz, that its hardening
// is in force in the running process, that the state directory and the
// admin token file belong to the dynamic user with modes 0700 and 0600,
// that the admin token works (a join token is made with it), that
// `systemctl stop` ends it cleanly (exit 0, handover logged) and that a
// restart finds its state again.
//
// The image has no libdqlite: rather than adding Debian's dqlite
// packages to the image recipe (a new cache key and an image rebuild that
// CI pays for every run that finds no cache), installUdkitd copies the
// shared libraries the binary was linked against on the host and that the
// image lacks into /usr/local/lib/udkitd, the way an operator would ship
// a binary with its libraries. Both images take the bookworm-built
// libraries: trixie's glibc is newer and keeps the older symbol versions.
func TestUdkitdService(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		m := newMachineOn(t, img)
		installUdkitd(t, m)
		m.writeSeed(seedData{instanceID: "iid-udkitd-" + m.name, userData: []byte("#cloud-config\nhostname: udkitd\n")})
		m.boot()

		must := func(argv ...string) string {
			t.Helper()
			out, err := m.exec(argv...)
			if err != nil {
				t.Fatalf("%s: %v\n%s\n==== journal of udkitd ====\n%s", strings.Join(argv, " "), err, out, m.journal("-u", "udkitd.service"))
			}
			return strings.TrimSpace(string(out))
		}
		if got := must("systemctl", "is-active", "udkitd.service"); got != "active" {
			t.Fatalf("udkitd.service is %q after boot, want active", got)
		}
		health := must("curl", "-sS", "--fail", "--max-time", "10", "http://127.0.0.1:8180/healthz")
		t.Logf("/healthz: %s", health)
		if !strings.Contains(health, `"status":"ok"`) {
			t.Errorf("/healthz answered %q", health)
		}

		// The image's own systemd (252 or 257) judges the unit as loaded,
		// with the real binary in place.
		if out, err := m.exec("systemd-analyze", "verify", "--man=no", "/etc/systemd/system/udkitd.service"); err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify in %s: %v\n%s", img.Name, err, out)
		}
		sec, _ := m.exec("systemd-analyze", "security", "--no-pager", "udkitd.service")
		if lvl := regexp.MustCompile(`Overall exposure level for udkitd\.service: ([0-9.]+)`).FindSubmatch(sec); lvl == nil {
			t.Errorf("systemd-analyze security in %s printed no exposure level:\n%s", img.Name, sec)
		} else {
			t.Logf("systemd-analyze security udkitd.service (%s, running): exposure %s", img.Name, lvl[1])
			var score float64
			fmt.Sscan(string(lvl[1]), &score)
			if score > 2.0 {
				t.Errorf("exposure %.1f above 2.0 in %s:\n%s", score, img.Name, sec)
			}
		}

		// The hardening is in force in the running process.
		pid := must("systemctl", "show", "-P", "MainPID", "udkitd.service")
		status := must("cat", "/proc/"+pid+"/status")
		for _, want := range []string{`CapEff:\s+0+\n`, `CapBnd:\s+0+\n`, `NoNewPrivs:\s+1\n`, `Seccomp:\s+2\n`} {
			if !regexp.MustCompile(want).MatchString(status + "\n") {
				t.Errorf("/proc/%s/status lacks %s:\n%s", pid, want, status)
			}
		}
		// DynamicUser= allocates a UID in 61184-65519 (the image has no
		// nss-systemd to name it, so the test compares numbers).
		uid := must("stat", "-c", "%u", "/proc/"+pid)
		var n int
		if _, err := fmt.Sscan(uid, &n); err != nil || n < 61184 || n > 65519 {
			t.Errorf("udkitd runs as UID %s, want a dynamic user (61184-65519)", uid)
		}

		// The state belongs to the dynamic user: the directory 0700, the
		// admin token 0600.
		if got := must("readlink", "/var/lib/udkitd"); got != "private/udkitd" {
			t.Errorf("/var/lib/udkitd -> %q, want private/udkitd (DynamicUser's StateDirectory)", got)
		}
		if got := must("stat", "-c", "%u %a", "/var/lib/private/udkitd"); got != uid+" 700" {
			t.Errorf("state directory owner and mode %q, want %q", got, uid+" 700")
		}
		if got := must("stat", "-c", "%u %a", "/var/lib/udkitd/admin.token"); got != uid+" 600" {
			t.Errorf("admin.token owner and mode %q, want %q", got, uid+" 600")
		}
		// root reads the token file, as the unit's comment tells operators.
		join := must("udkitd", "token", "create", "--data", "/var/lib/udkitd", "--cluster", "web", "--url", "http://127.0.0.1:8180")
		if !strings.HasPrefix(join, registry.JoinTokenPrefix) {
			t.Errorf("token create printed %q", join)
		}

		// A clean stop: exit status 0, the node handed over and stopped.
		begin := time.Now()
		must("systemctl", "stop", "udkitd.service")
		t.Logf("systemctl stop udkitd: %s", time.Since(begin).Round(time.Millisecond))
		show := must("systemctl", "show", "-p", "Result", "-p", "ExecMainCode", "-p", "ExecMainStatus", "udkitd.service")
		for _, want := range []string{"Result=success", "ExecMainStatus=0", "ExecMainCode=1"} { // CLD_EXITED
			if !strings.Contains(show, want) {
				t.Errorf("after systemctl stop: %s, want %s", strings.ReplaceAll(show, "\n", " "), want)
			}
		}
		journal := m.journal("-u", "udkitd.service")
		for _, want := range []string{"stopping: draining HTTP requests", "dqlite node stopped after handover"} {
			if !strings.Contains(journal, want) {
				t.Errorf("journal of udkitd lacks %q:\n%s", want, journal)
			}
		}

		// A restart keeps its state: the same admin token still works.
		must("systemctl", "start", "udkitd.service")
		must("udkitd", "token", "list", "--data", "/var/lib/udkitd", "--cluster", "web", "--url", "http://127.0.0.1:8180")
		m.poweroff()
		if t.Failed() {
			t.Logf("==== journal of udkitd ====\n%s", m.journal("-u", "udkitd.service"))
		}
	})
}

// installUdkitd puts the host-built udkitd, the shared libraries it needs
// that the image lacks, and the shipped unit into the machine's overlay,
// and enables the unit, all before the first boot.
func installUdkitd(t *testing.T, m *machine) {
	t.Helper()
	bin := requireUdkitd(t)
	copyHostFile(t, bin, filepath.Join(m.root, "usr/local/bin/udkitd"), 0o755)
	out, err := exec.Command("ldd", bin).Output()
	if err != nil {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	libDir := "/usr/local/lib/udkitd"
	var copied []string
	for _, line := range strings.Split(string(out), "\n") {
		// "libdqlite.so.0 => /lib/x86_64-linux-gnu/libdqlite.so.0 (0x...)"
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "=>" || !filepath.IsAbs(f[2]) {
			continue
		}
		name, host := f[0], f[2]
		if imageHasLib(m.root, name) {
			continue
		}
		copyHostFile(t, host, filepath.Join(m.root, libDir, name), 0o644)
		copied = append(copied, name)
	}
	t.Logf("copied into %s: %s", libDir, strings.Join(copied, " "))
	writeRootFile(t, filepath.Join(m.root, "etc/ld.so.conf.d/udkitd.conf"), "# udkitd's libraries (e2e)\n"+libDir+"\n", 0o644)
	if out, err := exec.Command("chroot", m.root, "/sbin/ldconfig").CombinedOutput(); err != nil {
		t.Fatalf("ldconfig in the image: %v\n%s", err, out)
	}
	writeRootFile(t, filepath.Join(m.root, "etc/systemd/system", dist.UdkitdServiceName), dist.UdkitdService, 0o644)
	wants := filepath.Join(m.root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	// What `systemctl enable udkitd` makes ([Install] WantedBy=multi-user.target).
	if err := os.Symlink("/etc/systemd/system/"+dist.UdkitdServiceName, filepath.Join(wants, dist.UdkitdServiceName)); err != nil {
		t.Fatal(err)
	}
}

// imageHasLib reports whether the root file system at root has the library
// name in one of the directories the dynamic loader searches.
func imageHasLib(root, name string) bool {
	for _, d := range []string{"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib64", "lib", "usr/lib"} {
		if _, err := os.Stat(filepath.Join(root, d, name)); err == nil {
			return true
		}
	}
	return false
}

func copyHostFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeRootFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(fmt.Errorf("e2e: %w", err))
	}
}

// TestManagedServerWithUdkitdService is the managed-server scenario
// against a udkitd run by its shipped unit in a second container: machine
// reg runs udkitd.service serving HTTPS on its eth0 (containerAddr), its
// certificate and key loaded with LoadCredential= and the flags given in
// /etc/default/udkitd as docs/registry.md says; the managed server, in
// machine inst, reaches it at https://hostAddr:8180, which the test
// forwards from inst's host namespace to reg's container (the two
// machines' networks are separate namespaces with the same addresses).
// The instance registers at launch and deregisters at poweroff; reg's
// journal holds both audit lines; reg's own poweroff stops udkitd cleanly.
func TestManagedServerWithUdkitdService(t *testing.T) {
	forEachImage(t, func(t *testing.T, img *osImage) {
		reg := newMachineOn(t, img)
		installUdkitd(t, reg)
		caPEM, certPEM, keyPEM, err := newTLS(hostAddr)
		if err != nil {
			t.Fatal(err)
		}
		writeRootFile(t, filepath.Join(reg.root, "etc/udkitd/http.pem"), string(certPEM), 0o600)
		writeRootFile(t, filepath.Join(reg.root, "etc/udkitd/http.key"), string(keyPEM), 0o600)
		writeRootFile(t, filepath.Join(reg.root, "etc/systemd/system/udkitd.service.d/credentials.conf"),
			"[Service]\nLoadCredential=http.pem:/etc/udkitd/http.pem\nLoadCredential=http.key:/etc/udkitd/http.key\n", 0o644)
		const creds = "/run/credentials/udkitd.service"
		writeRootFile(t, filepath.Join(reg.root, "etc/default/udkitd"),
			"UDKITD_OPTS=\"--http "+containerAddr+":"+registryPort+" --http-cert "+creds+"/http.pem --http-key "+creds+"/http.key\"\n", 0o644)
		reg.writeSeed(seedData{instanceID: "iid-registry-" + reg.name, userData: []byte("#cloud-config\nhostname: registry\n")})
		reg.boot()
		if out, err := reg.exec("systemctl", "is-active", "udkitd.service"); strings.TrimSpace(string(out)) != "active" {
			t.Fatalf("udkitd.service in %s: %s %v\n%s", reg.name, out, err, reg.journal("-u", "udkitd.service"))
		}

		// The test reaches reg's udkitd through reg's host namespace;
		// the URL (and the certificate) name hostAddr, as the instance
		// sees it.
		toRegistry := func(ctx context.Context, _, _ string) (net.Conn, error) {
			return reg.net.dialContext(ctx, "tcp", net.JoinHostPort(containerAddr, registryPort))
		}
		url := "https://" + net.JoinHostPort(hostAddr, registryPort)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: toRegistry, TLSClientConfig: &tls.Config{RootCAs: pool}}}
		admin, err := registry.ReadTokenFile(filepath.Join(reg.root, "var/lib/private/udkitd/admin.token"))
		if err != nil {
			t.Fatal(err)
		}
		ac, err := client.New(url, admin, hc)
		if err != nil {
			t.Fatal(err)
		}
		d := &udkitd{url: url, caPEM: caPEM, admin: ac}

		inst := newMachineOn(t, img)
		forwardToRegistry(t, inst, toRegistry)
		ud, _, err := udkit.Render(registryHookSpec(d, d.joinToken(t, cluster), false), udkit.Options{})
		if err != nil {
			t.Fatalf("udkit.Render: %v", err)
		}
		inst.writeSeed(seedData{instanceID: "iid-" + inst.name, userData: ud})
		inst.boot()
		iid := "iid-" + inst.name
		checkHookArmed(t, inst, managedUnit)
		if got := d.members(t, cluster); !slices.Equal(got, []string{iid}) {
			t.Fatalf("members of %s after boot = %q, want [%s]", cluster, got, iid)
		}
		inst.poweroff()
		if got := d.members(t, cluster); len(got) != 0 {
			t.Errorf("members of %s after poweroff = %q, want none", cluster, got)
		}
		if j := inst.journal(); !strings.Contains(j, "udkit-deregister: deregistered "+iid) {
			t.Errorf("the instance's journal has no line saying it deregistered %s", iid)
		}

		reg.poweroff()
		j := reg.journal("-u", "udkitd.service")
		for _, want := range []string{"action=register", "action=deregister", "instance_id=" + iid, "dqlite node stopped after handover"} {
			if !strings.Contains(j, want) {
				t.Errorf("journal of udkitd.service lacks %q:\n%s", want, j)
			}
		}
	})
}

// forwardToRegistry listens on hostAddr:registryPort in m's host namespace and
// copies every connection to one that dial opens, until the test ends.
func forwardToRegistry(t *testing.T, m *machine, dial func(ctx context.Context, network, addr string) (net.Conn, error)) {
	t.Helper()
	l, err := m.net.listen(net.JoinHostPort(hostAddr, registryPort))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				up, err := dial(ctx, "tcp", "")
				cancel()
				if err != nil {
					return
				}
				defer up.Close()
				done := make(chan struct{})
				go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); close(done) }()
				io.Copy(c, up)
				c.(*net.TCPConn).CloseWrite()
				<-done
			}()
		}
	}()
}
