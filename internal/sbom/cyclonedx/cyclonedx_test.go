package cyclonedx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	jsonreport "github.com/pavesec/pave/internal/report/json"
	"github.com/pavesec/pave/internal/report/openvex"
	"github.com/pavesec/pave/internal/report/reporttest"
)

func write(t testing.TB, scan *report.Scan, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Emit(context.Background(), New(&buf, opts), scan); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	schema := reporttest.Schema(t, "../testdata/schemas/cyclonedx", SchemaURL)
	for _, tt := range []struct {
		name string
		scan *report.Scan
		opts Options
	}{
		{"image.cdx.json", reporttest.Sample(), Options{}},
		{"dir-timestamp.cdx.json", reporttest.SampleDir(), Options{Timestamp: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}},
		{"dir.cdx.json", reporttest.SampleDir(), Options{}},
		{"empty.cdx.json", &report.Scan{Summary: report.Summary{Status: "complete"}}, Options{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := write(t, tt.scan, tt.opts)
			reporttest.Validate(t, schema, got)
			checkBOM(t, got)
			reporttest.Golden(t, tt.name, got)
		})
	}
}

// checkBOM checks what the schema cannot: bom-refs are unique, and no
// array or object is empty and no value null.
func checkBOM(t *testing.T, b []byte) {
	t.Helper()
	if s := string(b); strings.Contains(s, "[]") || strings.Contains(s, "{}") || strings.Contains(s, "null") {
		t.Error("output has an empty array or object, or a null")
	}
	var bom BOM
	if err := json.Unmarshal(b, &bom); err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	comps := bom.Components
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		comps = append(comps, *bom.Metadata.Component)
	}
	for _, c := range comps {
		if c.BOMRef == "" {
			continue
		}
		if refs[c.BOMRef] {
			t.Errorf("duplicate bom-ref %q", c.BOMRef)
		}
		refs[c.BOMRef] = true
	}
}

