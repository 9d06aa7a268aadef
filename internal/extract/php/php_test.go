package php

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

func TestLock(t *testing.T) {
	pkgs, err := NewLockExtractor().Extract(context.Background(), input("composer.lock", read(t, "composer.lock")))
	if err != nil {
		t.Fatal(err)
	}
	var dev int
	for _, p := range pkgs {
		if p.Dev {
			dev++
		}
	}
	if dev == 0 || dev == len(pkgs) {
		t.Errorf("%d of %d packages dev; want some", dev, len(pkgs))
	}
	golden(t, "composer.lock.golden.json", pkgs)
}

func TestInstalled(t *testing.T) {
	data := read(t, "installed.json")
	pkgs, err := NewInstalledExtractor().Extract(context.Background(), input("vendor/composer/installed.json", data))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "installed.json.golden.json", pkgs)

	// Composer 1 wrote the same package objects as a top-level array.
	var v2 struct {
		Packages []json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(data, &v2); err != nil {
		t.Fatal(err)
	}
	v1, _ := json.MarshalIndent(v2.Packages, "", "    ")
	got1, err := parseInstalled(v1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(pkgs, got1, cmpIgnoreLines); d != "" {
		t.Errorf("v1 layout differs (-v2 +v1):\n%s", d)
	}
}

var cmpIgnoreLines = cmp.Transformer("nolines", func(l []inventory.Location) int { return len(l) })

func TestBroken(t *testing.T) {
	data := read(t, "composer.lock")
	cut := data[:len(data)/2]
	pkgs, err := parseLock(cut)
	if err == nil {
		t.Error("truncated lock: no error")
	}
	if len(pkgs) == 0 {
		t.Error("truncated lock: no partial result")
	}
	for _, bad := range []string{"", "[]", `{"packages": 3}`, `{"packages": [1]}`} {
		if _, err := parseLock([]byte(bad)); err == nil && bad != "" {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestMatch(t *testing.T) {
	l, i := NewLockExtractor(), NewInstalledExtractor()
	for p, want := range map[string][2]bool{
		"app/composer.lock":                  {true, false},
		"app/vendor/composer/installed.json": {false, true},
		"app/installed.json":                 {false, false},
		"app/composer.json":                  {false, false},
	} {
		info := fakeInfo{filepath.Base(p), 100}
		if got := [2]bool{l.Match(p, info), i.Match(p, info)}; got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzComposer(f *testing.F) {
	f.Add(read(f, "installed.json"))
	f.Add([]byte(`[{"name":"a/b","version":"1.0","license":"MIT"}]`))
	f.Add([]byte(`{"packages":[{"name":"a/b","version":"1"}],"packages-dev":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]inventory.Package, error){parseLock, parseInstalled} {
			pkgs, _ := parse(data)
			for _, p := range pkgs {
				if p.Name == "" || p.Version == "" {
					t.Errorf("incomplete %+v", p)
				}
			}
		}
	})
}

func BenchmarkLock(b *testing.B) {
	data := read(b, "composer.lock")
	e := NewLockExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("composer.lock", data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInstalled(b *testing.B) {
	data := read(b, "installed.json")
	e := NewInstalledExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("vendor/composer/installed.json", data)); err != nil {
			b.Fatal(err)
		}
	}
}
