package benchcmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	pavejson "github.com/pavesec/pave/internal/report/json"
)

func TestParsePURL(t *testing.T) {
	tests := []struct {
		purl string
		want Key
		ok   bool
	}{
		// Debian: the namespace and qualifiers do not matter; the epoch may
		// be in the version (Syft, scalibr) or a qualifier (Trivy).
		{"pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&upstream=zlib", Key{"deb", "zlib1g", "1:1.2.13.dfsg-1"}, true},
		{"pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=bookworm&source=zlib", Key{"deb", "zlib1g", "1:1.2.13.dfsg-1"}, true},
		{"pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.15&epoch=1", Key{"deb", "zlib1g", "1:1.2.13.dfsg-1"}, true},
		{"pkg:deb/debian/base-files@12.4%2Bdeb12u15?arch=amd64", Key{"deb", "base-files", "12.4+deb12u15"}, true},
		// npm scopes, encoded or not.
		{"pkg:npm/%40types/ms@0.7.31", Key{"npm", "@types/ms", "0.7.31"}, true},
		{"pkg:npm/@types/ms@0.7.31?source=UNKNOWN", Key{"npm", "@types/ms", "0.7.31"}, true},
		// Maven keeps the artifact ID only.
		{"pkg:maven/commons-cli/commons-cli@1.5.0", Key{"maven", "commons-cli", "1.5.0"}, true},
		{"pkg:maven/commons-cli@1.5.0", Key{"maven", "commons-cli", "1.5.0"}, true},
		// PyPI names are PEP 503-normalised.
		{"pkg:pypi/Jinja2@2.11.2", Key{"pypi", "jinja2", "2.11.2"}, true},
		{"pkg:pypi/typing_extensions@4.4.0", Key{"pypi", "typing-extensions", "4.4.0"}, true},
		{"pkg:pypi/zope.interface@5.5.2", Key{"pypi", "zope-interface", "5.5.2"}, true},
		// Go: with or without "v"; the standard library with or without "go".
		{"pkg:golang/github.com/google/uuid@v1.6.0", Key{"golang", "github.com/google/uuid", "1.6.0"}, true},
		{"pkg:golang/github.com/google/uuid@1.6.0", Key{"golang", "github.com/google/uuid", "1.6.0"}, true},
		{"pkg:golang/github.com/BurntSushi/toml@v1.5.0", Key{"golang", "github.com/burntsushi/toml", "1.5.0"}, true},
		{"pkg:golang/stdlib@go1.26.8", Key{"golang", "stdlib", "1.26.8"}, true},
		{"pkg:golang/stdlib@1.26.8", Key{"golang", "stdlib", "1.26.8"}, true},
		{"pkg:gem/rainbow@3.1.1#sub/path", Key{"gem", "rainbow", "3.1.1"}, true},
		// Not comparable.
		{"", Key{}, false},
		{"cpe:2.3:a:zlib:zlib:1.2.13", Key{}, false},
		{"pkg:npm/left-pad", Key{}, false},
		{"pkg:npm/@scope/name", Key{}, false},
		{"pkg:npm/left-pad@", Key{}, false},
		{"pkg:npm@1.0", Key{}, false},
		{"pkg:npm/%zz@1.0", Key{}, false},
	}
	for _, tt := range tests {
		got, ok := ParsePURL(tt.purl)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParsePURL(%q) = %v, %v; want %v, %v", tt.purl, got, ok, tt.want, tt.ok)
		}
	}
}

func load(t *testing.T, name string) *Set {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Load(f)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return s
}

// countTypes is the number of distinct keys per type.
func countTypes(s *Set) map[string]int {
	m := map[string]int{}
	for k := range s.Keys {
		m[k.Type]++
	}
	return m
}

