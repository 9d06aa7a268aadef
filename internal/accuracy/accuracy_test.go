package accuracy

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed/ghsacsv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func readSide(t testing.TB, name string, read func(io.Reader) (*Side, error)) *Side {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := read(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewKey(t *testing.T) {
	tests := []struct {
		eco, name, version string
		want               Key
	}{
		{"PyPI", "Jinja2", "2.11.2", Key{"PyPI", "jinja2", "2.11.2"}},
		{"PyPI", "jw.util", "1.0a", Key{"PyPI", "jw-util", "1.0a"}},
		{"PyPI", "zope.interface__x", "5", Key{"PyPI", "zope-interface-x", "5"}},
		{"Go", "golang.org/x/text", "v0.3.7", Key{"Go", "golang.org/x/text", "0.3.7"}},
		{"Go", "stdlib", "go1.22.0", Key{"Go", "stdlib", "1.22.0"}},
		{"Debian:12", "openssl", "3.0.11-1~deb12u2", Key{"Debian", "openssl", "3.0.11-1~deb12u2"}},
		{"npm", "Lodash", "v1.0.0", Key{"npm", "Lodash", "v1.0.0"}}, // npm names are case-sensitive; versions as given
	}
	for _, tc := range tests {
		if got := NewKey(tc.eco, tc.name, tc.version); got != tc.want {
			t.Errorf("NewKey(%q, %q, %q) = %v, want %v", tc.eco, tc.name, tc.version, got, tc.want)
		}
	}
}

func side(pkgs []Key, fs ...Finding) *Side {
	s := &Side{Findings: fs, Packages: map[Key]bool{}}
	for _, k := range pkgs {
		s.Packages[k] = true
	}
	for _, f := range fs {
		s.Packages[f.Key] = true
	}
	return s
}

func TestCompare(t *testing.T) {
	text := Key{"Go", "golang.org/x/text", "0.3.7"}
	url := Key{"PyPI", "urllib3", "1.26.4"}
	lodash := Key{"npm", "lodash", "4.17.20"}
	pave := side(nil,
		// Joined to osv-scanner's group through an alias only pave names.
		Finding{text, []string{"CVE-2022-32149", "GHSA-69ch-w2m2-3vjp", "GO-2022-1059"}},
		// Two pave findings, one osv-scanner group: a grouping difference.
		Finding{url, []string{"PYSEC-2023-192"}},
		Finding{url, []string{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f"}},
		// The same finding twice (two locations) counts once.
		Finding{url, []string{"PYSEC-2021-108"}},
		Finding{url, []string{"PYSEC-2021-108"}},
		// osv-scanner lists lodash but does not report this.
		Finding{lodash, []string{"GHSA-35jh-r3h4-6jhm"}},
	)
	osvs := side([]Key{lodash},
		Finding{text, []string{"GO-2022-1059", "CVE-2022-32149"}},
		Finding{url, []string{"PYSEC-2023-192", "GHSA-v845-jxx5-vc9f"}},
		Finding{url, []string{"PYSEC-2021-108"}},
		// A package pave does not list.
		Finding{Key{"Go", "stdlib", "1.22.99"}, []string{"GO-2024-2687"}},
	)
	c := Compare(pave, osvs)
	want := []Item{
		{Key: text, Outcome: Both, PaveIDs: []string{"CVE-2022-32149", "GHSA-69ch-w2m2-3vjp", "GO-2022-1059"},
			OSVIDs: []string{"CVE-2022-32149", "GO-2022-1059"}, PaveFindings: 1, OSVGroups: 1},
		{Key: Key{"Go", "stdlib", "1.22.99"}, Outcome: OnlyOSVScanner, Unseen: true, OSVIDs: []string{"GO-2024-2687"}, OSVGroups: 1},
		{Key: url, Outcome: Both, PaveIDs: []string{"CVE-2023-43804", "GHSA-v845-jxx5-vc9f", "PYSEC-2023-192"},
			OSVIDs: []string{"GHSA-v845-jxx5-vc9f", "PYSEC-2023-192"}, PaveFindings: 2, OSVGroups: 1},
		{Key: url, Outcome: Both, PaveIDs: []string{"PYSEC-2021-108"}, OSVIDs: []string{"PYSEC-2021-108"}, PaveFindings: 1, OSVGroups: 1},
		{Key: lodash, Outcome: OnlyPave, PaveIDs: []string{"GHSA-35jh-r3h4-6jhm"}, PaveFindings: 1},
	}
	if diff := cmp.Diff(want, c.Items); diff != "" {
		t.Errorf("Compare (-want +got):\n%s", diff)
	}
	totals := c.Totals()
	wantAll := Total{Ecosystem: "all", Pave: 4, OSVScanner: 4, Both: 3, OnlyPave: 1, OnlyOSV: 1, UnseenOSV: 1, Packages: 4, GroupingDiffs: 1}
	if diff := cmp.Diff(wantAll, totals[len(totals)-1]); diff != "" {
		t.Errorf("Totals all (-want +got):\n%s", diff)
	}
}

// TestSample compares real reports of both tools on the sample image.
func TestSample(t *testing.T) {
	pave := readSide(t, "sample-pave.json", ReadPave)
	osvs := readSide(t, "sample-osv-scanner.json", ReadOSVScanner)
	if len(pave.Findings) == 0 || len(osvs.Findings) == 0 {
		t.Fatalf("no findings read: pave %d, osv-scanner %d", len(pave.Findings), len(osvs.Findings))
	}
	c := Compare(pave, osvs)
	var b bytes.Buffer
	if err := c.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	if err := c.WriteDisagreements(&b, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "sample-compare.golden", b.Bytes())
}

func TestReadErrors(t *testing.T) {
	for _, in := range []string{"", "{", `{"results": 3}`} {
		if s, err := ReadOSVScanner(strings.NewReader(in)); err == nil || s != nil {
			t.Errorf("ReadOSVScanner(%q) = %v, %v; want an error", in, s, err)
		}
		if s, err := ReadPave(strings.NewReader(in)); err == nil || s != nil {
			t.Errorf("ReadPave(%q) = %v, %v; want an error", in, s, err)
		}
	}
}

func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

func TestBuildZipsAndInputs(t *testing.T) {
	dir := t.TempDir()
	st, err := BuildZips(context.Background(), dir, []string{"testdata/records"})
	if err != nil {
		t.Fatal(err)
	}
	wantRecords := map[string]int{"Go": 1, "PyPI": 1, "crates.io": 1, "npm": 1}
	if diff := cmp.Diff(wantRecords, st.Records); diff != "" {
		t.Errorf("records per ecosystem (-want +got):\n%s", diff)
	}
	if got := zipNames(t, filepath.Join(dir, "PyPI", "all.zip")); !slices.Equal(got, []string{"PYSEC-2022-42972.json"}) {
		t.Errorf("PyPI zip holds %v", got)
	}
	// The YAML record is JSON in the zip, readable by id.
	recs, err := ReadZipRecords(dir, map[string]bool{"PYSEC-2022-42972": true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(recs["PYSEC-2022-42972"], []byte("{")) {
		t.Errorf("PYSEC-2022-42972 in the zip is not JSON: %.40s", recs["PYSEC-2022-42972"])
	}
	// The same records make the same bytes.
	dir2 := t.TempDir()
	if _, err := BuildZips(context.Background(), dir2, []string{"testdata/records"}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "Go", "all.zip"))
	b, _ := os.ReadFile(filepath.Join(dir2, "Go", "all.zip"))
	if !bytes.Equal(a, b) {
		t.Error("two builds of the same records differ")
	}

	out := t.TempDir()
	bst, err := BoundaryInputs(dir, out, 3)
	if err != nil {
		t.Fatal(err)
	}
	var g bytes.Buffer
	for _, f := range []string{"go/0000/go.mod", "pypi/0000/requirements.txt", "pypi/0001/requirements.txt", "cargo/0000/Cargo.lock", "npm/0000/package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		g.WriteString("== " + f + "\n")
		g.Write(data)
	}
	golden(t, "boundary.golden", g.Bytes())
	if bst.Pairs["PyPI"] != bst.Files["PyPI"] {
		t.Errorf("PyPI: %d pins in %d files, want one package per file", bst.Pairs["PyPI"], bst.Files["PyPI"])
	}
}

func TestConvertFeed(t *testing.T) {
	dir := t.TempDir()
	if _, err := BuildZips(context.Background(), dir, []string{"testdata/records/ghsa"}); err != nil {
		t.Fatal(err)
	}
	// The real GHSA CSV rows of lodash's CVE-2021-23337 (GHSA-35jh-r3h4-6jhm).
	csvPath := filepath.Join(t.TempDir(), "advisories-npm.csv")
	rows := "CVE-2021-23337,2021-05-06T16:05:51Z,\"Command Injection in lodash\",lodash,0,4.17.21,HIGH,CWE-77;CWE-94\n" +
		"CVE-2021-23337,2021-05-06T16:05:51Z,\"Command Injection in lodash\",lodash-es,0,4.17.21,HIGH,CWE-77;CWE-94\n"
	if err := os.WriteFile(csvPath, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	added, err := ConvertFeed(context.Background(), dir, ghsacsv.New(), []string{csvPath})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"npm": 1}, added); diff != "" {
		t.Errorf("added (-want +got):\n%s", diff)
	}
	// The zip keeps the GHSA record and gains the converted one.
	want := []string{"CVE-2021-23337.json", "GHSA-35jh-r3h4-6jhm.json"}
	if got := zipNames(t, filepath.Join(dir, "npm", "all.zip")); !slices.Equal(got, want) {
		t.Errorf("npm zip holds %v, want %v", got, want)
	}
	// Converting again adds nothing.
	if added, err := ConvertFeed(context.Background(), dir, ghsacsv.New(), []string{csvPath}); err != nil || len(added) != 0 {
		t.Errorf("second conversion added %v, %v", added, err)
	}
}

// TestConvertFeedCollision: a CVE GHSA describes for an npm package and
// for a Maven one (advisories-npm.csv line 6, advisories-maven.csv line
// 214) makes two records with one id; the second is renamed so that
// pave's one-record-per-id database keeps both, as osv-scanner does.
func TestConvertFeedCollision(t *testing.T) {
	dir, src := t.TempDir(), t.TempDir()
	files := map[string]string{
		"advisories-npm.csv":   "CVE-2010-5312,2017-10-24T18:33:38Z,\"Cross-site Scripting in jquery-ui\",jquery-ui,1.7.0,1.10.0,MODERATE,CWE-79\n",
		"advisories-maven.csv": "CVE-2010-5312,2017-10-24T18:33:38Z,\"Cross-site Scripting in jquery-ui\",\"org.webjars.npm:jquery-ui\",1.7.0,1.10.0,MODERATE,CWE-79\n",
	}
	var paths []string
	for name, rows := range files {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(rows), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths) // maven first
	if _, err := ConvertFeed(context.Background(), dir, ghsacsv.New(), paths); err != nil {
		t.Fatal(err)
	}
	if got := zipNames(t, filepath.Join(dir, "Maven", "all.zip")); !slices.Equal(got, []string{"CVE-2010-5312.json"}) {
		t.Errorf("Maven zip holds %v", got)
	}
	if got := zipNames(t, filepath.Join(dir, "npm", "all.zip")); !slices.Equal(got, []string{"npm-CVE-2010-5312.json"}) {
		t.Errorf("npm zip holds %v", got)
	}
	recs, err := ReadZipRecords(dir, map[string]bool{"npm-CVE-2010-5312": true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(recs["npm-CVE-2010-5312"], []byte(`"aliases":["CVE-2010-5312"]`)) {
		t.Errorf("renamed record lost its id as an alias: %s", recs["npm-CVE-2010-5312"])
	}
}

func TestSpread(t *testing.T) {
	vs := []string{"a", "b", "c", "d", "e", "f", "g"}
	tests := []struct {
		n    int
		want []string
	}{
		{0, nil}, {1, []string{"a"}}, {2, []string{"a", "g"}}, {3, []string{"a", "d", "g"}}, {7, vs}, {9, vs},
	}
	for _, tc := range tests {
		if got := spread(vs, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("spread(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func FuzzReadOSVScanner(f *testing.F) {
	seed, err := os.ReadFile("testdata/sample-osv-scanner.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"results":[{"packages":[{"package":{"name":"a","version":"1","ecosystem":"PyPI"},"groups":[{"ids":["X"]}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadOSVScanner(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		for _, fd := range s.Findings {
			if len(fd.IDs) == 0 || !s.Packages[fd.Key] {
				t.Fatalf("finding %v without ids or package", fd)
			}
		}
		c := Compare(&Side{}, s)
		for _, it := range c.Items {
			if it.Outcome != OnlyOSVScanner {
				t.Fatalf("item %v reported by pave", it)
			}
		}
	})
}

func BenchmarkCompare(b *testing.B) {
	pave := readSide(b, "sample-pave.json", ReadPave)
	osvs := readSide(b, "sample-osv-scanner.json", ReadOSVScanner)
	// Scale the sample up to a few thousand findings, as the boundary
	// inputs produce.
	grow := func(s *Side) *Side {
		out := &Side{Packages: map[Key]bool{}}
		for i := range 200 {
			for _, f := range s.Findings {
				k := f.Key
				k.Version += "." + string(rune('a'+i%26)) + string(rune('a'+i/26))
				out.Findings = append(out.Findings, Finding{Key: k, IDs: f.IDs})
				out.Packages[k] = true
			}
		}
		return out
	}
	p, o := grow(pave), grow(osvs)
	b.ResetTimer()
	for b.Loop() {
		Compare(p, o)
	}
}
