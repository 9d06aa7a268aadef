// Package extracttest holds what extractor tests share: reading testdata
// into an extract.Input as the runner would hand it over, running an
// extractor, golden files with one -update flag, the invariants every
// extractor keeps under fuzzing, and a benchmark loop.
//
// It is imported only by _test.go files. A test package that uses it must
// not declare its own -update flag: this package's serves all of its
// golden files (go test ./internal/extract/... -update).
package extracttest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// update rewrites golden files instead of comparing with them.
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Read returns testdata/file (a slash-separated path) of the calling test's
// package directory.
func Read(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Input returns testdata/file as the input at path p.
func Input(t testing.TB, p, file string) *extract.Input {
	t.Helper()
	return InputBytes(p, Read(t, file))
}

// InputBytes returns data as the input at path p: a regular file whose
// FileInfo carries the base name and size.
func InputBytes(p string, data []byte) *extract.Input {
	return &extract.Input{
		Path:   p,
		Info:   Info(path.Base(p), int64(len(data)), 0o644),
		Reader: bytes.NewReader(data),
		Size:   int64(len(data)),
	}
}

// Info returns a FileInfo for Match tests.
func Info(name string, size int64, mode fs.FileMode) fs.FileInfo {
	return fileInfo{name, size, mode}
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return time.Time{} }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

// Run extracts each input with ext and returns all the packages found, in
// order. Any error fails the test at once.
func Run(t testing.TB, ext extract.Extractor, inputs ...*extract.Input) []inventory.Package {
	t.Helper()
	var all []inventory.Package
	for _, in := range inputs {
		pkgs, err := ext.Extract(context.Background(), in)
		if err != nil {
			t.Fatalf("%s: %s: %v", ext.Name(), in.Path, err)
		}
		all = append(all, pkgs...)
	}
	return all
}

// Golden compares got, as indented JSON with a final newline, with
// testdata/file, or writes it there under -update.
func Golden(t testing.TB, file string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	p := filepath.Join("testdata", filepath.FromSlash(file))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if d := cmp.Diff(string(want), string(b)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", p, d)
	}
}

// CheckPackages reports, as test errors, packages that break what every
// extractor promises: a name, an ecosystem, and a PURL unless the package
// is an OS package.
func CheckPackages(t testing.TB, pkgs []inventory.Package) {
	t.Helper()
	for _, p := range pkgs {
		if p.Name == "" || p.Ecosystem == "" || (p.PURL == "" && !p.Ecosystem.IsOS()) {
			t.Errorf("incomplete package %+v", p)
		}
	}
}

// Fuzz feeds the fuzzer's bytes to ext as the file at path p, after
// adding seeds to the corpus. Invariants: no panic, and CheckPackages
// holds; check, when not nil, adds the extractor's own.
func Fuzz(f *testing.F, ext extract.Extractor, p string, seeds [][]byte, check func(t *testing.T, pkgs []inventory.Package, err error)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := ext.Extract(context.Background(), InputBytes(p, data))
		CheckPackages(t, pkgs)
		if check != nil {
			check(t, pkgs, err)
		}
	})
}

// Bench measures ext over data as the file at path p. Each iteration must
// find packages without error.
func Bench(b *testing.B, ext extract.Extractor, p string, data []byte) {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := ext.Extract(context.Background(), InputBytes(p, data))
		if err != nil || len(pkgs) == 0 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}
