package npm

import (
	"testing"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

// fuzzExtractor feeds arbitrary bytes to ext. Invariants: no panic, and
// every package returned is well formed (valid name and version, npm
// ecosystem, the PURL built from them).
func fuzzExtractor(f *testing.F, ext extract.Extractor, path string, seeds ...string) {
	var data [][]byte
	for _, s := range seeds {
		data = append(data, extracttest.Read(f, s))
	}
	extracttest.Fuzz(f, ext, path, data, func(t *testing.T, pkgs []inventory.Package, _ error) {
		for _, p := range pkgs {
			if !validName(p.Name) || !validVersion(p.Version) {
				t.Fatalf("invalid package %q %q", p.Name, p.Version)
			}
		}
		checkWellFormed(t, pkgs)
	})
}

func FuzzPackageLock(f *testing.F) {
	f.Add([]byte(`{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"npm:c@2"}}}}}`))
	fuzzExtractor(f, NewPackageLock(), "package-lock.json",
		"packagelock/v1/package-lock.json", "packagelock/v2/package-lock.json", "packagelock/v3/package-lock.json")
}

func FuzzPackageJSON(f *testing.F) {
	f.Add([]byte(`{"name":"x","version":"1.0.0","license":{"type":"MIT"},"licenses":["ISC"]}`))
	fuzzExtractor(f, NewPackageJSON(), "node_modules/x/package.json",
		"installed/app/node_modules/debug/package.json", "installed/usr/share/nodejs/semver/package.json")
}

func FuzzYarnLock(f *testing.F) {
	fuzzExtractor(f, NewYarnLock(), "yarn.lock", "yarn/classic/yarn.lock", "yarn/berry/yarn.lock")
}

func FuzzPnpmLock(f *testing.F) {
	fuzzExtractor(f, NewPnpmLock(), "pnpm-lock.yaml", "pnpm/v5/pnpm-lock.yaml", "pnpm/v6/pnpm-lock.yaml", "pnpm/v9/pnpm-lock.yaml")
}
