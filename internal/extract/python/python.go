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
	"strings"

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
