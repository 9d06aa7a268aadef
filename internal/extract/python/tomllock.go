package python

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// tomlPackage is the [[package]] entry common to poetry.lock, uv.lock and
// pdm.lock; each tool uses a subset of the fields.
type tomlPackage struct {
	Name     string         `toml:"name"`
	Version  string         `toml:"version"`
	Category string         `toml:"category"` // poetry < 1.5: "main" or "dev"
	Groups   []string       `toml:"groups"`   // poetry >= 2 and pdm: dependency groups
	Editable bool           `toml:"editable"` // pdm
	Source   map[string]any `toml:"source"`   // poetry: {type = "git"...}
}

// uvPackage is uv.lock's [[package]] with its dependency graph, used to
// tell dev-only packages.
type uvPackage struct {
	Name            string             `toml:"name"`
	Version         string             `toml:"version"`
	Source          map[string]any     `toml:"source"` // {registry = ...}, {virtual = "."}, ...
	Dependencies    []uvDep            `toml:"dependencies"`
	DevDependencies map[string][]uvDep `toml:"dev-dependencies"`
	Optional        map[string][]uvDep `toml:"optional-dependencies"`
}

type uvDep struct {
	Name    string `toml:"name"`
	Version string `toml:"version"`
}

type tomlLock[T any] struct {
	Package []T `toml:"package"`
}

// decodeTOMLLock decodes the [[package]] array and finds the line of each
// entry. Lines come from a scan for "[[package]]" headers; when their
// count differs from the decoded entries (a header inside a multi-line
// string, say) no lines are given rather than wrong ones.
func decodeTOMLLock[T any](kind string, in *extract.Input) ([]T, []int, error) {
	data, err := extract.ReadAll(in, maxLockSize)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: read %s: %w", kind, in.Path, err)
	}
	var lock tomlLock[T]
	if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&lock); err != nil {
		return nil, nil, fmt.Errorf("%s: parse %s: %w", kind, in.Path, err)
	}
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		if l := strings.TrimSpace(sc.Text()); l == "[[package]]" || strings.HasPrefix(l, "[[package]] ") || strings.HasPrefix(l, "[[package]]#") {
			lines = append(lines, n)
		}
	}
	if len(lines) != len(lock.Package) {
		lines = make([]int, len(lock.Package))
	}
	return lock.Package, lines, nil
}

func sourceString(src map[string]any, key string) string {
	s, _ := src[key].(string)
	return s
}

// PoetryLock reads poetry.lock. Dev is set from category = "dev" (lock
// format 1.x) or from groups that do not include "main" (Poetry 2). Local
// directory dependencies (source type "directory") are the project's own
// code and are skipped; git, url and file sources are reported.
type PoetryLock struct{}

var _ extract.Extractor = (*PoetryLock)(nil)

// NewPoetryLock returns the poetry.lock extractor.
func NewPoetryLock() *PoetryLock { return &PoetryLock{} }

// Name implements extract.Extractor.
func (*PoetryLock) Name() string { return "python/poetrylock" }

// Version implements extract.Extractor.
func (*PoetryLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*PoetryLock) Match(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "poetry.lock" && !extract.InsideInstalledPackage(p)
}

// Extract implements extract.Extractor.
func (*PoetryLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	pkgs, lines, err := decodeTOMLLock[tomlPackage]("poetrylock", in)
	if err != nil {
		return nil, err
	}
	var out []inventory.Package
	var errs []string
	for i, tp := range pkgs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if sourceString(tp.Source, "type") == "directory" {
			continue
		}
		p, ok := newPackage(tp.Name, tp.Version, lines[i])
		if !ok {
			errs = append(errs, fmt.Sprintf("package %d: invalid name %q or version %q", i+1, trunc(tp.Name), trunc(tp.Version)))
			continue
		}
		p.Dev = tp.Category == "dev" || (len(tp.Groups) > 0 && !slices.Contains(tp.Groups, "main"))
		out = append(out, p)
	}
	return out, extract.JoinErrors("poetrylock", in.Path, errs)
}

// PdmLock reads pdm.lock. An entry repeated once per extra is reported
// once. Dev is set when the entry lists groups and none is "default"
// (lock format 4.4 and later record groups per package). Editable entries
// are the project's own code and are skipped.
type PdmLock struct{}

var _ extract.Extractor = (*PdmLock)(nil)

// NewPdmLock returns the pdm.lock extractor.
func NewPdmLock() *PdmLock { return &PdmLock{} }

// Name implements extract.Extractor.
func (*PdmLock) Name() string { return "python/pdmlock" }

