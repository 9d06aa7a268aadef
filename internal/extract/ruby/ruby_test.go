package ruby

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
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

func TestLockExtract(t *testing.T) {
	pkgs, err := NewLockExtractor().Extract(context.Background(), input("Gemfile.lock", read(t, "devise.Gemfile.lock")))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if p.Name == "devise" {
			t.Error("PATH gem devise reported")
		}
	}
	golden(t, "devise.Gemfile.lock.golden.json", pkgs)
}

func TestLockCases(t *testing.T) {
	tests := []struct {
		name, lock string
		want       []string // name@version/platform
		wantErr    bool
	}{
		{"platforms", "GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.15.4-x86_64-linux)\n      racc (~> 1.4)\n    nokogiri (1.15.4-arm64-darwin)\n    racc (1.7.1)\n",
			[]string{"nokogiri@1.15.4/x86_64-linux", "nokogiri@1.15.4/arm64-darwin", "racc@1.7.1/"}, false},
		{"path skipped", "PATH\n  remote: .\n  specs:\n    app (0.1.0)\n\nGEM\n  specs:\n    rake (13.0.6)\n",
			[]string{"rake@13.0.6/"}, false},
		{"dependencies ignored", "GEM\n  specs:\n    rake (13.0.6)\n\nDEPENDENCIES\n  rake (~> 13.0)\n\nBUNDLED WITH\n   2.4.10\n",
			[]string{"rake@13.0.6/"}, false},
		{"crlf", "GEM\r\n  specs:\r\n    rake (13.0.6)\r\n", []string{"rake@13.0.6/"}, false},
		{"malformed kept going", "GEM\n  specs:\n    rake 13\n    rack (2.2.22)\n", []string{"rack@2.2.22/"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parseLock(strings.NewReader(tt.lock))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var got []string
			for _, p := range pkgs {
				got = append(got, p.Name+"@"+p.Version+"/"+p.Arch)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestGemspecExtract(t *testing.T) {
	e := NewGemspecExtractor()
	var all []inventory.Package
	for _, name := range []string{"rake-13.0.6.gemspec", "rack-2.2.22.gemspec"} {
		p := "usr/share/rubygems-integration/all/specifications/" + name
		if !e.Match(p, fakeInfo{name, 100}) {
			t.Errorf("%s not matched", p)
		}
		pkgs, err := e.Extract(context.Background(), input(p, read(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, pkgs...)
	}
	golden(t, "gemspecs.golden.json", all)
}

func TestGemspecCases(t *testing.T) {
	tests := []struct {
		name, spec string
		want       string // name@version/platform licences
		wantErr    bool
	}{
		{"single license", "  s.name = 'x'\n  s.version = \"1.0\".freeze\n  s.license = \"Apache-2.0\".freeze\n", "x@1.0/ [Apache-2.0]", false},
		{"platform", "s.name = \"ffi\".freeze\ns.version = \"1.16.3\"\ns.platform = \"x86_64-linux\".freeze\n", "ffi@1.16.3/x86_64-linux []", false},
		{"stub only", "# -*- encoding: utf-8 -*-\n# stub: json 2.6.3 ruby lib\n# stub: ext/json/extconf.rb\n", "json@2.6.3/ []", false},
		{"code not run", "s.name = File.read('x')\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkgs, err := parseGemspec(strings.NewReader(tt.spec))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var got string
			for _, p := range pkgs {
				got = p.Name + "@" + p.Version + "/" + p.Arch + " [" + strings.Join(p.Licenses, ",") + "]"
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	g, l := NewGemspecExtractor(), NewLockExtractor()
	for p, want := range map[string][2]bool{
		"usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec": {true, false},
		"src/rake/rake.gemspec":      {false, false},
		"app/Gemfile.lock":           {false, true},
		"app/gems.locked":            {false, true},
		"app/Gemfile":                {false, false},
		"specifications/x.gemspec.x": {false, false},
	} {
		info := fakeInfo{filepath.Base(p), 100}
		if got := [2]bool{g.Match(p, info), l.Match(p, info)}; got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzLock(f *testing.F) {
	f.Add(read(f, "devise.Gemfile.lock"))
	f.Add([]byte("GEM\n  specs:\n    a (1-x)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _ := parseLock(bytes.NewReader(data))
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Errorf("incomplete %+v", p)
			}
		}
	})
}

func FuzzGemspec(f *testing.F) {
	f.Add(read(f, "rake-13.0.6.gemspec"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parseGemspec(bytes.NewReader(data))
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
		if err == nil && (len(pkgs) != 1 || pkgs[0].Name == "" || pkgs[0].Version == "") {
			t.Errorf("no error but %+v", pkgs)
		}
	})
}

func BenchmarkLock(b *testing.B) {
	data := read(b, "devise.Gemfile.lock")
	e := NewLockExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("Gemfile.lock", data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGemspec(b *testing.B) {
	data := read(b, "rake-13.0.6.gemspec")
	e := NewGemspecExtractor()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input("specifications/rake-13.0.6.gemspec", data)); err != nil {
			b.Fatal(err)
		}
	}
}
