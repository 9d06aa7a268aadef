package spdx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/report/reporttest"
)

var created = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func write(t testing.TB, scan *report.Scan, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Emit(context.Background(), New(&buf, opts), scan); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	schema := reporttest.Schema(t, "../testdata/schemas/spdx", "http://spdx.org/rdf/terms/2.3")
	for _, tt := range []struct {
		name string
		scan *report.Scan
	}{
		{"image.spdx.json", reporttest.Sample()},
		{"dir.spdx.json", reporttest.SampleDir()},
		{"empty.spdx.json", &report.Scan{Summary: report.Summary{Status: "complete"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := write(t, tt.scan, Options{Created: created})
			reporttest.Validate(t, schema, got)
			checkDocument(t, got)
			reporttest.Golden(t, tt.name, got)
		})
	}
}

var spdxIDRe = regexp.MustCompile(`^SPDXRef-[a-zA-Z0-9.-]+$`)

// checkDocument checks what the JSON Schema cannot: ids are valid and
// unique, relationships name existing elements, every LicenseRef used is
// defined and every licenseDeclared parses.
func checkDocument(t *testing.T, b []byte) {
	t.Helper()
	var doc Document
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{doc.SPDXID: true}
	for _, p := range doc.Packages {
		if !spdxIDRe.MatchString(p.SPDXID) {
			t.Errorf("invalid SPDXID %q", p.SPDXID)
		}
		if ids[p.SPDXID] {
			t.Errorf("duplicate SPDXID %q", p.SPDXID)
		}
		ids[p.SPDXID] = true
	}
	for _, r := range doc.Relationships {
		if !ids[r.SPDXElementID] || !ids[r.RelatedSPDXElement] {
			t.Errorf("relationship %+v names an unknown element", r)
		}
	}
	defined := map[string]bool{}
	for _, e := range doc.HasExtractedLicensingInfos {
		defined[e.LicenseID] = true
	}
	used := map[string]bool{}
	for _, p := range doc.Packages {
		if p.LicenseDeclared == NoAssertion {
			continue
		}
		_, refs, ok := Expression(p.LicenseDeclared)
		if !ok {
			t.Errorf("%s: licenseDeclared %q is not an SPDX expression", p.SPDXID, p.LicenseDeclared)
		}
		for _, r := range refs {
			if !defined[r] {
				t.Errorf("%s: %s is not in hasExtractedLicensingInfos", p.SPDXID, r)
			}
			used[r] = true
		}
	}
	for r := range defined {
		if !used[r] {
			t.Errorf("%s defined but unused", r)
		}
	}
	if !strings.HasPrefix(doc.DocumentNamespace, NamespacePrefix) {
		t.Errorf("namespace %q", doc.DocumentNamespace)
	}
}

func TestDeterministic(t *testing.T) {
	a := write(t, reporttest.Sample(), Options{Created: created})
	b := write(t, reporttest.Sample(), Options{Created: created})
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same scan differ")
	}
	// A different creation time or content gives a different namespace.
	ns := func(b []byte) string {
		var d Document
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d.DocumentNamespace
	}
	later := write(t, reporttest.Sample(), Options{Created: created.Add(time.Second)})
	s := reporttest.Sample()
	s.Packages = s.Packages[1:]
	fewer := write(t, s, Options{Created: created})
	if ns(a) == ns(later) || ns(a) == ns(fewer) {
		t.Errorf("namespace does not depend on content: %s %s %s", ns(a), ns(later), ns(fewer))
	}
}

func TestNoCreated(t *testing.T) {
	err := report.Emit(context.Background(), New(&bytes.Buffer{}, Options{}), reporttest.SampleDir())
	if !errors.Is(err, ErrNoCreated) {
		t.Errorf("got %v, want ErrNoCreated", err)
	}
}

func TestDuplicatePackages(t *testing.T) {
	s := reporttest.SampleDir()
	s.Packages = append(s.Packages, s.Packages[0], s.Packages[0])
	b := write(t, s, Options{Created: created})
	checkDocument(t, b)
	if n := strings.Count(string(b), `"SPDXID": "SPDXRef-Package-npm-npmcli-arborist-`); n != 3 {
		t.Errorf("%d arborist packages, want 3", n)
	}
}

