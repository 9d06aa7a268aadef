// Package python extracts Python packages (ecosystem pypi): installed
// distributions (*.dist-info/METADATA, *.egg-info/PKG-INFO and old
// single-file *.egg-info under site-packages or dist-packages, Debian's
// included), pinned requirements files, and the lockfiles of Poetry,
// Pipenv, uv and PDM.
//
// Package.Name keeps the name as the file spells it; the package URL uses
// the PEP 503 normalised name (lowercase, runs of "-", "_", "." as "-").
// Every extractor reads one file and returns what it could parse plus, for
// a partly bad file, an error naming the place.
package python

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// Size limits: metadata and requirements files are small; lockfiles of
// large projects reach a few megabytes.
const (
	maxMetadataSize = 16 << 20
	maxReqSize      = 16 << 20
	maxLockSize     = 128 << 20
	maxNameLen      = 256
	maxVersionLen   = 128
	maxLicenseLen   = 128
	maxNesting      = 64
)

var errTooLarge = errors.New("file too large")

func readAll(in *extract.Input, limit int64) ([]byte, error) {
	if in.Size > limit {
		return nil, fmt.Errorf("%d bytes: %w (limit %d)", in.Size, errTooLarge, limit)
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w (limit %d)", errTooLarge, limit)
	}
	return data, nil
}

// NormalizeName returns the PEP 503 form of a distribution name.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			sep = true
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteByte(c)
	}
	return b.String()
}

// validName checks a distribution name against PEP 508:
// ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$ case-insensitively.
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	alnum := func(c byte) bool {
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !alnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return alnum(name[0]) && alnum(name[len(name)-1])
}

// validVersion rejects empty versions and text that cannot be a version
// (blanks, control characters, specifier punctuation).
func validVersion(v string) bool {
	if v == "" || len(v) > maxVersionLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`,;<>=~"'\()[]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// newPackage builds a pypi package, or returns false for an invalid name
// or version.
func newPackage(name, version string, line int) (inventory.Package, bool) {
	name, version = strings.TrimSpace(name), strings.TrimSpace(version)
	if !validName(name) || !validVersion(version) {
		return inventory.Package{}, false
	}
	p := inventory.Package{
		Name:      name,
		Version:   version,
		Ecosystem: inventory.PyPI,
		PURL:      inventory.PURL(inventory.PyPI, "", NormalizeName(name), version, nil),
	}
	if line > 0 {
		p.Locations = []inventory.Location{{Line: line}}
	}
	return p, true
}

func trunc(s string) string {
	const n = 80
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// joinErrs folds per-entry problems into one error naming the first few.
func joinErrs(kind, file string, errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	const show = 3
	more := ""
	if len(errs) > show {
		more = fmt.Sprintf(" (and %d more)", len(errs)-show)
		errs = errs[:show]
	}
	return fmt.Errorf("%s: parse %s: %s%s", kind, file, strings.Join(errs, "; "), more)
}
