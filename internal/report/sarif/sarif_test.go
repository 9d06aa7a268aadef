package sarif

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	jsonreport "github.com/pavesec/pave/internal/report/json"
	"github.com/pavesec/pave/internal/report/reporttest"
)

// loadScan reads a scan with findings from testdata/scans.
func loadScan(t testing.TB, name string) *report.Scan {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "scans", name))
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

// schema compiles the SARIF 2.1.0 schema, a draft-04 schema identified by
// "id" (which reporttest.Schema does not read).
func schema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile("testdata/schemas/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t testing.TB, scan *report.Scan, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Emit(context.Background(), New(&buf, opts), scan); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	s := schema(t)
	for _, tt := range []struct {
		name string
		scan *report.Scan
		opts Options
	}{
		{"image.sarif.json", loadScan(t, "image.scan.json"), Options{}},
		{"dir.sarif.json", loadScan(t, "dir.scan.json"), Options{Category: "pave/payments"}},
		{"sample.sarif.json", reporttest.Sample(), Options{}},
		{"empty.sarif.json", &report.Scan{Summary: report.Summary{Status: "complete"}}, Options{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := write(t, tt.scan, tt.opts)
			reporttest.Validate(t, s, got)
			checkLog(t, tt.scan, got)
			reporttest.Golden(t, tt.name, got)
		})
	}
}

// checkLog checks what GitHub code scanning needs beyond the schema, and
// what the mapping promises: one result per finding, in order; ruleIndex
// pointing at the rule; a location with a uri and a start line; the
// fingerprint; a suppression exactly for suppressed findings; a numeric
// security-severity; no empty arrays or objects and no nulls.
func checkLog(t *testing.T, scan *report.Scan, b []byte) {
	t.Helper()
	if s := string(b); strings.Contains(s, "[]") && !strings.Contains(s, `"results": []`) || strings.Contains(s, "{}") || strings.Contains(s, "null") {
		t.Error("output has an empty array or object, or a null")
	}
	var log Log
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	if !slices.IsSortedFunc(rules, func(a, b ReportingDescriptor) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("rules are not sorted by id")
	}
	for _, r := range rules {
		if r.ShortDescription == nil || r.FullDescription == nil || r.Help == nil || r.Help.Markdown == "" || r.HelpURI == "" {
			t.Errorf("rule %s lacks a description, help or helpUri", r.ID)
		}
		if v, ok := r.Properties["security-severity"]; ok {
			f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
			if err != nil || f < 0 || f > 10 {
				t.Errorf("rule %s: security-severity %v is not a score", r.ID, v)
			}
		}
	}
	if len(run.Results) != len(scan.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(scan.Findings))
	}
	for i, r := range run.Results {
		f := &scan.Findings[i]
		if r.RuleID != f.Rule.ID || rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleId %q, ruleIndex %d → %q; finding %q", i, r.RuleID, r.RuleIndex, rules[r.RuleIndex].ID, f.Rule.ID)
		}
		if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation == nil ||
			r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" ||
			r.Locations[0].PhysicalLocation.Region == nil || r.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %d (%s): no location with a uri and a start line", i, r.RuleID)
		}
		want := f.Fingerprint
		if want == "" {
			want = f.ComputeFingerprint()
		}
		if got := r.PartialFingerprints[FingerprintKey]; got != want {
			t.Errorf("result %d: fingerprint %q, want %q", i, got, want)
		}
		if (len(r.Suppressions) > 0) != (f.Suppressed != nil) {
			t.Errorf("result %d (%s): suppressions %v for suppressed=%v", i, r.RuleID, r.Suppressions, f.Suppressed)
		}
		if r.Level != level(f.Severity) {
			t.Errorf("result %d: level %q for severity %s", i, r.Level, f.Severity)
		}
	}
}

// TestFixtures: the fixture findings carry the fingerprint pave computes,
// so tests compare against what the matcher will write.
func TestFixtures(t *testing.T) {
	for _, name := range []string{"image.scan.json", "dir.scan.json"} {
		s := loadScan(t, name)
		kinds := map[finding.Kind]int{}
		for _, f := range s.Findings {
			kinds[f.Rule.Kind]++
			if got := f.ComputeFingerprint(); got != f.Fingerprint {
				t.Errorf("%s: %s fingerprint %s, computed %s", name, f.Rule.ID, f.Fingerprint, got)
			}
		}
		if kinds[finding.Vulnerability] == 0 || kinds[finding.Misconfig] == 0 {
			t.Errorf("%s: want vulnerability and misconfig findings, have %v", name, kinds)
		}
	}
}

