// Package vulndb is pave's offline vulnerability database: one signed
// file holding OSV records from every feed, indexed by package, and
// per-CVE enrichment (CVSS vectors, CISA KEV, EPSS).
//
// File layout (all integers little-endian):
//
//	payload:   "PAVEVDB1"  blocks of the tables...  meta JSON  u64 metaOff  u64 metaLen  "PAVEMETA"
//	signature: bundle JSON  u64 bundleLen  "PAVESIG1"
//
// The payload holds two tables (see table.go): "advisories", keyed by
// ecosystem, package name, source and record id; and "cves", keyed by CVE
// id. The signature is a Sigstore bundle (message signature, ECDSA P-256
// over the SHA-256 of the payload). Open verifies it against the trusted
// keys before reading anything else, and refuses an unsigned or tampered
// file unless told to skip verification.
package vulndb

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/pavesec/pave/internal/extract/python"
	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/report"
)

// Schema is the version of the database format.
const Schema = "pave.vulndb/v1"

const (
	magicStart = "PAVEVDB1"
	magicMeta  = "PAVEMETA"
	magicSig   = "PAVESIG1"
	// MaxSize bounds the database file Open reads.
	MaxSize = 8 << 30
	// maxMeta bounds the metadata JSON.
	maxMeta = 64 << 20
)

// Meta describes a database.
type Meta struct {
	Schema  string       `json:"schema"`
	Built   time.Time    `json:"built"`
	Tool    string       `json:"tool"` // "pave <version>"
	Sources []SourceInfo `json:"sources"`
	Counts  Counts       `json:"counts"`
	Tables  metaTables   `json:"tables"`
}

type metaTables struct {
	Advisories tableMeta `json:"advisories"`
	CVEs       tableMeta `json:"cves"`
}

// Counts sums what a database holds.
type Counts struct {
	Advisories int `json:"advisories"` // OSV records with affected packages
	Withdrawn  int `json:"withdrawn"`  // withdrawn records left out
	Packages   int `json:"packages"`   // distinct (ecosystem, name) keys
	CVEs       int `json:"cves"`       // CVEs with enrichment
	Scores     int `json:"scores"`
	KEV        int `json:"kev"`
	EPSS       int `json:"epss"`
}

// SourceInfo is one imported feed.
type SourceInfo struct {
	Name     string `json:"name"`     // feed name, e.g. "osv", "debian-tracker"
	Location string `json:"location"` // path or URL as given
	// Digest is the SHA-256 of what was read: the file or download, or
	// for a directory, of the sorted list of its files' paths and digests.
	Digest string    `json:"digest"`
	Newest time.Time `json:"newest,omitzero"` // newest record (modified or published)
	Files  int       `json:"files"`
	Counts Counts    `json:"counts"`
	// Errors are files that could not be read, "path: error"; the first
	// 20 are kept, ErrorCount counts all.
	Errors     []string `json:"errors,omitempty"`
	ErrorCount int      `json:"errorCount,omitempty"`
}

// CVEInfo is the enrichment of one CVE.
type CVEInfo struct {
	ID     string       `json:"id"`
	Scores []feed.Score `json:"scores,omitempty"`
	KEV    *feed.KEV    `json:"kev,omitempty"`
	EPSS   *feed.EPSS   `json:"epss,omitempty"`
}

// Advisory is one record as stored, with the feed it came from.
type Advisory struct {
	Source string
	Record *osv.Record
}

// NormalizeName returns the name under which a package is indexed in an
// ecosystem (the OSV base ecosystem, "PyPI"): PyPI names per PEP 503;
// crates.io, NuGet and Packagist names case-insensitively, crates with
// '_' and '-' equal. Others are exact.
func NormalizeName(ecosystem, name string) string {
	switch osv.BaseEcosystem(ecosystem) {
	case "PyPI":
		return python.NormalizeName(name)
	case "crates.io":
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	case "NuGet", "Packagist":
		return strings.ToLower(name)
	}
	return name
}

