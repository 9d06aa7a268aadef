// Package mitm is the inspection half of pave's shadow-AI discovery: a
// local certificate authority the operator creates and installs on the
// clients, leaf certificates minted per server name from it, and an
// Interceptor that terminates TLS for AI hosts only, records each
// decrypted request (secrets masked and hashed) and relays it to the
// vendor over a normally verified TLS connection.
package mitm

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names inside a CA directory.
const (
	CertFile = "ca.pem"     // the CA certificate, to install on clients
	KeyFile  = "ca-key.pem" // its private key, PKCS #8, mode 0600
)

// caValidity is how long a new CA is valid. An interception CA should be
// short-lived and rotated; a year is the default.
const caValidity = 365 * 24 * time.Hour

// CA is a loaded certificate authority.
type CA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

// Fingerprint is the SHA-256 of the CA certificate, for operators to
// compare with what clients installed.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.der)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Init creates a new ECDSA P-256 CA in dir (created, mode 0700, when
// missing) and returns it. It refuses to overwrite an existing CA. The key
// is written with mode 0600 and never leaves the file.
func Init(dir string, now time.Time) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mitm: ca init: %w", err)
	}
	for _, f := range []string{CertFile, KeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("mitm: ca init: %s already exists; remove it to make a new CA", filepath.Join(dir, f))
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mitm: ca init: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	ski := sha256.Sum256(pub)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "pave shadow-AI inspection CA " + serial.Text(16)[:8], Organization: []string{"pave"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true, // it signs leaves only
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          ski[:20],
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("mitm: ca init: %w", err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("mitm: ca init: %w", err)
	}
	if err := writeNew(filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, CertFile), pemCert(der), 0o644); err != nil {
		os.Remove(filepath.Join(dir, KeyFile))
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{Cert: cert, key: key, der: der}, nil
}

// writeNew writes a file whole (temporary file, then a hard link to the
// final name, which fails if it exists), so no partial or clobbered file
// is left behind.
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("mitm: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("mitm: write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("mitm: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("mitm: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("mitm: write %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("mitm: write %s: %w", path, err)
	}
	return nil
}

func randomSerial() (*big.Int, error) {
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("mitm: serial: %w", err)
	}
	return s.Add(s, big.NewInt(1)), nil
}

// Load reads a CA directory made by Init. It refuses a key file that group
// or others may read, a certificate that is not a CA, and a key that does
// not belong to the certificate.
func Load(dir string) (*CA, error) {
	keyPath := filepath.Join(dir, KeyFile)
	st, err := os.Stat(keyPath)
	if err != nil {
		return nil, fmt.Errorf("mitm: load CA: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("mitm: load CA: %s has mode %04o; want 0600 (chmod 600 it)", keyPath, st.Mode().Perm())
	}
	keyPEM, err := readSmall(keyPath)
	if err != nil {
		return nil, err
	}
	certPEM, err := readSmall(filepath.Join(dir, CertFile))
	if err != nil {
		return nil, err
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("mitm: load CA: %s holds no PEM certificate", filepath.Join(dir, CertFile))
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("mitm: load CA: %w", err)
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, errors.New("mitm: load CA: the certificate is not a CA")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || !strings.HasSuffix(kb.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("mitm: load CA: %s holds no PEM private key", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, errors.New("mitm: load CA: the private key does not parse as PKCS #8")
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("mitm: load CA: the private key does not match the certificate")
	}
	return &CA{Cert: cert, key: key, der: cb.Bytes}, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mitm: load CA: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		return nil, fmt.Errorf("mitm: load CA: read %s: %w", path, err)
	}
	if len(b) > 64<<10 {
		return nil, fmt.Errorf("mitm: load CA: %s is over 64 KiB", path)
	}
	return b, nil
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
