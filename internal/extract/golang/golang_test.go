package golang

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

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
			pkgs := extracttest.Run(t, e, extracttest.InputBytes("app/hello", data))
			normalizeStdlib(t, pkgs)
			// The same program gives the same modules on every OS.
			extracttest.Golden(t, "hello.golden.json", pkgs)
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
		pkgs, err := e.Extract(context.Background(), extracttest.InputBytes(p, data))
		if err != nil || len(pkgs) != 0 {
			t.Errorf("%s: got %d packages, err %v; want none", p, len(pkgs), err)
		}
	}
	for _, data := range [][]byte{[]byte("#!/bin/sh\necho hi\n"), []byte("\x7fELF garbage"), {}} {
		pkgs, _ := e.Extract(context.Background(), extracttest.InputBytes("x", data))
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
	pkgs, err := NewBinaryExtractor().Extract(context.Background(), extracttest.InputBytes("hello", data[:len(data)/3]))
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
		{extracttest.Info("go", 10<<20, 0o755), true},
		{extracttest.Info("lib.so", 10<<20, 0o644), false},
		{extracttest.Info("tiny", 100, 0o755), false},
		{extracttest.Info("huge", 2<<30, 0o755), false},
		{extracttest.Info("dir", 4096, fs.ModeDir|0o755), false},
		{extracttest.Info("link", 4096, fs.ModeSymlink|0o777), false},
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
			pkgs := extracttest.Run(t, e, extracttest.Input(t, "src/go.mod", name))
			extracttest.Golden(t, strings.ReplaceAll(name, "/", "_")+".golden.json", pkgs)
		})
	}
}

func TestModBroken(t *testing.T) {
	pkgs, err := NewModExtractor().Extract(context.Background(), extracttest.InputBytes("go.mod", []byte("module x\nrequire (\n\tfoo\n")))
	if err == nil {
		t.Errorf("broken go.mod: no error, %d packages", len(pkgs))
	}
}

func TestModMatch(t *testing.T) {
	e := NewModExtractor()
	info := extracttest.Info("go.mod", 100, 0o644)
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
		f.Add(extracttest.Read(f, name))
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
	seeds := [][]byte{[]byte("\x7fELF\x02\x01\x01\x00"), []byte("MZ\x90\x00"), []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01")}
	if data, err := os.ReadFile("/bin/true"); err == nil && len(data) < 1<<20 {
		seeds = append(seeds, data[:min(len(data), 4096)])
	}
	extracttest.Fuzz(f, NewBinaryExtractor(), "bin", seeds, nil)
}

func BenchmarkBinary(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "bin", "go"))
	if err != nil {
		b.Skip(err)
	}
	extracttest.Bench(b, NewBinaryExtractor(), "go", data)
}

func BenchmarkMod(b *testing.B) {
	extracttest.Bench(b, NewModExtractor(), "go.mod", extracttest.Read(b, "ggcr.go.mod"))
}
