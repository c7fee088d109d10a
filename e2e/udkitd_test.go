//go:build e2e && linux

package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/udkit/udkit/registry"
	"github.com/udkit/udkit/registry/client"
)

// registryPort is where udkitd serves its API on hostAddr.
const registryPort = "8180"

var udkitdBinary struct {
	once sync.Once
	path string
	err  error
}

// requireUdkitd builds cmd/udkitd (cgo, dqlite) once per test process.
func requireUdkitd(t *testing.T) string {
	t.Helper()
	requireImage(t) // the run directory holds the binary
	udkitdBinary.once.Do(func() {
		udkitdBinary.path = filepath.Join(image.run, "udkitd")
		cmd := exec.Command("go", "build", "-tags", "libsqlite3", "-o", udkitdBinary.path, "github.com/udkit/udkit/cmd/udkitd")
		if out, err := cmd.CombinedOutput(); err != nil {
			udkitdBinary.err = fmt.Errorf("e2e: building udkitd (needs cgo and libdqlite-dev): %v\n%s", err, out)
		}
	})
	if udkitdBinary.err != nil {
		t.Fatal(udkitdBinary.err)
	}
	return udkitdBinary.path
}

// udkitd is a real registry daemon (one embedded dqlite node) serving
// HTTPS on hostAddr in a machine's host network namespace, with a private
// CA that the instance trusts through a file in its user data.
type udkitd struct {
	url   string // https://192.0.2.1:8180
	caPEM []byte
	admin *client.Client // authenticated with the admin token
	cmd   *exec.Cmd
	done  chan struct{}
	log   *bytes.Buffer
}

// startUdkitd starts udkitd for machine m and stops it (SIGTERM, then
// SIGKILL, by PID) when the test ends.
func startUdkitd(t *testing.T, m *machine) *udkitd {
	t.Helper()
	bin := requireUdkitd(t)
	dir := filepath.Join(m.dir, "udkitd")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	caPEM, certPEM, keyPEM, err := newTLS(hostAddr)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"ca.pem": caPEM, "cert.pem": certPEM, "key.pem": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := &udkitd{url: "https://" + net.JoinHostPort(hostAddr, registryPort), caPEM: caPEM, log: new(bytes.Buffer), done: make(chan struct{})}
	d.cmd = exec.Command("nsenter", "--net="+m.net.path(m.net.host), "--",
		bin, "serve", "--data", filepath.Join(dir, "data"),
		"--http", net.JoinHostPort(hostAddr, registryPort),
		"--http-cert", filepath.Join(dir, "cert.pem"), "--http-key", filepath.Join(dir, "key.pem"),
		"--shutdown-timeout", "5s")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	begin := time.Now()
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("e2e: starting udkitd: %v", err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.stop(t) })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext:     m.net.dialContext,
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	deadline := time.Now().Add(time.Minute)
	tokenFile := filepath.Join(dir, "data", "admin.token")
	for {
		select {
		case <-d.done:
			t.Fatalf("e2e: udkitd exited at start:\n%s", d.log)
		default:
		}
		if tok, err := registry.ReadTokenFile(tokenFile); err == nil {
			c, err := client.New(d.url, tok, hc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Health(context.Background()); err == nil {
				d.admin = c
				t.Logf("udkitd (PID %d) healthy at %s after %s", d.cmd.Process.Pid, d.url, time.Since(begin).Round(time.Millisecond))
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: udkitd not healthy after a minute:\n%s", d.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *udkitd) stop(t *testing.T) {
	begin := time.Now()
	select {
	case <-d.done:
	default:
		// nsenter execs udkitd: the PID is udkitd's.
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			d.cmd.Process.Kill()
			<-d.done
			t.Errorf("e2e: udkitd did not stop on SIGTERM within 30 s; killed")
		}
		t.Logf("udkitd stopped in %s", time.Since(begin).Round(time.Millisecond))
	}
	if t.Failed() {
		t.Logf("==== udkitd log ====\n%s", d.log)
	}
}

// joinToken creates a join token for cluster.
func (d *udkitd) joinToken(t *testing.T, cluster string) string {
	t.Helper()
	jt, err := d.admin.CreateJoinToken(context.Background(), cluster)
	if err != nil {
		t.Fatalf("e2e: creating a join token: %v", err)
	}
	return jt.Token
}

// members returns the instance IDs registered in cluster.
func (d *udkitd) members(t *testing.T, cluster string) []string {
	t.Helper()
	ms, err := d.admin.Members(context.Background(), cluster)
	if err != nil {
		t.Fatalf("e2e: listing members of %s: %v", cluster, err)
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.InstanceID
	}
	return ids
}

// newTLS makes a CA and a server certificate for the IP address ip.
func newTLS(ip string) (caPEM, certPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "udkit e2e CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: ip},
		IPAddresses:  []net.IP{net.ParseIP(ip)},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return caPEM, certPEM, keyPEM, nil
}
