package dotnet

import (
	"bytes"
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
}

func (f fakeInfo) Name() string       { return f.name }
func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return nil }

func input(p string, data []byte) *extract.Input {
	return &extract.Input{Path: p, Info: fakeInfo{filepath.Base(p), int64(len(data))},
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

func TestDeps(t *testing.T) {
	pkgs, err := NewDepsExtractor().Extract(context.Background(), input("app/WebApp.deps.json", read(t, "webapp.deps.json")))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "webapp.deps.json.golden.json", pkgs)
}

func TestLock(t *testing.T) {
	pkgs, err := NewLockExtractor().Extract(context.Background(), input("src/packages.lock.json", read(t, "packages.lock.json")))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "packages.lock.json.golden.json", pkgs)
}

func TestLockCases(t *testing.T) {
	tests := []struct {
		name, lock string
		want       []string
		wantErr    bool
	}{
		{"two frameworks, one package", `{"version":1,"dependencies":{"net8.0":{"A":{"type":"Direct","resolved":"1.0.0"}},"net6.0":{"A":{"type":"Transitive","resolved":"1.0.0"},"B":{"type":"CentralTransitive","resolved":"2.0.0"}}}}`,
			[]string{"A@1.0.0", "B@2.0.0"}, false},
		{"project skipped", `{"version":2,"dependencies":{"net8.0":{"lib":{"type":"Project"}}}}`, nil, false},
		{"unknown version", `{"version":9,"dependencies":{}}`, nil, true},
		{"not json", `{"version":`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parseLock([]byte(tt.lock))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, p.Name+"@"+p.Version)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	d, l := NewDepsExtractor(), NewLockExtractor()
	for p, want := range map[string][2]bool{
		"app/WebApp.deps.json":          {true, false},
		"app/.deps.json":                {false, false},
		"src/packages.lock.json":        {false, true},
		"app/WebApp.runtimeconfig.json": {false, false},
	} {
		info := fakeInfo{filepath.Base(p), 100}
		if got := [2]bool{d.Match(p, info), l.Match(p, info)}; got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzDeps(f *testing.F) {
	f.Add(read(f, "webapp.deps.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseDeps(data)
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Errorf("incomplete %+v", p)
			}
		}
	})
}

func FuzzLock(f *testing.F) {
	f.Add(read(f, "packages.lock.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseLock(data)
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
	})
}

func BenchmarkDeps(b *testing.B) {
	data := read(b, "webapp.deps.json")
	e := NewDepsExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("a.deps.json", data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLock(b *testing.B) {
	data := read(b, "packages.lock.json")
	e := NewLockExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("packages.lock.json", data)); err != nil {
			b.Fatal(err)
		}
	}
}
