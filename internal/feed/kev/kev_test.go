package kev

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/feedtest"
)

func run(path string, data []byte) (*feed.Collector, error) {
	var c feed.Collector
	err := New().Parse(context.Background(), path, bytes.NewReader(data), &c)
	return &c, err
}

// checkKEVs asserts what every result keeps: valid ids and dates, each
// CVE once.
func checkKEVs(t testing.TB, ks []feed.KEV) {
	t.Helper()
	seen := map[string]bool{}
	for _, k := range ks {
		if !reCVE.MatchString(k.CVE) || !isDate(k.DateAdded) || (k.DueDate != "" && !isDate(k.DueDate)) || seen[k.CVE] {
			t.Fatalf("bad or repeated entry %+v", k)
		}
		seen[k.CVE] = true
	}
}

func TestMatch(t *testing.T) {
	for path, want := range map[string]bool{
		"known_exploited_vulnerabilities.json":                                     true,
		"www.cisa.gov/sites/default/files/csv/known_exploited_vulnerabilities.csv": true,
		"kev/known_exploited_vulnerabilities.json.gz":                              true,
		"known_exploited_vulnerabilities_schema.json":                              false,
		"kev.json": false,
	} {
		if got := New().Match(path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestGolden converts the excerpts; the JSON and CSV forms of the same
// entries give the same results.
func TestGolden(t *testing.T) {
	j, err := run("known_exploited_vulnerabilities.json", feedtest.Read(t, "testdata/known_exploited_vulnerabilities.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := run("known_exploited_vulnerabilities.csv", feedtest.Read(t, "testdata/known_exploited_vulnerabilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	checkKEVs(t, j.KEVs)
	if diff := cmp.Diff(j.KEVs, c.KEVs); diff != "" || len(j.KEVs) != 13 {
		t.Errorf("%d entries; json vs csv (-json +csv):\n%s", len(j.KEVs), diff)
	}
	feedtest.Golden(t, "known_exploited_vulnerabilities.golden.json", j.KEVs)
	// CVE-2025-48384 (Git), read off the JSON.
	want := feed.KEV{CVE: "CVE-2025-48384", DateAdded: "2025-08-25", DueDate: "2025-09-15", Vendor: "Git", Product: "Git"}
	if diff := cmp.Diff(want, j.KEVs[0]); diff != "" {
		t.Errorf("first entry (-want +got):\n%s", diff)
	}
}

// TestRealFiles parses the whole catalog as the bundle holds it: the JSON
// and CSV of 2025-08-25 (1,404 entries, 293 with known ransomware use)
// and a CSV of 2025-11-14 (1,460).
func TestRealFiles(t *testing.T) {
	results := map[string][]feed.KEV{}
	for _, tc := range []struct {
		file               string
		entries, ransomway int
	}{
		{"kev/known_exploited_vulnerabilities.json", 1404, 293},
		{"kev/known_exploited_vulnerabilities.csv", 1404, 293},
		{"kev/newer-csv-2025-11/known_exploited_vulnerabilities.csv", 1460, 302},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := run(tc.file, feedtest.Read(t, feedtest.Vulndata(t, tc.file)))
			if err != nil {
				t.Fatalf("real catalog fails validation: %v", err)
			}
			checkKEVs(t, c.KEVs)
			n := 0
			for _, k := range c.KEVs {
				if k.Ransomware {
					n++
				}
			}
			if len(c.KEVs) != tc.entries || n != tc.ransomway {
				t.Errorf("%d entries, %d ransomware; want %d, %d", len(c.KEVs), n, tc.entries, tc.ransomway)
			}
			results[tc.file] = c.KEVs
		})
	}
	if j, c := results["kev/known_exploited_vulnerabilities.json"], results["kev/known_exploited_vulnerabilities.csv"]; j != nil && c != nil {
		if diff := cmp.Diff(j, c); diff != "" {
			t.Errorf("JSON and CSV of the same day differ (-json +csv):\n%s", diff)
		}
	}
}

// TestSchema checks the validation against CISA's published schema: the
// real catalog passes both; each mutation the schema rejects, the parser
// reports.
func TestSchema(t *testing.T) {
	schemaPath := feedtest.Vulndata(t, "kev/known_exploited_vulnerabilities_schema.json")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(feedtest.Read(t, schemaPath)))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	if err := comp.AddResource("kev.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := comp.Compile("kev.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	base := feedtest.Read(t, "testdata/known_exploited_vulnerabilities.json")
	schemaValid := func(b []byte) bool {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v) == nil
	}
	if !schemaValid(base) {
		t.Fatal("the excerpt does not validate against the schema")
	}
	if full := feedtest.VulndataPath("kev/known_exploited_vulnerabilities.json"); full != "" && !schemaValid(feedtest.Read(t, full)) {
		t.Fatal("the real catalog does not validate against the schema")
	}
	mutate := func(f func(m map[string]any, first map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		f(m, m["vulnerabilities"].([]any)[0].(map[string]any))
		b, _ := json.Marshal(m)
		return b
	}
	var cases = map[string][]byte{}
	for _, field := range []string{"cveID", "vendorProject", "product", "vulnerabilityName", "dateAdded", "shortDescription", "requiredAction", "dueDate"} {
		cases["no "+field] = mutate(func(_, v map[string]any) { delete(v, field) })
	}
	for _, field := range []string{"catalogVersion", "dateReleased", "count"} {
		cases["no "+field] = mutate(func(m, _ map[string]any) { delete(m, field) })
	}
	cases["bad cveID"] = mutate(func(_, v map[string]any) { v["cveID"] = "CVE-25-1" })
	cases["bad dueDate"] = mutate(func(_, v map[string]any) { v["dueDate"] = "2025/09/15" })
	cases["bad dateAdded"] = mutate(func(_, v map[string]any) { v["dateAdded"] = "25 Aug 2025" })
	cases["bad dateReleased"] = mutate(func(m, _ map[string]any) { m["dateReleased"] = "yesterday" })
	cases["bad cwe"] = mutate(func(_, v map[string]any) { v["cwes"] = []any{"NVD-CWE-noinfo"} })
	for name, b := range cases {
		if schemaValid(b) {
			t.Errorf("%s: the schema accepts it; the mutation is wrong", name)
			continue
		}
		if _, err := run("k.json", b); err == nil {
			t.Errorf("%s: the schema rejects it, the parser reports nothing", name)
		}
	}
}

func TestErrors(t *testing.T) {
	const header = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\n"
	for _, tc := range []struct {
		name, in, wantErr string
		entries           int
	}{
		{"not a catalog", `{"title":"x"}`, `kev: parse t at byte 13: no "vulnerabilities": not a KEV catalog`, 0},
		{"truncated", `{"vulnerabilities":[{"cveID":"CVE-2025-0001"`, "kev: parse t at byte 20: vulnerability 1: unexpected EOF", 0},
		{"trailing data", `{"vulnerabilities":[],"count":0,"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19.9796Z"} {}`,
			"kev: parse t at byte 98: data after the catalog object", 0},
		{"entry problems", `{"catalogVersion":"1","dateReleased":"2025-08-25T17:04:19.9796Z","count":5,"vulnerabilities":[` +
			`{"cveID":"CVE-2025-0001","vendorProject":"v","product":"p","vulnerabilityName":"n","dateAdded":"2025-01-01","shortDescription":"s","requiredAction":"a","dueDate":"soon","knownRansomwareCampaignUse":"Maybe"},` +
			`{"cveID":"CVE-2025-0001","dateAdded":"2025-01-01"},` +
			`{"cveID":"GHSA-1","dateAdded":"2025-01-01"},` +
			`{"cveID":7},` +
			`{"cveID":"CVE-2025-0002","dateAdded":"2025-01-01","cwes":["CWE-79"]}]}`,
			strings.Join([]string{
				`kev: t: vulnerability 1 (CVE-2025-0001): dueDate "soon" is not a date (YYYY-MM-DD)`,
				`kev: t: vulnerability 1 (CVE-2025-0001): knownRansomwareCampaignUse "Maybe" is neither Known nor Unknown`,
				`kev: t: vulnerability 2 (CVE-2025-0001): listed twice; entry skipped`,
				`kev: t: vulnerability 3: cveID "GHSA-1" is not a CVE id; entry skipped`,
				`kev: t: vulnerability 4: json: cannot unmarshal number into Go struct field entry.cveID of type string; entry skipped`,
				`kev: t: vulnerability 5 (CVE-2025-0002): required field vendorProject is missing`,
				`kev: t: vulnerability 5 (CVE-2025-0002): required field product is missing`,
				`kev: t: vulnerability 5 (CVE-2025-0002): required field vulnerabilityName is missing`,
				`kev: t: vulnerability 5 (CVE-2025-0002): required field shortDescription is missing`,
				`kev: t: vulnerability 5 (CVE-2025-0002): required field requiredAction is missing`,
				`kev: t: vulnerability 5 (CVE-2025-0002): required field dueDate is missing`,
			}, "\n"), 2},
		{"csv without cveID", "a,b\n1,2\n", `kev: parse t: header "a,b" has no cveID column: not a KEV catalog`, 0},
		{"csv empty", "", "kev: parse t: empty file", 0},
		{"csv short header and a short record", "cveID,dateAdded\nCVE-2025-0001,2025-01-01\nCVE-2025-0002\nCVE-2025-0003,2025-01-02\n",
			strings.Join([]string{
				"kev: t: header: required column vendorProject is missing",
				"kev: t: header: required column product is missing",
				"kev: t: header: required column vulnerabilityName is missing",
				"kev: t: header: required column shortDescription is missing",
				"kev: t: header: required column requiredAction is missing",
				"kev: t: header: required column dueDate is missing",
				"kev: t: line 2 (CVE-2025-0001): required field vendorProject is missing",
				"kev: t: line 2 (CVE-2025-0001): required field product is missing",
				"kev: t: line 2 (CVE-2025-0001): required field vulnerabilityName is missing",
				"kev: t: line 2 (CVE-2025-0001): required field shortDescription is missing",
				"kev: t: line 2 (CVE-2025-0001): required field requiredAction is missing",
				"kev: t: line 2 (CVE-2025-0001): required field dueDate is missing",
				"kev: t: line 3: wrong number of fields; entry skipped",
				"kev: t: line 4 (CVE-2025-0003): required field vendorProject is missing",
				"kev: t: line 4 (CVE-2025-0003): required field product is missing",
				"kev: t: line 4 (CVE-2025-0003): required field vulnerabilityName is missing",
				"kev: t: line 4 (CVE-2025-0003): required field shortDescription is missing",
				"kev: t: line 4 (CVE-2025-0003): required field requiredAction is missing",
				"kev: t: line 4 (CVE-2025-0003): required field dueDate is missing",
			}, "\n"), 2},
		{"csv bad quote", header + "\"CVE-2025-0001,x\n", "kev: parse t: parse error on line 2, column 18: extraneous or missing \" in quoted-field", 0},
		{"csv with BOM", "\ufeff" + header + "CVE-2025-0001,v,p,n,2025-01-01,s,a,2025-01-22,Known,,\n", "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := run("t", []byte(tc.in))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr || len(c.KEVs) != tc.entries {
				t.Errorf("%d entries, error:\n%s\nwant %d, error:\n%s", len(c.KEVs), got, tc.entries, tc.wantErr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add(feedtest.Read(f, "testdata/known_exploited_vulnerabilities.json"))
	f.Add(feedtest.Read(f, "testdata/known_exploited_vulnerabilities.csv"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := run("fuzz", data)
		checkKEVs(t, c.KEVs)
	})
}

// BenchmarkParse reads the whole real catalog in both forms (the
// excerpts without the bundle); the metric is entries/s.
func BenchmarkParse(b *testing.B) {
	for _, form := range []string{"json", "csv"} {
		b.Run(form, func(b *testing.B) {
			data := feedtest.Read(b, "testdata/known_exploited_vulnerabilities."+form)
			if p := feedtest.VulndataPath("kev/known_exploited_vulnerabilities." + form); p != "" {
				data = feedtest.Read(b, p)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				c, err := run("known_exploited_vulnerabilities."+form, data)
				if err != nil || len(c.KEVs) == 0 {
					b.Fatalf("%d entries, %v", len(c.KEVs), err)
				}
				n += len(c.KEVs)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
