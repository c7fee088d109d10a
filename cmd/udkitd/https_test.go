package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeServerCert writes a CA and a server certificate for 127.0.0.1
// signed by it; it returns the paths of the CA, the certificate and key.
func writeServerCert(t *testing.T) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "udkitd test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "registry"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"registry.test"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(k)
	ca, cert, key = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return ca, cert, key
}

func TestServeHTTPS(t *testing.T) {
	ca, cert, key := writeServerCert(t)
	d, _, data := startFresh(t, freeAddr, func(dq, data string) []string {
		return []string{"--data", data, "--http", "127.0.0.1:0", "--dqlite", dq, "--http-cert", cert, "--http-key", key}
	})
	if !strings.HasPrefix(d.url, "https://") {
		t.Fatalf("ready URL %q is not https", d.url)
	}
	// Without the CA the client refuses the server.
	code, _, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d.url, "--data", data)
	if code != exitTrouble || !strings.Contains(errs, "certificate") {
		t.Fatalf("token create without the CA: %d %s", code, errs)
	}
	code, out, errs := runCLI(t, "token", "create", "--cluster", "web", "--url", d.url, "--data", data, "--ca", ca)
	if code != exitOK || !strings.HasPrefix(out, "udkj_") {
		t.Fatalf("token create with the CA: %d %q %s", code, out, errs)
	}
	o, err := exec.Command(udkitBinary, "members", "--url", d.url, "--token-file", filepath.Join(data, "admin.token"), "--ca", ca).CombinedOutput()
	if err != nil || !strings.Contains(string(o), "web") {
		t.Fatalf("udkit members over https: %v\n%s", err, o)
	}
	d.stop(t)
}
