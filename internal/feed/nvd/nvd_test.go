package nvd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/feedtest"
	"github.com/pavesec/pave/internal/osv"
)

func run(path string, data []byte) (*feed.Collector, error) {
	var c feed.Collector
	err := New().Parse(context.Background(), path, bytes.NewReader(data), &c)
	return &c, err
}

// checkScore asserts what every Score keeps.
func checkScore(t testing.TB, s *feed.Score) {
	t.Helper()
	if !reCVE.MatchString(s.CVE) || s.Source != Source || len(s.Severity) == 0 || len(s.Severity) > 3 {
		t.Fatalf("bad score %+v", s)
	}
	seen := map[string]bool{}
	for _, sev := range s.Severity {
		if seen[sev.Type] || !validVector(sev.Type, sev.Score) {
			t.Fatalf("%s: bad or repeated severity %+v", s.CVE, sev)
		}
		seen[sev.Type] = true
	}
}

func TestMatch(t *testing.T) {
	p := New()
	for path, want := range map[string]bool{
		"nvdcve-2.0-2024.json.gz":                     true,
		"feeds/json/cve/2.0/nvdcve-2.0-modified.json": true,
		"nvdcve-1.1-recent.json":                      true,
		"services.nvd.nist.gov/rest/json/cves/2.0":    true,
		"nvd/page-0.json":                             true,
		"mirror/nvd/2023/cve-2023-45628.json":         true,
		"nvdcve-1.1-2020.meta":                        false,
		"osv/nvd.json":                                false,
		"known_exploited_vulnerabilities.json":        false,
	} {
		if got := p.Match(path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestGolden converts the real samples.
func TestGolden(t *testing.T) {
	for _, f := range []string{"api-single-entry.json", "api-osvdev-test.json", "nvdcve-1.1-modified.json"} {
		t.Run(f, func(t *testing.T) {
			c, err := run(f, feedtest.Read(t, "testdata/"+f))
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.Scores {
				checkScore(t, &c.Scores[i])
			}
			feedtest.Golden(t, strings.TrimSuffix(f, ".json")+".golden.json", c.Scores)
		})
	}
}

// TestRealFiles parses the bundle's NVD API pages. Counts were read off
// the files independently: full-page.json has 38 CVEs, three of them
// (CVE-2023-43250, CVE-2023-45383, CVE-2023-46009: Awaiting Analysis)
// without any metric.
func TestRealFiles(t *testing.T) {
	for _, tc := range []struct {
		file   string
		scores int
	}{
		{"fixtures/vunnel/tests/unit/providers/nvd/test-fixtures/full-page.json", 35},
		{"fixtures/vunnel/tests/unit/providers/nvd/test-fixtures/single-entry.json", 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := run(tc.file, feedtest.Read(t, feedtest.Vulndata(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Scores) != tc.scores {
				t.Errorf("%d scores, want %d", len(c.Scores), tc.scores)
			}
			for i := range c.Scores {
				checkScore(t, &c.Scores[i])
			}
		})
	}
}

// TestFacts checks scores of the samples against the JSON, read by eye.
func TestFacts(t *testing.T) {
	by := map[string]feed.Score{}
	for _, f := range []string{"api-osvdev-test.json", "nvdcve-1.1-modified.json"} {
		c, err := run(f, feedtest.Read(t, "testdata/"+f))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.Scores {
			by[s.CVE] = s
		}
	}
	if p := feedtest.VulndataPath("fixtures/vunnel/tests/unit/providers/nvd/test-fixtures/full-page.json"); p != "" {
		c, err := run("full-page.json", feedtest.Read(t, p))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.Scores {
			by[s.CVE] = s
		}
		// CVE-2023-45109: V3.1 Primary nvd@nist.gov (…/C:H/I:H/A:H) and
		// Secondary Patchstack (…/C:N/I:L/A:L): NVD's kept.
		if got := by["CVE-2023-45109"].Severity; len(got) != 1 || got[0].Score != "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H" {
			t.Errorf("CVE-2023-45109: %+v", got)
		}
	}
	want := feed.Score{
		// CVE-2025-4565: cvssMetricV40 Secondary (Google), cvssMetricV31 Primary (NVD).
		CVE: "CVE-2025-4565", Source: "nvd",
		Severity: []osv.Severity{
			{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"},
			{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X"},
		},
		Published: time.Date(2025, 6, 16, 15, 15, 24, 990e6, time.UTC),
		Modified:  time.Date(2025, 8, 14, 17, 5, 37, 770e6, time.UTC),
	}
	if diff := cmp.Diff(want, by["CVE-2025-4565"]); diff != "" {
		t.Errorf("CVE-2025-4565 (-want +got):\n%s", diff)
	}
	// 1.1: CVE-2012-0803 has baseMetricV3 (CVSS 3.0) and baseMetricV2.
	want = feed.Score{
		CVE: "CVE-2012-0803", Source: "nvd",
		Severity: []osv.Severity{
			{Type: "CVSS_V3", Score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
			{Type: "CVSS_V2", Score: "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
		},
		Published: time.Date(2017, 8, 8, 21, 29, 0, 0, time.UTC),
		Modified:  time.Date(2020, 11, 12, 14, 15, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, by["CVE-2012-0803"]); diff != "" {
		t.Errorf("CVE-2012-0803 (-want +got):\n%s", diff)
	}
	// CVE-2020-7760 has baseMetricV3 only.
	if got := by["CVE-2020-7760"].Severity; len(got) != 1 || got[0].Score != "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L" {
		t.Errorf("CVE-2020-7760: %+v", got)
	}
	// 1.1 "** REJECT **" entries give no score.
	if _, ok := by["CVE-1999-1594"]; ok {
		t.Error("score for rejected CVE-1999-1594")
	}
}

// rejected is a real API 2.0 record of a rejected CVE (quoted from an NVD
// response of 2026-01-01) in a page wrapper written for the test.
const rejected = `{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2026-01-01T03:00:19.6486366","vulnerabilities":[{
    "cve" : {
      "id" : "CVE-2024-0069",
      "sourceIdentifier" : "security@hypr.com",
      "published" : "2023-11-28T00:15:07.140",
      "lastModified" : "2023-11-28T00:15:07.140",
      "vulnStatus" : "Rejected",
      "cveTags" : [ ],
      "descriptions" : [ {
        "lang" : "en",
        "value" : "Rejected reason: This CVE ID was unused by the CNA."
      } ],
      "metrics" : { },
      "references" : [ ]
    }
  }]}`

func TestRejected(t *testing.T) {
	c, err := run("t", []byte(rejected))
	if err != nil || len(c.Scores) != 0 {
		t.Errorf("rejected CVE: %v, %+v", err, c.Scores)
	}
	// The same record with a vector, still rejected: nothing.
	in := strings.Replace(rejected, `"metrics" : { }`, `"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]}`, 1)
	if c, err := run("t", []byte(in)); err != nil || len(c.Scores) != 0 {
		t.Errorf("rejected CVE with a vector: %v, %+v", err, c.Scores)
	}
}

func metric(source, typ, vector string) apiMetric {
	var m apiMetric
	m.Source, m.Type, m.CVSSData.VectorString = source, typ, vector
	return m
}

// TestPick covers the choice among several vectors.
func TestPick(t *testing.T) {
	const (
		nvd31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
		cna31 = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"
		cna30 = "CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
		cna40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
		nvd2  = "AV:N/AC:L/Au:N/C:P/I:P/A:P"
	)
	for _, tc := range []struct {
		name          string
		v40, v31, v30 []apiMetric
		v2            []apiMetric
		want          []osv.Severity
	}{
		{name: "NVD primary first, CNA secondary after",
			v40:  []apiMetric{metric("cna@vuldb.com", "Secondary", cna40)},
			v31:  []apiMetric{metric("cna@vuldb.com", "Secondary", cna31), metric("nvd@nist.gov", "Primary", nvd31)},
			v2:   []apiMetric{metric("nvd@nist.gov", "Primary", nvd2)},
			want: []osv.Severity{{Type: "CVSS_V3", Score: nvd31}, {Type: "CVSS_V2", Score: nvd2}, {Type: "CVSS_V4", Score: cna40}}},
		{name: "a CNA marked Primary beats a Secondary",
			v31:  []apiMetric{metric("x@y", "Secondary", nvd31), metric("cna@vuldb.com", "Primary", cna31)},
			want: []osv.Severity{{Type: "CVSS_V3", Score: cna31}}},
		{name: "3.1 over 3.0 from the same kind of source",
			v31:  []apiMetric{metric("a", "Secondary", cna31)},
			v30:  []apiMetric{metric("b", "Secondary", cna30)},
			want: []osv.Severity{{Type: "CVSS_V3", Score: cna31}}},
		{name: "NVD's 3.0 over a CNA's 3.1",
			v31:  []apiMetric{metric("a", "Secondary", cna31)},
			v30:  []apiMetric{metric("nvd@nist.gov", "Primary", cna30)},
			want: []osv.Severity{{Type: "CVSS_V3", Score: cna30}}},
		{name: "first secondary of several",
			v31:  []apiMetric{metric("a", "Secondary", cna31), metric("b", "Secondary", nvd31)},
			want: []osv.Severity{{Type: "CVSS_V3", Score: cna31}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var it apiItem
			it.CVE.ID = "CVE-2026-0001"
			it.CVE.Metrics.V40, it.CVE.Metrics.V31, it.CVE.Metrics.V30, it.CVE.Metrics.V2 = tc.v40, tc.v31, tc.v30, tc.v2
			prob := &feed.Problems{}
			s := apiScore(&it, 0, prob)
			if s == nil || prob.Err() != nil {
				t.Fatalf("score %v, problems %v", s, prob.Err())
			}
			if diff := cmp.Diff(tc.want, s.Severity); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidVector(t *testing.T) {
	for _, tc := range []struct {
		typ, v string
		ok     bool
	}{
		{"CVSS_V2", "AV:N/AC:M/Au:S/C:P/I:P/A:P", true},
		{"CVSS_V2", "AV:N/AC:M/Au:S/C:P/I:P", false},
		{"CVSS_V2", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", false},
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", true},
		{"CVSS_V3", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", true},
		{"CVSS_V3", "CVSS:3.2/AV:N", false},
		{"CVSS_V3", "CVSS:3.1/AV:N/AC:L <script>", false},
		{"CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/CR:X", true},
		{"CVSS_V4", "CVSS:4.0", false},
		{"CVSS_V4", "CVSS:4.0/" + strings.Repeat("A:B/", 200), false},
	} {
		if got := validVector(tc.typ, tc.v); got != tc.ok {
			t.Errorf("validVector(%s, %q) = %v", tc.typ, tc.v, got)
		}
	}
}

func TestErrors(t *testing.T) {
	item := func(id, vec, published string) string {
		return `{"cve":{"id":"` + id + `","published":"` + published + `","metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"vectorString":"` + vec + `"}}]}}}`
	}
	const good = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	for _, tc := range []struct {
		name, in, wantErr string
		scores            int
	}{
		{"wrong format", `{"format":"NVD_CPE","products":[]}`, `nvd: parse t at byte 19: format "NVD_CPE", want NVD_CVE`, 0},
		{"not NVD", `{"a":1}`, `nvd: parse t at byte 7: neither "vulnerabilities" (API 2.0) nor "CVE_Items" (1.1): not an NVD CVE file`, 0},
		{"not an object", `[]`, `nvd: parse t at byte 1: want "{", got [`, 0},
		{"truncated", `{"vulnerabilities":[` + item("CVE-2026-0001", good, "") + `,{"cve":`, `nvd: parse t at byte 214: item 2: unexpected EOF`, 1},
		{"trailing data", `{"vulnerabilities":[]}x`, `nvd: parse t at byte 22: data after the top-level object`, 0},
		{"bad items are skipped", `{"vulnerabilities":[` +
			item("CVE-2026-0001", "CVSS:3.1/AV:N junk", "") + `,` +
			item("XSS-1", good, "") + `,` +
			item("CVE-2026-0002", good, "yesterday") + `,` +
			`{"cve":{"id":1}},` +
			item("CVE-2026-0003", good, "2026-01-02T03:04:05.678") + `]}`,
			"nvd: t: CVE-2026-0001: CVSS_V3 vector \"CVSS:3.1/AV:N junk\" from nvd@nist.gov is not valid\n" +
				"nvd: t: item 2: id \"XSS-1\" is not a CVE id\n" +
				"nvd: t: CVE-2026-0002: published \"yesterday\" is not a timestamp\n" +
				"nvd: t: item 4: json: cannot unmarshal number into Go struct field .cve.id of type string", 2},
		{"empty page", `{"resultsPerPage":0,"vulnerabilities":[]}`, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := run("t", []byte(tc.in))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr || len(c.Scores) != tc.scores {
				t.Errorf("%d scores, error:\n%s\nwant %d, error:\n%s", len(c.Scores), got, tc.scores, tc.wantErr)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c feed.Collector
	if err := New().Parse(ctx, "t", bytes.NewReader(feedtest.Read(t, "testdata/api-osvdev-test.json")), &c); err != context.Canceled {
		t.Errorf("got %v", err)
	}
}

func TestFeedURLs(t *testing.T) {
	u := FeedURLs(2003)
	want := []string{
		"https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2002.json.gz",
		"https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2003.json.gz",
		"https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-modified.json.gz",
		"https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-recent.json.gz",
	}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, u := range DefaultURLs() {
		if !New().Match(strings.TrimPrefix(u, "https://")) {
			t.Errorf("Match(%q) = false", u)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"api-single-entry.json", "nvdcve-1.1-modified.json"} {
		f.Add(feedtest.Read(f, "testdata/"+name))
	}
	f.Add([]byte(rejected))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := run("fuzz", data)
		for i := range c.Scores {
			checkScore(t, &c.Scores[i])
		}
	})
}

// BenchmarkParse reads the largest real API page of the bundle (the
// osv.dev sample without it) and the 1.1 excerpt; the metric is scores/s.
func BenchmarkParse(b *testing.B) {
	api := feedtest.Read(b, "testdata/api-osvdev-test.json")
	if p := feedtest.VulndataPath("fixtures/vunnel/tests/unit/providers/nvd/test-fixtures/full-page.json"); p != "" {
		api = feedtest.Read(b, p)
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{{"api2.0", api}, {"feed1.1", feedtest.Read(b, "testdata/nvdcve-1.1-modified.json")}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				c, err := run("nvd/page.json", bc.data)
				if err != nil || len(c.Scores) == 0 {
					b.Fatalf("%d scores, %v", len(c.Scores), err)
				}
				n += len(c.Scores)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "scores/s")
		})
	}
}
