package python

import (
	"testing"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

// fuzzExtractor feeds arbitrary bytes to ext. Invariants: no panic, and
// every package returned is well formed (valid PEP 508 name, a version,
// the pypi PURL of the normalised name).
func fuzzExtractor(f *testing.F, ext extract.Extractor, path string, seeds ...string) {
	var data [][]byte
	for _, s := range seeds {
		data = append(data, extracttest.Read(f, s))
	}
	extracttest.Fuzz(f, ext, path, data, func(t *testing.T, pkgs []inventory.Package, _ error) {
		if ext.Name() == "python/installed" && len(pkgs) > 1 {
			t.Fatalf("%d packages from one metadata file", len(pkgs))
		}
		checkWellFormed(t, pkgs)
	})
}

func FuzzMetadata(f *testing.F) {
	f.Add([]byte("Name: a\nVersion: 1\nLicense: x\n  y\nClassifier: License :: OSI Approved :: MIT License\n\nbody"))
	fuzzExtractor(f, NewInstalled(), "site-packages/a-1.dist-info/METADATA",
		"installed/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
		"installed/venv/lib/python3.11/site-packages/click-8.4.0.dist-info/METADATA")
}

func FuzzRequirements(f *testing.F) {
	fuzzExtractor(f, NewRequirements(), "requirements.txt",
		"requirements/pip-compile/requirements.txt", "requirements/pgv/requirements.txt", "requirements/pyenv/requirements.txt")
}

func FuzzPoetryLock(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\ngroups = [\"dev\"]\n"))
	fuzzExtractor(f, NewPoetryLock(), "poetry.lock")
}

func FuzzUvLock(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"b\" }]\n[package.dev-dependencies]\ndev = [{ name = \"a\" }]\n[[package]]\nname = \"b\"\nversion = \"2\"\n"))
	fuzzExtractor(f, NewUvLock(), "uv.lock")
}

func FuzzPdmLock(f *testing.F) {
	f.Add([]byte("[[package]]\nname = \"a\"\nversion = \"1\"\nextras = [\"x\"]\ngroups = [\"default\"]\n"))
	fuzzExtractor(f, NewPdmLock(), "pdm.lock")
}

func FuzzPipfileLock(f *testing.F) {
	fuzzExtractor(f, NewPipfileLock(), "Pipfile.lock", "locks/Pipfile.lock")
}
