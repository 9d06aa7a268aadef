package egress

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/egress/audit"
	"github.com/pavesec/pave/internal/egress/fakevendor"
)

// TestTLS serves the gateway over HTTPS with a certificate made here and
// sends a request through it with a client that trusts only that
// certificate.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gateway"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)

	fv := fakevendor.New(fakevendor.Options{OpenAIKey: realOpenAI})
	vs := httptest.NewServer(fv)
	defer vs.Close()
	cfg := baseConfig(vs.URL, filepath.Join(dir, "audit.jsonl"))
	cfg.TLS = TLSConfig{Cert: certFile, Key: keyFile}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	w, err := audit.Open(cfg.Audit.Path, audit.Options{Sync: audit.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	env := map[string]string{"OPENAI_KEY": realOpenAI, "ANTHROPIC_KEY": realAnthropc, "BOB_KEY": otherKey}
	g, err := New(cfg, Options{Audit: w, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx, ln, nil) }()
	defer func() { cancel(); <-done }()

	pool := x509.NewCertPool()
	cert, _ := x509.ParseCertificate(der)
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	req, _ := http.NewRequest("POST", "https://"+ln.Addr().String()+"/v1/chat/completions", strings.NewReader(chatBody("hello", false)))
	req.Header.Set("Authorization", "Bearer "+devKey)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.ProtoMajor != 2 {
		t.Errorf("status %d, tls %v, proto %s", resp.StatusCode, resp.TLS != nil, resp.Proto)
	}
	// plain HTTP to the TLS port gets nothing useful
	if r, err := http.Get("http://" + ln.Addr().String() + "/v1/models"); err == nil {
		r.Body.Close()
		if r.StatusCode == 200 {
			t.Error("plain HTTP served on the TLS listener")
		}
	}
}
