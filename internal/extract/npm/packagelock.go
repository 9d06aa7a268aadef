package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/jsonline"
	"github.com/pavesec/pave/internal/inventory"
)

// PackageLock reads npm's package-lock.json and npm-shrinkwrap.json,
// lockfileVersion 1 (nested "dependencies"), 2 and 3 ("packages" keyed by
// install path).
//
// Lockfiles inside node_modules are not read: the hidden lockfile
// node_modules/.package-lock.json and lockfiles shipped inside
// dependencies only repeat (or, for shipped ones, never drove) what the
// installed package.json files already report.
type PackageLock struct{}

var _ extract.Extractor = (*PackageLock)(nil)

// NewPackageLock returns the package-lock extractor.
func NewPackageLock() *PackageLock { return &PackageLock{} }

// Name implements extract.Extractor.
func (*PackageLock) Name() string { return "javascript/packagelock" }

// Version implements extract.Extractor.
func (*PackageLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*PackageLock) Match(p string, _ fs.FileInfo) bool {
	base := path.Base(p)
	if base != "package-lock.json" && base != "npm-shrinkwrap.json" {
		return false
	}
	return !extract.InsideInstalledPackage(p)
}

type lockFile struct {
	LockfileVersion int                    `json:"lockfileVersion"`
	Packages        map[string]lockPackage `json:"packages"`
	Dependencies    map[string]lockV1Entry `json:"dependencies"`
}

type lockPackage struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	Resolved string          `json:"resolved"`
	Link     bool            `json:"link"`
	Dev      bool            `json:"dev"`
	License  json.RawMessage `json:"license"`
}

type lockV1Entry struct {
	Version      string                 `json:"version"`
	Dev          bool                   `json:"dev"`
	Dependencies map[string]lockV1Entry `json:"dependencies"`
}

// Extract implements extract.Extractor.
func (e *PackageLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxLockfileSize)
	if err != nil {
		return nil, fmt.Errorf("packagelock: read %s: %w", in.Path, err)
	}
	var lock lockFile
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("packagelock: parse %s: %w", in.Path, err)
	}
	if lock.Packages != nil {
		return e.fromPackages(ctx, in.Path, data, &lock)
	}
	return e.fromDependencies(ctx, in.Path, data, &lock)
}

// fromPackages reads lockfileVersion 2 and 3. Keys are install paths:
// "" is the project itself, "node_modules/a/node_modules/@s/b" a package,
// and a key without node_modules is a workspace member (the project's own
// code), as is the target of a "link" entry.
func (*PackageLock) fromPackages(ctx context.Context, name string, data []byte, lock *lockFile) ([]inventory.Package, error) {
	lines := map[string]int{}
	lineErr := jsonline.KeyLines(data, maxNesting, func(p []string, line int) bool {
		switch len(p) {
		case 1:
			return p[0] == "packages"
		case 2:
			lines[p[1]] = line
		}
		return false
	})
	keys := make([]string, 0, len(lock.Packages))
	for k := range lock.Packages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []inventory.Package
	var bad []string
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		i := strings.LastIndex(k, "node_modules/")
		if k == "" || i < 0 {
			continue
		}
		ent := lock.Packages[k]
		if ent.Link {
			continue
		}
		n := ent.Name // set for aliases ("my-semver": npm:semver@7) and some git deps
		if n == "" {
			n = k[i+len("node_modules/"):]
		}
		p, ok := newPackage(n, ent.Version, lines[k])
		if !ok {
			if ent.Version == "" || strings.Contains(ent.Version, ":") {
				continue // a git/file reference left without a version: nothing to report
			}
			bad = append(bad, k)
			continue
		}
		p.Dev = ent.Dev
		p.Licenses = licenses(ent.License, nil)
		out = append(out, p)
	}
	return out, badEntries(name, bad, lineErr)
}

// fromDependencies reads lockfileVersion 1: nested "dependencies" maps
// where a key is the name as required (an alias for "npm:" versions).
func (*PackageLock) fromDependencies(ctx context.Context, name string, data []byte, lock *lockFile) ([]inventory.Package, error) {
	lines := map[string]int{}
	lineErr := jsonline.KeyLines(data, maxNesting, func(p []string, line int) bool {
		// dependencies/<name>/dependencies/<name>/...
		if len(p)%2 == 1 {
			return p[len(p)-1] == "dependencies"
		}
		lines[strings.Join(p, "\x00")] = line
		return true
	})
	var out []inventory.Package
	var bad []string
	var walk func(deps map[string]lockV1Entry, prefix []string, depth int) error
	walk = func(deps map[string]lockV1Entry, prefix []string, depth int) error {
		if depth > maxNesting {
			return fmt.Errorf("dependencies nested more than %d deep", maxNesting)
		}
		keys := make([]string, 0, len(deps))
		for k := range deps {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				return err
			}
			ent := deps[k]
			p := append(prefix[:len(prefix):len(prefix)], "dependencies", k)
			n, v := k, ent.Version
			if rest, ok := strings.CutPrefix(v, "npm:"); ok {
				if an, av, ok := splitNameAt(rest); ok {
					n, v = an, av
				}
			}
			switch pkg, ok := newPackage(n, v, lines[strings.Join(p, "\x00")]); {
			case ok:
				pkg.Dev = ent.Dev
				out = append(out, pkg)
			case v != "" && !strings.Contains(v, ":"):
				bad = append(bad, strings.Join(p, "/"))
				// file:, git+, http(s): versions are references, not versions.
			}
			if err := walk(ent.Dependencies, p, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(lock.Dependencies, nil, 0); err != nil {
		return out, fmt.Errorf("packagelock: %s: %w", name, err)
	}
	return out, badEntries(name, bad, lineErr)
}

func badEntries(file string, bad []string, lineErr error) error {
	if len(bad) > 0 {
		const show = 3
		more := ""
		if len(bad) > show {
			more = fmt.Sprintf(" and %d more", len(bad)-show)
			bad = bad[:show]
		}
		return fmt.Errorf("packagelock: %s: invalid name or version in %s%s", file, strings.Join(bad, ", "), more)
	}
	_ = lineErr // lines are best effort; the document already decoded
	return nil
}
