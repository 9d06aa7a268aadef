// Package rpm extracts installed packages from rpm's package database in
// its three formats, each read by code here with no database library:
// Berkeley DB hash ("var/lib/rpm/Packages", RHEL/CentOS 7 and 8, older
// SUSE), NDB ("Packages.db", SUSE) and SQLite ("rpmdb.sqlite", RHEL 9,
// Fedora 33+). The format is recognised by its magic, not its name.
//
// Each database record is an rpm header blob; this package reads name,
// epoch, version, release, arch, licence, source rpm and file list from
// it. gpg-pubkey pseudo-packages (imported signing keys) are skipped. The
// PURL is left empty: the scan adds the distro namespace and the epoch and
// arch qualifiers once the OS is known.
package rpm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Name is the extractor's stable name.
const Name = "os/rpm"

const maxPackages = 1 << 20
const maxErrors = 20

// Extractor reads rpm databases. The zero value is ready to use.
type Extractor struct{}

var _ extract.Extractor = (*Extractor)(nil)

// New returns an rpm extractor.
func New() *Extractor { return &Extractor{} }

// Name implements extract.Extractor.
func (*Extractor) Name() string { return Name }

// Version implements extract.Extractor.
func (*Extractor) Version() int { return 1 }

// Match claims the database files rpm uses, in its old (var/lib/rpm) and
// new (usr/lib/sysimage/rpm) locations.
func (*Extractor) Match(p string, _ fs.FileInfo) bool {
	switch p {
	case "var/lib/rpm/Packages", "var/lib/rpm/Packages.db", "var/lib/rpm/rpmdb.sqlite",
		"usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db", "usr/lib/sysimage/rpm/rpmdb.sqlite":
		return true
	}
	return false
}

// Format names a database format.
type Format string

// The database formats.
const (
	BDB    Format = "bdb"
	NDB    Format = "ndb"
	SQLite Format = "sqlite"
)

// ErrUnknownFormat: the file is none of the three database formats.
var ErrUnknownFormat = errors.New("not an rpm database")

// DetectFormat recognises a database by its first bytes.
func DetectFormat(r io.ReaderAt) (Format, error) {
	var b [16]byte
	if _, err := r.ReadAt(b[:], 0); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnknownFormat, err)
	}
	switch {
	case string(b[:]) == sqliteMagic:
		return SQLite, nil
	case binary.LittleEndian.Uint32(b[:]) == ndbMagic:
		return NDB, nil
	case binary.LittleEndian.Uint32(b[12:]) == bdbHashMagic, binary.BigEndian.Uint32(b[12:]) == bdbHashMagic:
		return BDB, nil
	}
	return "", ErrUnknownFormat
}

// Blobs calls fn with every header blob in the database r of size bytes.
func Blobs(ctx context.Context, r io.ReaderAt, size int64, fn func(id uint64, blob []byte) error) error {
	f, err := DetectFormat(r)
	if err != nil {
		return err
	}
	switch f {
	case SQLite:
		return sqliteBlobs(ctx, r, size, fn)
	case NDB:
		return ndbBlobs(ctx, r, size, fn)
	default:
		return bdbBlobs(ctx, r, size, fn)
	}
}

// Extract implements extract.Extractor.
func (*Extractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	var (
		pkgs []inventory.Package
		errs []error
	)
	err := Blobs(ctx, in.Reader, in.Size, func(id uint64, blob []byte) error {
		if len(pkgs) >= maxPackages {
			return fmt.Errorf("more than %d packages", maxPackages)
		}
		h, err := ParseHeader(blob)
		if err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("record %d: %w", id, err))
			}
			return nil
		}
		if p := toPackage(h); p != nil {
			pkgs = append(pkgs, *p)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return pkgs, fmt.Errorf("rpm: %s: %w", in.Path, errors.Join(errs...))
	}
	return pkgs, nil
}

func toPackage(h *Header) *inventory.Package {
	if h.Name == "gpg-pubkey" {
		return nil
	}
	p := &inventory.Package{
		Name:       h.Name,
		Version:    h.EVR(),
		Ecosystem:  inventory.RPM,
		Arch:       h.Arch,
		Files:      h.Files,
		Modularity: h.ModularityLabel,
	}
	if h.License != "" {
		p.Licenses = []string{h.License}
	}
	if name, ver, ok := SplitSourceRPM(h.SourceRPM); ok {
		if h.Epoch != nil {
			ver = strconv.Itoa(*h.Epoch) + ":" + ver
		}
		p.Source = &inventory.SourcePackage{Name: name, Version: ver}
	}
	return p
}

// SplitSourceRPM splits "openssl-3.0.7-24.el9.src.rpm" into its name
// ("openssl") and "version-release" ("3.0.7-24.el9").
func SplitSourceRPM(s string) (name, verRel string, ok bool) {
	s, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if s, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", false
		}
	}
	r := strings.LastIndexByte(s, '-')
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(s[:r], '-')
	if v <= 0 || v+1 == r || r+1 == len(s) {
		return "", "", false
	}
	return s[:v], s[v+1:], true
}
