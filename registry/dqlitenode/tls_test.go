package dqlitenode_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/canonical/go-dqlite/client"
	"github.com/udkit/udkit/registry/dqlitenode"
	"github.com/udkit/udkit/registry/dqlitenode/nodetest"
)

// writeCluster writes a CA and a cluster certificate signed by it (with
// the given DNS names) and returns their TLS file set.
func writeCluster(t *testing.T, dnsNames []string) *dqlitenode.TLS {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "udkit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "udkit-cluster"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: dnsNames, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := &dqlitenode.TLS{CertFile: filepath.Join(dir, "cluster.crt"), KeyFile: filepath.Join(dir, "cluster.key"), CAFile: filepath.Join(dir, "ca.crt")}
	for path, block := range map[string]*pem.Block{
		files.CertFile: {Type: "CERTIFICATE", Bytes: der},
		files.KeyFile:  {Type: "EC PRIVATE KEY", Bytes: keyDER},
		files.CAFile:   {Type: "CERTIFICATE", Bytes: caDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestTLSClusterOnLoopback(t *testing.T) {
	files := writeCluster(t, []string{"udkit-cluster"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := func(join []string) *dqlitenode.Node {
		n, err := dqlitenode.Start(ctx, dqlitenode.Config{Dir: t.TempDir(), Address: nodetest.FreeLoopbackAddress(t), Join: join, TLS: files, NetworkLatency: nodetest.Latency})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close(context.Background()) })
		return n
	}
	first := start(nil)
	second := start([]string{first.Address()})
	if _, err := first.DB().ExecContext(ctx, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('over tls')"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := second.DB().QueryRowContext(ctx, "SELECT v FROM t").Scan(&v); err != nil || v != "over tls" {
		t.Fatalf("read through the joined node: %q, %v", v, err)
	}
	// The port speaks TLS only: a plain dqlite client is not served,
	// though the same client is served by a node without TLS.
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	defer ccancel()
	plain := nodetest.Start(t)
	cli, err := client.New(cctx, plain.Address())
	if err != nil {
		t.Fatalf("plain client to a plain node: %v", err)
	}
	if _, err := cli.Leader(cctx); err != nil {
		t.Fatalf("plain client to a plain node: %v", err)
	}
	cli.Close()
	if cli, err := client.New(cctx, first.Address()); err == nil {
		_, err = cli.Leader(cctx)
		cli.Close()
		if err == nil {
			t.Fatal("a plain (non-TLS) dqlite client was served")
		}
	}
}

func TestStartConfigErrors(t *testing.T) {
	noDNS := writeCluster(t, nil)
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  dqlitenode.Config
		want string
	}{
		{"no dir", dqlitenode.Config{}, "no data directory"},
		{"public address without TLS", dqlitenode.Config{Dir: t.TempDir(), Address: "192.0.2.10:9180"}, "no authentication"},
		{"host name without TLS", dqlitenode.Config{Dir: t.TempDir(), Address: "db.internal:9180"}, "no authentication"},
		{"bad address", dqlitenode.Config{Dir: t.TempDir(), Address: "nope"}, "use host:port"},
		// Issue 16 item 8: the join handshake went out in clear and was
		// retried forever.
		{"public join address without TLS", dqlitenode.Config{Dir: t.TempDir(), Address: "127.0.0.1:1", Join: []string{"127.0.0.1:2", "192.0.2.10:9180"}}, "join address 2 \"192.0.2.10:9180\" is not loopback"},
		{"join host name without TLS", dqlitenode.Config{Dir: t.TempDir(), Address: "127.0.0.1:1", Join: []string{"db.internal:9180"}}, "no authentication"},
		{"bad join address", dqlitenode.Config{Dir: t.TempDir(), Address: "127.0.0.1:1", Join: []string{"x"}}, "join address 1"},
		{"half TLS", dqlitenode.Config{Dir: t.TempDir(), TLS: &dqlitenode.TLS{CertFile: "a"}}, "needs a certificate, its key and the cluster CA"},
		{"certificate without DNS name", dqlitenode.Config{Dir: t.TempDir(), TLS: noDNS}, "has no DNS name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := dqlitenode.Start(ctx, tc.cfg)
			if err == nil {
				n.Close(ctx)
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dqlitenode: ") {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
