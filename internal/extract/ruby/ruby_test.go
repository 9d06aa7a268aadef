package ruby

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

func TestLockExtract(t *testing.T) {
	pkgs := extracttest.Run(t, NewLockExtractor(), extracttest.Input(t, "Gemfile.lock", "devise.Gemfile.lock"))
	for _, p := range pkgs {
		if p.Name == "devise" {
			t.Error("PATH gem devise reported")
		}
	}
	extracttest.Golden(t, "devise.Gemfile.lock.golden.json", pkgs)
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
	for _, name := range []string{"rake-13.0.6.gemspec", "rack-2.2.22.gemspec", "abbrev-0.1.0.gemspec"} {
		p := "usr/share/rubygems-integration/all/specifications/" + name
		if name == "abbrev-0.1.0.gemspec" {
			p = "usr/lib/ruby/gems/3.1.0/specifications/default/" + name
		}
		if !e.Match(p, extracttest.Info(name, 100, 0o644)) {
			t.Errorf("%s not matched", p)
		}
		pkgs := extracttest.Run(t, e, extracttest.Input(t, p, name))
		all = append(all, pkgs...)
	}
	extracttest.Golden(t, "gemspecs.golden.json", all)
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
		"usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec":          {true, false},
		"usr/lib/ruby/gems/3.1.0/specifications/default/abbrev-0.1.0.gemspec": {true, false},
		"usr/lib/ruby/gems/3.1.0/default/x-1.gemspec":                         {false, false},
		"src/rake/rake.gemspec":                                               {false, false},
		"app/Gemfile.lock":                                                    {false, true},
		"app/gems.locked":                                                     {false, true},
		"app/Gemfile":                                                         {false, false},
		"specifications/x.gemspec.x":                                          {false, false},
	} {
		info := extracttest.Info(filepath.Base(p), 100, 0o644)
		if got := [2]bool{g.Match(p, info), l.Match(p, info)}; got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzLock(f *testing.F) {
	f.Add(extracttest.Read(f, "devise.Gemfile.lock"))
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
	f.Add(extracttest.Read(f, "rake-13.0.6.gemspec"))
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
	extracttest.Bench(b, NewLockExtractor(), "Gemfile.lock", extracttest.Read(b, "devise.Gemfile.lock"))
}

func BenchmarkGemspec(b *testing.B) {
	extracttest.Bench(b, NewGemspecExtractor(), "specifications/rake-13.0.6.gemspec", extracttest.Read(b, "rake-13.0.6.gemspec"))
}
