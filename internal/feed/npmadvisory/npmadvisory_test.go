package npmadvisory

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/osvfeed"
	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/vercmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// realRoot holds the working group's npm advisories; tests over it skip
// when it is absent.
const realRoot = "/var/tmp/vulndata/extracted/nodejs-security-wg/vuln/npm"

func npmOrder(t testing.TB) vercmp.Comparer {
	t.Helper()
	c, err := vercmp.For(Ecosystem)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parse(t testing.TB, name string, data []byte) ([]osv.Record, error) {
	t.Helper()
	var c feed.Collector
	err := NewWith(npmOrder(t)).Parse(context.Background(), name, bytes.NewReader(data), &c)
	return c.Advisories, err
}

func TestMatch(t *testing.T) {
	for p, want := range map[string]bool{
		"vuln/npm/410.json":                    true,
		"security-wg-main/vuln/npm/1.json":     true,
		"npm/22.json":                          true,
		"vuln/npm/index.json":                  false,
		"vuln/core/17.json":                    false,
		"vuln/npm/410.yml":                     false,
		"vuln/npm/x410.json":                   false,
		"410.json":                             false,
		"vuln/npm/sub/410.json":                false,
		"node_modules/npm/package/410.json/ok": false,
	} {
		if got := New().Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestRangeEvents pins the events of node-semver ranges, real ones and
// the grammar's corners.
func TestRangeEvents(t *testing.T) {
	type ev = osv.Event
	tests := []struct {
		in   string
		want [][]ev // fixed range, then last_affected range
	}{
		{"*", [][]ev{{{Introduced: "0"}}}},
		{"<=99.999.99999", [][]ev{nil, {{Introduced: "0"}, {LastAffected: "99.999.99999"}}}},
		{"<3.11 || >= 4 <4.5", [][]ev{{{Introduced: "0"}, {Fixed: "3.11.0-0"}, {Introduced: "4.0.0-0"}, {Fixed: "4.5.0-0"}}}},
		{"2.0.x || 2.1.x", [][]ev{{{Introduced: "2.0.0-0"}, {Fixed: "2.2.0-0"}}}},
		{"<= 1.0", [][]ev{{{Introduced: "0"}, {Fixed: "1.1.0-0"}}}},
		{"<=v2.0.0-alpha7", [][]ev{nil, {{Introduced: "0"}, {LastAffected: "2.0.0-alpha7"}}}},
		{"<1.6.5 || < 2.1.7 > 2.0.0", [][]ev{{{Introduced: "0"}, {Fixed: "1.6.5"}, {Introduced: "2.0.1-0"}, {Fixed: "2.1.7"}}}},
		{">=2.2.6 <2.47.0 || >2.51.0 <=2.67.0", [][]ev{{{Introduced: "2.2.6"}, {Fixed: "2.47.0"}}, {{Introduced: "2.51.1-0"}, {LastAffected: "2.67.0"}}}},
		{"2.1.0-M1 || 2.1.0-M2", [][]ev{nil, {{Introduced: "2.1.0-M1"}, {LastAffected: "2.1.0-M1"}, {Introduced: "2.1.0-M2"}, {LastAffected: "2.1.0-M2"}}}},
		{">= 0.2.0 <= 0.9.6 || ~0.8.0-pre", [][]ev{nil, {{Introduced: "0.2.0"}, {LastAffected: "0.9.6"}}}},
		{"^1.2.3", [][]ev{{{Introduced: "1.2.3"}, {Fixed: "2.0.0-0"}}}},
		{"^0.0.3", [][]ev{{{Introduced: "0.0.3"}, {Fixed: "0.0.4-0"}}}},
		{"~1.2", [][]ev{{{Introduced: "1.2.0-0"}, {Fixed: "1.3.0-0"}}}},
		{"1.x", [][]ev{{{Introduced: "1.0.0-0"}, {Fixed: "2.0.0-0"}}}},
		{">= 1.0.0-beta", [][]ev{{{Introduced: "1.0.0-beta"}}}},
		{"1.2.3 - 2.3.4", [][]ev{nil, {{Introduced: "1.2.3-0"}, {LastAffected: "2.3.4"}}}},
		{"1.2.3 - 2.3", [][]ev{{{Introduced: "1.2.3-0"}, {Fixed: "2.4.0-0"}}}},
		{"1.2.3-rc.1 - 2.3", [][]ev{{{Introduced: "1.2.3-rc.1"}, {Fixed: "2.4.0-0"}}}},
		{">1.2.3-rc.1 <2", [][]ev{{{Introduced: "1.2.3-rc.1.0"}, {Fixed: "2.0.0-0"}}}},
		{"<*", nil},
	}
	o := NewWith(npmOrder(t)).intervals()
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			set, err := ParseRange(o, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, exact := o.Ranges(set, osv.RangeSemver)
			if !exact {
				t.Error("not exact")
			}
			var want []osv.Range
			for _, evs := range tt.want {
				if evs != nil {
					want = append(want, osv.Range{Type: osv.RangeSemver, Events: evs})
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestOracle checks every range of the real advisories, and grammar
// cases, against node-semver itself: testdata/semver-oracle.json holds
// its verdicts (loose, includePrerelease) for versions around each bound,
// written by testdata/oracle.js.
func TestOracle(t *testing.T) {
	data, err := os.ReadFile("testdata/semver-oracle.json")
	if err != nil {
		t.Fatal(err)
	}
	var oracle struct {
		Cases []struct {
			Range    string          `json:"range"`
			Versions map[string]bool `json:"versions"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &oracle); err != nil {
		t.Fatal(err)
	}
	o := NewWith(npmOrder(t)).intervals()
	checked := 0
	for _, c := range oracle.Cases {
		set, err := ParseRange(o, c.Range)
		if err != nil {
			t.Errorf("%q: %v", c.Range, err)
			continue
		}
		ranges, _ := o.Ranges(set, osv.RangeSemver)
		for v, want := range c.Versions {
			if got := o.RangesContain(ranges, v); got != want {
				t.Errorf("%q: %s affected = %v, node-semver says %v (events %+v)", c.Range, v, got, want, ranges)
			}
			checked++
		}
	}
	if len(oracle.Cases) < 300 || checked < 3000 {
		t.Errorf("only %d ranges, %d versions checked", len(oracle.Cases), checked)
	}
}

func TestRangeErrors(t *testing.T) {
	o := NewWith(npmOrder(t)).intervals()
	for in, want := range map[string]string{
		">=1.2.3.4":               `">=1.2.3.4" is not a node-semver comparator`,
		"01.2.3":                  `"01.2.3": "01" has a leading zero`,
		"1.2.3 - x.y - 2":         `"-" is not a node-semver comparator`,
		"1.2-beta":                `"1.2-beta" is not a node-semver comparator`,
		"~>":                      `"~>" is not a node-semver comparator`,
		"1.2.3 - a":               `"1.2.3 - a" is not a node-semver range`,
		"12345678901234567.0.0":   `is too large`,
		strings.Repeat("1", 5000): "range longer than 4096 bytes",
	} {
		if _, err := ParseRange(o, in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRange(%.20q) = %v, want %q", in, err, want)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{
		"npm/8.json",   // express: "<3.11 || >= 4 <4.5", one CVE
		"npm/12.json",  // a malformed CVE id kept in database_specific
		"npm/309.json", // ">2.51.0" opens a lower end; last_affected in its own range
		"npm/410.json", // no fix
		"npm/504.json", // an invalid CVSS vector
		"npm/509.json", // publish_date 1970-01-01: not published
		"npm/485.json", // no author
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, "vuln/"+name, data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(recs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "NSWG-ECO-"+strings.TrimSuffix(path.Base(name), ".json")+".golden.json")
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

// checkFile converts one file: one valid record named after the file.
func checkFile(t *testing.T, rel string, data []byte) {
	t.Helper()
	recs, err := parse(t, rel, data)
	if err != nil || len(recs) != 1 {
		t.Errorf("%s: %d records, %v", rel, len(recs), err)
		return
	}
	if err := osvfeed.Validate(&recs[0]); err != nil {
		t.Errorf("%s: %v", rel, err)
	}
	if want := "NSWG-ECO-" + strings.TrimSuffix(path.Base(rel), ".json"); recs[0].ID != want {
		t.Errorf("%s: id %s", rel, recs[0].ID)
	}
}

func TestTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/npm/*.json")
	if err != nil || len(files) < 20 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel := "vuln/npm/" + filepath.Base(f)
		if !New().Match(rel) {
			t.Errorf("%s: not matched", rel)
		}
		checkFile(t, rel, data)
	}
}

// TestRealData converts every advisory of the real directory.
func TestRealData(t *testing.T) {
	if _, err := os.Stat(realRoot); err != nil {
		t.Skipf("no sample data at %s", realRoot)
	}
	n := 0
	err := filepath.WalkDir(realRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := "vuln/npm/" + filepath.Base(p)
		if !New().Match(rel) {
			if filepath.Base(p) != "index.json" {
				t.Errorf("%s: not matched", rel)
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checkFile(t, rel, data)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d advisories converted", n)
	if n < 460 {
		t.Errorf("only %d advisories", n)
	}
}

func TestErrors(t *testing.T) {
	base, err := os.ReadFile("testdata/npm/1.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		fn(m)
		out, _ := json.Marshal(m)
		return out
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"not JSON", []byte("{"), "not an npm advisory"},
		{"no id", edit(func(m map[string]any) { delete(m, "id") }), `id: "" is not a number`},
		{"id zero", edit(func(m map[string]any) { m["id"] = 0 }), `id: "0" is out of range`},
		{"negative id", edit(func(m map[string]any) { m["id"] = -1 }), `id: "-1" is not a number`},
		{"bad module", edit(func(m map[string]any) { m["module_name"] = "a b" }), `module_name: "a b" is not an npm package name`},
		{"no range", edit(func(m map[string]any) { m["vulnerable_versions"] = nil }), "vulnerable_versions: empty"},
		{"bad range", edit(func(m map[string]any) { m["vulnerable_versions"] = "<=1.5.1 or so" }), `vulnerable_versions: "or" is not a node-semver comparator`},
		{"empty range", edit(func(m map[string]any) { m["vulnerable_versions"] = "<1.0.0 >2.0.0" }), `vulnerable_versions: "<1.0.0 >2.0.0" admits no version`},
		{"bad updated_at", edit(func(m map[string]any) { m["updated_at"] = "yesterday" }), `updated_at: "yesterday" is not YYYY-MM-DD`},
		{"bad cvss_score", edit(func(m map[string]any) { m["cvss_score"] = "high" }), `not an npm advisory`},
		{"too large", bytes.Repeat([]byte(" "), MaxFileSize+1), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "vuln/npm/1.json"
			recs, err := parse(t, name, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "nswg-npm: "+name+": ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line naming the file", err)
			}
			if len(recs) != 0 {
				t.Errorf("%d records with the error", len(recs))
			}
		})
	}
	var c feed.Collector
	if err := (&Parser{}).Parse(context.Background(), "vuln/npm/1.json", bytes.NewReader(base), &c); err == nil || !strings.Contains(err.Error(), "no npm version ordering") {
		t.Errorf("without an ordering: %v", err)
	}
}

// FuzzParseRange: no panic; a parsed range written as events means the
// same set at every bound and around it.
func FuzzParseRange(f *testing.F) {
	data, err := os.ReadFile("testdata/semver-oracle.json")
	if err != nil {
		f.Fatal(err)
	}
	var oracle struct {
		Cases []struct {
			Range string `json:"range"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &oracle); err != nil {
		f.Fatal(err)
	}
	for _, c := range oracle.Cases {
		f.Add(c.Range)
	}
	o := NewWith(npmOrder(f)).intervals()
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseRange(o, s)
		if err != nil {
			return
		}
		ranges, exact := o.Ranges(set, osv.RangeSemver)
		if !exact {
			t.Fatalf("%q: inexact", s)
		}
		for _, iv := range set {
			for _, b := range []feed.Bound{iv.Lo, iv.Hi} {
				if b.Unbounded {
					continue
				}
				next, _ := successor(b.Version)
				for _, v := range []string{b.Version, next, b.Version + "-0", b.Version + ".0"} {
					if o.Contains(set, v) != o.RangesContain(ranges, v) {
						t.Fatalf("%q: %s in set = %v, per events %v (%+v)", s, v, o.Contains(set, v), !o.Contains(set, v), ranges)
					}
				}
			}
		}
	})
}

// FuzzParse: no panic; a record only without an error, and valid OSV.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/npm/*.json")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parse(t, "vuln/npm/1.json", data)
		if err != nil {
			if len(recs) != 0 {
				t.Fatal("records with an error")
			}
			return
		}
		if len(recs) != 1 {
			t.Fatalf("%d records", len(recs))
		}
		if err := osvfeed.Validate(&recs[0]); err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkParse converts the real directory (or the committed files)
// from memory.
func BenchmarkParse(b *testing.B) {
	pattern := filepath.Join(realRoot, "[0-9]*.json")
	if _, err := os.Stat(realRoot); err != nil {
		pattern = "testdata/npm/*.json"
	}
	paths, _ := filepath.Glob(pattern)
	var all [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, data)
	}
	p := NewWith(npmOrder(b))
	n := 0
	for b.Loop() {
		for _, data := range all {
			var c feed.Collector
			if err := p.Parse(context.Background(), "vuln/npm/1.json", bytes.NewReader(data), &c); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
