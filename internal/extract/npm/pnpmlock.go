package npm

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// PnpmLock reads pnpm-lock.yaml, lockfileVersion 5.x ("/name/1.0.0_peer"
// keys), 6.x ("/name@1.0.0(peer@2)") and 9.x ("name@1.0.0", with
// dependency graphs under "snapshots").
//
// 5.x and 6.x record "dev: true" on packages only the dev tree needs. 9.x
// dropped the flag: a package is marked Dev there when it is reachable
// from some importer's devDependencies but from no importer's
// dependencies or optionalDependencies.
type PnpmLock struct{}

var _ extract.Extractor = (*PnpmLock)(nil)

// NewPnpmLock returns the pnpm-lock.yaml extractor.
func NewPnpmLock() *PnpmLock { return &PnpmLock{} }

// Name implements extract.Extractor.
func (*PnpmLock) Name() string { return "javascript/pnpmlock" }

// Version implements extract.Extractor.
func (*PnpmLock) Version() int { return 1 }

// Match implements extract.Extractor.
func (*PnpmLock) Match(p string, _ fs.FileInfo) bool {
	return path.Base(p) == "pnpm-lock.yaml" && !extract.InsideInstalledPackage(p)
}

// Extract implements extract.Extractor.
func (*PnpmLock) Extract(ctx context.Context, in *extract.Input) ([]inventory.Package, error) {
	data, err := extract.ReadAll(in, maxLockfileSize)
	if err != nil {
		return nil, fmt.Errorf("pnpmlock: read %s: %w", in.Path, err)
	}
	top, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("pnpmlock: parse %s: %w", in.Path, err)
	}
	var lockVer string
	var packages, snapshots, importers ast.Node
	for _, mv := range top {
		switch k, _ := keyOf(mv); k {
		case "lockfileVersion":
			lockVer, _ = scalar(mv.Value)
		case "packages":
			packages = mv.Value
		case "snapshots":
			snapshots = mv.Value
		case "importers":
			importers = mv.Value
		}
	}
	major, _, _ := strings.Cut(strings.Trim(lockVer, "'\" "), ".")
	mv, err := strconv.Atoi(major)
	if err != nil || mv < 5 {
		return nil, fmt.Errorf("pnpmlock: %s: unsupported lockfileVersion %q", in.Path, trunc(lockVer))
	}
	entries, _ := mapping(packages)
	var out []inventory.Package
	var errs []string
	for i, e := range entries {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		key, line := keyOf(e)
		f := fields(e.Value)
		name, version, ok := parsePnpmKey(key, mv)
		if f["name"] != "" && f["version"] != "" { // tarball and git dependencies
			name, version, ok = f["name"], f["version"], true
		}
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: cannot read package key %q", line, trunc(key)))
			continue
		}
		if strings.Contains(version, ":") { // link:, file: ... local code
			continue
		}
		p, ok := newPackage(name, version, line)
		if !ok {
			errs = append(errs, fmt.Sprintf("line %d: invalid name %q or version %q", line, trunc(name), trunc(version)))
			continue
		}
		p.Dev = f["dev"] == "true"
		out = append(out, p)
	}
	if mv >= 9 && importers != nil {
		markDevV9(out, importers, snapshots)
	}
	return out, extract.JoinErrors("pnpmlock", in.Path, errs)
}

// parsePnpmKey reads a packages key: "/name/1.0.0_peer@1" (5.x),
// "/@scope/name@1.0.0(peer@1)" (6.x), "name@1.0.0" (9.x). A registry host
// may precede the name in 5.x and 6.x keys for non-default registries.
func parsePnpmKey(key string, major int) (name, version string, ok bool) {
	k := strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(k, '('); i >= 0 {
		k = k[:i]
	}
	if major < 6 {
		segs := strings.Split(k, "/")
		if len(segs) > 3 || (len(segs) == 3 && !strings.HasPrefix(segs[0], "@")) {
			segs = segs[1:] // registry host
		}
		switch {
		case len(segs) == 2 && !strings.HasPrefix(segs[0], "@"):
			name, version = segs[0], segs[1]
		case len(segs) == 3:
			name, version = segs[0]+"/"+segs[1], segs[2]
		default:
			return "", "", false
		}
		if i := strings.IndexByte(version, '_'); i >= 0 {
			version = version[:i]
		}
		return name, version, name != "" && version != ""
	}
	if i := strings.Index(k, "/@"); i >= 0 && !strings.HasPrefix(k, "@") {
		k = k[i+1:] // registry host before a scoped name
	}
	name, version, ok = splitNameAt(k)
	if ok && !strings.HasPrefix(name, "@") {
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:] // registry host before the name
		}
	}
	return name, version, ok && name != "" && version != ""
}

// markDevV9 marks packages reachable only from devDependencies.
func markDevV9(pkgs []inventory.Package, importers, snapshots ast.Node) {
	graph := map[string][]string{} // snapshot key (with peer suffix) -> dependency snapshot keys
	snaps, _ := mapping(snapshots)
	for _, s := range snaps {
		key, _ := keyOf(s)
		for _, dep := range []string{"dependencies", "optionalDependencies"} {
			deps, _ := mapping(child(s.Value, dep))
			for _, d := range deps {
				dn, _ := keyOf(d)
				dv, _ := scalar(d.Value)
				if k := snapshotKey(dn, dv); k != "" {
					graph[key] = append(graph[key], k)
				}
			}
		}
	}
	var prodRoots, devRoots []string
	imps, _ := mapping(importers)
	for _, imp := range imps {
		for _, group := range []string{"dependencies", "optionalDependencies", "devDependencies"} {
			deps, _ := mapping(child(imp.Value, group))
			for _, d := range deps {
				dn, _ := keyOf(d)
				dv, _ := scalar(child(d.Value, "version"))
				k := snapshotKey(dn, dv)
				if k == "" {
					continue
				}
				if group == "devDependencies" {
					devRoots = append(devRoots, k)
				} else {
					prodRoots = append(prodRoots, k)
				}
			}
		}
	}
	reach := func(roots []string) map[string]bool {
		seen := map[string]bool{}
		stack := slices.Clone(roots)
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[k] {
				continue
			}
			seen[k] = true
			stack = append(stack, graph[k]...)
		}
		// Packages are keyed without the peer suffix.
		out := make(map[string]bool, len(seen))
		for k := range seen {
			if i := strings.IndexByte(k, '('); i >= 0 {
				k = k[:i]
			}
			out[k] = true
		}
		return out
	}
	prod, dev := reach(prodRoots), reach(devRoots)
	for i := range pkgs {
		k := pkgs[i].Name + "@" + pkgs[i].Version
		pkgs[i].Dev = dev[k] && !prod[k]
	}
}

// snapshotKey turns a dependency (name, resolved version) into the
// snapshots key it points at: "name@1.0.0(peer@2)", or for an alias whose
// version names the real package, "real@1.0.0". Links yield "".
func snapshotKey(name, version string) string {
	if name == "" || version == "" || strings.HasPrefix(version, "link:") || strings.HasPrefix(version, "file:") {
		return ""
	}
	base, _, _ := strings.Cut(version, "(")
	if _, _, ok := splitNameAt(base); ok {
		return version // alias: version is "semver@7.6.0"
	}
	return name + "@" + version
}
