// Package inventory holds what a scan finds in an artifact: packages, the
// ecosystem each belongs to, its package URL and the places it was found,
// including the image layer that introduced it.
//
// It imports only the standard library so that every other package, from
// extractors to the server, can share these types without pulling in a
// scanner.
package inventory

import (
	"cmp"
	"slices"
	"strings"
)

// Ecosystem names a packaging system. The values are package-URL types, so
// an Ecosystem is also the type of the package's PURL.
type Ecosystem string

// The ecosystems pave knows.
const (
	Deb      Ecosystem = "deb"      // Debian and derivatives (dpkg)
	APK      Ecosystem = "apk"      // Alpine and Wolfi
	RPM      Ecosystem = "rpm"      // Red Hat family, SUSE
	Golang   Ecosystem = "golang"   // Go modules (go.mod, binaries)
	NPM      Ecosystem = "npm"      // JavaScript
	PyPI     Ecosystem = "pypi"     // Python
	Maven    Ecosystem = "maven"    // Java
	Cargo    Ecosystem = "cargo"    // Rust
	Gem      Ecosystem = "gem"      // Ruby
	Composer Ecosystem = "composer" // PHP
	NuGet    Ecosystem = "nuget"    // .NET
	Generic  Ecosystem = "generic"  // anything else
)

// IsOS reports whether e is an operating-system package manager.
func (e Ecosystem) IsOS() bool { return e == Deb || e == APK || e == RPM }

// Layer identifies one image layer. Directories have no layers.
type Layer struct {
	Index     int    `json:"index"`               // 0 is the base layer
	Digest    string `json:"digest,omitempty"`    // compressed blob digest as in the manifest
	DiffID    string `json:"diffID,omitempty"`    // digest of the uncompressed tar
	CreatedBy string `json:"createdBy,omitempty"` // the history entry that made it
}

// Location is one place a package was found.
type Location struct {
	// Path is slash-separated and relative to the artifact root, with no
	// leading slash (an fs.FS path), e.g. "var/lib/dpkg/status".
	Path string `json:"path"`
	// Inner is the path inside an archive at Path, for packages found in
	// nested archives ("BOOT-INF/lib/spring-core-6.1.2.jar"); "!" separates
	// levels of nesting.
	Inner string `json:"inner,omitempty"`
	// Line is the 1-based line in Path where the package is declared, when
	// the format has lines and the extractor knows it.
	Line int `json:"line,omitempty"`
	// Layer is the image layer that wrote Path; nil outside images.
	Layer *Layer `json:"layer,omitempty"`
}

// SourcePackage is the package an OS binary package was built from
// (dpkg "Source:", rpm SOURCERPM, apk origin). Vulnerability data for
// distributions is usually keyed by it.
type SourcePackage struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Package is one software package found in an artifact.
type Package struct {
	// Name as the ecosystem spells it. Maven uses "group:artifact"; npm
	// keeps the scope ("@types/node"); Go uses the module path.
	Name      string    `json:"name"`
	Version   string    `json:"version"`
	Ecosystem Ecosystem `json:"ecosystem"`
	PURL      string    `json:"purl"`
	Licenses  []string  `json:"licenses,omitempty"`
	// Locations are sorted; the first is where the package was first seen.
	Locations []Location `json:"locations"`
	// Source is the source package, for OS packages.
	Source *SourcePackage `json:"source,omitempty"`
	// Arch is the package architecture where the format records one.
	Arch string `json:"arch,omitempty"`
	// Modularity is an rpm module stream label ("nodejs:18:8090020231017:…"):
	// Red Hat's advisories for module packages are keyed by it.
	Modularity string `json:"modularity,omitempty"`
	// Dev marks a development-only dependency in a lockfile.
	Dev bool `json:"dev,omitempty"`
	// OwnedBy names the OS package that installed this language package,
	// as "deb:python3-six", when the files live in an OS package's file list.
	// Such a package is reported in its language ecosystem (so language
	// advisories match) and says which OS package to upgrade.
	OwnedBy string `json:"ownedBy,omitempty"`
	// Extractor is the Name of the extractor that found the package.
	Extractor string `json:"extractor"`
	// Files lists the files an OS package installed (slash paths relative to
	// the root). Used for ownership and runtime evidence; not serialized.
	Files []string `json:"-"`
}

// Key identifies a package for de-duplication: the same PURL found by the
// same kind of extractor at several places is one package with several
// locations.
func (p *Package) Key() string {
	if p.PURL != "" {
		return p.PURL
	}
	return string(p.Ecosystem) + "/" + p.Name + "@" + p.Version
}

// Compare orders packages by ecosystem, name, version, then PURL.
func Compare(a, b *Package) int {
	return cmp.Or(
		strings.Compare(string(a.Ecosystem), string(b.Ecosystem)),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Version, b.Version),
		strings.Compare(a.PURL, b.PURL),
	)
}

// CompareLocations orders locations by path, line, then layer index.
func CompareLocations(a, b Location) int {
	li, lj := -1, -1
	if a.Layer != nil {
		li = a.Layer.Index
	}
	if b.Layer != nil {
		lj = b.Layer.Index
	}
	return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Inner, b.Inner), cmp.Compare(a.Line, b.Line), cmp.Compare(li, lj))
}

// Merge folds packages with the same Key into one, joining their locations
// and licences, and returns them sorted. The inputs are not modified.
func Merge(pkgs []Package) []Package {
	byKey := make(map[string]int, len(pkgs))
	out := make([]Package, 0, len(pkgs))
	for _, p := range pkgs {
		k := p.Key()
		i, ok := byKey[k]
		if !ok {
			byKey[k] = len(out)
			p.Locations = slices.Clone(p.Locations)
			p.Licenses = slices.Clone(p.Licenses)
			out = append(out, p)
			continue
		}
		q := &out[i]
		q.Locations = append(q.Locations, p.Locations...)
		q.Licenses = append(q.Licenses, p.Licenses...)
		q.Files = append(q.Files, p.Files...)
		if q.Source == nil {
			q.Source = p.Source
		}
		if q.OwnedBy == "" {
			q.OwnedBy = p.OwnedBy
		}
		q.Dev = q.Dev && p.Dev
	}
	for i := range out {
		p := &out[i]
		slices.SortFunc(p.Locations, CompareLocations)
		p.Locations = slices.CompactFunc(p.Locations, func(a, b Location) bool { return CompareLocations(a, b) == 0 })
		slices.Sort(p.Licenses)
		p.Licenses = slices.Compact(p.Licenses)
	}
	slices.SortFunc(out, func(a, b Package) int { return Compare(&a, &b) })
	return out
}
