package mitm

import (
	"crypto/x509"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzCertificateName: a leaf is minted only for a name it verifies for.
func FuzzCertificateName(f *testing.F) {
	ca, err := Init(filepath.Join(f.TempDir(), "ca"), time.Now())
	if err != nil {
		f.Fatal(err)
	}
	m, err := NewMinter(ca, nil)
	if err != nil {
		f.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	for _, s := range []string{"api.openai.com", "API.OPENAI.COM.", "127.0.0.1", "::1", "a..b", "*.x.com", "x_y.example", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := m.Certificate(name)
		if err != nil {
			return
		}
		want := strings.TrimSuffix(strings.ToLower(name), ".")
		if ip := net.ParseIP(want); ip != nil {
			if len(c.Leaf.IPAddresses) != 1 || !c.Leaf.IPAddresses[0].Equal(ip) {
				t.Fatalf("%q: leaf IPs %v", name, c.Leaf.IPAddresses)
			}
		} else if len(c.Leaf.DNSNames) != 1 || c.Leaf.DNSNames[0] != want {
			t.Fatalf("%q: leaf names %v", name, c.Leaf.DNSNames)
		}
		if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
			t.Fatalf("%q: leaf does not chain to the CA: %v", name, err)
		}
	})
}

// FuzzModel: the model name read from a request body is bounded and
// present only in a JSON object.
func FuzzModel(f *testing.F) {
	f.Add([]byte(`{"model":"gpt-4o","messages":[]}`))
	f.Add([]byte(`{"model":7}`))
	f.Add([]byte(`[{"model":"x"}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := model(body)
		if len(m) > 200 || m != "" && body[0] != '{' {
			t.Fatalf("model %q from %q", m, body)
		}
	})
}
