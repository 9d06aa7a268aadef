package mitm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Leaf certificates live a day and are reused from the cache until an
// hour before they expire.
const (
	leafValidity = 24 * time.Hour
	leafMargin   = time.Hour
	maxLeaves    = 4096
)

// Minter issues leaf certificates for server names from a CA and caches
// them. One ECDSA P-256 key, made at start and kept in memory only, serves
// every leaf. Safe for concurrent use.
type Minter struct {
	ca  *CA
	key *ecdsa.PrivateKey
	now func() time.Time

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
}

// NewMinter returns a Minter for ca. now is the clock (time.Now when nil).
func NewMinter(ca *CA, now func() time.Time) (*Minter, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mitm: leaf key: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Minter{ca: ca, key: key, now: now, leaves: map[string]*tls.Certificate{}}, nil
}

// Certificate returns a leaf for name (a DNS name or an IP address),
// minting one when the cache has none still fresh.
func (m *Minter) Certificate(name string) (*tls.Certificate, error) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if !validName(name) {
		return nil, fmt.Errorf("mitm: no certificate for server name %q", name)
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.leaves[name]; c != nil && now.Before(c.Leaf.NotAfter.Add(-leafMargin)) {
		return c, nil
	}
	c, err := m.mintLocked(name, now)
	if err != nil {
		return nil, err
	}
	if len(m.leaves) >= maxLeaves {
		for k, v := range m.leaves { // drop expired ones, else all
			if !now.Before(v.Leaf.NotAfter.Add(-leafMargin)) {
				delete(m.leaves, k)
			}
		}
		if len(m.leaves) >= maxLeaves {
			clear(m.leaves)
		}
	}
	m.leaves[name] = c
	return c, nil
}

func (m *Minter) mintLocked(name string, now time.Time) (*tls.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: name, Organization: []string{"pave inspection"}},
		NotBefore:      now.Add(-time.Hour),
		NotAfter:       now.Add(leafValidity),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		AuthorityKeyId: m.ca.Cert.SubjectKeyId,
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, m.ca.Cert, &m.key.PublicKey, m.ca.key)
	if err != nil {
		return nil, fmt.Errorf("mitm: mint %s: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("mitm: mint %s: %w", name, err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, m.ca.der}, PrivateKey: m.key, Leaf: leaf}, nil
}

// validName accepts IP addresses and DNS names of letters, digits,
// hyphens and underscores.
func validName(name string) bool {
	if net.ParseIP(name) != nil {
		return true
	}
	if name == "" || len(name) > 253 {
		return false
	}
	for _, l := range strings.Split(name, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, c := range []byte(l) {
			if !(c == '-' || c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				return false
			}
		}
	}
	return true
}
