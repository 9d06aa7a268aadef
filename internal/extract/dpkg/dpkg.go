// Package dpkg extracts installed Debian packages from dpkg's database:
// var/lib/dpkg/status on a normal system and the one-file-per-package
// var/lib/dpkg/status.d/ that distroless images carry.
//
// The database is a sequence of RFC 822-style stanzas. Only packages whose
// files are on disk are reported: Status state "installed" or, for a package
// configured but waiting on triggers, "triggers-awaited"/"triggers-pending",
// whatever the selection (install, hold, deinstall, purge) and flag. States
// not-installed, config-files, half-installed, unpacked and half-configured
// are skipped: such a package's files are absent or half there, and dpkg
// itself does not treat it as satisfying dependencies. A stanza with no
// Status field (distroless status.d files sometimes lack it) counts as
// installed.
//
// As a Finisher the extractor fills each package's Files from
// var/lib/dpkg/info/<name>[:<arch>].list (status.d/<name>.md5sums for
// distroless) and its Licenses from machine-readable (DEP-5)
// /usr/share/doc/<name>/copyright files. PURLs are left empty: the scan
// builds pkg:deb/<distro>/... once the OS is known.
package dpkg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Name is the extractor's stable name.
const Name = "os/dpkg"

const (
	statusPath = "var/lib/dpkg/status"
	statusDir  = "var/lib/dpkg/status.d"
	infoDir    = "var/lib/dpkg/info"
	docDir     = "usr/share/doc"

	maxLine      = 1 << 20 // longest line accepted
	maxStanzas   = 200_000 // packages in one database
	maxErrors    = 20      // located errors kept per file
	maxFileLines = 1 << 20 // lines read from one .list or .md5sums file
)

// Extractor reads dpkg status databases. The zero value is ready to use.
type Extractor struct{}

var (
	_ extract.Extractor = (*Extractor)(nil)
	_ extract.Finisher  = (*Extractor)(nil)
)

// New returns a dpkg extractor.
func New() *Extractor { return &Extractor{} }

// Name implements extract.Extractor.
func (*Extractor) Name() string { return Name }

// Version implements extract.Extractor.
func (*Extractor) Version() int { return 1 }

// Match claims var/lib/dpkg/status and the files of var/lib/dpkg/status.d
// other than *.md5sums.
func (*Extractor) Match(p string, _ fs.FileInfo) bool {
	if p == statusPath {
		return true
	}
	dir, base := path.Split(p)
	return dir == statusDir+"/" && base != "" && !strings.HasSuffix(base, ".md5sums") && !strings.HasPrefix(base, ".")
}

// Extract implements extract.Extractor.
func (*Extractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	return Parse(ctx, in.Path, in.Reader)
}

// stanza is one paragraph of the database, with the fields we use.
type stanza struct {
	line                               int
	pkg, status, version, arch, source string
	hasPackage, hasStatus, hasVersion  bool
}

// Parse reads a status database from r. name is used in errors only. It
// returns the installed packages found, and an error describing the
// stanzas it could not use, if any.
func Parse(ctx context.Context, name string, r io.Reader) ([]inventory.Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var (
		pkgs    []inventory.Package
		errs    []error
		cur     stanza
		field   string // field the current (possibly continued) line belongs to
		lineNo  int
		nStanza int
	)
	addErr := func(err error) {
		if len(errs) < maxErrors {
			errs = append(errs, err)
		}
	}
	flush := func() {
		if cur.line == 0 {
			return
		}
		nStanza++
		p, err := cur.toPackage()
		if err != nil {
			addErr(fmt.Errorf("dpkg: parse %s line %d: %w", name, cur.line, err))
		} else if p != nil {
			pkgs = append(pkgs, *p)
		}
		cur = stanza{}
		field = ""
	}
	for sc.Scan() {
		lineNo++
		if lineNo&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return pkgs, err
			}
		}
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			if nStanza >= maxStanzas {
				addErr(fmt.Errorf("dpkg: parse %s: more than %d stanzas, stopped at line %d", name, maxStanzas, lineNo))
				return pkgs, errors.Join(errs...)
			}
			continue
		}
		if cur.line == 0 {
			cur.line = lineNo
		}
		if line[0] == ' ' || line[0] == '\t' {
			if field == "" {
				addErr(fmt.Errorf("dpkg: parse %s line %d: continuation line outside a field", name, lineNo))
			}
			// Continuations matter only for multi-line fields we ignore.
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			addErr(fmt.Errorf("dpkg: parse %s line %d: no colon in field line", name, lineNo))
			field = ""
			continue
		}
		field = k
		cur.set(k, strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		addErr(fmt.Errorf("dpkg: read %s after line %d: %w", name, lineNo, err))
	} else {
		flush()
	}
	return pkgs, errors.Join(errs...)
}

func (s *stanza) set(k, v string) {
	// Field names are case-insensitive (deb-control(5)).
	switch {
	case strings.EqualFold(k, "Package"):
		s.pkg, s.hasPackage = v, true
	case strings.EqualFold(k, "Status"):
		s.status, s.hasStatus = v, true
	case strings.EqualFold(k, "Version"):
		s.version, s.hasVersion = v, true
	case strings.EqualFold(k, "Architecture"):
		s.arch = v
	case strings.EqualFold(k, "Source"):
		s.source = v
	}
}

// installed reports whether a Status value ("want flag state") describes a
// package whose files are on disk.
func installed(status string) (bool, error) {
	f := strings.Fields(status)
	if len(f) != 3 {
		return false, fmt.Errorf("status %q: want three words", status)
	}
	switch f[2] {
	case "installed", "triggers-awaited", "triggers-pending":
		return true, nil
	case "not-installed", "config-files", "half-installed", "unpacked", "half-configured":
		return false, nil
	}
	return false, fmt.Errorf("status %q: unknown state %q", status, f[2])
}

// toPackage returns the package the stanza describes, nil for one that is
// not installed.
func (s *stanza) toPackage() (*inventory.Package, error) {
	if !s.hasPackage || s.pkg == "" {
		return nil, errors.New("stanza has no Package field")
	}
	if s.hasStatus {
		ok, err := installed(s.status)
		if err != nil {
			return nil, fmt.Errorf("package %s: %w", s.pkg, err)
		}
		if !ok {
			return nil, nil
		}
	}
	if !s.hasVersion || s.version == "" {
		return nil, fmt.Errorf("package %s: no Version field", s.pkg)
	}
	src := &inventory.SourcePackage{Name: s.pkg, Version: s.version}
	if s.source != "" {
		n, v, hasV := strings.Cut(s.source, "(")
		src.Name = strings.TrimSpace(n)
		if hasV {
			v, closed := strings.CutSuffix(strings.TrimSpace(v), ")")
			if !closed || strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("package %s: malformed Source %q", s.pkg, s.source)
			}
			src.Version = strings.TrimSpace(v)
		}
		if src.Name == "" {
			return nil, fmt.Errorf("package %s: malformed Source %q", s.pkg, s.source)
		}
	}
	return &inventory.Package{
		Name:      s.pkg,
		Version:   s.version,
		Ecosystem: inventory.Deb,
		Arch:      s.arch,
		Source:    src,
		Locations: []inventory.Location{{Line: s.line}},
	}, nil
}