// Version implements extract.Extractor.
func (*PdmLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*PdmLock) Match(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "pdm.lock" && !extract.InsideInstalledPackage(p)
}

// Extract implements extract.Extractor.
func (*PdmLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	pkgs, lines, err := decodeTOMLLock[tomlPackage]("pdmlock", in)
	if err != nil {
		return nil, err
	}
	var out []inventory.Package
	var errs []string
	seen := map[string]int{}
	for i, tp := range pkgs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if tp.Editable {
			continue
		}
		p, ok := newPackage(tp.Name, tp.Version, lines[i])
		if !ok {
			errs = append(errs, fmt.Sprintf("package %d: invalid name %q or version %q", i+1, trunc(tp.Name), trunc(tp.Version)))
			continue
		}
		p.Dev = len(tp.Groups) > 0 && !slices.Contains(tp.Groups, "default")
		if j, dup := seen[p.PURL]; dup {
			out[j].Dev = out[j].Dev && p.Dev
			continue
		}
		seen[p.PURL] = len(out)
		out = append(out, p)
	}
	return out, extract.JoinErrors("pdmlock", in.Path, errs)
}

// UvLock reads uv.lock. The project itself and workspace members (source
// virtual, editable or directory) are skipped. uv records no per-package
// dev flag; a package is marked Dev when it is reachable from the
// dev-dependencies of a skipped project package but not from its
// dependencies or optional-dependencies.
type UvLock struct{}

var _ extract.Extractor = (*UvLock)(nil)

// NewUvLock returns the uv.lock extractor.
func NewUvLock() *UvLock { return &UvLock{} }

// Name implements extract.Extractor.
func (*UvLock) Name() string { return "python/uvlock" }

// Version implements extract.Extractor.
func (*UvLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*UvLock) Match(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "uv.lock" && !extract.InsideInstalledPackage(p)
}

func uvLocal(tp *uvPackage) bool {
	for _, k := range []string{"virtual", "editable", "directory"} {
		if _, ok := tp.Source[k]; ok {
			return true
		}
	}
	return false
}

// Extract implements extract.Extractor.
func (*UvLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	pkgs, lines, err := decodeTOMLLock[uvPackage]("uvlock", in)
	if err != nil {
		return nil, err
	}
	prod, dev := uvReach(pkgs)
	var out []inventory.Package
	var errs []string
	for i := range pkgs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		tp := &pkgs[i]
		if uvLocal(tp) {
			continue
		}
		p, ok := newPackage(tp.Name, tp.Version, lines[i])
		if !ok {
			errs = append(errs, fmt.Sprintf("package %d: invalid name %q or version %q", i+1, trunc(tp.Name), trunc(tp.Version)))
			continue
		}
		p.Dev = dev[i] && !prod[i]
		out = append(out, p)
	}
	return out, extract.JoinErrors("uvlock", in.Path, errs)
}

// uvReach walks the dependency graph from the local packages and returns,
// by package index, what the runtime and the dev groups reach.
func uvReach(pkgs []uvPackage) (prod, dev []bool) {
	byName := map[string][]int{}
	for i, tp := range pkgs {
		n := NormalizeName(tp.Name)
		byName[n] = append(byName[n], i)
	}
	resolve := func(d uvDep) []int {
		idx := byName[NormalizeName(d.Name)]
		if d.Version == "" || len(idx) < 2 {
			return idx
		}
		for _, i := range idx {
			if pkgs[i].Version == d.Version {
				return []int{i}
			}
		}
		return idx
	}
	walk := func(roots []uvDep) []bool {
		seen := make([]bool, len(pkgs))
		var stack []int
		for _, r := range roots {
			stack = append(stack, resolve(r)...)
		}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[i] {
				continue
			}
			seen[i] = true
			for _, d := range pkgs[i].Dependencies {
				stack = append(stack, resolve(d)...)
			}
			for _, ds := range pkgs[i].Optional {
				for _, d := range ds {
					stack = append(stack, resolve(d)...)
				}
			}
		}
		return seen
	}
	var prodRoots, devRoots []uvDep
	for i := range pkgs {
		tp := &pkgs[i]
		if !uvLocal(tp) {
			continue
		}
		prodRoots = append(prodRoots, tp.Dependencies...)
		for _, ds := range tp.Optional {
			prodRoots = append(prodRoots, ds...)
		}
		for _, ds := range tp.DevDependencies {
			devRoots = append(devRoots, ds...)
		}
	}
	return walk(prodRoots), walk(devRoots)
}
