package npm

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

// input opens a test file as the runner would hand it over; rel is the
// path relative to testdata, used as the scan path.
func input(t testing.TB, rel string) *extract.Input {
	t.Helper()
	data := extracttest.Read(t, rel)
	if strings.HasSuffix(rel, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
		rel = strings.TrimSuffix(rel, ".gz")
	}
	return extracttest.InputBytes(rel, data)
}

func nameVersions(pkgs []inventory.Package, dev bool) []string {
	var out []string
	for _, p := range pkgs {
		s := p.Name + "@" + p.Version
		if dev && p.Dev {
			s += " (dev)"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkWellFormed holds for every package any extractor here returns.
func checkWellFormed(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		ns, base := splitScope(p.Name)
		want := inventory.PURL(inventory.NPM, ns, base, p.Version, nil)
		if p.Ecosystem != inventory.NPM || p.PURL != want || p.Version == "" {
			t.Errorf("malformed package %+v (want purl %s)", p, want)
		}
	}
}

func TestGolden(t *testing.T) {
	tests := []struct {
		golden string
		ext    extract.Extractor
		file   string
	}{
		{"packagelock-v1", NewPackageLock(), "packagelock/v1/package-lock.json"},
		{"packagelock-v2", NewPackageLock(), "packagelock/v2/package-lock.json"},
		{"packagelock-v3", NewPackageLock(), "packagelock/v3/package-lock.json"},
		{"yarn-classic", NewYarnLock(), "yarn/classic/yarn.lock"},
		{"yarn-berry", NewYarnLock(), "yarn/berry/yarn.lock"},
		{"pnpm-v5", NewPnpmLock(), "pnpm/v5/pnpm-lock.yaml"},
		{"pnpm-v6", NewPnpmLock(), "pnpm/v6/pnpm-lock.yaml"},
		{"pnpm-v9", NewPnpmLock(), "pnpm/v9/pnpm-lock.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			in := input(t, tt.file)
			if !tt.ext.Match(in.Path, nil) {
				t.Fatalf("%s does not match %s", tt.ext.Name(), in.Path)
			}
			pkgs, err := tt.ext.Extract(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			checkWellFormed(t, pkgs)
			extracttest.Golden(t, "golden/"+tt.golden+".json", pkgs)
		})
	}
}

// The same project locked by every lockfile version of one tool must give
// the same packages and the same dev flags, however each version records
// them.
func TestLockfileVersionsAgree(t *testing.T) {
	groups := []struct {
		ext   extract.Extractor
		files []string
	}{
		{NewPackageLock(), []string{"packagelock/v1/package-lock.json", "packagelock/v2/package-lock.json", "packagelock/v3/package-lock.json"}},
		{NewPnpmLock(), []string{"pnpm/v5/pnpm-lock.yaml", "pnpm/v6/pnpm-lock.yaml", "pnpm/v9/pnpm-lock.yaml"}},
	}
	for _, g := range groups {
		var first []string
		for _, f := range g.files {
			pkgs, err := g.ext.Extract(context.Background(), input(t, f))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			got := nameVersions(pkgs, true)
			if first == nil {
				first = got
				continue
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("%s disagrees with %s (-first +got):\n%s", f, g.files[0], diff)
			}
		}
	}
}

// Facts about the sample project that every lockfile must show.
func TestSampleProjectFacts(t *testing.T) {
	files := map[extract.Extractor][]string{
		NewPackageLock(): {"packagelock/v1/package-lock.json", "packagelock/v3/package-lock.json"},
		NewYarnLock():    {"yarn/classic/yarn.lock", "yarn/berry/yarn.lock"},
		NewPnpmLock():    {"pnpm/v5/pnpm-lock.yaml", "pnpm/v9/pnpm-lock.yaml"},
	}
	for ext, fs := range files {
		for _, f := range fs {
			pkgs, err := ext.Extract(context.Background(), input(t, f))
			if err != nil {
				t.Fatal(err)
			}
			got := nameVersions(pkgs, false)
			// The alias my-semver is reported as the package it installs.
			for _, want := range []string{"semver@7.6.0", "@babel/code-frame@7.24.7", "react-dom@18.2.0", "ms@2.1.2", "ms@2.1.3"} {
				if !slices.Contains(got, want) {
					t.Errorf("%s: %s missing", f, want)
				}
			}
			for _, p := range pkgs {
				switch {
				case p.Name == "my-semver":
					t.Errorf("%s: alias name reported instead of the real package", f)
				case p.Name == "@pave/util" || p.Name == "pave-sample":
					t.Errorf("%s: workspace/project %s reported as a dependency", f, p.Name)
				}
				if (ext.Name() != "javascript/yarnlock") && (p.Name == "@types/node" || p.Name == "mkdirp") && !p.Dev {
					t.Errorf("%s: dev-only %s not marked dev", f, p.Name)
				}
				if p.Dev && (p.Name == "debug" || p.Name == "react") {
					t.Errorf("%s: %s wrongly marked dev", f, p.Name)
				}
				if p.Locations == nil || p.Locations[0].Line == 0 {
					t.Errorf("%s: %s has no line", f, p.Name)
				}
			}
		}
	}
}

func TestPackageJSON(t *testing.T) {
	ext := NewPackageJSON()
	var files []string
	err := filepath.WalkDir(filepath.Join("testdata", "installed"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel("testdata", p)
			if ext.Match(filepath.ToSlash(rel), nil) {
				files = append(files, filepath.ToSlash(rel))
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var all []inventory.Package
	for _, f := range files {
		pkgs, err := ext.Extract(context.Background(), input(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range pkgs {
			pkgs[i].Locations = []inventory.Location{{Path: f}}
		}
		all = append(all, pkgs...)
	}
	checkWellFormed(t, all)
	extracttest.Golden(t, "golden/"+"packagejson"+".json", all)
	// The installed tree must agree with the lockfile npm wrote for it.
	lock, err := NewPackageLock().Extract(context.Background(), input(t, "packagelock/v3/package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	locked := nameVersions(lock, false)
	for _, p := range all {
		if strings.Contains(p.Locations[0].Path, "installed/app/") && p.Name != "@babel/runtime" && !slices.Contains(locked, p.Name+"@"+p.Version) {
			t.Errorf("installed %s@%s is not in the lockfile", p.Name, p.Version)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		ext  extract.Extractor
		path string
		want bool
	}{
		{NewPackageLock(), "app/package-lock.json", true},
		{NewPackageLock(), "package-lock.json", true},
		{NewPackageLock(), "srv/npm-shrinkwrap.json", true},
		{NewPackageLock(), "app/node_modules/.package-lock.json", false},
		{NewPackageLock(), "app/node_modules/foo/package-lock.json", false},
		{NewPackageLock(), "app/package.json", false},
		// Shipped inside Debian's installed modules: the authors' tree, not installed.
		{NewPackageLock(), "usr/share/nodejs/terser/package-lock.json", false},
		{NewPackageLock(), "usr/lib/nodejs/acorn/package-lock.json", false},
		{NewPackageLock(), "usr/lib/x86_64-linux-gnu/nodejs/bufferutil/package-lock.json", false},
		{NewPackageLock(), "usr/share/doc/nodejs/package-lock.json", true},
		{NewPackageJSON(), "app/node_modules/debug/package.json", true},
		{NewPackageJSON(), "app/node_modules/@babel/core/package.json", true},
		{NewPackageJSON(), "node_modules/a/node_modules/b/package.json", true},
		{NewPackageJSON(), "usr/share/nodejs/semver/package.json", true},
		{NewPackageJSON(), "usr/share/nodejs/@types/semver/package.json", true},
		{NewPackageJSON(), "usr/lib/nodejs/acorn/package.json", true},
		{NewPackageJSON(), "usr/lib/x86_64-linux-gnu/nodejs/bufferutil/package.json", true},
		{NewPackageJSON(), "usr/share/nodejs/semver/node_modules/lru-cache/package.json", true},
		{NewPackageJSON(), "app/package.json", false},
		{NewPackageJSON(), "package.json", false},
		{NewPackageJSON(), "app/node_modules/@babel/runtime/helpers/esm/package.json", false},
		{NewPackageJSON(), "app/node_modules/x/lib/package.json", false},
		{NewPackageJSON(), "app/node_modules/@scope/package.json", false},
		{NewPackageJSON(), "app/node_modules/.bin/package.json", false},
		{NewPackageJSON(), "home/nodejs/foo/package.json", false},
		{NewPackageJSON(), "usr/share/doc/foo/package.json", false},
		{NewYarnLock(), "app/yarn.lock", true},
		{NewYarnLock(), "app/node_modules/x/yarn.lock", false},
		{NewYarnLock(), "usr/share/nodejs/x/yarn.lock", false},
		{NewPnpmLock(), "usr/share/nodejs/x/pnpm-lock.yaml", false},
		{NewPnpmLock(), "pnpm-lock.yaml", true},
		{NewPnpmLock(), "app/pnpm-lock.yml", false},
	}
	for _, tt := range tests {
		if got := tt.ext.Match(tt.path, nil); got != tt.want {
			t.Errorf("%s.Match(%q) = %v, want %v", tt.ext.Name(), tt.path, got, tt.want)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name    string
		ext     extract.Extractor
		path    string
		data    string
		want    []string // name@version still reported
		wantErr bool
	}{
		{"lock not json", NewPackageLock(), "package-lock.json", `{"packages": `, nil, true},
		{"lock bad entry kept others", NewPackageLock(), "package-lock.json",
			`{"lockfileVersion":3,"packages":{"":{"name":"x"},"node_modules/a":{"version":"1.0.0"},"node_modules/b c":{"version":"2.0.0"}}}`,
			[]string{"a@1.0.0"}, true},
		{"lock v2 git without version", NewPackageLock(), "package-lock.json",
			`{"lockfileVersion":2,"packages":{"node_modules/g":{"resolved":"git+ssh://git@github.com/x/g.git#abc"}}}`, nil, false},
		{"lock v1 alias and file", NewPackageLock(), "package-lock.json",
			`{"lockfileVersion":1,"dependencies":{"al":{"version":"npm:@s/real@2.0.0","dev":true},"loc":{"version":"file:../loc"}}}`,
			[]string{"@s/real@2.0.0"}, false},
		{"packagejson no version", NewPackageJSON(), "node_modules/x/package.json", `{"name":"x"}`, nil, false},
		{"packagejson private workspace root", NewPackageJSON(), "node_modules/x/package.json",
			`{"name":"x","version":"1.0.0","private":true,"workspaces":["a/*"]}`, nil, false},
		{"packagejson legacy licenses", NewPackageJSON(), "node_modules/x/package.json",
			`{"name":"x","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}`, []string{"x@1.0.0"}, false},
		{"packagejson garbage", NewPackageJSON(), "node_modules/x/package.json", `[1,2]`, nil, true},
		{"yarn classic bad header", NewYarnLock(), "yarn.lock", "a@^1:\n  version \"1.0.0\"\nnot a header\nb@^2:\n  version \"2.0.0\"\n", []string{"a@1.0.0", "b@2.0.0"}, true},
		{"yarn berry no resolution", NewYarnLock(), "yarn.lock", "__metadata:\n  version: 8\n\"a@npm:^1\":\n  version: 1.0.0\n\"b@npm:^2\":\n  version: 2.0.0\n  resolution: \"b@npm:2.0.0\"\n", []string{"b@2.0.0"}, true},
		{"pnpm unknown version", NewPnpmLock(), "pnpm-lock.yaml", "lockfileVersion: 3\npackages: {}\n", nil, true},
		{"pnpm registry host keys", NewPnpmLock(), "pnpm-lock.yaml",
			"lockfileVersion: '6.0'\npackages:\n  registry.example.com/@s/a@1.0.0:\n    dev: true\n  registry.example.com/b@2.0.0(c@1.0.0):\n    dev: false\n", []string{"@s/a@1.0.0", "b@2.0.0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := tt.ext.Extract(context.Background(), extracttest.InputBytes(tt.path, []byte(tt.data)))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, nameVersions(pkgs, false)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLicenses(t *testing.T) {
	tests := []struct {
		license, legacy string
		want            []string
	}{
		{`"MIT"`, ``, []string{"MIT"}},
		{`"(MIT OR Apache-2.0)"`, ``, []string{"(MIT OR Apache-2.0)"}},
		{`{"type":"BSD-3-Clause","url":"x"}`, ``, []string{"BSD-3-Clause"}},
		{``, `[{"type":"MIT"},"ISC"]`, []string{"MIT", "ISC"}},
		{``, `{"type":"GPL-2.0"}`, []string{"GPL-2.0"}},
		{`"a\nb"`, ``, nil},
		{`42`, ``, nil},
	}
	for _, tt := range tests {
		got := licenses(json.RawMessage(tt.license), json.RawMessage(tt.legacy))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("licenses(%s, %s) (-want +got):\n%s", tt.license, tt.legacy, diff)
		}
	}
}