func TestDuplicateRefs(t *testing.T) {
	s := reporttest.SampleDir()
	s.Packages = append(s.Packages, s.Packages[0], s.Packages[0])
	bom, err := Build(context.Background(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range bom.Components {
		if strings.HasPrefix(c.BOMRef, "pkg:npm/%40npmcli/arborist@9.9.1") {
			got = append(got, c.BOMRef)
		}
	}
	want := []string{"pkg:npm/%40npmcli/arborist@9.9.1", "pkg:npm/%40npmcli/arborist@9.9.1#2", "pkg:npm/%40npmcli/arborist@9.9.1#3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("bom-refs (-want +got):\n%s", diff)
	}
	checkBOM(t, write(t, s, Options{}))
}

var serialRe = regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestSerialNumber(t *testing.T) {
	ctx := context.Background()
	a, err := Build(ctx, reporttest.Sample(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(ctx, reporttest.Sample(), Options{})
	s := reporttest.Sample()
	s.Packages[0].Version += "+1"
	c, _ := Build(ctx, s, Options{})
	if !serialRe.MatchString(a.SerialNumber) {
		t.Errorf("serial %q is not a version 5 UUID URN", a.SerialNumber)
	}
	if a.SerialNumber != b.SerialNumber {
		t.Error("same content, different serial numbers")
	}
	if a.SerialNumber == c.SerialNumber {
		t.Error("different content, same serial number")
	}
}

func TestUUID5(t *testing.T) {
	// Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://python.org/")
	if got, want := uuid5(urlNamespace, "http://python.org/"), "4c565f0d-3f5a-5890-b41b-20cf47701c5e"; got != want {
		t.Errorf("uuid5 = %s, want %s", got, want)
	}
}

func TestLicenses(t *testing.T) {
	id := func(s string) LicenseChoice { return LicenseChoice{License: &License{ID: s}} }
	name := func(s string) LicenseChoice { return LicenseChoice{License: &License{Name: s}} }
	expr := func(s string) LicenseChoice { return LicenseChoice{Expression: s} }
	for _, tt := range []struct {
		in   []string
		want []LicenseChoice
	}{
		{nil, nil},
		{[]string{" "}, nil},
		{[]string{"MIT"}, []LicenseChoice{id("MIT")}},
		{[]string{"mit", "MIT"}, []LicenseChoice{id("MIT")}},
		{[]string{"GPL-2+", "MPL-2.0"}, []LicenseChoice{name("GPL-2+"), id("MPL-2.0")}},
		{[]string{"BSD-3-Clause OR Apache-2.0"}, []LicenseChoice{expr("BSD-3-Clause OR Apache-2.0")}},
		{[]string{"Zlib", "BSD-3-Clause OR Apache-2.0"}, []LicenseChoice{expr("Zlib AND (BSD-3-Clause OR Apache-2.0)")}},
		{[]string{"Expat", "BSD-3-Clause OR Apache-2.0"}, []LicenseChoice{name("Expat"), name("BSD-3-Clause OR Apache-2.0")}},
		{[]string{"GPL-1+ or Artistic"}, []LicenseChoice{name("GPL-1+ or Artistic")}},
		{[]string{"LicenseRef-Acme"}, []LicenseChoice{expr("LicenseRef-Acme")}},
	} {
		if diff := cmp.Diff(tt.want, licenses(tt.in)); diff != "" {
			t.Errorf("licenses(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestGroupName(t *testing.T) {
	for _, tt := range []struct {
		eco               inventory.Ecosystem
		in, group, wantNm string
	}{
		{inventory.Maven, "commons-io:commons-io", "commons-io", "commons-io"},
		{inventory.Maven, "broken", "", "broken"},
		{inventory.NPM, "@npmcli/arborist", "@npmcli", "arborist"},
		{inventory.NPM, "semver", "", "semver"},
		{inventory.Golang, "golang.org/x/mod", "", "golang.org/x/mod"},
		{inventory.Deb, "", "", "unnamed"},
	} {
		g, n := groupName(&inventory.Package{Name: tt.in, Ecosystem: tt.eco})
		if g != tt.group || n != tt.wantNm {
			t.Errorf("groupName(%s %q) = %q, %q; want %q, %q", tt.eco, tt.in, g, n, tt.group, tt.wantNm)
		}
	}
}

func BenchmarkWrite5000(b *testing.B) {
	scan := reporttest.Many(5000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.Emit(ctx, New(&buf, Options{}), scan); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// TestSchemaRejects makes sure the schema check can fail: a BOM with a
// non-SPDX license id or a malformed serial number is refused.
func TestSchemaRejects(t *testing.T) {
	schema := reporttest.Schema(t, "../testdata/schemas/cyclonedx", SchemaURL)
	good := string(write(t, reporttest.SampleDir(), Options{}))
	for name, bad := range map[string]string{
		"license id": strings.Replace(good, `"id": "ISC"`, `"id": "Expat"`, 1),
		"serial":     regexp.MustCompile(`urn:uuid:[0-9a-f-]+`).ReplaceAllString(good, "urn:uuid:42"),
		"type":       strings.Replace(good, `"type": "library"`, `"type": "module"`, 1),
	} {
		if bad == good {
			t.Fatalf("%s: mutation did not apply", name)
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(inst) == nil {
			t.Errorf("%s: schema accepted a broken BOM", name)
		}
	}
}

// FuzzBuild: whatever the package strings, the BOM is valid against the
// CycloneDX schema and has unique bom-refs.
func FuzzBuild(f *testing.F) {
	schema := reporttest.Schema(f, "../testdata/schemas/cyclonedx", SchemaURL)
	f.Add("@npmcli/arborist", "9.9.1", "BSD-3-Clause OR Apache-2.0", "app/package-lock.json", "a.jar")
	f.Add("commons-io:commons-io", "2.11.0", "GPL-1+ or Artistic", "usr/share/java/x.jar", "")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, name, version, lic, path, inner string) {
		s := reporttest.SampleDir()
		for _, eco := range []inventory.Ecosystem{inventory.NPM, inventory.Maven, inventory.Deb} {
			s.Packages = append(s.Packages, inventory.Package{
				Name: name, Version: version, Ecosystem: eco, Licenses: []string{lic, "MIT"},
				PURL:      inventory.PURL(eco, "", name, version, nil),
				Locations: []inventory.Location{{Path: path, Inner: inner, Layer: &inventory.Layer{Index: 1, CreatedBy: path}}},
			})
		}
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, s, Options{}); err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, schema, buf.Bytes())
		checkBOM(t, buf.Bytes())
	})
}

// loadScan reads one of the scans with findings shared by the output
// formats' tests (internal/report/sarif/testdata/scans, README there).
func loadScan(t testing.TB, name string) *report.Scan {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "report", "sarif", "testdata", "scans", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := jsonreport.Read(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// TestVulnerabilities: scans with vulnerability findings give a valid
// CycloneDX VDR/VEX: one vulnerability per finding and package, each
// affecting a component of the BOM, with an analysis exactly when the
// finding is suppressed.
func TestVulnerabilities(t *testing.T) {
	schema := reporttest.Schema(t, "../testdata/schemas/cyclonedx", SchemaURL)
	for _, tt := range []struct{ scan, golden string }{
		{"image.scan.json", "image-vulns.cdx.json"},
		{"dir.scan.json", "dir-vulns.cdx.json"},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			scan := loadScan(t, tt.scan)
			got := write(t, scan, Options{})
			reporttest.Validate(t, schema, got)
			checkBOM(t, got)
			var bom BOM
			if err := json.Unmarshal(got, &bom); err != nil {
				t.Fatal(err)
			}
			refs := map[string]string{"pave:target": "pave:target"}
			for _, c := range bom.Components {
				refs[c.BOMRef] = c.PURL
			}
			type pair struct{ id, purl string }
			entries := map[pair]*Vulnerability{}
			for i := range bom.Vulnerabilities {
				v := &bom.Vulnerabilities[i]
				if len(v.Affects) != 1 {
					t.Fatalf("%s: %d affects, want 1", v.ID, len(v.Affects))
				}
				purl, ok := refs[v.Affects[0].Ref]
				if !ok {
					t.Errorf("%s affects %q, which is not in the BOM", v.ID, v.Affects[0].Ref)
				}
				entries[pair{v.ID, purl}] = v
			}
			n := 0
			for _, f := range scan.Findings {
				if f.Rule.Kind != finding.Vulnerability {
					continue
				}
				n++
				v := entries[pair{f.Vuln.ID, f.Package.PURL}]
				if v == nil {
					t.Errorf("%s in %s: no vulnerability entry", f.Vuln.ID, f.Package.PURL)
					continue
				}
				if (v.Analysis != nil) != (f.Suppressed != nil) {
					t.Errorf("%s: analysis %+v for suppression %+v", v.ID, v.Analysis, f.Suppressed)
				}
				if len(v.Ratings) < len(f.Vuln.Scores) {
					t.Errorf("%s: %d ratings for %d scores", v.ID, len(v.Ratings), len(f.Vuln.Scores))
				}
			}
			if len(bom.Vulnerabilities) != n {
				t.Errorf("%d vulnerabilities for %d findings", len(bom.Vulnerabilities), n)
			}
			reporttest.Golden(t, tt.golden, got)
		})
	}
}

// TestNoFindingsNoChange: without vulnerability findings the BOM has no
// vulnerabilities key and is the SBOM it always was.
func TestNoFindingsNoChange(t *testing.T) {
	s := loadScan(t, "image.scan.json")
	var kept []finding.Finding
	for _, f := range s.Findings {
		if f.Rule.Kind != finding.Vulnerability {
			kept = append(kept, f)
		}
	}
	s.Findings = kept
	withMisconfig := write(t, s, Options{})
	s.Findings = nil
	if !bytes.Equal(withMisconfig, write(t, s, Options{})) {
		t.Error("non-vulnerability findings changed the BOM")
	}
	if bytes.Contains(withMisconfig, []byte(`"vulnerabilities"`)) {
		t.Error("vulnerabilities written without vulnerability findings")
	}
}

func TestAnalysis(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    finding.Finding
		want Analysis
	}{
		{"vex openvex label", finding.Finding{Suppressed: &finding.Suppression{Kind: "vex", Reason: "vulnerable_code_not_present", Source: "vex.json"}},
			Analysis{State: "not_affected", Justification: "code_not_present", Detail: "VEX statement in vex.json"}},
		{"vex cyclonedx label kept", finding.Finding{Suppressed: &finding.Suppression{Kind: "vex", Reason: "requires_configuration: feature off", Source: "bom.json"}},
			Analysis{State: "not_affected", Justification: "requires_configuration", Detail: "feature off; VEX statement in bom.json"}},
		{"false positive", finding.Finding{Suppressed: &finding.Suppression{Kind: "vex", Reason: "false_positive: wrong package", Source: "bom.json"}},
			Analysis{State: "false_positive", Detail: "wrong package; VEX statement in bom.json"}},
		{"resolved", finding.Finding{Suppressed: &finding.Suppression{Kind: "vex", Reason: "fixed", Source: "v.json"}},
			Analysis{State: "resolved", Detail: "VEX statement in v.json"}},
		{"accepted risk with fix", finding.Finding{Signals: finding.Signals{FixedIn: []string{"2"}}, Suppressed: &finding.Suppression{Kind: "exception", Reason: "later", Source: ".pave.yaml:3"}},
			Analysis{State: "exploitable", Response: []string{"update"}, Detail: "accepted by the exception at .pave.yaml:3: later"}},
		{"wont fix", finding.Finding{Vuln: &finding.Vuln{Status: "wont-fix"}, Suppressed: &finding.Suppression{Kind: "exception", Reason: "r", Source: "s"}},
			Analysis{State: "exploitable", Response: []string{"will_not_fix"}, Detail: "accepted by the exception at s: r"}},
		{"ignore unfixed", finding.Finding{Vuln: &finding.Vuln{Status: "unfixed"}, Suppressed: &finding.Suppression{Kind: "unfixed"}},
			Analysis{State: "exploitable", Response: []string{"can_not_fix"}, Detail: "suppressed by --ignore-unfixed"}},
	} {
		tt.f.Rule.Kind = finding.Vulnerability
		if diff := cmp.Diff(&tt.want, analysis(&tt.f, openvex.Assess(&tt.f))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestCVSSSeverity(t *testing.T) {
	for _, tt := range []struct {
		version string
		score   float64
		want    string
	}{
		{"2.0", 10, "high"}, {"2.0", 4.0, "medium"}, {"2.0", 0, "low"},
		{"3.1", 9.8, "critical"}, {"3.1", 8.9, "high"}, {"3.0", 0, "none"}, {"4.0", 3.9, "low"},
	} {
		if got := cvssSeverity(tt.version, tt.score); got != tt.want {
			t.Errorf("cvssSeverity(%s, %v) = %s, want %s", tt.version, tt.score, got, tt.want)
		}
	}
}

// FuzzVulnerabilities: whatever the advisory strings, the BOM with
// vulnerabilities stays valid CycloneDX.
func FuzzVulnerabilities(f *testing.F) {
	schema := reporttest.Schema(f, "../testdata/schemas/cyclonedx", SchemaURL)
	f.Add("CVE-2021-44906", "GHSA-xvch-5gv4-984h", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "https://nvd.nist.gov/vuln/detail/CVE-2021-44906", "unimportant", "CWE-1321")
	f.Add("", "", "", -1.0, "not a url", "", "x")
	f.Add("a b", "%zz", "x", 11.0, "http://[::1", "low", "CWE-0")
	f.Fuzz(func(t *testing.T, id, alias, vector string, score float64, ref, distro, cwe string) {
		s := loadScan(t, "dir.scan.json")
		p := s.Packages[0]
		p.Version = alias
		s.Findings = append(s.Findings, finding.Finding{
			Rule:    finding.Rule{ID: id, Kind: finding.Vulnerability, Controls: []finding.Control{{Framework: "CWE", ID: cwe}}},
			Package: &p,
			Vuln: &finding.Vuln{ID: id, Aliases: []string{alias}, Advisories: []string{alias, "debian:" + id},
				Scores: []finding.Score{{Version: "3.1", Vector: vector, Score: score, Source: alias}}, DistroSeverity: distro,
				References: []string{ref}, SeveritySource: "distro"},
			Suppressed: &finding.Suppression{Kind: "vex", Reason: alias + ": " + ref},
		})
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, s, Options{}); err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, schema, buf.Bytes())
	})
}

func BenchmarkVulnerabilities5000(b *testing.B) {
	s := loadScan(b, "image.scan.json")
	var base []finding.Finding
	for _, f := range s.Findings {
		if f.Package != nil {
			base = append(base, f)
		}
	}
	pkgs := make([]inventory.Package, 0, 5000)
	out := make([]finding.Finding, 0, 5000)
	for i := 0; len(out) < 5000; i++ {
		f := base[i%len(base)]
		p := *f.Package
		p.Name = fmt.Sprintf("%s-%d", p.Name, i)
		p.PURL = inventory.PURL(p.Ecosystem, "", p.Name, p.Version, nil)
		pkgs = append(pkgs, p)
		f.Package = &pkgs[len(pkgs)-1]
		out = append(out, f)
	}
	s.Packages, s.Findings = pkgs, out
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.Emit(ctx, New(&buf, Options{}), s); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
