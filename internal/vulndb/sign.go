package vulndb

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// The signature is a Sigstore bundle (v0.3, key-based: a message
// signature over the SHA-256 of the payload, the key named by its hint)
// so that the same bytes can be checked with Sigstore tooling:
// https://github.com/sigstore/protobuf-specs (bundle.proto).

// BundleMediaType is the Sigstore bundle version pave writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Bundle is the JSON form of a Sigstore bundle holding a message
// signature.
type Bundle struct {
	MediaType            string               `json:"mediaType"`
	VerificationMaterial verificationMaterial `json:"verificationMaterial"`
	MessageSignature     messageSignature     `json:"messageSignature"`
}

type verificationMaterial struct {
	PublicKey struct {
		Hint string `json:"hint"`
	} `json:"publicKey"`
}

type messageSignature struct {
	MessageDigest struct {
		Algorithm string `json:"algorithm"` // "SHA2_256"
		Digest    []byte `json:"digest"`    // base64 in JSON
	} `json:"messageDigest"`
	Signature []byte `json:"signature"` // ASN.1 ECDSA signature, base64 in JSON
}

// PublicKey is a trusted verification key.
type PublicKey struct {
	ID  string // hex SHA-256 of the DER SubjectPublicKeyInfo
	Key *ecdsa.PublicKey
	// Source is where the key came from, for messages.
	Source string
}

// PrivateKey is a signing key.
type PrivateKey struct {
	ID  string
	Key *ecdsa.PrivateKey
}

// KeyID returns the hex SHA-256 of the key's DER SubjectPublicKeyInfo.
func KeyID(pub *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// GenerateKey makes a new ECDSA P-256 key pair and returns both halves as
// PEM: the private key as PKCS #8, the public key as PKIX.
func GenerateKey() (privPEM, pubPEM []byte, id string, err error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, "", err
	}
	pder, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		return nil, nil, "", err
	}
	id, err = KeyID(&k.PublicKey)
	if err != nil {
		return nil, nil, "", err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), id, nil
}

// ParsePrivateKey reads a PEM ECDSA P-256 private key (PKCS #8 or SEC 1).
// Encrypted keys are not supported.
func ParsePrivateKey(data []byte) (*PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("not a PEM private key")
	}
	var k *ecdsa.PrivateKey
	switch b.Type {
	case "PRIVATE KEY":
		any, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %v", err)
		}
		ek, ok := any.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key is %T, want ECDSA P-256", any)
		}
		k = ek
	case "EC PRIVATE KEY":
		ek, err := x509.ParseECPrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("private key: %v", err)
		}
		k = ek
	case "ENCRYPTED PRIVATE KEY", "ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY":
		return nil, fmt.Errorf("encrypted private keys (%s) are not supported; decrypt it to PKCS #8 first", b.Type)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", b.Type)
	}
	if k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key is on %s, want P-256", k.Curve.Params().Name)
	}
	id, err := KeyID(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{ID: id, Key: k}, nil
}

// ParsePublicKey reads a PEM ECDSA P-256 public key (PKIX).
func ParsePublicKey(data []byte, source string) (*PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s: not a PEM public key", source)
	}
	any, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	k, ok := any.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s: public key is not ECDSA P-256", source)
	}
	id, err := KeyID(k)
	if err != nil {
		return nil, err
	}
	return &PublicKey{ID: id, Key: k, Source: source}, nil
}

// LoadPublicKeys reads public keys from files, and from every *.pub file
// in the given directories that exist.
func LoadPublicKeys(files []string, dirs []string) ([]PublicKey, error) {
	var out []PublicKey
	for _, d := range dirs {
		m, err := filepath.Glob(filepath.Join(d, "*.pub"))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("trusted key: %v", err)
		}
		k, err := ParsePublicKey(data, f)
		if err != nil {
			return nil, fmt.Errorf("trusted key %v", err)
		}
		out = append(out, *k)
	}
	return out, nil
}

// sign returns the bundle for payload.
func sign(key *PrivateKey, payload []byte) ([]byte, error) {
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key.Key, sum[:])
	if err != nil {
		return nil, err
	}
	var b Bundle
	b.MediaType = BundleMediaType
	b.VerificationMaterial.PublicKey.Hint = key.ID
	b.MessageSignature.MessageDigest.Algorithm = "SHA2_256"
	b.MessageSignature.MessageDigest.Digest = sum[:]
	b.MessageSignature.Signature = sig
	return json.Marshal(&b)
}

// ErrUntrusted is returned when a database's signature does not verify
// against any trusted key, or the database is not signed.
var ErrUntrusted = errors.New("untrusted database")

// verify checks the bundle against payload and the trusted keys, and
// returns the key that signed it.
func verify(bundle []byte, payload []byte, keys []PublicKey) (*PublicKey, error) {
	var b Bundle
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, fmt.Errorf("%w: signature bundle: %v", ErrUntrusted, err)
	}
	if b.MediaType != BundleMediaType {
		return nil, fmt.Errorf("%w: signature bundle media type %q, want %q", ErrUntrusted, b.MediaType, BundleMediaType)
	}
	md := b.MessageSignature.MessageDigest
	if md.Algorithm != "SHA2_256" {
		return nil, fmt.Errorf("%w: digest algorithm %q, want SHA2_256", ErrUntrusted, md.Algorithm)
	}
	sum := sha256.Sum256(payload)
	if len(md.Digest) != len(sum) || string(md.Digest) != string(sum[:]) {
		return nil, fmt.Errorf("%w: content does not match its signed digest (the file was modified after signing)", ErrUntrusted)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: signed by key %s, but no trusted keys are configured (--db-key, PAVE_DB_KEYS or %s)", ErrUntrusted, short(b.VerificationMaterial.PublicKey.Hint), "the keys directory")
	}
	// Try the hinted key first, then every key: a hint is not trusted.
	order := make([]PublicKey, 0, len(keys))
	for _, k := range keys {
		if k.ID == b.VerificationMaterial.PublicKey.Hint {
			order = append([]PublicKey{k}, order...)
		} else {
			order = append(order, k)
		}
	}
	for _, k := range order {
		if ecdsa.VerifyASN1(k.Key, sum[:], b.MessageSignature.Signature) {
			return &k, nil
		}
	}
	return nil, fmt.Errorf("%w: signature by key %s does not verify with any of the %d trusted keys", ErrUntrusted, short(b.VerificationMaterial.PublicKey.Hint), len(keys))
}

func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	if id == "" {
		return "(no hint)"
	}
	return id
}
