package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

// run parses data as the file at path.
func run(p feed.Parser, path string, data []byte) (*feed.Collector, error) {
	var c feed.Collector
	err := p.Parse(context.Background(), path, bytes.NewReader(data), &c)
	return &c, err
}

// checkRecord asserts the invariants every Debian record keeps.
func checkRecord(t testing.TB, r *osv.Record) {
	t.Helper()
	if r.ID == "" || len(r.Affected) == 0 {
		t.Fatalf("record %q has no id or no affected", r.ID)
	}
	for _, a := range r.Affected {
		eco, ver, _ := strings.Cut(a.Package.Ecosystem, ":")
		if eco != "Debian" || ver == "" || !validPackage(a.Package.Name) {
			t.Fatalf("%s: bad package %+v", r.ID, a.Package)
		}
		if len(a.Ranges) == 0 {
			t.Fatalf("%s: %s has no range", r.ID, a.Package.Name)
		}
		for _, rg := range a.Ranges {
			if rg.Type != osv.RangeEcosystem || len(rg.Events) == 0 || len(rg.Events) > 2 || rg.Events[0].Introduced != "0" {
				t.Fatalf("%s: bad range %+v", r.ID, rg)
			}
			if len(rg.Events) == 2 && !validVersion(rg.Events[1].Fixed) {
				t.Fatalf("%s: bad fixed event %+v", r.ID, rg.Events[1])
			}
		}
		if a.EcosystemSpecific != nil {
			var s Specific
			if err := json.Unmarshal(a.EcosystemSpecific, &s); err != nil {
				t.Fatalf("%s: ecosystem_specific: %v", r.ID, err)
			}
		}
	}
}

func TestEcosystem(t *testing.T) {
	for _, tc := range []struct{ codename, want string }{
		{"woody", "Debian:3.0"}, {"squeeze", "Debian:6.0"}, {"wheezy", "Debian:7"},
		{"bookworm", "Debian:12"}, {"trixie", "Debian:13"}, {"forky", "Debian:14"},
		{"sid", "Debian:unstable"}, {"experimental", ""}, {"Bookworm", ""}, {"", ""},
	} {
		got, ok := Ecosystem(tc.codename)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Ecosystem(%q) = %q, %v; want %q", tc.codename, got, ok, tc.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]string{
		"high**": "high", "medium": "medium", "low**": "low", "unimportant": "unimportant",
		"not yet assigned": "", "end-of-life": "", "": "", "critical": "",
	} {
		if got := severity(in); got != want {
			t.Errorf("severity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidNames(t *testing.T) {
	for _, v := range []string{"1:102.9.0-1~deb11u1", "2005.08.R1-0.1etch1", "kernel-image-2.4.17-ia64", "0"} {
		if !validVersion(v) {
			t.Errorf("validVersion(%q) = false", v)
		}
	}
	for _, v := range []string{"", "1.0 2", "1.0\n", "<unfixed>", strings.Repeat("1", 257)} {
		if validVersion(v) {
			t.Errorf("validVersion(%q) = true", v)
		}
	}
	for _, n := range []string{"openssl", "libapache-mod-ssl", "gtk+3.0", "request-tracker3.4"} {
		if !validPackage(n) {
			t.Errorf("validPackage(%q) = false", n)
		}
	}
	for _, n := range []string{"", "-x", "a b", "../etc", "a/b"} {
		if validPackage(n) {
			t.Errorf("validPackage(%q) = true", n)
		}
	}
}