// hashRe matches the hash suffix that keeps lossy LicenseRefs apart.
var hashRe = regexp.MustCompile(`-[0-9a-f]{8}\b`)

func TestDeclared(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
		refs []string
	}{
		{nil, "NOASSERTION", nil},
		{[]string{""}, "NOASSERTION", nil},
		{[]string{"MIT"}, "MIT", nil},
		{[]string{"apache-2.0"}, "Apache-2.0", nil},
		{[]string{"BSD-3-Clause OR Apache-2.0"}, "BSD-3-Clause OR Apache-2.0", nil},
		{[]string{"MIT", "BSD-3-Clause OR Apache-2.0"}, "MIT AND (BSD-3-Clause OR Apache-2.0)", nil},
		{[]string{"MIT", "MIT"}, "MIT", nil},
		{[]string{"GPL-3+"}, "LicenseRef-GPL-3-<hash>", []string{"LicenseRef-GPL-3-<hash>"}},
		{[]string{"public-domain", "Zlib"}, "LicenseRef-public-domain AND Zlib", []string{"LicenseRef-public-domain"}},
		{[]string{"MIT OR LicenseRef-Custom"}, "MIT OR LicenseRef-Custom", []string{"LicenseRef-Custom"}},
		{[]string{"@@@"}, "LicenseRef-<hash>", []string{"LicenseRef-<hash>"}},
	} {
		l := newLicenses()
		got := hashRe.ReplaceAllString(l.declared(tt.in), "-<hash>")
		var refs []string
		for _, e := range l.extracted() {
			refs = append(refs, hashRe.ReplaceAllString(e.LicenseID, "-<hash>"))
		}
		if got != tt.want || strings.Join(refs, ",") != strings.Join(tt.refs, ",") {
			t.Errorf("declared(%q) = %q refs %q, want %q refs %q", tt.in, got, refs, tt.want, tt.refs)
		}
	}
}

func TestEmbeddedListMatchesSchema(t *testing.T) {
	b, err := os.ReadFile("../testdata/schemas/cyclonedx/spdx.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, idList) {
		t.Error("spdx.schema.json differs from the vendored CycloneDX copy")
	}
	ids := loadIDs()
	if len(ids.licenses) < 600 || len(ids.exceptions) < 50 {
		t.Errorf("%d licenses, %d exceptions: the list did not split", len(ids.licenses), len(ids.exceptions))
	}
}

func BenchmarkWrite5000(b *testing.B) {
	scan := reporttest.Many(5000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.Emit(ctx, New(&buf, Options{Created: created}), scan); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func TestPackageIDStable(t *testing.T) {
	p := &inventory.Package{Name: "@types/node", Version: "20.1.0", Ecosystem: inventory.NPM, PURL: "pkg:npm/%40types/node@20.1.0"}
	id := packageID(p)
	if !spdxIDRe.MatchString(id) || !strings.HasPrefix(id, "SPDXRef-Package-npm-types-node-") {
		t.Errorf("packageID = %q", id)
	}
	q := *p
	q.PURL = "pkg:npm/%40types/node@20.1.1"
	if packageID(&q) == id {
		t.Error("different PURLs share an SPDXID")
	}
}

// FuzzBuild: whatever the package strings, the document is valid against
// the SPDX schema, its ids are valid and its licences parse.
func FuzzBuild(f *testing.F) {
	schema := reporttest.Schema(f, "../testdata/schemas/spdx", "http://spdx.org/rdf/terms/2.3")
	f.Add("@npmcli/arborist", "9.9.1", "BSD-3-Clause OR Apache-2.0", "public-domain")
	f.Add("zlib1g", "1:1.2.13.dfsg-1", "GPL-1+ or Artistic", "LicenseRef-x")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, name, version, lic1, lic2 string) {
		s := reporttest.SampleDir()
		for _, eco := range []inventory.Ecosystem{inventory.NPM, inventory.Deb} {
			s.Packages = append(s.Packages, inventory.Package{
				Name: name, Version: version, Ecosystem: eco, Licenses: []string{lic1, lic2},
				PURL: inventory.PURL(eco, "", name, version, nil),
			})
		}
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, s, Options{Created: created}); err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, schema, buf.Bytes())
		checkDocument(t, buf.Bytes())
	})
}
