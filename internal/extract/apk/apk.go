// Package apk extracts installed packages from apk-tools' database,
// lib/apk/db/installed, as found on Alpine, Wolfi and Chainguard images.
//
// The database is a list of blank-line-separated blocks of "X:value" lines
// (https://wiki.alpinelinux.org/wiki/Apk_spec). Read here: P name, V
// version, A arch, L licence (kept as written, one string), o origin (the
// source package, whose version is the package's), F directory and R file
// in the last F directory. Files lists the R entries only, as paths
// relative to the root; directories a package merely creates are left out.
// PURLs are left empty: the scan builds pkg:apk/<distro>/... once the OS
// is known.
package apk

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
const Name = "os/apk"

const (
	dbPath      = "lib/apk/db/installed"
	maxLine     = 1 << 20
	maxPackages = 200_000
	maxFiles    = 1 << 20 // files per package
	maxErrors   = 20
)

// Extractor reads apk databases. The zero value is ready to use.
type Extractor struct{}

var _ extract.Extractor = (*Extractor)(nil)

// New returns an apk extractor.
func New() *Extractor { return &Extractor{} }

// Name implements extract.Extractor.
func (*Extractor) Name() string { return Name }

// Version implements extract.Extractor.
func (*Extractor) Version() int { return 1 }

// Match claims lib/apk/db/installed.
func (*Extractor) Match(p string, _ fs.FileInfo) bool { return p == dbPath }

// Extract implements extract.Extractor.
func (*Extractor) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	return Parse(ctx, in.Path, in.Reader)
}

type block struct {
	line                    int
	name, version, arch     string
	license, origin, curDir string
	files                   []string
}

// Parse reads an installed database from r; name is used in errors. It
// returns the packages found and an error naming the blocks it could not
// use, if any.
func Parse(ctx context.Context, name string, r io.Reader) ([]inventory.Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var (
		pkgs   []inventory.Package
		errs   []error
		cur    block
		lineNo int
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
		switch {
		case cur.name == "":
			addErr(fmt.Errorf("apk: parse %s line %d: block has no P: (name)", name, cur.line))
		case cur.version == "":
			addErr(fmt.Errorf("apk: parse %s line %d: package %s has no V: (version)", name, cur.line, cur.name))
		default:
			p := inventory.Package{
				Name:      cur.name,
				Version:   cur.version,
				Ecosystem: inventory.APK,
				Arch:      cur.arch,
				Locations: []inventory.Location{{Line: cur.line}},
				Files:     cur.files,
			}
			if cur.license != "" {
				p.Licenses = []string{cur.license}
			}
			src := cur.origin
			if src == "" {
				src = cur.name
			}
			p.Source = &inventory.SourcePackage{Name: src, Version: cur.version}
			pkgs = append(pkgs, p)
		}
		cur = block{}
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
			if len(pkgs) >= maxPackages {
				addErr(fmt.Errorf("apk: parse %s: more than %d packages, stopped at line %d", name, maxPackages, lineNo))
				return pkgs, errors.Join(errs...)
			}
			continue
		}
		if cur.line == 0 {
			cur.line = lineNo
		}
		if len(line) < 2 || line[1] != ':' {
			addErr(fmt.Errorf("apk: parse %s line %d: not a \"X:value\" line", name, lineNo))
			continue
		}
		v := line[2:]
		switch line[0] {
		case 'P':
			cur.name = v
		case 'V':
			cur.version = v
		case 'A':
			cur.arch = v
		case 'L':
			cur.license = v
		case 'o':
			cur.origin = v
		case 'F':
			cur.curDir = v
		case 'R':
			if len(cur.files) >= maxFiles {
				continue
			}
			f := strings.TrimPrefix(path.Clean("/"+path.Join(cur.curDir, v)), "/")
			if f != "" {
				cur.files = append(cur.files, f)
			}
		}
	}
	if err := sc.Err(); err != nil {
		addErr(fmt.Errorf("apk: read %s after line %d: %w", name, lineNo, err))
	} else {
		flush()
	}
	return pkgs, errors.Join(errs...)
}
