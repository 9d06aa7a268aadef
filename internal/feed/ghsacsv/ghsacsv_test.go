package ghsacsv

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/osvfeed"
	"github.com/pavesec/pave/internal/osv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// realRoot holds the real CSV files; tests over them skip when absent.
const realRoot = "/var/tmp/vulndata/extracted/ghsa-openrewrite-csv-2024"

var files = []string{"advisories-maven.csv", "advisories-npm.csv", "advisories-nuget.csv"}

func parse(t testing.TB, name string, data []byte) ([]osv.Record, error) {
	t.Helper()
	var c feed.Collector
	err := New().Parse(context.Background(), name, bytes.NewReader(data), &c)
	return c.Advisories, err
}

func TestMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"advisories-maven.csv":                       true,
		"src/main/resources/advisories-nuget.csv":    true,
		"advisories-npm.csv":                         true,
		"advisories-pypi.csv":                        false,
		"advisories-maven.csv.gz":                    false,
		"maven.csv":                                  false,
		"src/main/resources/advisories-maven.json":   false,
		"rewrite/src/main/resources/recipes-npm.csv": false,
	} {
		if got := New().Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, name, data)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, name, data, recs)
			got, err := json.MarshalIndent(recs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".csv")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// checkRecords: every record is valid OSV, ids are unique and sorted, and
// every distinct row of the CSV is one affected entry of its id's record.
func checkRecords(t *testing.T, name string, data []byte, recs []osv.Record) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[[3]string]bool{}
	for _, r := range rows {
		if want[r[0]] == nil {
			want[r[0]] = map[[3]string]bool{}
		}
		want[r[0]][[3]string{r[3], r[4], r[5]}] = true
	}
	if len(recs) != len(want) {
		t.Errorf("%s: %d records for %d ids", name, len(recs), len(want))
	}
	for i := range recs {
		r := &recs[i]
		if err := osvfeed.Validate(r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if i > 0 && recs[i-1].ID >= r.ID {
			t.Errorf("%s: ids out of order: %s, %s", name, recs[i-1].ID, r.ID)
		}
		got := map[[3]string]bool{}
		for _, a := range r.Affected {
			fixed := ""
			if ev := a.Ranges[0].Events; len(ev) > 1 {
				fixed = ev[1].Fixed
			}
			got[[3]string{a.Package.Name, a.Ranges[0].Events[0].Introduced, fixed}] = true
		}
		if len(got) != len(r.Affected) {
			t.Errorf("%s: %s has repeated affected entries", name, r.ID)
		}
		if diff := cmp.Diff(want[r.ID], got); diff != "" {
			t.Errorf("%s: %s affected (-rows +record):\n%s", name, r.ID, diff)
		}
	}
}

