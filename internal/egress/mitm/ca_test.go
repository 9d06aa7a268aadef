package mitm

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInitLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ca, err := Init(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", st.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("directory holds %d files, want 2 (no temporary files left)", len(ents))
	}
	if !ca.Cert.IsCA || !ca.Cert.MaxPathLenZero || ca.Cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("CA certificate %+v", ca.Cert)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint() != ca.Fingerprint() || !strings.HasPrefix(got.Fingerprint(), "sha256:") {
		t.Errorf("fingerprints %s and %s", got.Fingerprint(), ca.Fingerprint())
	}
	if _, err := Init(dir, time.Now()); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Init: %v, want a refusal", err)
	}
	if again, _ := Load(dir); again.Fingerprint() != ca.Fingerprint() {
		t.Error("refused Init changed the CA")
	}
}

func TestLoadRejects(t *testing.T) {
	mk := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "ca")
		if _, err := Init(dir, time.Now()); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Run("readable key", func(t *testing.T) {
		dir := mk(t)
		os.Chmod(filepath.Join(dir, KeyFile), 0o644)
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "0644") {
			t.Errorf("Load: %v", err)
		}
	})
	t.Run("key of another CA", func(t *testing.T) {
		dir, other := mk(t), mk(t)
		b, _ := os.ReadFile(filepath.Join(other, KeyFile))
		os.WriteFile(filepath.Join(dir, KeyFile), b, 0o600)
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Errorf("Load: %v", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		dir := mk(t)
		os.WriteFile(filepath.Join(dir, CertFile), []byte("not pem"), 0o644)
		if _, err := Load(dir); err == nil {
			t.Error("Load accepted a garbage certificate")
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := Load(t.TempDir()); err == nil {
			t.Error("Load accepted an empty directory")
		}
	})
	t.Run("not a CA", func(t *testing.T) {
		dir := mk(t)
		ca, _ := Load(dir)
		m, _ := NewMinter(ca, nil)
		leaf, _ := m.Certificate("x.example")
		os.WriteFile(filepath.Join(dir, CertFile), pemCert(leaf.Certificate[0]), 0o644)
		if _, err := Load(dir); err == nil {
			t.Error("Load accepted a leaf as CA")
		}
	})
}

func TestMinter(t *testing.T) {
	ca, err := Init(filepath.Join(t.TempDir(), "ca"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m, err := NewMinter(ca, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, name := range []string{"api.openai.com", "API.Anthropic.com.", "127.0.0.1", "::1"} {
		c, err := m.Certificate(name)
		if err != nil {
			t.Fatal(err)
		}
		vname := strings.TrimSuffix(strings.ToLower(name), ".")
		if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: vname, CurrentTime: now}); err != nil {
			t.Errorf("%s: leaf does not verify: %v", name, err)
		}
		if ip := net.ParseIP(name); ip == nil && len(c.Leaf.DNSNames) != 1 {
			t.Errorf("%s: DNS names %v", name, c.Leaf.DNSNames)
		}
		again, _ := m.Certificate(name)
		if again != c {
			t.Errorf("%s: not cached", name)
		}
	}
	a, _ := m.Certificate("api.openai.com")
	now = now.Add(leafValidity)
	b, _ := m.Certificate("api.openai.com")
	if a == b {
		t.Error("an expiring leaf was reused")
	}
	for _, bad := range []string{"", "a..b", "a b.example", "x/y", strings.Repeat("a", 64) + ".example", "*.example.com"} {
		if _, err := m.Certificate(bad); err == nil {
			t.Errorf("minted a leaf for %q", bad)
		}
	}
}
