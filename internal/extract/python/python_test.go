package python

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

// input opens testdata/rel as the file at rel.
func input(t testing.TB, rel string) *extract.Input {
	t.Helper()
	return extracttest.Input(t, rel, rel)
}

func nameVersions(pkgs []inventory.Package) []string {
	var out []string
	for _, p := range pkgs {
		s := p.Name + "@" + p.Version
		if p.Dev {
			s += " (dev)"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func checkWellFormed(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		want := inventory.PURL(inventory.PyPI, "", NormalizeName(p.Name), p.Version, nil)
		if p.Ecosystem != inventory.PyPI || p.PURL != want || !validName(p.Name) || !validVersion(p.Version) {
			t.Errorf("malformed package %+v (want purl %s)", p, want)
		}
	}
}

// walkMatches extracts every file under testdata/dir that ext matches.
func walkMatches(t *testing.T, ext extract.Extractor, dir string) []inventory.Package {
	t.Helper()
	var all []inventory.Package
	err := filepath.WalkDir(filepath.Join("testdata", dir), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil || !ext.Match(rel, info) {
			return err
		}
		pkgs, err := ext.Extract(context.Background(), input(t, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		for i := range pkgs {
			line := 0
			if len(pkgs[i].Locations) > 0 {
				line = pkgs[i].Locations[0].Line
			}
			pkgs[i].Locations = []inventory.Location{{Path: rel, Line: line}}
		}
		all = append(all, pkgs...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestInstalledGolden(t *testing.T) {
	pkgs := walkMatches(t, NewInstalled(), "installed")
	checkWellFormed(t, pkgs)
	extracttest.Golden(t, "golden/"+"installed"+".json", pkgs)
	if len(pkgs) != 10 {
		t.Errorf("got %d packages, want the 10 distributions in testdata", len(pkgs))
	}
}

// Licence choice: expression first, short License next, classifiers last.
func TestInstalledLicenses(t *testing.T) {
	want := map[string][]string{
		"click":              {"BSD-3-Clause"}, // License-Expression
		"six":                {"MIT"},          // License:
		"traitlets":          nil,              // whole licence text in License:, and the classifier "BSD License" is ambiguous
		"packaging":          {"Apache-2.0"},   // classifiers only; "BSD License" is ambiguous
		"charset-normalizer": {"MIT"},          // License: MIT
		"python-apt":         {"GNU GPL"},      // License: as written
		"wsgiref":            {"PSF or ZPL"},   // License: as written
		"requests":           {"Apache 2.0"},   // License: as written
		"urllib3":            {"MIT"},
		"certifi":            {"MPL-2.0"},
	}
	for _, p := range walkMatches(t, NewInstalled(), "installed") {
		w, ok := want[p.Name]
		if !ok {
			continue
		}
		if diff := cmp.Diff(w, p.Licenses); diff != "" {
			t.Errorf("%s licences (-want +got):\n%s", p.Name, diff)
		}
	}
}

func TestRequirementsGolden(t *testing.T) {
	pkgs := walkMatches(t, NewRequirements(), "requirements")
	checkWellFormed(t, pkgs)
	extracttest.Golden(t, "golden/"+"requirements"+".json", pkgs)
}

func TestLockGolden(t *testing.T) {
	tests := []struct {
		golden string
		ext    extract.Extractor
		file   string
	}{
		{"poetry", NewPoetryLock(), "locks/poetry.lock"},
		{"uv", NewUvLock(), "locks/uv.lock"},
		{"pipfile", NewPipfileLock(), "locks/Pipfile.lock"},
		{"pdm", NewPdmLock(), "locks/pdm.lock"},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			in := input(t, tt.file)
			if !tt.ext.Match(in.Path, nil) {
				t.Fatalf("no match for %s", in.Path)
			}
			pkgs, err := tt.ext.Extract(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			checkWellFormed(t, pkgs)
			for _, p := range pkgs {
				if len(p.Locations) == 0 || p.Locations[0].Line == 0 {
					t.Errorf("%s: no line", p.Name)
				}
			}
			extracttest.Golden(t, "golden/"+tt.golden+".json", pkgs)
		})
	}
}

func TestRequirementsLines(t *testing.T) {
	data := "# comment\n" +
		"Flask[async]==2.3.2 ; python_version >= \"3.8\"  # web\n" +
		"-r base.txt\n" +
		"-c constraints.txt\n" +
		"-e ./local\n" +
		"--index-url https://example.com/simple\n" +
		"requests==2.31.0 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n" +
		"legacy===1.0-custom\n" +
		"ranged>=1.0\n" +
		"two>=1,==1.5\n" +
		"star==1.*\n" +
		"pkg @ https://example.com/pkg.whl\n" +
		"zope.interface==6.0\n" +
		"broken==\n"
	pkgs, err := NewRequirements().Extract(context.Background(), extracttest.InputBytes("requirements.txt", []byte(data)))
	if err == nil {
		t.Error("no error for the broken pin")
	}
	type nl struct {
		Name, Version, PURL string
		Line                int
	}
	var got []nl
	for _, p := range pkgs {
		got = append(got, nl{p.Name, p.Version, p.PURL, p.Locations[0].Line})
	}
	want := []nl{
		{"Flask", "2.3.2", "pkg:pypi/flask@2.3.2", 2},
		{"requests", "2.31.0", "pkg:pypi/requests@2.31.0", 7},
		{"legacy", "1.0-custom", "pkg:pypi/legacy@1.0-custom", 10},
		{"zope.interface", "6.0", "pkg:pypi/zope-interface@6.0", 15},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Dev flags as each tool records them (inline excerpts in each tool's
// published format, since the real samples above lack some variants).
func TestLockDev(t *testing.T) {
	tests := []struct {
		name string
		ext  extract.Extractor
		file string
		data string
		want []string
	}{
		{"poetry 1.x category", NewPoetryLock(), "poetry.lock", `
[[package]]
name = "requests"
version = "2.31.0"
category = "main"

[[package]]
name = "pytest"
version = "7.4.0"
category = "dev"

[[package]]
name = "mylib"
version = "0.1.0"

[package.source]
type = "directory"
url = "../mylib"
`, []string{"pytest@7.4.0 (dev)", "requests@2.31.0"}},
		{"poetry 2 groups", NewPoetryLock(), "poetry.lock", `
[[package]]
name = "black"
version = "24.1.0"
groups = ["dev", "lint"]

[[package]]
name = "idna"
version = "3.6"
groups = ["main", "dev"]
`, []string{"black@24.1.0 (dev)", "idna@3.6"}},
		{"uv dev-dependencies", NewUvLock(), "uv.lock", `
version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "httpx" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }, { name = "idna" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "3.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "pluggy" }]

[[package]]
name = "pluggy"
version = "1.4.0"
source = { registry = "https://pypi.org/simple" }
`, []string{"httpx@0.27.0", "idna@3.6", "pluggy@1.4.0 (dev)", "pytest@8.0.0 (dev)"}},
		{"pdm groups and extras", NewPdmLock(), "pdm.lock", `
[[package]]
name = "ruff"
version = "0.3.0"
groups = ["dev"]

[[package]]
name = "aiocache"
version = "0.12.3"
groups = ["default"]

[[package]]
name = "aiocache"
version = "0.12.3"
extras = ["redis"]
groups = ["default"]

[[package]]
name = "me"
version = "1.0"
editable = true
`, []string{"aiocache@0.12.3", "ruff@0.3.0 (dev)"}},
		{"pipfile both sections", NewPipfileLock(), "Pipfile.lock",
			`{"default":{"six":{"version":"==1.16.0"},"gitdep":{"git":"https://x/y.git","ref":"abc"}},"develop":{"six":{"version":"==1.16.0"},"pytest":{"version":"==8.0.0"}}}`,
			[]string{"pytest@8.0.0 (dev)", "six@1.16.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := tt.ext.Extract(context.Background(), extracttest.InputBytes(tt.file, []byte(tt.data)))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, nameVersions(pkgs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		ext  extract.Extractor
		path string
		want bool
	}{
		{NewInstalled(), "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", true},
		{NewInstalled(), "usr/lib/python3/dist-packages/six-1.16.0.egg-info", true},
		{NewInstalled(), "app/.venv/lib/python3.12/site-packages/click-8.1.7.dist-info/METADATA", true},
		{NewInstalled(), "usr/lib/python3.9/site-packages/foo-1.0-py3.9.egg/EGG-INFO/PKG-INFO", true},
		{NewInstalled(), "src/foo.egg-info/PKG-INFO", false},
		{NewInstalled(), "usr/lib/python2.7/wsgiref.egg-info", false},
		{NewInstalled(), "site-packages/x.dist-info/RECORD", false},
		{NewInstalled(), "site-packages/x/PKG-INFO", false},
		{NewRequirements(), "requirements.txt", true},
		{NewRequirements(), "app/requirements-dev.txt", true},
		{NewRequirements(), "app/requirements/base.txt", true},
		{NewRequirements(), "app/dev-requirements.txt", false},
		{NewRequirements(), "app/requirements.in", false},
		{NewPoetryLock(), "app/poetry.lock", true},
		{NewPipfileLock(), "app/Pipfile.lock", true},
		{NewPipfileLock(), "app/Pipfile", false},
		{NewUvLock(), "uv.lock", true},
		{NewPdmLock(), "x/pdm.lock", true},
	}
	for _, tt := range tests {
		if got := tt.ext.Match(tt.path, nil); got != tt.want {
			t.Errorf("%s.Match(%q) = %v, want %v", tt.ext.Name(), tt.path, got, tt.want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Django": "django", "zope.interface": "zope-interface", "charset_normalizer": "charset-normalizer",
		"Foo__Bar--baz..Q": "foo-bar-baz-q", "python-apt": "python-apt",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name string
		ext  extract.Extractor
		path string
		data string
		want []string
	}{
		{"metadata without version", NewInstalled(), "site-packages/x.dist-info/METADATA", "Metadata-Version: 2.1\nName: x\n\nbody\n", nil},
		{"metadata bad header", NewInstalled(), "site-packages/x.dist-info/METADATA", "Name: x\nnot a header\n", nil},
		{"poetry not toml", NewPoetryLock(), "poetry.lock", "[[package]\nname=", nil},
		{"poetry bad entry kept others", NewPoetryLock(), "poetry.lock", "[[package]]\nname = \"ok\"\nversion = \"1.0\"\n[[package]]\nname = \"bad name\"\nversion = \"1\"\n", []string{"ok@1.0"}},
		{"pipfile not a pin", NewPipfileLock(), "Pipfile.lock", `{"default":{"a":{"version":"*"},"b":{"version":"==2.0"}}}`, []string{"b@2.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := tt.ext.Extract(context.Background(), extracttest.InputBytes(tt.path, []byte(tt.data)))
			if err == nil {
				t.Error("no error")
			}
			if diff := cmp.Diff(tt.want, nameVersions(pkgs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
