package golang

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

type fakeInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (f fakeInfo) Name() string       { return f.name }
func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

func input(p string, data []byte) *extract.Input {
	return &extract.Input{Path: p, Info: fakeInfo{name: filepath.Base(p), size: int64(len(data)), mode: 0o755},
		Reader: bytes.NewReader(data), Size: int64(len(data))}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []inventory.Package) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(b)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

// buildHello builds testdata/hello for goos into a temporary directory.
func buildHello(t testing.TB, goos string) []byte {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skipf("no go toolchain: %v", err)
	}
	src, err := filepath.Abs(filepath.Join("testdata", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// normalizeStdlib replaces the toolchain's own version, which changes with
// the Go installed, by a placeholder after checking it.
func normalizeStdlib(t *testing.T, pkgs []inventory.Package) {
	t.Helper()
	want := strings.TrimPrefix(runtime.Version(), "go")
	for i := range pkgs {
		if pkgs[i].Name != "stdlib" {
			continue
		}
		if pkgs[i].Version != want {
			t.Errorf("stdlib version = %q, want %q", pkgs[i].Version, want)
		}
		pkgs[i].Version = "GOVERSION"
		pkgs[i].PURL = strings.ReplaceAll(pkgs[i].PURL, want, "GOVERSION")
	}
}

func TestBinaryExtract(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	e := NewBinaryExtractor()
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			data := buildHello(t, goos)
			pkgs, err := e.Extract(context.Background(), input("app/hello", data))
			if err != nil {
				t.Fatal(err)
			}
			normalizeStdlib(t, pkgs)
			// The same program gives the same modules on every OS.
			golden(t, "hello.golden.json", pkgs)
		})
	}
}

func TestBinaryNotGo(t *testing.T) {
	e := NewBinaryExtractor()
	for _, p := range []string{"/bin/sh", "/usr/bin/objcopy"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Skip(err)
		}
		pkgs, err := e.Extract(context.Background(), input(p, data))
		if err != nil || len(pkgs) != 0 {
			t.Errorf("%s: got %d packages, err %v; want none", p, len(pkgs), err)
		}
	}
	for _, data := range [][]byte{[]byte("#!/bin/sh\necho hi\n"), []byte("\x7fELF garbage"), {}} {
		pkgs, _ := e.Extract(context.Background(), input("x", data))
		if len(pkgs) != 0 {
			t.Errorf("%q: got %d packages", data, len(pkgs))
		}
	}
}

func TestBinaryTruncated(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	data := buildHello(t, "linux")
	pkgs, err := NewBinaryExtractor().Extract(context.Background(), input("hello", data[:len(data)/3]))
	if err == nil && len(pkgs) > 0 {
		t.Errorf("truncated binary: %d packages and no error", len(pkgs))
	}
}

func TestBinaryMatch(t *testing.T) {
	e := NewBinaryExtractor()
	tests := []struct {
		info fs.FileInfo
		want bool
	}{
		{fakeInfo{"go", 10 << 20, 0o755}, true},
		{fakeInfo{"lib.so", 10 << 20, 0o644}, false},
		{fakeInfo{"tiny", 100, 0o755}, false},
		{fakeInfo{"huge", 2 << 30, 0o755}, false},
		{fakeInfo{"dir", 4096, fs.ModeDir | 0o755}, false},
		{fakeInfo{"link", 4096, fs.ModeSymlink | 0o777}, false},
	}
	for _, tt := range tests {
		if got := e.Match("usr/bin/"+tt.info.Name(), tt.info); got != tt.want {
			t.Errorf("Match(%s) = %v, want %v", tt.info.Name(), got, tt.want)
		}
	}
}

func TestToolchainVersion(t *testing.T) {
	tests := []struct{ in, want string }{
		{"go1.22.3", "1.22.3"},
		{"go1.21.0 X:boringcrypto", "1.21.0"},
		{"go1.23rc1", "1.23rc1"},
		{"devel go1.23-abc Tue", ""},
		{"", ""},
		{"gox", ""},
	}
	for _, tt := range tests {
		got, _ := toolchainVersion(tt.in)
		if got != tt.want {
			t.Errorf("toolchainVersion(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestModExtract(t *testing.T) {
	e := NewModExtractor()
	for _, name := range []string{"ggcr.go.mod", "oteltrace.go.mod", "hello/go.mod"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			pkgs, err := e.Extract(context.Background(), input("src/go.mod", data))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.ReplaceAll(name, "/", "_")+".golden.json", pkgs)
		})
	}
}

func TestModBroken(t *testing.T) {
	pkgs, err := NewModExtractor().Extract(context.Background(), input("go.mod", []byte("module x\nrequire (\n\tfoo\n")))
	if err == nil {
		t.Errorf("broken go.mod: no error, %d packages", len(pkgs))
	}
}

func TestModMatch(t *testing.T) {
	e := NewModExtractor()
	info := fakeInfo{"go.mod", 100, 0o644}
	tests := []struct {
		path string
		want bool
	}{
		{"go.mod", true},
		{"src/app/go.mod", true},
		{"root/go/pkg/mod/github.com/x/y@v1.0.0/go.mod", false},
		{"pkg/mod/x@v1/go.mod", false},
		{"src/app/go.sum", false},
		{"src/app/xgo.mod", false},
	}
	for _, tt := range tests {
		if got := e.Match(tt.path, info); got != tt.want {
			t.Errorf("Match(%s) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func FuzzMod(f *testing.F) {
	for _, name := range []string{"ggcr.go.mod", "oteltrace.go.mod", "hello/go.mod"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseMod("go.mod", data)
		if err != nil && len(pkgs) > 0 {
			t.Errorf("packages with an error")
		}
		for _, p := range pkgs {
			if p.Name == "" {
				t.Errorf("package without a name: %+v", p)
			}
		}
	})
}

func FuzzBinary(f *testing.F) {
	if data, err := os.ReadFile("/bin/true"); err == nil && len(data) < 1<<20 {
		f.Add(data[:min(len(data), 4096)])
	}
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"))
	e := NewBinaryExtractor()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = e.Extract(context.Background(), input("bin", data))
	})
}

func BenchmarkBinary(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "bin", "go"))
	if err != nil {
		b.Skip(err)
	}
	e := NewBinaryExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		pkgs, err := e.Extract(context.Background(), input("go", data))
		if err != nil || len(pkgs) == 0 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}

func BenchmarkMod(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "ggcr.go.mod"))
	if err != nil {
		b.Fatal(err)
	}
	e := NewModExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("go.mod", data)); err != nil {
			b.Fatal(err)
		}
	}
}