func TestRealData(t *testing.T) {
	if _, err := os.Stat(realRoot); err != nil {
		t.Skipf("no sample data at %s", realRoot)
	}
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(realRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := parse(t, name, data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		checkRecords(t, name, data, recs)
		t.Logf("%s: %d rows, %d records", name, bytes.Count(data, []byte("\n")), len(recs))
	}
}

// TestRecord pins the conversion of one advisory from its rows.
func TestRecord(t *testing.T) {
	data := []byte(`CVE-2006-7195,2022-05-01T07:45:38Z,"Apache Tomcat XSS Vulnerability",org.apache.tomcat:tomcat,5.0.0,,MODERATE,CWE-79;CWE-80
CVE-2006-7195,2022-05-01T07:45:38Z,"Apache Tomcat XSS Vulnerability",org.apache.tomcat:tomcat,5.5.0,5.5.18,MODERATE,CWE-79;CWE-80
`)
	recs, err := parse(t, "advisories-maven.csv", data)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(recs)
	want := `[{"id":"CVE-2006-7195","modified":"2022-05-01T07:45:38Z","published":"2022-05-01T07:45:38Z","summary":"Apache Tomcat XSS Vulnerability",` +
		`"affected":[{"package":{"ecosystem":"Maven","name":"org.apache.tomcat:tomcat","purl":"pkg:maven/org.apache.tomcat/tomcat"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.0.0"}]}]},` +
		`{"package":{"ecosystem":"Maven","name":"org.apache.tomcat:tomcat","purl":"pkg:maven/org.apache.tomcat/tomcat"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"5.5.0"},{"fixed":"5.5.18"}]}]}],` +
		`"database_specific":{"cwe_ids":["CWE-79","CWE-80"],"severity":"MODERATE"}}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestPackageURL(t *testing.T) {
	for _, tt := range []struct{ eco, name, want string }{
		{"npm", "@novnc/novnc", "pkg:npm/%40novnc/novnc"},
		{"npm", "lodash", "pkg:npm/lodash"},
		{"Maven", "org.apache.logging.log4j:log4j-core", "pkg:maven/org.apache.logging.log4j/log4j-core"},
		{"NuGet", "Microsoft.AspNetCore.App.Runtime.linux-arm", "pkg:nuget/Microsoft.AspNetCore.App.Runtime.linux-arm"},
	} {
		if got, err := packageURL(tt.eco, tt.name); err != nil || got != tt.want {
			t.Errorf("packageURL(%s, %s) = %q, %v; want %q", tt.eco, tt.name, got, err, tt.want)
		}
	}
}

func TestBadRows(t *testing.T) {
	good := `CVE-2008-6681,2020-09-01T15:25:29Z,"Cross-Site Scripting in dojo",dojo,0,1.1.0,MODERATE,CWE-79`
	tests := []struct{ row, wantErr string }{
		{`XSA-1,2020-09-01T15:25:29Z,s,dojo,0,1.1.0,MODERATE,`, `cve_or_ghsa: "XSA-1" is neither a CVE nor a GHSA id`},
		{`CVE-2008-1,2020-09-01T15:25:29Z,s,dojo,0,1.1.0,MODERATE,`, `cve_or_ghsa: "CVE-2008-1" is neither a CVE nor a GHSA id`},
		{`CVE-2008-0001,2020-09-01,s,dojo,0,1.1.0,MODERATE,`, `published: "2020-09-01" is not an RFC 3339 time`},
		{`CVE-2008-0001,2020-09-01T15:25:29Z,s,dojo,0,1.1.0,MEDIUM,`, `severity: "MEDIUM" is not LOW, MODERATE, HIGH or CRITICAL`},
		{`CVE-2008-0001,2020-09-01T15:25:29Z,s,,0,1.1.0,HIGH,`, `package: empty`},
		{`CVE-2008-0001,2020-09-01T15:25:29Z,s,@a/b/c,0,1.1.0,HIGH,`, `package: "@a/b/c" is not an npm name`},
		{`CVE-2008-0001,2020-09-01T15:25:29Z,s,dojo,,1.1.0,HIGH,`, `introduced: empty`},
		{`CVE-2008-0001,2020-09-01T15:25:29Z,s,dojo,0,1.1.0,HIGH,CWE-79;79`, `cwes: "79" is not a CWE id`},
		{`CVE-2008-0001,2020-09-01T15:25:29Z,s,dojo,0,1.1.0,HIGH`, `7 fields, want 8`},
	}
	for _, tt := range tests {
		t.Run(tt.wantErr, func(t *testing.T) {
			data := []byte(good + "\n" + tt.row + "\n" + good + "\n")
			recs, err := parse(t, "advisories-npm.csv", data)
			want := "ghsa-csv: advisories-npm.csv: 1 bad rows (line 2: " + tt.wantErr + ")"
			if err == nil || err.Error() != want {
				t.Errorf("err = %v\nwant %s", err, want)
			}
			if len(recs) != 1 || len(recs[0].Affected) != 1 {
				t.Errorf("good rows not reported: %+v", recs)
			}
		})
	}
	// A broken quote ends the file; what came before is still reported.
	recs, err := parse(t, "advisories-npm.csv", []byte(good+"\nCVE-2008-0002,x,\"s\"x,dojo,0,1,HIGH,\n"))
	if err == nil || !strings.Contains(err.Error(), `extraneous or missing " in quoted-field`) || len(recs) != 1 {
		t.Errorf("broken quote: %d records, %v", len(recs), err)
	}
	if _, err := parse(t, "advisories-pypi.csv", []byte(good)); err == nil || !strings.Contains(err.Error(), "names no ecosystem") {
		t.Errorf("unknown ecosystem: %v", err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c feed.Collector
	if err := New().Parse(ctx, "advisories-npm.csv", strings.NewReader(""), &c); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// FuzzParse: no panic; records are valid OSV with unique ids, each
// affected entry one row's range.
func FuzzParse(f *testing.F) {
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := files[int(which)%len(files)]
		recs, _ := parse(t, name, data)
		seen := map[string]bool{}
		for i := range recs {
			r := &recs[i]
			if seen[r.ID] {
				t.Fatalf("id %s twice", r.ID)
			}
			seen[r.ID] = true
			if err := osvfeed.Validate(r); err != nil {
				t.Fatal(err)
			}
			if len(r.Affected) == 0 {
				t.Fatalf("%s: no affected entry", r.ID)
			}
			for _, a := range r.Affected {
				if len(a.Ranges) != 1 || len(a.Ranges[0].Events) > 2 {
					t.Fatalf("%s: ranges %+v", r.ID, a.Ranges)
				}
			}
		}
	})
}

// BenchmarkParse reads the three real files (or the excerpts) from
// memory.
func BenchmarkParse(b *testing.B) {
	root := "testdata"
	if _, err := os.Stat(realRoot); err == nil {
		root = realRoot
	}
	var all [][]byte
	var size int64
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, data)
		size += int64(len(data))
	}
	b.SetBytes(size)
	n := 0
	for b.Loop() {
		for i, data := range all {
			var c feed.Collector
			if err := New().Parse(context.Background(), files[i], bytes.NewReader(data), &c); err != nil {
				b.Fatal(err)
			}
			n += len(c.Advisories)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

func TestWithdrawn(t *testing.T) {
	pub := time.Date(2023, 6, 26, 21, 30, 58, 0, time.UTC)
	for _, tc := range []struct {
		summary string
		want    bool
	}{
		{"Duplicate Advisory: jQuery Cross Site Scripting vulnerability", true},
		{"Withdrawn: Arbitrary code execution in lodash", true},
		{"Prototype Pollution in lodash", false},
		{"Advisory about withdrawn: tokens", false},
	} {
		if got := withdrawn(tc.summary, pub); (got != nil) != tc.want {
			t.Errorf("withdrawn(%q) = %v, want %v", tc.summary, got, tc.want)
		}
	}
}