// The samples are Syft's and osv-scalibr's output for the sample image
// testdata/images/sample-debian.tar, trimmed. The expected counts come
// from reading the documents: 14 Debian packages in the image's dpkg
// database (one was purged), and the language packages each tool reports.
func TestLoadRealDocuments(t *testing.T) {
	tests := []struct {
		file   string
		format Format
		tool   string
		raw    int
		types  map[string]int
	}{
		{"sample.syft.json", FormatSyft, "syft v1.51.0-26-gbf82010f3", 28,
			map[string]int{"deb": 14, "gem": 2, "golang": 4, "maven": 1, "npm": 5, "pypi": 2}},
		{"sample.syft.cdx.json", FormatCycloneDX, "syft v1.51.0-26-gbf82010f3", 28,
			map[string]int{"deb": 14, "gem": 2, "golang": 4, "maven": 1, "npm": 5, "pypi": 2}},
		{"sample.scalibr.cdx.json", FormatCycloneDX, "SCALIBR", 34,
			map[string]int{"deb": 14, "golang": 5, "maven": 1, "npm": 7, "pypi": 5}},
		{"sample.scalibr.spdx.json", FormatSPDX, "SCALIBR", 35,
			map[string]int{"deb": 14, "golang": 5, "maven": 1, "npm": 7, "pypi": 5}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := load(t, tt.file)
			if s.Format != tt.format {
				t.Errorf("format = %q, want %q", s.Format, tt.format)
			}
			if !strings.HasPrefix(s.Tool, tt.tool) {
				t.Errorf("tool = %q, want prefix %q", s.Tool, tt.tool)
			}
			if s.Raw != tt.raw {
				t.Errorf("raw = %d, want %d", s.Raw, tt.raw)
			}
			if diff := cmp.Diff(tt.types, countTypes(s)); diff != "" {
				t.Errorf("types (-want +got):\n%s", diff)
			}
			if !s.Keys[Key{"deb", "zlib1g", "1:1.2.13.dfsg-1"}] {
				t.Errorf("zlib1g with its epoch not found")
			}
		})
	}
}

// The same tool's two formats must give the same set.
func TestFormatsAgree(t *testing.T) {
	for _, pair := range [][2]string{
		{"sample.syft.json", "sample.syft.cdx.json"},
		{"sample.scalibr.cdx.json", "sample.scalibr.spdx.json"},
	} {
		a, b := load(t, pair[0]), load(t, pair[1])
		if diff := cmp.Diff(a.Keys, b.Keys); diff != "" {
			t.Errorf("%s vs %s (-a +b):\n%s", pair[0], pair[1], diff)
		}
	}
}

// A pave document is read with pave's own JSON reader, so this test
// breaks if the scan document changes shape under benchcmp.
func TestLoadPave(t *testing.T) {
	pkg := func(eco inventory.Ecosystem, ns, name, version string, q map[string]string) inventory.Package {
		return inventory.Package{Name: name, Version: version, Ecosystem: eco,
			PURL:      inventory.PURL(eco, ns, name, version, q),
			Locations: []inventory.Location{{Path: "var/lib/dpkg/status"}}, Extractor: "test"}
	}
	scan := &report.Scan{
		Header: report.Header{Schema: report.Schema, Tool: report.Tool{Name: "pave", Version: "0.1.0"},
			Target: report.Target{Kind: "docker-archive", Name: "sample-debian.tar"}},
		Packages: []inventory.Package{
			pkg(inventory.Deb, "debian", "zlib1g", "1:1.2.13.dfsg-1", map[string]string{"arch": "amd64"}),
			pkg(inventory.NPM, "@types", "ms", "0.7.31", nil),
			pkg(inventory.Golang, "github.com/google", "uuid", "v1.6.0", nil),
			{Name: "no-purl", Version: "1", Ecosystem: inventory.Generic,
				Locations: []inventory.Location{{Path: "x"}}, Extractor: "test"},
		},
		Summary: report.Summary{Status: "complete", Packages: 4},
	}
	var buf bytes.Buffer
	if err := pavejson.Write(&buf, scan, pavejson.Options{}); err != nil {
		t.Fatal(err)
	}
	s, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Key]bool{
		{"deb", "zlib1g", "1:1.2.13.dfsg-1"}:          true,
		{"npm", "@types/ms", "0.7.31"}:                true,
		{"golang", "github.com/google/uuid", "1.6.0"}: true,
	}
	if diff := cmp.Diff(want, s.Keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if s.Format != FormatPave || s.Tool != "pave 0.1.0" || s.Raw != 4 || s.NoPURL != 1 {
		t.Errorf("got format %q tool %q raw %d nopurl %d", s.Format, s.Tool, s.Raw, s.NoPURL)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		unknown   bool
	}{
		{"not json", "<xml/>", false},
		{"unknown", `{"hello": 1}`, true},
		{"other pave schema", `{"schema": "pave.scan/v9", "packages": []}`, false},
		{"bad cyclonedx", `{"bomFormat": "CycloneDX", "components": {}}`, false},
		{"bad spdx", `{"spdxVersion": "SPDX-2.3", "packages": 3}`, false},
		{"bad syft", `{"descriptor": {}, "artifacts": "x"}`, false},
		{"deep cyclonedx", `{"bomFormat": "CycloneDX", "components": [` + strings.Repeat(`{"components": [`, 70) + strings.Repeat(`]}`, 70) + `]}`, false},
	}
	for _, tt := range tests {
		_, err := Load(strings.NewReader(tt.doc))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if errors.Is(err, ErrUnknownFormat) != tt.unknown {
			t.Errorf("%s: err = %v, unknown format %v", tt.name, err, tt.unknown)
		}
	}
}