// packageKey is the advisories table's key prefix for one package.
func packageKey(ecosystem, name string) string {
	return osv.BaseEcosystem(ecosystem) + "\x00" + NormalizeName(ecosystem, name) + "\x00"
}

// DB is an open database. It is safe for concurrent use.
type DB struct {
	meta    Meta
	digest  string
	signer  *PublicKey
	size    int64
	adv     *table
	cves    *table
	dec     *zstd.Decoder
	mu      sync.Mutex
	records map[string]*osv.Record // decoded, by full key
}

// OpenOptions configure Open.
type OpenOptions struct {
	// Keys are the trusted verification keys.
	Keys []PublicKey
	// SkipVerify opens an unsigned or untrusted database. Reports say so.
	SkipVerify bool
}

// ErrFormat is returned for a file that is not a pave database or is
// damaged.
var ErrFormat = errors.New("not a pave vulnerability database")

// Open reads the database at path, verifying its signature first.
func Open(path string, opts OpenOptions) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit: %w", path, st.Size(), int64(MaxSize), ErrFormat)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return openBytes(data, opts)
}

func openBytes(data []byte, opts OpenOptions) (*DB, error) {
	sum := sha256.Sum256(data)
	db := &DB{digest: "sha256:" + hex.EncodeToString(sum[:]), size: int64(len(data))}
	payload, bundle, err := split(data)
	if err != nil {
		return nil, err
	}
	switch {
	case bundle == nil && !opts.SkipVerify:
		return nil, fmt.Errorf("%w: the database is not signed (use --insecure-skip-db-verify to open it anyway)", ErrUntrusted)
	case bundle != nil:
		k, err := verify(bundle, payload, opts.Keys)
		if err != nil && !opts.SkipVerify {
			return nil, err
		}
		db.signer = k
	}
	if err := db.readPayload(payload); err != nil {
		return nil, err
	}
	return db, nil
}

// split separates the payload from the signature bundle (nil if unsigned).
func split(data []byte) (payload, bundle []byte, err error) {
	if len(data) < len(magicStart)+24 || string(data[:len(magicStart)]) != magicStart {
		return nil, nil, ErrFormat
	}
	tail := string(data[len(data)-8:])
	switch tail {
	case magicMeta:
		return data, nil, nil
	case magicSig:
		n := binary.LittleEndian.Uint64(data[len(data)-16:])
		if n == 0 || n > 1<<20 || n > uint64(len(data)-16-len(magicStart)) {
			return nil, nil, fmt.Errorf("%w: bad signature length", ErrFormat)
		}
		end := len(data) - 16
		start := end - int(n)
		payload = data[:start]
		if len(payload) < len(magicStart)+24 || string(payload[len(payload)-8:]) != magicMeta {
			return nil, nil, fmt.Errorf("%w: damaged payload", ErrFormat)
		}
		return payload, data[start:end], nil
	}
	return nil, nil, fmt.Errorf("%w: truncated or damaged (no trailer)", ErrFormat)
}

func (db *DB) readPayload(p []byte) error {
	n := len(p)
	off := binary.LittleEndian.Uint64(p[n-24:])
	ln := binary.LittleEndian.Uint64(p[n-16:])
	if ln == 0 || ln > maxMeta || off < uint64(len(magicStart)) || off > uint64(n-24) || ln > uint64(n-24)-off {
		return fmt.Errorf("%w: bad metadata bounds", ErrFormat)
	}
	dec := json.NewDecoder(bytes.NewReader(p[off : off+ln]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&db.meta); err != nil {
		return fmt.Errorf("%w: metadata: %v", ErrFormat, err)
	}
	if db.meta.Schema != Schema {
		return fmt.Errorf("%w: schema %q, this pave reads %q (pave db update)", ErrFormat, db.meta.Schema, Schema)
	}
	zd, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxBlockRaw*2))
	if err != nil {
		return err
	}
	db.dec = zd
	body := p[:off]
	if db.adv, err = newTable("advisories", body, db.meta.Tables.Advisories, zd); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if db.cves, err = newTable("cves", body, db.meta.Tables.CVEs, zd); err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	db.records = map[string]*osv.Record{}
	return nil
}

