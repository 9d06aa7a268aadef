package dotnet

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract/extracttest"
)

func TestDeps(t *testing.T) {
	pkgs := extracttest.Run(t, NewDepsExtractor(), extracttest.Input(t, "app/WebApp.deps.json", "webapp.deps.json"))
	extracttest.Golden(t, "webapp.deps.json.golden.json", pkgs)
}

func TestLock(t *testing.T) {
	pkgs := extracttest.Run(t, NewLockExtractor(), extracttest.Input(t, "src/packages.lock.json", "packages.lock.json"))
	extracttest.Golden(t, "packages.lock.json.golden.json", pkgs)
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
		info := extracttest.Info(filepath.Base(p), 100, 0o644)
		if got := [2]bool{d.Match(p, info), l.Match(p, info)}; got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzDeps(f *testing.F) {
	f.Add(extracttest.Read(f, "webapp.deps.json"))
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
	f.Add(extracttest.Read(f, "packages.lock.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseLock(data)
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
	})
}

func BenchmarkDeps(b *testing.B) {
	extracttest.Bench(b, NewDepsExtractor(), "a.deps.json", extracttest.Read(b, "webapp.deps.json"))
}

func BenchmarkLock(b *testing.B) {
	extracttest.Bench(b, NewLockExtractor(), "packages.lock.json", extracttest.Read(b, "packages.lock.json"))
}
