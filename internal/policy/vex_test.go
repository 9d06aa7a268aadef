package policy

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pavesec/pave/internal/report/reporttest"
)

// summary is what a test checks about a parsed document.
type summary struct {
	Format     VEXFormat
	ID         string
	Statements int
	Statuses   map[VEXStatus]int
	Products   int
	Warnings   []string // substrings, in order
}

func summarize(d *VEXDocument) summary {
	s := summary{Format: d.Format, ID: d.ID, Statements: len(d.Statements), Statuses: map[VEXStatus]int{}}
	for _, st := range d.Statements {
		s.Statuses[st.Status]++
		s.Products += len(st.Products)
	}
	return s
}

func TestParseVEXFiles(t *testing.T) {
	tests := []struct {
		file string
		want summary
	}{
		{"openvex/ubuntu-CVE-2023-38545.json", summary{Format: OpenVEX, ID: "https://github.com/canonical/ubuntu-security-notices/blob/main/vex/cve/2023/CVE-2023-38545",
			Statements: 3, Statuses: map[VEXStatus]int{Affected: 1, Fixed: 1, NotAffected: 1}, Products: 618}},
		{"openvex/ubuntu-CVE-2016-20013.trimmed.json", summary{Format: OpenVEX, ID: "https://github.com/canonical/ubuntu-security-notices/blob/main/vex/cve/2016/CVE-2016-20013",
			Statements: 2, Statuses: map[VEXStatus]int{Affected: 1, NotAffected: 1}, Products: 50}},
		{"openvex/rancher-supercronic.json", summary{Format: OpenVEX, ID: "https://openvex.dev/docs/public/vex-4f206c8fb092b320b636fa66d85bebb5023f5c9346af012c87ff72a43697033a",
			Statements: 99, Statuses: map[VEXStatus]int{NotAffected: 99}, Products: 99}},
		{"openvex/rancher-rancher-webhook.json", summary{Format: OpenVEX, ID: "https://openvex.dev/docs/public/vex-490a50c78498ba64fdb509f9fe7560c38fcb82b1d8893146e716f10c98f7e1ad",
			Statements: 2, Statuses: map[VEXStatus]int{NotAffected: 2}, Products: 2}},
		{"openvex/spec-inheritance.json", summary{Format: OpenVEX, ID: "https://openvex.dev/docs/example/vex-9fb3463de1b57",
			Statements: 2, Statuses: map[VEXStatus]int{UnderInvestigation: 1, Fixed: 1}, Products: 2}},
		{"cyclonedx/pave-embedded-1.6.cdx.json", summary{Format: CycloneDXVEX, ID: "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b80",
			Statements: 6, Statuses: map[VEXStatus]int{NotAffected: 3, Affected: 1, Fixed: 1, UnderInvestigation: 1}, Products: 6,
			Warnings: []string{
				`vulnerabilities[3] (CVE-2023-4911): affects "libc6": 1 version range(s) not supported`,
				`vulnerabilities[6] (CVE-2020-25649): affects ref "acme-lib" names component "acme-internal-lib", which has no package URL; skipped`,
			}}},
		{"cyclonedx/pave-bomlink-1.5.cdx.json", summary{Format: CycloneDXVEX, ID: "urn:uuid:9c7b1f9e-6d3e-4a8e-9d6c-0f2a1b3c4d5e",
			Statements: 2, Statuses: map[VEXStatus]int{Affected: 1, NotAffected: 1}, Products: 2,
			Warnings: []string{
				`vulnerabilities[0] (CVE-2023-44487): affects ref "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b80/1#x-net" is not a component of this document nor a package URL`,
				`vulnerabilities[2] (CVE-2022-42969): BOM-Link "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b80/1" names a whole BOM`,
			}}},
		{"cyclonedx/bom-examples-vex.json", summary{Format: CycloneDXVEX, Statements: 1, Statuses: map[VEXStatus]int{NotAffected: 1}, Products: 1}},
		{"cyclonedx/bom-examples-uc-case-1-vex.json", summary{Format: CycloneDXVEX, Statuses: map[VEXStatus]int{},
			Warnings: []string{`vulnerabilities[0] (CVE-2020-25649): affects ref "acme-product" names component "Acme Product", which has no package URL`}}},
		{"cyclonedx/bom-examples-uc-case-5-vex.json", summary{Format: CycloneDXVEX, Statuses: map[VEXStatus]int{},
			Warnings: []string{`vulnerabilities[0] (CVE-2020-25649): affects ref "acme-product" names component "Acme Product"`, `vulnerabilities[1]`}}},
		{"cyclonedx/bom-examples-uc-case-13-vex.json", summary{Format: CycloneDXVEX, Statuses: map[VEXStatus]int{},
			Warnings: []string{`affects ref "urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1" is not a component of this document nor a package URL`}}},
		{"cyclonedx/bom-examples-cisa-case-3-vex.json", summary{Format: CycloneDXVEX, Statuses: map[VEXStatus]int{},
			Warnings: []string{`vulnerabilities[0] (CVE-2020-11896): affects ref "product-GHI"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d := mustVEX(t, tt.file)
			got := summarize(d)
			warnings := tt.want.Warnings
			tt.want.Warnings = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			all := strings.Join(d.Warnings, "\n")
			for _, w := range warnings {
				if !strings.Contains(all, w) {
					t.Errorf("warnings do not contain %q:\n%s", w, all)
				}
			}
			if len(warnings) == 0 && len(d.Warnings) > 0 {
				t.Errorf("unexpected warnings:\n%s", all)
			}
			if d.File != "testdata/"+tt.file {
				t.Errorf("File = %q", d.File)
			}
		})
	}
}

func TestOpenVEXStatementFields(t *testing.T) {
	d := mustVEX(t, "openvex/ubuntu-CVE-2023-38545.json")
	st := d.Statements[2]
	if st.Vulnerability != "CVE-2023-38545" || st.Status != NotAffected || st.Justification != "vulnerable_code_not_present" ||
		!strings.HasPrefix(st.Impact, "This package (for the given release), while related") ||
		!st.Timestamp.Equal(time.Date(2023, 10, 11, 6, 0, 0, 0, time.UTC)) ||
		len(st.Aliases) != 5 || st.Aliases[0] != "https://curl.se/docs/CVE-2023-38545.html" {
		t.Errorf("statement = %+v", st)
	}
	if d.Author != "Canonical Ltd." || !d.Timestamp.Equal(time.Date(2026, 5, 20, 15, 2, 47, 589121000, time.UTC)) {
		t.Errorf("document = %q %v", d.Author, d.Timestamp)
	}
	spec := mustVEX(t, "openvex/spec-inheritance.json")
	if ts := spec.Statements[1].Timestamp; !ts.Equal(spec.Timestamp) {
		t.Errorf("statement without timestamp did not inherit the document's: %v", ts)
	}
	webhook := mustVEX(t, "openvex/rancher-rancher-webhook.json")
	p := webhook.Statements[0].Products[0]
	want := VEXProduct{ID: "pkg:oci/rancher-webhook?repository_url=registry.rancher.com/rancher/rancher-webhook",
		PURL:          "pkg:oci/rancher-webhook?repository_url=registry.rancher.com/rancher/rancher-webhook",
		Subcomponents: []VEXProduct{{ID: "pkg:rpm/suse/libncurses6", PURL: "pkg:rpm/suse/libncurses6"}}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("product (-want +got):\n%s", diff)
	}
}

// TestOpenVEXRules: statements pave must not use are left out, each with
// a warning, and the rest of the document still counts.
func TestOpenVEXRules(t *testing.T) {
	doc := `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "x", "timestamp": "2025-01-01T00:00:00Z", "statements": [
	 {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a@1"}], "status": "not_affected"},
	 {"vulnerability": {"name": "CVE-2"}, "products": [{"@id": "pkg:npm/a"}], "status": "fixed"},
	 {"vulnerability": {"name": "CVE-3"}, "products": [{"@id": "pkg:npm/a@1"}], "status": "exploitable"},
	 {"vulnerability": {}, "products": [{"@id": "pkg:npm/a@1"}], "status": "affected"},
	 {"vulnerability": {"name": "CVE-5"}, "products": [{"@id": "https://example.com/product"}], "status": "affected"},
	 {"vulnerability": {"name": "CVE-6"}, "status": "affected"},
	 {"vulnerability": {"name": "CVE-7"}, "products": [{"@id": "pkg:oci/app", "subcomponents": [{"@id": "cpe:2.3:a:x:y"}]}], "status": "not_affected", "justification": "component_not_present"},
	 {"vulnerability": {"name": "CVE-8"}, "products": [{"@id": "pkg:npm/a@1"}], "status": "affected", "timestamp": "yesterday"},
	 {"vulnerability": "CVE-9", "products": ["pkg:npm/a@1"], "subcomponents": ["pkg:npm/b@2"], "status": "not_affected", "impact_statement": "v0.0.1 shape"},
	 {"vulnerability": {"name": "CVE-10"}, "products": [{"identifiers": {"purl": "pkg:npm/c@3"}, "hashes": {"sha-256": "ABCD"}}], "status": "fixed"}
	]}`
	d, err := ParseOpenVEX([]byte(doc), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range d.Statements {
		got = append(got, st.Vulnerability)
	}
	if diff := cmp.Diff([]string{"CVE-8", "CVE-9", "CVE-10"}, got); diff != "" {
		t.Errorf("statements kept (-want +got):\n%s", diff)
	}
	wantWarnings := []string{
		"statements[0] (CVE-1): not_affected without justification or impact_statement (required by the spec); skipped",
		`statements[1] (CVE-2): fixed status for "pkg:npm/a", which has no version; skipped`,
		"statements[1] (CVE-2): no product pave can match; skipped",
		`statements[2] (CVE-3): unknown status "exploitable"; skipped`,
		"statements[3]: no vulnerability name; skipped",
		`statements[4] (CVE-5): product "https://example.com/product" has no package URL, image reference or sha-256 hash; skipped`,
		"statements[4] (CVE-5): no product pave can match; skipped",
		"statements[5] (CVE-6): no product pave can match; skipped",
		`statements[6] (CVE-7): product "cpe:2.3:a:x:y" has no package URL, image reference or sha-256 hash; skipped`,
		"statements[6] (CVE-7): no product pave can match; skipped",
		`statements[7] (CVE-8): timestamp "yesterday" is not RFC 3339; using the document's`,
	}
	if diff := cmp.Diff(wantWarnings, d.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	v1 := d.Statements[1].Products[0]
	if v1.PURL != "pkg:npm/a@1" || len(v1.Subcomponents) != 1 || v1.Subcomponents[0].PURL != "pkg:npm/b@2" {
		t.Errorf("v0.0.1 product = %+v", v1)
	}
	if p := d.Statements[2].Products[0]; p.PURL != "pkg:npm/c@3" || p.Digest != "sha256:abcd" {
		t.Errorf("identifiers/hashes product = %+v", p)
	}
}

func TestParseVEXErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       string
	}{
		{"not json", "statements:", "vex: f.json: line 1: invalid character"},
		{"syntax line", "{\n\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n\"statements\": [,]\n}", "vex: f.json: line 3:"},
		{"array", "[]", "vex: f.json: line 1:"},
		{"unknown format", `{"document": {"category": "csaf_vex"}}`, "not an OpenVEX or CycloneDX JSON document"},
		{"cyclonedx xml", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>`, "invalid character '<'"},
		{"openvex wrong type", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": {"a": 1}}`, "vex: f.json: openvex: line 1: statements must be"},
		{"cyclonedx wrong type", "{\"bomFormat\": \"CycloneDX\",\n\"vulnerabilities\": [{\"id\": 7}]}", "vex: f.json: cyclonedx: line 2: vulnerabilities.id must be string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseVEX([]byte(tt.data), "f.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
			if d != nil {
				t.Error("document returned with an error")
			}
		})
	}
	if _, err := ParseVEX([]byte(`{"x":1}`), "f.json"); !errors.Is(err, ErrUnknownVEXFormat) {
		t.Errorf("err = %v, want ErrUnknownVEXFormat", err)
	}
	big := make([]byte, MaxVEXSize+1)
	for _, parse := range []func([]byte, string) (*VEXDocument, error){ParseVEX, ParseOpenVEX, ParseCycloneDXVEX} {
		if _, err := parse(big, "big.json"); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("oversized: err = %v", err)
		}
	}
	if _, err := ReadVEX("testdata/does-not-exist.json"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadVEX missing: %v", err)
	}
}

// TestCycloneDXSamplesValidate: the CycloneDX sample written for these
// tests is valid against the published 1.6 schema.
func TestCycloneDXSamplesValidate(t *testing.T) {
	schema := reporttest.Schema(t, "../sbom/testdata/schemas/cyclonedx", "http://cyclonedx.org/schema/bom-1.6.schema.json")
	// The 1.6 schema also accepts 1.5 documents: nothing used here changed.
	for _, name := range []string{"pave-embedded-1.6.cdx.json", "pave-bomlink-1.5.cdx.json"} {
		data, err := os.ReadFile("testdata/cyclonedx/" + name)
		if err != nil {
			t.Fatal(err)
		}
		reporttest.Validate(t, schema, data)
	}
}
