package php

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

func TestLock(t *testing.T) {
	pkgs := extracttest.Run(t, NewLockExtractor(), extracttest.Input(t, "composer.lock", "composer.lock"))
	var dev int
	for _, p := range pkgs {
		if p.Dev {
			dev++
		}
	}
	if dev == 0 || dev == len(pkgs) {
		t.Errorf("%d of %d packages dev; want some", dev, len(pkgs))
	}
	extracttest.Golden(t, "composer.lock.golden.json", pkgs)
}

func TestInstalled(t *testing.T) {
	data := extracttest.Read(t, "installed.json")
	pkgs := extracttest.Run(t, NewInstalledExtractor(), extracttest.InputBytes("vendor/composer/installed.json", data))
	extracttest.Golden(t, "installed.json.golden.json", pkgs)

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
	data := extracttest.Read(t, "composer.lock")
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
		info := extracttest.Info(filepath.Base(p), 100, 0o644)
		if got := [2]bool{l.Match(p, info), i.Match(p, info)}; got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzComposer(f *testing.F) {
	f.Add(extracttest.Read(f, "installed.json"))
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
	extracttest.Bench(b, NewLockExtractor(), "composer.lock", extracttest.Read(b, "composer.lock"))
}

func BenchmarkInstalled(b *testing.B) {
	extracttest.Bench(b, NewInstalledExtractor(), "vendor/composer/installed.json", extracttest.Read(b, "installed.json"))
}
