package osvfeed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// realRoot holds the unpacked sample feeds (see /work/shared/data); tests
// over it skip when it is absent.
const realRoot = "/var/tmp/vulndata/extracted"

// realTrees are the OSV trees under realRoot.
var realTrees = []string{
	"golang-vulndb-proxy/data/osv",
	"rustsec-osv/crates",
	"pypa/vulns",
	"almalinux-osv/advisories",
	"ghsa-osv-samples",
}

func parse(t testing.TB, name string, data []byte) ([]osv.Record, error) {
	t.Helper()
	var c feed.Collector
	err := New().Parse(context.Background(), name, bytes.NewReader(data), &c)
	return c.Advisories, err
}

func TestMatch(t *testing.T) {
	tests := map[string]bool{
		"GO-2024-3228.json":                         true,
		"data/osv/GO-2024-3228.json":                true,
		"vulns/zstd/PYSEC-2023-121.yaml":            true,
		"x/PYSEC-1.YML":                             true,
		"advisories/almalinux8/ALSA-2021:2363.json": true,
		"all.json":                       true,
		"vulns/.id-allocator":            false,
		"LICENSE":                        false,
		"README.md":                      false,
		"index/db.json":                  false,
		"vuln.go.dev/index/modules.json": false,
		"vuln/npm/index.json":            false,
		"validation/schema.json":         false,
		"osv.schema.json":                false,
		".github/workflows/ci.yml":       false,
		"repo/.pre-commit-config.yaml":   false,
		"package.json":                   false,
		"mkdocs.yml":                     false,
		"GO-2024-3228.json.gz":           false,
	}
	for p, want := range tests {
		if got := New().Match(p); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestTestdata parses every committed record: one record per file, its id
// the file's name (AlmaLinux's ":" is "_" in the copies).
func TestTestdata(t *testing.T) {
	n, withdrawn := 0, 0
	err := filepath.WalkDir("testdata/records", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		rel := filepath.ToSlash(p)
		if !New().Match(rel) {
			t.Errorf("%s: not matched", rel)
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		recs, err := parse(t, rel, data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		want := strings.TrimSuffix(path.Base(rel), path.Ext(rel))
		if len(recs) != 1 || strings.ReplaceAll(recs[0].ID, ":", "_") != want {
			t.Errorf("%s: got %d records, want one with id %s", rel, len(recs), want)
		}
		for _, r := range recs {
			if r.Withdrawn != nil {
				withdrawn++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 25 {
		t.Errorf("only %d test records", n)
	}
	if withdrawn == 0 {
		t.Error("no withdrawn record reported")
	}
}

// TestGolden pins the records read from a few real files.
func TestGolden(t *testing.T) {
	for _, name := range []string{
		"records/go/GO-2020-0001.json",               // credits (not kept), ecosystem_specific imports
		"records/pypa/py/PYSEC-2022-42969.yaml",      // last_affected, versions
		"records/pypa/aiohttp/PYSEC-2022-43059.yaml", // withdrawn, still reported
		"records/pypa/zstd/PYSEC-2023-121.yaml",      // YAML timestamps, version list
		"records/rustsec/RUSTSEC-2016-0001.json",     // SEMVER, database_specific
		"records/almalinux/ALSA-2021_2363.json",      // ECOSYSTEM with epochs
		"records/ghsa/GHSA-36p3-wjmg-h94x.json",      // GHSA severity
		"array.json",                                 // a JSON array of three records
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			recs, err := parse(t, name, data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(recs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", strings.TrimSuffix(path.Base(name), path.Ext(name))+".golden.json")
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

// edit returns a real record (GO-2020-0001) changed by fn.
func edit(t *testing.T, fn func(m map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/records/go/GO-2020-0001.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// firstRange returns affected[0].ranges[0] of a decoded record.
func firstRange(m map[string]any) map[string]any {
	return m["affected"].([]any)[0].(map[string]any)["ranges"].([]any)[0].(map[string]any)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		wantErr    string
	}{
		{"no id", "x.json", edit(t, func(m map[string]any) { delete(m, "id") }), "record has no id"},
		{"no modified", "x.json", edit(t, func(m map[string]any) { delete(m, "modified") }), "record GO-2020-0001: no modified time"},
		{"no package name", "x.json", edit(t, func(m map[string]any) {
			m["affected"].([]any)[0].(map[string]any)["package"].(map[string]any)["name"] = ""
		}), "affected[0].package: ecosystem and name are required"},
		{"event with two fields", "x.json", edit(t, func(m map[string]any) {
			firstRange(m)["events"] = []any{map[string]any{"introduced": "0", "fixed": "1.0.0"}}
		}), "affected[0].ranges[0].events[0]: 2 fields (fixed, introduced), want exactly one"},
		{"empty event", "x.json", edit(t, func(m map[string]any) {
			firstRange(m)["events"] = []any{map[string]any{"introduced": "0"}, map[string]any{}}
		}), "events[1]: 0 fields (), want exactly one"},
		{"empty event value", "x.json", edit(t, func(m map[string]any) {
			firstRange(m)["events"] = []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": ""}}
		}), "events[1]: 0 non-empty fields, want exactly one"},
		{"unknown range type", "x.json", edit(t, func(m map[string]any) { firstRange(m)["type"] = "PEP440" }), `unknown type "PEP440"`},
		{"GIT without repo", "x.json", edit(t, func(m map[string]any) { firstRange(m)["type"] = "GIT" }), "GIT range without repo"},
		{"no introduced", "x.json", edit(t, func(m map[string]any) {
			firstRange(m)["events"] = []any{map[string]any{"fixed": "1.0.0"}}
		}), "no introduced event"},
		{"fixed and last_affected", "x.json", edit(t, func(m map[string]any) {
			firstRange(m)["events"] = []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "1.0.0"}, map[string]any{"last_affected": "2.0.0"}}
		}), "both fixed and last_affected"},
		{"SEMVER with v", "x.json", edit(t, func(m map[string]any) {
			firstRange(m)["events"] = []any{map[string]any{"introduced": "v1.0.0"}}
		}), `"v1.0.0" is not a SemVer 2.0.0 version`},
		{"severity without score", "x.json", edit(t, func(m map[string]any) {
			m["severity"] = []any{map[string]any{"type": "CVSS_V3"}}
		}), "severity[0]: type and score are required"},
		{"related as objects", "x.json", edit(t, func(m map[string]any) {
			m["related"] = []any{map[string]any{"type": "SIMILAR_TO", "id": "X"}}
		}), "not an OSV record"},
		{"not JSON", "x.json", []byte("{"), "not an OSV record"},
		{"empty file", "x.json", []byte(" \n"), "empty file"},
		{"array trailing data", "x.json", []byte("[] {}"), "data after the array"},
		{"array unterminated", "x.json", []byte("["), "after the records"},
		{"yaml alias", "x.yaml", []byte("id: &a X-1\nmodified: 2024-01-01T00:00:00Z\naliases: [*a]\n"), "aliases are not supported (line 3)"},
		{"yaml merge key", "x.yaml", []byte("id: X-1\nmodified: 2024-01-01T00:00:00Z\n<<: {summary: x}\n"), "merge keys are not supported"},
		{"yaml duplicate key", "x.yaml", []byte("id: X-1\nid: X-2\n"), `mapping key "id" already defined at [1:1]`},
		{"yaml two documents", "x.yaml", []byte("id: X-1\n---\nid: X-2\n"), "more than one document"},
		{"yaml empty", "x.yml", []byte("# nothing\n"), "empty document"},
		{"yaml bad", "x.yml", []byte("a: [\n"), "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := parse(t, tt.file, tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line", err)
			}
			if !strings.HasPrefix(err.Error(), "osv: "+tt.file+": ") {
				t.Errorf("err = %v, want it to name the file", err)
			}
			if len(recs) != 0 {
				t.Errorf("reported %d records with the error", len(recs))
			}
		})
	}
}

// TestArrayPartial: the good records of an array are reported, the bad
// ones named in the file's error.
func TestArrayPartial(t *testing.T) {
	good := edit(t, func(map[string]any) {})
	bad := edit(t, func(m map[string]any) { delete(m, "id") })
	data := []byte("[" + string(good) + "," + string(bad) + "," + string(good) + "]")
	recs, err := parse(t, "all.json", data)
	if len(recs) != 2 {
		t.Errorf("got %d records, want 2", len(recs))
	}
	if err == nil || err.Error() != "osv: all.json: 1 bad records (record 1: record has no id)" {
		t.Errorf("err = %v", err)
	}
	recs, err = parse(t, "all.json", []byte(" [ ] "))
	if err != nil || len(recs) != 0 {
		t.Errorf("empty array: %d records, %v", len(recs), err)
	}
}

// TestYAMLScalars: OSV's string fields keep a plain scalar's text; typed
// values survive inside database_specific.
func TestYAMLScalars(t *testing.T) {
	data := []byte(`id: PYSEC-0000-1
modified: 2021-01-01T00:00:00Z
affected:
- package: {ecosystem: PyPI, name: x}
  ranges:
  - type: ECOSYSTEM
    events:
    - introduced: 0
    - fixed: 1.10
  versions: [1.0, 1.10, 2e3, true]
  database_specific: {count: 3, ratio: 1.50, ok: true, none: ~, hex: 0x1F, word: x}
`)
	recs, err := parse(t, "PYSEC-0000-1.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	a := recs[0].Affected[0]
	if diff := cmp.Diff([]osv.Event{{Introduced: "0"}, {Fixed: "1.10"}}, a.Ranges[0].Events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1.0", "1.10", "2e3", "true"}, a.Versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	want := `{"count":3,"hex":"0x1F","none":null,"ok":true,"ratio":1.50,"word":"x"}`
	if string(a.DatabaseSpecific) != want {
		t.Errorf("database_specific = %s, want %s", a.DatabaseSpecific, want)
	}
	if !recs[0].Modified.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("modified = %v", recs[0].Modified)
	}
}

// TestGitOnlyAffected: the schema lets an entry with only GIT ranges go
// without a package.
func TestGitOnlyAffected(t *testing.T) {
	data := edit(t, func(m map[string]any) {
		m["affected"] = []any{map[string]any{"ranges": []any{map[string]any{
			"type": "GIT", "repo": "https://github.com/x/y",
			"events": []any{map[string]any{"introduced": "0"}, map[string]any{"fixed": "abc123"}},
		}}}}
	})
	if _, err := parse(t, "x.json", data); err != nil {
		t.Fatal(err)
	}
}

type failSink struct{ feed.Collector }

var errSink = errors.New("sink full")

func (*failSink) Advisory(*osv.Record) error { return errSink }

func TestSinkError(t *testing.T) {
	data, err := os.ReadFile("testdata/array.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"array.json", "GO-2020-0001.json"} {
		in := data
		if name != "array.json" {
			in = edit(t, func(map[string]any) {})
		}
		err := New().Parse(context.Background(), name, bytes.NewReader(in), &failSink{})
		if !errors.Is(err, errSink) {
			t.Errorf("%s: err = %v, want the sink's", name, err)
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var c feed.Collector
	if err := New().Parse(ctx, "x.json", strings.NewReader("{}"), &c); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestReadAllLimit(t *testing.T) {
	if _, err := readAll(strings.NewReader("12345"), 4); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
	if b, err := readAll(strings.NewReader("1234"), 4); err != nil || string(b) != "1234" {
		t.Errorf("readAll = %q, %v", b, err)
	}
}

// realFiles lists the files of the real trees; it skips the test when the
// sample data is absent.
func realFiles(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat(realRoot); err != nil {
		t.Skipf("no sample data at %s", realRoot)
	}
	var files []string
	for _, tree := range realTrees {
		err := filepath.WalkDir(filepath.Join(realRoot, tree), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// TestRealData parses every file of the real OSV trees: each record file
// is matched and gives one valid record; nothing else is matched.
func TestRealData(t *testing.T) {
	files := realFiles(t)
	records, withdrawn := 0, 0
	for _, p := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(p, realRoot+"/"))
		switch path.Base(rel) {
		case "LICENSE", "SOURCE", ".id-allocator":
			if New().Match(rel) {
				t.Errorf("%s: matched", rel)
			}
			continue
		}
		if !New().Match(rel) {
			t.Errorf("%s: not matched", rel)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := parse(t, rel, data)
		if err != nil || len(recs) != 1 {
			t.Errorf("%s: %d records, %v", rel, len(recs), err)
			continue
		}
		records++
		if recs[0].Withdrawn != nil {
			withdrawn++
		}
	}
	t.Logf("%d files, %d records (%d withdrawn)", len(files), records, withdrawn)
	if records < 14000 {
		t.Errorf("only %d records from the real trees", records)
	}
}

// FuzzParse: no panic; every reported record is valid and survives a
// round trip through JSON unchanged.
func FuzzParse(f *testing.F) {
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".golden.json") || !New().Match(filepath.ToSlash(p)) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f.Add(data, strings.HasSuffix(p, ".yaml"))
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, isYAML bool) {
		name := "x.json"
		if isYAML {
			name = "x.yaml"
		}
		recs, _ := parse(t, name, data)
		for i := range recs {
			if err := Validate(&recs[i]); err != nil {
				t.Fatalf("reported an invalid record: %v", err)
			}
			js, err := json.Marshal(&recs[i])
			if err != nil {
				t.Fatal(err)
			}
			again, err := Decode(js)
			if err != nil {
				t.Fatalf("round trip: %v\n%s", err, js)
			}
			js2, _ := json.Marshal(again)
			if !bytes.Equal(js, js2) {
				t.Fatalf("round trip changed the record:\n%s\n%s", js, js2)
			}
		}
	})
}

// BenchmarkParse reads the real trees (or the committed records when they
// are absent) from memory.
func BenchmarkParse(b *testing.B) {
	type file struct {
		name string
		data []byte
	}
	var files []file
	load := func(p, rel string) {
		if !New().Match(rel) {
			return
		}
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, file{rel, data})
	}
	if _, err := os.Stat(realRoot); err == nil {
		for _, p := range realFiles(b) {
			load(p, filepath.ToSlash(strings.TrimPrefix(p, realRoot+"/")))
		}
	} else {
		filepath.WalkDir("testdata/records", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				load(p, filepath.ToSlash(p))
			}
			return err
		})
	}
	var size int64
	for _, f := range files {
		size += int64(len(f.data))
	}
	b.SetBytes(size)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		var c countSink
		for _, f := range files {
			if err := New().Parse(context.Background(), f.name, bytes.NewReader(f.data), &c); err != nil {
				b.Fatal(err)
			}
		}
		n += c.n
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

type countSink struct {
	feed.Collector
	n int
}

func (c *countSink) Advisory(*osv.Record) error { c.n++; return nil }
