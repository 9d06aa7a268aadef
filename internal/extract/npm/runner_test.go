package npm

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/extract"
)

// TestRunner runs all four extractors under the real runner over the whole
// testdata tree: each must claim exactly its files (the project's own
// package.json, nested non-package package.json files and goldens not
// included) and read them without error.
func TestRunner(t *testing.T) {
	src, err := artifact.Open(context.Background(), "dir:testdata", artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exts := []extract.Extractor{NewPackageLock(), NewPackageJSON(), NewYarnLock(), NewPnpmLock()}
	res, err := extract.NewRunner(extract.Config{Extractors: exts, Workers: 2}).Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("file error: %v", e.Error())
	}
	files := map[string]map[string]int{}
	for _, p := range res.Packages {
		if files[p.Extractor] == nil {
			files[p.Extractor] = map[string]int{}
		}
		files[p.Extractor][p.Locations[0].Path]++
	}
	want := map[string]map[string]int{
		"javascript/packagelock": {
			"packagelock/v1/package-lock.json": 28, "packagelock/v2/package-lock.json": 28, "packagelock/v3/package-lock.json": 28,
		},
		"javascript/yarnlock": {"yarn/classic/yarn.lock": 28, "yarn/berry/yarn.lock": 48},
		"javascript/pnpmlock": {"pnpm/v5/pnpm-lock.yaml": 28, "pnpm/v6/pnpm-lock.yaml": 28, "pnpm/v9/pnpm-lock.yaml": 28},
		"javascript/packagejson": {
			"installed/app/node_modules/@babel/code-frame/package.json": 1,
			"installed/app/node_modules/@babel/runtime/package.json":    1,
			"installed/app/node_modules/@types/node/package.json":       1,
			"installed/app/node_modules/debug/package.json":             1,
			"installed/app/node_modules/lodash/package.json":            1,
			"installed/app/node_modules/mkdirp/package.json":            1,
			"installed/app/node_modules/ms/package.json":                1,
			"installed/app/node_modules/my-semver/package.json":         1,
			"installed/app/node_modules/react/package.json":             1,
			"installed/app/packages/util/node_modules/ms/package.json":  1,
			"installed/usr/share/nodejs/@types/semver/package.json":     1,
			"installed/usr/share/nodejs/semver/package.json":            1,
		},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("packages per extractor and file (-want +got):\n%s", diff)
	}
}
