package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// PackageJSON reports installed JavaScript packages from their package.json:
//
//   - .../node_modules/<name>/package.json
//   - .../node_modules/@scope/<name>/package.json
//   - Debian's node modules: usr/share/nodejs/<name>/package.json,
//     usr/lib/nodejs/..., usr/lib/<triplet>/nodejs/... (scoped the same
//     way). They are reported in the npm ecosystem; the scan step records
//     which deb owns them.
//
// A project's own package.json and package.json files nested inside a
// package (node_modules/x/lib/package.json, often only {"type": "module"})
// are not matched. A matched file without a name or a version is not a
// package and yields nothing; neither does a private workspace root.
type PackageJSON struct{}

var _ extract.Extractor = (*PackageJSON)(nil)

// NewPackageJSON returns the installed-package extractor.
func NewPackageJSON() *PackageJSON { return &PackageJSON{} }

// Name implements extract.Extractor.
func (*PackageJSON) Name() string { return "javascript/packagejson" }

// Version implements extract.Extractor.
func (*PackageJSON) Version() int { return 1 }

// Match implements extract.Extractor.
func (*PackageJSON) Match(p string, _ fs.FileInfo) bool {
	dir, base := path.Split(p)
	if base != "package.json" {
		return false
	}
	segs := strings.Split(strings.TrimSuffix(dir, "/"), "/")
	n := len(segs)
	if n < 2 {
		return false
	}
	last := segs[n-1]
	if last == "" || strings.HasPrefix(last, ".") {
		return false
	}
	// Unscoped: <root>/<name>/package.json; scoped: <root>/@scope/<name>/package.json.
	if isModuleRoot(segs[:n-1]) && !strings.HasPrefix(last, "@") {
		return true
	}
	return n >= 3 && len(segs[n-2]) > 1 && strings.HasPrefix(segs[n-2], "@") && isModuleRoot(segs[:n-2])
}

// isModuleRoot reports whether dir (as segments) is a directory whose
// children are installed packages.
func isModuleRoot(segs []string) bool {
	n := len(segs)
	switch {
	case n == 0:
		return false
	case segs[n-1] == "node_modules":
		return true
	case segs[n-1] != "nodejs":
		return false
	}
	// Debian: usr/share/nodejs, usr/lib/nodejs, usr/lib/<triplet>/nodejs.
	rest := segs[:n-1]
	switch {
	case len(rest) >= 2 && rest[len(rest)-2] == "usr" && (rest[len(rest)-1] == "share" || rest[len(rest)-1] == "lib"):
		return true
	case len(rest) >= 3 && rest[len(rest)-3] == "usr" && rest[len(rest)-2] == "lib" && strings.Contains(rest[len(rest)-1], "-linux-"):
		return true
	}
	return false
}

type packageJSON struct {
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Private    bool            `json:"private"`
	Workspaces json.RawMessage `json:"workspaces"`
	License    json.RawMessage `json:"license"`
	Licenses   json.RawMessage `json:"licenses"`
}

// Extract implements extract.Extractor.
func (*PackageJSON) Extract(_ context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxPackageJSONSize)
	if err != nil {
		return nil, fmt.Errorf("packagejson: read %s: %w", in.Path, err)
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, fmt.Errorf("packagejson: parse %s: %w", in.Path, err)
	}
	if pj.Name == "" || pj.Version == "" {
		return nil, nil
	}
	if pj.Private && len(pj.Workspaces) > 0 && string(pj.Workspaces) != "null" {
		return nil, nil
	}
	p, ok := newPackage(pj.Name, pj.Version, 0)
	if !ok {
		return nil, fmt.Errorf("packagejson: %s: invalid name %q or version %q", in.Path, trunc(pj.Name), trunc(pj.Version))
	}
	p.Licenses = licenses(pj.License, pj.Licenses)
	return []inventory.Package{p}, nil
}

// trunc shortens hostile strings quoted in errors.
func trunc(s string) string {
	const n = 80
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
