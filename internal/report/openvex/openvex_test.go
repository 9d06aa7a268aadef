package openvex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	jsonreport "github.com/pavesec/pave/internal/report/json"
	"github.com/pavesec/pave/internal/report/reporttest"
)

const schemaID = "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json"

var issued = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// loadScan reads one of the scans with findings shared by the output
// formats' tests (internal/report/sarif/testdata/scans, README there).
func loadScan(t testing.TB, name string) *report.Scan {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "sarif", "testdata", "scans", name))
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

func write(t testing.TB, scan *report.Scan, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Emit(context.Background(), New(&buf, opts), scan); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	schema := reporttest.Schema(t, "testdata/schemas", schemaID)
	for _, tt := range []struct {
		name string
		scan *report.Scan
		opts Options
	}{
		{"image.openvex.json", loadScan(t, "image.scan.json"), Options{Timestamp: issued}},
		{"dir.openvex.json", loadScan(t, "dir.scan.json"), Options{Timestamp: issued, Author: "Payments Team <payments@example.com>"}},
		{"sample.openvex.json", reporttest.Sample(), Options{Timestamp: issued}},
		{"empty.openvex.json", &report.Scan{Summary: report.Summary{Status: "complete"}}, Options{Timestamp: issued}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := write(t, tt.scan, tt.opts)
			var doc Document
			if err := json.Unmarshal(got, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Statements) > 0 {
				reporttest.Validate(t, schema, got)
			}
			checkDoc(t, tt.scan, &doc)
			reporttest.Golden(t, tt.name, got)
		})
	}
}

// checkDoc checks what the schema cannot: every vulnerability finding is
// in exactly one statement, statements are sorted, and the document has
// what the spec requires even when it has no statement.
func checkDoc(t *testing.T, scan *report.Scan, doc *Document) {
	t.Helper()
	if doc.Context != Context || !strings.HasPrefix(doc.ID, IDPrefix) || doc.Author == "" || doc.Timestamp == "" || doc.Version != 1 || doc.Statements == nil {
		t.Errorf("document header incomplete: %+v", doc)
	}
	if !slices.IsSortedFunc(doc.Statements, compareStatements) {
		t.Error("statements are not sorted")
	}
	type pair struct{ vuln, id string }
	seen := map[pair]int{}
	for _, st := range doc.Statements {
		for _, p := range st.Products {
			if len(p.Subcomponents) == 0 {
				seen[pair{st.Vulnerability.Name, p.ID}]++
			}
			for _, c := range p.Subcomponents {
				seen[pair{st.Vulnerability.Name, c.ID}]++
			}
		}
		switch st.Status {
		case Affected:
			if st.ActionStatement == "" {
				t.Errorf("%s: affected without an action statement", st.Vulnerability.Name)
			}
		case NotAffected:
			if st.Justification == "" && st.ImpactStatement == "" {
				t.Errorf("%s: not_affected without justification or impact", st.Vulnerability.Name)
			}
		}
	}
	for _, f := range scan.Findings {
		if f.Rule.Kind != finding.Vulnerability || f.Package == nil {
			continue
		}
		if n := seen[pair{vulnName(&f), f.Package.PURL}]; n != 1 {
			t.Errorf("%s in %s: in %d statements, want 1", f.Rule.ID, f.Package.PURL, n)
		}
	}
}

