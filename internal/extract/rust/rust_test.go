package rust

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
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

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLockExtract(t *testing.T) {
	e := NewLockExtractor()
	for _, file := range []string{"ripgrep-v1.Cargo.lock", "ripgrep-v3.Cargo.lock", "ripgrep-v4.Cargo.lock"} {
		t.Run(file, func(t *testing.T) {
			pkgs, err := e.Extract(context.Background(), input("src/Cargo.lock", read(t, file)))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkgs {
				if p.Name == "ripgrep" || p.Name == "grep" || p.Name == "ignore" {
					t.Errorf("workspace crate %s reported", p.Name)
				}
			}
			golden(t, file+".golden.json", pkgs)
		})
	}
}

func TestLockBroken(t *testing.T) {
	data := read(t, "ripgrep-v4.Cargo.lock")
	_, err := NewLockExtractor().Extract(context.Background(), input("Cargo.lock", append(data[:200:200], "\n[[package]\nname = "...)))
	if err == nil {
		t.Error("broken lock file: no error")
	}
}

func TestLockMatch(t *testing.T) {
	e := NewLockExtractor()
	for p, want := range map[string]bool{"Cargo.lock": true, "src/x/Cargo.lock": true, "Cargo.toml": false, "cargo.lock": false} {
		if got := e.Match(p, fakeInfo{"Cargo.lock", 100, 0o644}); got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestAuditable(t *testing.T) {
	e := NewAuditableExtractor()
	pkgs, err := e.Extract(context.Background(), input("usr/bin/hello", read(t, "hello-auditable")))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if p.Name == "ripgrep" {
			t.Error("local root crate reported")
		}
	}
	golden(t, "hello-auditable.golden.json", pkgs)
}

func TestAuditableNone(t *testing.T) {
	e := NewAuditableExtractor()
	for _, p := range []string{"/bin/true", "/usr/bin/objcopy"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Skip(err)
		}
		pkgs, err := e.Extract(context.Background(), input(p, data))
		if err != nil || len(pkgs) != 0 {
			t.Errorf("%s: %d packages, err %v; want none", p, len(pkgs), err)
		}
	}
}

func TestParseDepsBounds(t *testing.T) {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	big := bytes.Repeat([]byte(" "), maxJSONSize+10)
	zw.Write(big)
	zw.Close()
	if _, err := parseDeps(&b); err == nil {
		t.Error("over-large inflated section: no error")
	}
	if _, err := parseDeps(bytes.NewReader([]byte("not zlib"))); err == nil {
		t.Error("not zlib: no error")
	}
}

func FuzzLock(f *testing.F) {
	for _, n := range []string{"ripgrep-v1.Cargo.lock", "ripgrep-v4.Cargo.lock"} {
		f.Add(read(f, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseLock(data)
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Errorf("incomplete package %+v", p)
			}
		}
	})
}

func FuzzAuditableJSON(f *testing.F) {
	for _, s := range []string{`{"packages":[{"name":"a","version":"1.0.0","source":"crates.io"}]}`, `{}`, `[]`} {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseDeps(bytes.NewReader(data))
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
	})
}

func FuzzAuditableBinary(f *testing.F) {
	data := read(f, "hello-auditable")
	f.Add(data[:4096])
	f.Add([]byte("MZ\x90\x00\x03"))
	f.Add([]byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"))
	e := NewAuditableExtractor()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = e.Extract(context.Background(), input("bin", data))
	})
}

func BenchmarkLock(b *testing.B) {
	data := read(b, "ripgrep-v1.Cargo.lock")
	e := NewLockExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("Cargo.lock", data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuditable(b *testing.B) {
	data := read(b, "hello-auditable")
	e := NewAuditableExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if pkgs, err := e.Extract(context.Background(), input("hello", data)); err != nil || len(pkgs) == 0 {
			b.Fatal(err)
		}
	}
}
