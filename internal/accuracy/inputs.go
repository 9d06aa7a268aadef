package accuracy

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// BoundaryStats says what BoundaryInputs wrote.
type BoundaryStats struct {
	// Pairs counts the (package, version) pairs per ecosystem; Files the
	// manifests or lockfiles written for it.
	Pairs, Files map[string]int
}

// boundaryEcosystems are the ecosystems BoundaryInputs writes, with the
// directory under out that receives them.
var boundaryEcosystems = map[string]string{
	"Go":        "go",
	"PyPI":      "pypi",
	"crates.io": "cargo",
	"npm":       "npm",
}

// BoundaryInputs writes manifests and lockfiles that pin, for every
// package the records under dbDir name (DIR/<ecosystem>/all.zip), every
// version those records mention: each introduced, fixed, last_affected
// and limit version of its SEMVER and ECOSYSTEM ranges, and up to
// maxListed of the versions it lists explicitly (evenly spaced, first and
// last included). These are the versions at which a matcher's range
// logic is most likely to go wrong, and every one of them is a version
// the data itself names.
//
// A manifest cannot require one package twice, so file number i (under
// out/<ecosystem>/NNNN/) pins the i-th version of each package: go.mod
// for Go (no go directive, so that no standard library is implied),
// requirements.txt for PyPI, Cargo.lock for crates.io and a
// package-lock.json (v3) for npm. The Go standard library and toolchain
// cannot be required by a go.mod and are left out.
func BoundaryInputs(dbDir, out string, maxListed int) (*BoundaryStats, error) {
	st := &BoundaryStats{Pairs: map[string]int{}, Files: map[string]int{}}
	ecos := make([]string, 0, len(boundaryEcosystems))
	for e := range boundaryEcosystems {
		ecos = append(ecos, e)
	}
	slices.Sort(ecos)
	for _, eco := range ecos {
		vers, err := boundaryVersions(filepath.Join(dbDir, eco, "all.zip"), eco, maxListed)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(vers))
		files := 0
		for n, vs := range vers {
			names = append(names, n)
			files = max(files, len(vs))
			st.Pairs[eco] += len(vs)
		}
		slices.Sort(names)
		for i := range files {
			var pins [][2]string
			for _, n := range names {
				if i < len(vers[n]) {
					pins = append(pins, [2]string{n, vers[n][i]})
				}
			}
			dir := filepath.Join(out, boundaryEcosystems[eco], fmt.Sprintf("%04d", i))
			if err := writeManifest(dir, eco, i, pins); err != nil {
				return nil, err
			}
		}
		st.Files[eco] = files
	}
	return st, nil
}

// boundaryVersions reads one ecosystem's zip and returns, per package
// name, the versions to pin (sorted, unique).
func boundaryVersions(zipPath, eco string, maxListed int) (map[string][]string, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	set := map[string]map[string]bool{}
	for _, f := range zr.File {
		if f.UncompressedSize64 > MaxRecordSize {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxRecordSize))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("accuracy: %s: %s: %w", zipPath, f.Name, err)
		}
		var r record
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("accuracy: %s: %s: %w", zipPath, f.Name, err)
		}
		if r.Withdrawn != "" {
			continue
		}
		for _, a := range r.Affected {
			base, _, _ := strings.Cut(a.Package.Ecosystem, ":")
			n := a.Package.Name
			if base != eco || n == "" || eco == "Go" && (n == "stdlib" || n == "toolchain") {
				continue
			}
			if set[n] == nil {
				set[n] = map[string]bool{}
			}
			for _, rg := range a.Ranges {
				if rg.Type != "SEMVER" && rg.Type != "ECOSYSTEM" {
					continue
				}
				for _, e := range rg.Events {
					for _, v := range e {
						if v != "0" && v != "*" && v != "" {
							set[n][v] = true
						}
					}
				}
			}
			for _, v := range spread(a.Versions, maxListed) {
				set[n][v] = true
			}
		}
	}
	out := map[string][]string{}
	for n, vs := range set {
		if len(vs) == 0 {
			continue
		}
		list := make([]string, 0, len(vs))
		for v := range vs {
			list = append(list, v)
		}
		slices.Sort(list)
		out[n] = list
	}
	return out, nil
}

// spread returns at most n of vs, evenly spaced, with the first and last.
func spread(vs []string, n int) []string {
	if len(vs) <= n {
		return vs
	}
	if n <= 0 {
		return nil
	}
	if n == 1 {
		return vs[:1]
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, vs[i*(len(vs)-1)/(n-1)])
	}
	return out
}

func writeManifest(dir, eco string, i int, pins [][2]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	var name string
	switch eco {
	case "Go":
		name = "go.mod"
		fmt.Fprintf(&b, "module example.com/accuracy/boundary%04d\n\nrequire (\n", i)
		for _, p := range pins {
			fmt.Fprintf(&b, "\t%s v%s\n", p[0], p[1])
		}
		b.WriteString(")\n")
	case "PyPI":
		name = "requirements.txt"
		for _, p := range pins {
			fmt.Fprintf(&b, "%s==%s\n", p[0], p[1])
		}
	case "crates.io":
		name = "Cargo.lock"
		b.WriteString("# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n")
		for _, p := range pins {
			fmt.Fprintf(&b, "\n[[package]]\nname = %q\nversion = %q\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n", p[0], p[1])
		}
	case "npm":
		name = "package-lock.json"
		root := fmt.Sprintf("boundary%04d", i)
		pkgs := map[string]any{"": map[string]string{"name": root, "version": "1.0.0"}}
		for _, p := range pins {
			pkgs["node_modules/"+p[0]] = map[string]string{"version": p[1]}
		}
		data, err := json.MarshalIndent(map[string]any{
			"name": root, "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": pkgs,
		}, "", "  ")
		if err != nil {
			return err
		}
		b.Write(data)
		b.WriteString("\n")
	}
	return os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644)
}