func TestAssess(t *testing.T) {
	pkg := &inventory.Package{Name: "Jinja2", Version: "2.11.2", Ecosystem: inventory.PyPI}
	vf := func(fixed []string, status string, s *finding.Suppression) *finding.Finding {
		return &finding.Finding{
			Rule: finding.Rule{ID: "CVE-2020-28493", Kind: finding.Vulnerability}, Package: pkg,
			Signals: finding.Signals{FixedIn: fixed}, Vuln: &finding.Vuln{Status: status}, Suppressed: s,
		}
	}
	vex := func(reason string) *finding.Suppression {
		return &finding.Suppression{Kind: "vex", Reason: reason, Source: "https://example.com/vex/1"}
	}
	upgrade := "Upgrade Jinja2 to 2.11.3."
	for _, tt := range []struct {
		name string
		f    *finding.Finding
		want Assessment
	}{
		{"fix available", vf([]string{"2.11.3"}, "fixed", nil), Assessment{Status: Affected, Action: upgrade}},
		{"no fix", vf(nil, "unfixed", nil), Assessment{Status: Affected, Action: "No fix is available yet."}},
		{"wont fix", vf(nil, "wont-fix", nil), Assessment{Status: Affected, Action: "No fix: the publisher will not fix it in this release."}},
		{"vex justification", vf([]string{"2.11.3"}, "fixed", vex("vulnerable_code_not_in_execute_path")),
			Assessment{Status: NotAffected, Justification: "vulnerable_code_not_in_execute_path", Given: "vulnerable_code_not_in_execute_path", Notes: "VEX statement in https://example.com/vex/1"}},
		{"vex justification and impact", vf(nil, "", vex("vulnerable_code_not_present: patched: by Debian")),
			Assessment{Status: NotAffected, Justification: "vulnerable_code_not_present", Given: "vulnerable_code_not_present", Impact: "patched: by Debian", Notes: "VEX statement in https://example.com/vex/1"}},
		{"cyclonedx justification", vf(nil, "", vex("code_not_reachable: urlize is never called")),
			Assessment{Status: NotAffected, Justification: "vulnerable_code_not_in_execute_path", Given: "code_not_reachable", Impact: "urlize is never called", Notes: "VEX statement in https://example.com/vex/1"}},
		{"cyclonedx false positive", vf(nil, "", vex("false_positive")),
			Assessment{Status: NotAffected, State: "false_positive", Impact: "false positive", Notes: "VEX statement in https://example.com/vex/1"}},
		{"impact only", vf(nil, "", vex("the template engine is not exposed")),
			Assessment{Status: NotAffected, Impact: "the template engine is not exposed", Notes: "VEX statement in https://example.com/vex/1"}},
		{"empty reason", vf(nil, "", vex("")),
			Assessment{Status: NotAffected, Impact: "not affected, as stated in https://example.com/vex/1", Notes: "VEX statement in https://example.com/vex/1"}},
		{"vex fixed", vf([]string{"2.11.3"}, "fixed", vex("fixed: backported in 2.11.2-1+deb12u1")),
			Assessment{Status: Fixed, State: "fixed", Notes: "VEX statement in https://example.com/vex/1: backported in 2.11.2-1+deb12u1"}},
		{"cyclonedx resolved", vf(nil, "", vex("resolved")), Assessment{Status: Fixed, State: "resolved", Notes: "VEX statement in https://example.com/vex/1"}},
		{"exception with justification", vf([]string{"2.11.3"}, "fixed",
			&finding.Suppression{Kind: "exception", Reason: "vulnerable_code_not_in_execute_path: urlize unused", Source: ".pave.yaml:14", Expires: "2027-03-31"}),
			Assessment{Status: NotAffected, Justification: "vulnerable_code_not_in_execute_path", Given: "vulnerable_code_not_in_execute_path", Impact: "urlize unused", Notes: "accepted by the exception at .pave.yaml:14 until 2027-03-31"}},
		{"exception accepting the risk", vf([]string{"2.11.3"}, "fixed",
			&finding.Suppression{Kind: "exception", Reason: "upgrade planned for Q2", Source: ".pave.yaml:14"}),
			Assessment{Status: Affected, Action: upgrade, Notes: "accepted by the exception at .pave.yaml:14: upgrade planned for Q2"}},
		{"ignore unfixed", vf(nil, "unfixed", &finding.Suppression{Kind: "unfixed", Reason: "no fixed version is available", Source: "--ignore-unfixed"}),
			Assessment{Status: Affected, Action: "No fix is available yet.", Notes: "suppressed by --ignore-unfixed: no fixed version is available"}},
	} {
		if diff := cmp.Diff(tt.want, Assess(tt.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRemediation(t *testing.T) {
	owned := &inventory.Package{Name: "idna", Version: "3.3", OwnedBy: "deb:python3-idna"}
	for _, tt := range []struct {
		f    finding.Finding
		want string
	}{
		{finding.Finding{Package: owned, Signals: finding.Signals{FixedIn: []string{"3.7"}}},
			"Upgrade the deb package python3-idna, which installed idna 3.3; the fix upstream is in 3.7."},
		{finding.Finding{Package: &inventory.Package{Name: "urllib3"}, Signals: finding.Signals{FixedIn: []string{"1.26.17", "2.0.6"}}},
			"Upgrade urllib3 to 1.26.17 or 2.0.6."},
		{finding.Finding{Rule: finding.Rule{Remediation: "Set USER 10001"}}, "Set USER 10001."},
		{finding.Finding{Signals: finding.Signals{FixedIn: []string{"1"}}}, "Upgrade to 1."},
		{finding.Finding{Package: &inventory.Package{Name: "stdlib", Ecosystem: inventory.Golang}, Signals: finding.Signals{FixedIn: []string{"1.26.9"}}},
			"Rebuild with Go 1.26.9 or later."},
	} {
		if got := Remediation(&tt.f); got != tt.want {
			t.Errorf("Remediation = %q, want %q", got, tt.want)
		}
	}
}

func TestImageProduct(t *testing.T) {
	img := loadScan(t, "image.scan.json")
	for _, tt := range []struct {
		name   string
		target report.Target
		want   string
		hash   string
	}{
		{"docker-archive with a tag", img.Target,
			"pkg:oci/sample-debian@sha256:ada66d6358e8b764374e472b2f34a97f8f478c62d2dc191ae07a5295c30becd9?arch=amd64&repository_url=docker.io%2Flibrary%2Fsample-debian&tag=1", ""},
		{"registry", report.Target{Kind: "registry", Name: "ghcr.io/Org/App:1.2", Digest: "sha256:2ade71898a36d48572685c9fe1ca0e8bcf38daa430db73d80f3398a2402f14c5"},
			"pkg:oci/app@sha256:2ade71898a36d48572685c9fe1ca0e8bcf38daa430db73d80f3398a2402f14c5?repository_url=ghcr.io%2Forg%2Fapp&tag=1.2",
			"2ade71898a36d48572685c9fe1ca0e8bcf38daa430db73d80f3398a2402f14c5"},
		{"oci layout without tags", report.Target{Kind: "oci-layout", Name: "out/web.oci", ImageID: "sha256:dc94"},
			"pkg:oci/web@sha256:dc94", ""},
		{"dir", report.Target{Kind: "dir", Name: "."}, "", ""},
	} {
		c := imageProduct(&report.Scan{Header: report.Header{Target: tt.target}})
		got, hash := "", ""
		if c != nil {
			got, hash = c.ID, c.Hashes["sha-256"]
		}
		if got != tt.want || hash != tt.hash {
			t.Errorf("%s: product %q hash %q, want %q %q", tt.name, got, hash, tt.want, tt.hash)
		}
	}
}

func TestSplitRef(t *testing.T) {
	for _, tt := range []struct{ in, repo, tag, digest string }{
		{"debian:12", "docker.io/library/debian", "12", ""},
		{"bitnami/redis", "docker.io/bitnami/redis", "", ""},
		{"localhost:5000/app:v1", "localhost:5000/app", "v1", ""},
		{"registry.example/shop/web:1.4@sha256:ab", "registry.example/shop/web", "1.4", "sha256:ab"},
		{"localhost/app", "localhost/app", "", ""},
		{"", "", "", ""},
	} {
		repo, tag, digest := splitRef(tt.in)
		if repo != tt.repo || tag != tt.tag || digest != tt.digest {
			t.Errorf("splitRef(%q) = %q %q %q, want %q %q %q", tt.in, repo, tag, digest, tt.repo, tt.tag, tt.digest)
		}
	}
}

// TestDocumentID: the @id depends on the statements, not on the time.
func TestDocumentID(t *testing.T) {
	ctx := context.Background()
	a, err := Build(ctx, loadScan(t, "image.scan.json"), Options{Timestamp: issued})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(ctx, loadScan(t, "image.scan.json"), Options{Timestamp: issued.Add(time.Hour)})
	s := loadScan(t, "image.scan.json")
	s.Findings = s.Findings[1:]
	c, _ := Build(ctx, s, Options{Timestamp: issued})
	if a.ID != b.ID {
		t.Error("the timestamp changed the @id")
	}
	if a.ID == c.ID {
		t.Error("different statements, same @id")
	}
	if a.Timestamp == b.Timestamp {
		t.Error("the timestamp was not written")
	}
}

func TestNoTimestamp(t *testing.T) {
	err := Write(context.Background(), &bytes.Buffer{}, loadScan(t, "dir.scan.json"), Options{})
	if !errors.Is(err, ErrNoTimestamp) {
		t.Errorf("err = %v, want ErrNoTimestamp", err)
	}
}

// TestSchemaRejects makes sure the schema check can fail.
func TestSchemaRejects(t *testing.T) {
	schema := reporttest.Schema(t, "testdata/schemas", schemaID)
	good := string(write(t, loadScan(t, "image.scan.json"), Options{Timestamp: issued}))
	for name, bad := range map[string]string{
		"status":        strings.Replace(good, `"status": "affected"`, `"status": "vulnerable"`, 1),
		"justification": strings.Replace(good, `"justification": "vulnerable_code_not_present"`, `"justification": "code_not_present"`, 1),
		"no action":     strings.Replace(good, `"action_statement": "Upgrade`, `"status_notes": "Upgrade`, 1),
		"timestamp":     strings.Replace(good, `"timestamp": "2026-11-25T12:00:00Z"`, `"timestamp": "yesterday"`, 1),
	} {
		if bad == good {
			t.Errorf("%s: mutation did not apply", name)
			continue
		}
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(inst) == nil {
			t.Errorf("%s: schema accepted a broken document", name)
		}
	}
}

// FuzzAssess: whatever a suppression says, the statement is valid OpenVEX
// (affected has an action, not_affected a justification or an impact).
func FuzzAssess(f *testing.F) {
	schema := reporttest.Schema(f, "testdata/schemas", schemaID)
	f.Add("vex", "vulnerable_code_not_present: patched", "minimist", "1.2.5")
	f.Add("exception", "requires_environment", "", "")
	f.Add("vex", "fixed: : :", "a b", "1:2")
	f.Add("unfixed", "", "x", "")
	f.Add("", "false_positive:", "%", "@")
	f.Fuzz(func(t *testing.T, kind, reason, name, version string) {
		scan := loadScan(t, "dir.scan.json")
		p := inventory.Package{Name: name, Version: version, Ecosystem: inventory.Maven}
		scan.Findings = append(scan.Findings, finding.Finding{
			Rule: finding.Rule{ID: name, Kind: finding.Vulnerability}, Package: &p,
			Vuln:       &finding.Vuln{ID: reason, Aliases: []string{name, version}, Summary: reason},
			Suppressed: &finding.Suppression{Kind: kind, Reason: reason},
		})
		var buf bytes.Buffer
		if err := Write(context.Background(), &buf, scan, Options{Timestamp: issued}); err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, schema, buf.Bytes())
	})
}

// manyFindings is the image scan with n vulnerability findings over
// renamed packages.
func manyFindings(t testing.TB, n int) *report.Scan {
	s := loadScan(t, "image.scan.json")
	var base []finding.Finding
	for _, f := range s.Findings {
		if f.Package != nil {
			base = append(base, f)
		}
	}
	out := make([]finding.Finding, 0, n)
	for i := 0; len(out) < n; i++ {
		f := base[i%len(base)]
		p := *f.Package
		p.Name = fmt.Sprintf("%s-%d", p.Name, i)
		p.PURL = inventory.PURL(p.Ecosystem, "", p.Name, p.Version, nil)
		f.Package = &p
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
		if err := report.Emit(ctx, New(&buf, Options{Timestamp: issued}), scan); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func TestAdvisoryURL(t *testing.T) {
	for id, want := range map[string]string{
		"CVE-2021-44906":      "https://nvd.nist.gov/vuln/detail/CVE-2021-44906",
		"GHSA-xvch-5gv4-984h": "https://github.com/advisories/GHSA-xvch-5gv4-984h",
		"GO-2022-1059":        "https://pkg.go.dev/vuln/GO-2022-1059",
		"PYSEC-2021-66":       "https://osv.dev/vulnerability/PYSEC-2021-66",
		"DSA-5020-1":          "https://security-tracker.debian.org/tracker/DSA-5020-1",
		"odd id/%":            "https://osv.dev/vulnerability/odd%20id%2F%25",
	} {
		if got := AdvisoryURL(id); got != want {
			t.Errorf("AdvisoryURL(%s) = %s, want %s", id, got, want)
		}
	}
}