// Close releases the decoder.
func (db *DB) Close() error {
	if db.dec != nil {
		db.dec.Close()
	}
	return nil
}

// Meta returns the database's metadata.
func (db *DB) Meta() Meta { return db.meta }

// Digest is "sha256:…" of the whole file.
func (db *DB) Digest() string { return db.digest }

// Size is the file's size in bytes.
func (db *DB) Size() int64 { return db.size }

// Signer is the trusted key that verified the database, nil when
// verification was skipped or failed under SkipVerify.
func (db *DB) Signer() *PublicKey { return db.signer }

// Report describes the database for scan reports.
func (db *DB) Report() *report.Database {
	r := &report.Database{Schema: db.meta.Schema, Digest: db.digest, Built: db.meta.Built, Verified: db.signer != nil}
	if db.signer != nil {
		r.Signer = db.signer.ID
	}
	return r
}

// Age is how long ago the database was built.
func (db *DB) Age(now time.Time) time.Duration { return now.Sub(db.meta.Built) }

// Advisories returns the records that name the package in the ecosystem
// (an OSV ecosystem, base or with release: "PyPI", "Debian:12"). Records
// are returned for every release of the ecosystem; the matcher checks
// each Affected entry's ecosystem.
func (db *DB) Advisories(ecosystem, name string) ([]Advisory, error) {
	prefix := packageKey(ecosystem, name)
	var out []Advisory
	err := db.adv.prefix(prefix, func(key string, v []byte) error {
		rest := key[len(prefix):]
		source, _, ok := strings.Cut(rest, "\x00")
		if !ok {
			return fmt.Errorf("%w: bad advisory key", ErrFormat)
		}
		full := key
		if len(v) > 0 && v[0] == 0 { // a reference to the entry holding the record
			full = string(v[1:])
			v = nil
		}
		r, err := db.record(full, v)
		if err != nil {
			return err
		}
		out = append(out, Advisory{Source: source, Record: r})
		return nil
	})
	return out, err
}

func (db *DB) record(full string, v []byte) (*osv.Record, error) {
	db.mu.Lock()
	r, ok := db.records[full]
	db.mu.Unlock()
	if ok {
		return r, nil
	}
	if v == nil {
		var err error
		if v, err = db.adv.get(full); err != nil {
			return nil, err
		}
		if v == nil || (len(v) > 0 && v[0] == 0) {
			return nil, fmt.Errorf("%w: dangling advisory reference", ErrFormat)
		}
	}
	r = new(osv.Record)
	if err := json.Unmarshal(v, r); err != nil {
		return nil, fmt.Errorf("%w: advisory: %v", ErrFormat, err)
	}
	db.mu.Lock()
	db.records[full] = r
	db.mu.Unlock()
	return r, nil
}

// CVE returns the enrichment of a CVE, or nil.
func (db *DB) CVE(id string) (*CVEInfo, error) {
	v, err := db.cves.get(id)
	if err != nil || v == nil {
		return nil, err
	}
	var c CVEInfo
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("%w: cve %s: %v", ErrFormat, id, err)
	}
	return &c, nil
}

// Each calls fn for every advisory in the database, once per record.
func (db *DB) Each(fn func(Advisory) error) error {
	return db.adv.all(func(key string, v []byte) error {
		if len(v) > 0 && v[0] == 0 {
			return nil
		}
		parts := strings.SplitN(key, "\x00", 4)
		if len(parts) != 4 {
			return fmt.Errorf("%w: bad advisory key", ErrFormat)
		}
		var r osv.Record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%w: advisory: %v", ErrFormat, err)
		}
		return fn(Advisory{Source: parts[2], Record: &r})
	})
}