func TestCompare(t *testing.T) {
	ref := load(t, "sample.syft.json")
	got := load(t, "sample.scalibr.cdx.json")
	r := Compare(ref.Keys, got.Keys)
	// scalibr reads the Go binary's main module as "(devel)" where Syft
	// derives a pseudo-version, names the standard library by the go
	// directive, and has no gem extractor for Debian's ruby-* packages in
	// an image: those are the Syft packages it lacks here.
	wantMissing := map[string][]Key{
		"gem": {{"gem", "rainbow", "3.1.1"}, {"gem", "sdbm", "1.0.0"}},
		"golang": {
			{"golang", "example.com/sample/hello", "0.0.0-20261126002853-ff32199fdc9f"},
			{"golang", "stdlib", "1.26.8"},
		},
	}
	gotMissing := map[string][]Key{}
	found := 0
	for _, s := range r.Types {
		if len(s.Missing) > 0 {
			gotMissing[s.Type] = s.Missing
		}
		if s.Found+len(s.Missing) != s.Ref || s.Got-len(s.Extra) != s.Found {
			t.Errorf("%s: counts do not add up: %+v", s.Type, s)
		}
		found += s.Found
	}
	if diff := cmp.Diff(wantMissing, gotMissing); diff != "" {
		t.Errorf("missing (-want +got):\n%s", diff)
	}
	if found != r.Found || r.Ref != len(ref.Keys) || r.Got != len(got.Keys) {
		t.Errorf("totals: %+v", r)
	}
	if want := float64(r.Ref-4) / float64(r.Ref); r.Recall != want {
		t.Errorf("recall = %v, want %v", r.Recall, want)
	}
	// A set compared with itself has full recall and precision.
	self := Compare(ref.Keys, ref.Keys)
	if self.Recall != 1 || self.Precision != 1 {
		t.Errorf("self: recall %v precision %v", self.Recall, self.Precision)
	}
	if empty := Compare(nil, nil); empty.Recall != 1 || len(empty.Types) != 0 {
		t.Errorf("empty: %+v", empty)
	}
}

func TestWriteText(t *testing.T) {
	ref := map[Key]bool{{"deb", "a", "1"}: true, {"deb", "b", "1"}: true, {"deb", "c", "1"}: true, {"npm", "x", "2"}: true}
	got := map[Key]bool{{"deb", "a", "1"}: true, {"npm", "y", "3"}: true}
	var buf bytes.Buffer
	if err := WriteText(&buf, "syft", "pave", Compare(ref, got), true, 1); err != nil {
		t.Fatal(err)
	}
	want := `pave finds 1 of the 4 packages syft finds: recall 25.00% (pave lists 2, 1 not in syft)
type           syft     pave     both   recall
deb               3        1        1    33.3%
npm               1        1        0     0.0%

missing from pave: deb (2):
  b@1
  ... 1 more

missing from pave: npm (1):
  x@2

only in pave: npm (1):
  y@3
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"sample.syft.json", "sample.scalibr.cdx.json", "sample.scalibr.spdx.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"bomFormat":"CycloneDX","components":[{"purl":"pkg:npm/@a/b@1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatal("set with an error")
			}
			return
		}
		if len(s.Keys) > s.Raw-s.NoPURL {
			t.Fatalf("%d keys from %d entries with a purl", len(s.Keys), s.Raw-s.NoPURL)
		}
		for k := range s.Keys {
			if k.Type == "" || k.Name == "" || k.Version == "" {
				t.Fatalf("incomplete key %+v", k)
			}
		}
		if _, err := json.Marshal(Compare(s.Keys, s.Keys)); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParsePURL(f *testing.F) {
	for _, s := range []string{"pkg:deb/debian/zlib1g@1.2.13.dfsg-1?epoch=1", "pkg:npm/%40types/ms@0.7.31", "pkg:pypi/Zope.Interface@5", "pkg:golang/stdlib@go1.22"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, purl string) {
		k, ok := ParsePURL(purl)
		if !ok {
			if k != (Key{}) {
				t.Fatalf("key %+v without ok", k)
			}
			return
		}
		if k.Type == "" || k.Name == "" || k.Version == "" {
			t.Fatalf("incomplete key %+v from %q", k, purl)
		}
	})
}

// BenchmarkCompare compares two sets the size of the benchmark image's
// (about 2,000 packages), loaded from real documents and widened.
func BenchmarkCompare(b *testing.B) {
	ref, got := map[Key]bool{}, map[Key]bool{}
	for i := range 2000 {
		k := Key{"deb", "pkg" + string(rune('a'+i%26)) + strings.Repeat("x", i%7), string(rune('0' + i%10))}
		ref[k] = true
		if i%50 != 0 {
			got[k] = true
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		Compare(ref, got)
	}
}

func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "sample.syft.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