// TestSchemaRejects makes sure the schema check can fail.
func TestSchemaRejects(t *testing.T) {
	s := schema(t)
	good := string(write(t, loadScan(t, "image.scan.json"), Options{}))
	for name, bad := range map[string]string{
		"level":      strings.Replace(good, `"level": "error"`, `"level": "fatal"`, 1),
		"suppressed": strings.Replace(good, `"kind": "external"`, `"kind": "somewhere"`, 1),
		"version":    strings.Replace(good, `"version": "2.1.0"`, `"version": "2.2"`, 1),
		"startLine":  strings.Replace(good, `"startLine": 20`, `"startLine": 0`, 1),
	} {
		if bad == good {
			t.Errorf("%s: mutation did not apply", name)
			continue
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(inst) == nil {
			t.Errorf("%s: schema accepted a broken log", name)
		}
	}
}

func TestSecuritySeverity(t *testing.T) {
	vuln := func(sev finding.Severity, scores ...float64) *finding.Finding {
		f := &finding.Finding{Severity: sev, Vuln: &finding.Vuln{}}
		for _, s := range scores {
			f.Vuln.Scores = append(f.Vuln.Scores, finding.Score{Version: "3.1", Score: s})
		}
		return f
	}
	for _, tt := range []struct {
		name string
		fs   []*finding.Finding
		want string
		ok   bool
	}{
		{"cvss in band", []*finding.Finding{vuln(finding.Critical, 9.8)}, "9.8", true},
		{"highest score", []*finding.Finding{vuln(finding.High, 7.2, 8.1)}, "8.1", true},
		{"distro rates lower", []*finding.Finding{vuln(finding.Low, 9.8, 7.5)}, "2.0", true},
		{"no score", []*finding.Finding{vuln(finding.Medium)}, "5.5", true},
		{"highest finding", []*finding.Finding{vuln(finding.Low, 3.1), vuln(finding.High, 7.5)}, "7.5", true},
		{"unknown", []*finding.Finding{vuln(finding.Unknown)}, "", false},
		{"misconfig", []*finding.Finding{{Severity: finding.High}}, "8.0", true},
		{"v2 10.0 rated high", []*finding.Finding{vuln(finding.High, 10.0)}, "8.0", true},
	} {
		got, ok := securitySeverity(tt.fs)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("%s: securitySeverity = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPathURI(t *testing.T) {
	for in, want := range map[string]string{
		"var/lib/dpkg/status":               "var/lib/dpkg/status",
		"/etc/passwd":                       "etc/passwd",
		"app/my file#1.txt":                 "app/my%20file%231.txt",
		"c:/x":                              "./c:/x",
		"srv/web/package-lock.json":         "srv/web/package-lock.json",
		"usr/share/nodejs/@types/ms/p.json": "usr/share/nodejs/@types/ms/p.json",
		"100%/a?b":                          "100%25/a%3Fb",
	} {
		if got := pathURI(in); got != want {
			t.Errorf("pathURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMdEscape(t *testing.T) {
	if got, want := mdEscape("a|b\n*c* [x](javascript:y)"), `a\|b \*c\* \[x\]\(javascript:y\)`; got != want {
		t.Errorf("mdEscape = %q, want %q", got, want)
	}
}

// TestMessages pins the result text for the cases that differ: a fix, an
// OS-owned language package, no fix, won't fix, KEV, a misconfiguration
// with evidence and remediation.
func TestMessages(t *testing.T) {
	img, dir := loadScan(t, "image.scan.json"), loadScan(t, "dir.scan.json")
	byID := map[string]*finding.Finding{}
	for _, s := range []*report.Scan{img, dir} {
		for i := range s.Findings {
			byID[s.Findings[i].Rule.ID] = &s.Findings[i]
		}
	}
	for id, want := range map[string]string{
		"CVE-2021-44906":   "minimist 1.2.5 is affected by CVE-2021-44906: Prototype Pollution in minimist. Upgrade minimist to 1.2.6.",
		"CVE-2024-3651":    "idna 3.3 is affected by CVE-2024-3651: Quadratic complexity in idna.encode(). Upgrade the deb package python3-idna, which installed idna 3.3; the fix upstream is in 3.7.",
		"CVE-2010-4756":    "libc6 2.36-9+deb12u14 is affected by CVE-2010-4756: glob implementation in the GNU C Library allows resource exhaustion. No fix is available yet.",
		"CVE-2019-1010022": "libc6 2.36-9+deb12u14 is affected by CVE-2019-1010022: GNU Libc stack guard protection bypass. No fix: the publisher will not fix it in this release.",
		"CVE-2021-44228":   "org.apache.logging.log4j:log4j-core 2.14.1 is affected by CVE-2021-44228: Remote code injection in Log4j. Upgrade org.apache.logging.log4j:log4j-core to 2.15.0. Known to be exploited (CISA KEV, added 2021-12-10).",
		"PAVE-DF-001":      "the container runs as root: the last USER instruction is root. Add `USER 10001` (a non-root user) after the last instruction that needs root. Evidence: USER root",
	} {
		f := byID[id]
		if f == nil {
			t.Fatalf("no finding %s in the fixtures", id)
		}
		if got := message(f); got != want {
			t.Errorf("%s:\n got %q\nwant %q", id, got, want)
		}
	}
}

// TestDeterministic: rules do not depend on the order findings arrive
// in, and two builds are identical.
func TestDeterministic(t *testing.T) {
	s := loadScan(t, "image.scan.json")
	a := write(t, s, Options{})
	if b := write(t, loadScan(t, "image.scan.json"), Options{}); !bytes.Equal(a, b) {
		t.Fatal("two writes differ")
	}
	slices.Reverse(s.Findings)
	var la, lb Log
	if err := json.Unmarshal(a, &la); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(write(t, s, Options{}), &lb); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(la.Runs[0].Tool, lb.Runs[0].Tool); diff != "" {
		t.Errorf("rules depend on finding order (-first +reversed):\n%s", diff)
	}
}

// FuzzWrite: whatever the strings in a finding, the log is valid SARIF
// and every result keeps its location and fingerprint.
func FuzzWrite(f *testing.F) {
	s := schema(f)
	f.Add("CVE-2021-44906", "Prototype Pollution in minimist", "srv/web/package-lock.json", "minimist", "1.2.5", "USER root", 20, 3)
	f.Add("", "", "", "", "", "", 0, 0)
	f.Add("PAVE|DF", "a\nb`c`*d*", "c:/a b#?%", "@scope/n|x", "1:2.3-4", "AKIA************MPLE", -5, 1<<30)
	f.Fuzz(func(t *testing.T, id, title, path, name, version, evidence string, line, col int) {
		scan := loadScan(t, "dir.scan.json")
		p := inventory.Package{Name: name, Version: version, Ecosystem: inventory.NPM,
			PURL:      inventory.PURL(inventory.NPM, "", name, version, nil),
			Locations: []inventory.Location{{Path: path, Line: line}, {Path: path + "x", Inner: title}}}
		scan.Findings = append(scan.Findings,
			finding.Finding{Rule: finding.Rule{ID: id, Kind: finding.Vulnerability, Title: title}, Package: &p,
				Signals: finding.Signals{FixedIn: []string{version}}, Vuln: &finding.Vuln{ID: id, Summary: title, References: []string{path}}},
			finding.Finding{Rule: finding.Rule{ID: id, Kind: finding.Misconfig, Title: title}, Evidence: evidence,
				Location:   finding.Location{Path: path, StartLine: line, EndLine: line - 1, Column: col},
				Suppressed: &finding.Suppression{Kind: title, Reason: evidence}})
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, scan, Options{Category: title}); err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, s, buf.Bytes())
		var log Log
		if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		for _, r := range log.Runs[0].Results {
			if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.Region.StartLine < 1 || r.PartialFingerprints[FingerprintKey] == "" {
				t.Fatalf("result %s lost its location or fingerprint", r.RuleID)
			}
		}
	})
}

// manyFindings returns the image scan with n vulnerability findings: the
// fixture's findings repeated over renamed packages, as a large image
// with an old base would give.
func manyFindings(t testing.TB, n int) *report.Scan {
	s := loadScan(t, "image.scan.json")
	base := s.Findings
	out := make([]finding.Finding, 0, n)
	for i := 0; len(out) < n; i++ {
		f := base[i%len(base)]
		if f.Package != nil {
			p := *f.Package
			p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			p.PURL = inventory.PURL(p.Ecosystem, "", p.Name, p.Version, nil)
			f.Package = &p
		}
		f.Fingerprint = f.ComputeFingerprint()
		out = append(out, f)
	}
	s.Findings = out
	return s
}

func BenchmarkWrite5000(b *testing.B) {
	scan := manyFindings(b, 5000)
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
