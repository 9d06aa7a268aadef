package table

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/finding"
	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	jsonreport "github.com/pavesec/pave/internal/report/json"
	"github.com/pavesec/pave/internal/report/reporttest"
)

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
	for _, tt := range []struct {
		name string
		scan *report.Scan
		opts Options
	}{
		{"packages-image.txt", reporttest.Sample(), Options{Mode: Packages}},
		{"packages-dir.txt", reporttest.SampleDir(), Options{Mode: Packages}},
		{"packages-terminal.txt", reporttest.SampleDir(), Options{Mode: Packages, Terminal: true}},
		{"summary-image.txt", reporttest.Sample(), Options{Mode: Summary}},
		{"summary-dir.txt", reporttest.SampleDir(), Options{Mode: Summary}},
		{"summary-terminal.txt", reporttest.Sample(), Options{Mode: Summary, Terminal: true}},
		{"empty.txt", &report.Scan{}, Options{Mode: Summary}},
		{"findings-image.txt", loadScan(t, "image.scan.json"), Options{Mode: Findings}},
		{"findings-dir.txt", loadScan(t, "dir.scan.json"), Options{Mode: Findings}},
		{"findings-terminal.txt", loadScan(t, "image.scan.json"), Options{Mode: Findings, Terminal: true}},
		{"findings-none.txt", reporttest.SampleDir(), Options{Mode: Findings}},
		{"summary-vulns.txt", loadScan(t, "image.scan.json"), Options{Mode: Summary}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reporttest.Golden(t, tt.name, write(t, tt.scan, tt.opts))
		})
	}
}

// TestAligned: in the package listing every column starts at the same
// rune offset on every line, whatever the names.
func TestAligned(t *testing.T) {
	s := reporttest.Sample()
	s.Packages = append(s.Packages, inventory.Package{
		Name: "évil\tname\nwith\x1b[31mescapes", Version: "1", Ecosystem: inventory.NPM,
		Locations: []inventory.Location{{Path: "a\tb"}},
	})
	out := string(write(t, s, Options{Mode: Packages}))
	if strings.ContainsAny(out, "\t\x1b") {
		t.Fatal("control characters reached the output")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(s.Packages)+1 {
		t.Fatalf("%d lines for %d packages", len(lines), len(s.Packages))
	}
	starts := columnStarts(lines[0])
	for _, l := range lines[1:] {
		r := []rune(l)
		for _, c := range starts[1:] {
			if c >= len(r) {
				continue // trailing empty cells are trimmed
			}
			if r[c-1] != ' ' || r[c] == ' ' && r[c+1] == ' ' {
				t.Errorf("column at %d misaligned in %q", c, l)
			}
		}
	}
}

// columnStarts returns the rune offsets where header words start.
func columnStarts(h string) []int {
	var out []int
	prev := ' '
	for i, r := range []rune(h) {
		if r != ' ' && prev == ' ' {
			out = append(out, i)
		}
		prev = r
	}
	return out
}

func TestMaxErrors(t *testing.T) {
	s := reporttest.SampleDir()
	s.Summary.Status = "partial"
	for i := range 30 {
		s.Summary.Errors = append(s.Summary.Errors, report.FileError{Path: fmt.Sprintf("f%02d", i), Layer: -1, Error: "bad"})
	}
	out := string(write(t, s, Options{Mode: Summary, MaxErrors: 5}))
	if !strings.Contains(out, "f04 ") || strings.Contains(out, "f05") || !strings.Contains(out, "… and 25 more") {
		t.Errorf("MaxErrors 5 not applied:\n%s", out)
	}
	if !strings.Contains(out, "partial (30 files could not be read)") {
		t.Errorf("status line missing:\n%s", out)
	}
}

func TestShortLayer(t *testing.T) {
	for _, tt := range []struct {
		l    inventory.Layer
		want string
	}{
		{inventory.Layer{Index: 2, Digest: "sha256:3f4a5b6c7d8e9f00"}, "#2 3f4a5b6c…"},
		{inventory.Layer{Index: 0, DiffID: "sha256:abcd"}, "#0 abcd"},
		{inventory.Layer{Index: 7}, "#7"},
	} {
		if got := ShortLayer(&tt.l); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("ShortLayer(%+v) = %q, want %q", tt.l, got, tt.want)
		}
	}
}

func TestUnknownMode(t *testing.T) {
	if err := Write(&bytes.Buffer{}, reporttest.SampleDir(), Options{Mode: Mode(9)}); err == nil {
		t.Error("unknown mode accepted")
	}
}

// TestFindingsOrder: most severe first, then known exploited, then by
// EPSS, package and id.
func TestFindingsOrder(t *testing.T) {
	v := func(id, pkg string, sev finding.Severity, kev bool, epss float64) finding.Finding {
		return finding.Finding{Rule: finding.Rule{ID: id, Kind: finding.Vulnerability}, Severity: sev,
			Package: &inventory.Package{Name: pkg, Version: "1"}, Signals: finding.Signals{KEV: kev, EPSS: epss}}
	}
	s := &report.Scan{Findings: []finding.Finding{
		v("CVE-4", "b", finding.High, false, 0.5),
		v("CVE-1", "a", finding.Low, true, 0.9),
		v("CVE-3", "a", finding.High, false, 0.5),
		v("CVE-2", "z", finding.High, true, 0.01),
		v("CVE-5", "a", finding.Critical, false, 0),
		v("CVE-6", "a", finding.High, false, 0.7),
	}}
	var got []string
	for _, l := range strings.Split(string(write(t, s, Options{Mode: Findings})), "\n")[1:] {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], "CVE-") {
			got = append(got, f[1])
		}
	}
	want := []string{"CVE-5", "CVE-2", "CVE-6", "CVE-3", "CVE-4", "CVE-1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestFindingsInUse: with runtime evidence, the IN USE column appears and
// in-use vulnerabilities lead within their severity, ahead of KEV.
func TestFindingsInUse(t *testing.T) {
	yes, no := true, false
	v := func(id string, sev finding.Severity, kev bool, inUse *bool) finding.Finding {
		return finding.Finding{Rule: finding.Rule{ID: id, Kind: finding.Vulnerability}, Severity: sev,
			Package: &inventory.Package{Name: "p", Version: "1"}, Signals: finding.Signals{KEV: kev, InUse: inUse}}
	}
	s := &report.Scan{Findings: []finding.Finding{
		v("CVE-1", finding.High, true, &no),
		v("CVE-2", finding.High, false, &yes),
		v("CVE-3", finding.Critical, false, &no),
		v("CVE-4", finding.Low, false, &yes),
	}}
	out := string(write(t, s, Options{Mode: Findings}))
	lines := strings.Split(out, "\n")
	if f := strings.Fields(lines[0]); !slices.Contains(f, "IN") || !slices.Contains(f, "USE") {
		t.Fatalf("no IN USE column:\n%s", out)
	}
	var got []string
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], "CVE-") {
			used := "no"
			if slices.Contains(f, "yes") {
				used = "yes"
			}
			got = append(got, f[1]+" "+used)
		}
	}
	want := []string{"CVE-3 no", "CVE-2 yes", "CVE-1 no", "CVE-4 yes"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order and column (-want +got):\n%s", diff)
	}
	if !strings.Contains(out, "; 0 fixable, 1 known exploited, 2 in use\n") {
		t.Errorf("count line lacks the in-use count:\n%s", out)
	}
	// Without evidence the column is absent.
	s.Findings = []finding.Finding{v("CVE-9", finding.High, false, nil)}
	if out := string(write(t, s, Options{Mode: Findings})); strings.Contains(out, "IN USE") || strings.Contains(out, "in use") {
		t.Errorf("IN USE shown without evidence:\n%s", out)
	}
}

// TestFindingsHostile: names and reasons cannot break the layout or reach
// the terminal as escapes, and long reasons are cut.
func TestFindingsHostile(t *testing.T) {
	s := loadScan(t, "dir.scan.json")
	f := s.Findings[0]
	p := *f.Package
	p.Name = "evil\x1b]0;pwned\x07\nname"
	f.Package = &p
	f.Suppressed = &finding.Suppression{Kind: "exception", Reason: strings.Repeat("very long reason ", 10) + "\x1b[2J"}
	s.Findings = append(s.Findings, f)
	out := string(write(t, s, Options{Mode: Findings, Terminal: true}))
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	if !strings.Contains(out, "suppressed: very long reason very long reason very long rea…") {
		t.Errorf("long reason not cut:\n%s", out)
	}
}

func TestPercent(t *testing.T) {
	for p, want := range map[float64]string{0.94358: "94%", 0.012: "1.2%", 0.00043: "0.043%", 0.1: "10%"} {
		if got := percent(p); got != want {
			t.Errorf("percent(%v) = %s, want %s", p, got, want)
		}
	}
}

func BenchmarkFindings5000(b *testing.B) {
	s := loadScan(b, "image.scan.json")
	base := s.Findings
	s.Findings = nil
	for i := 0; len(s.Findings) < 5000; i++ {
		f := base[i%len(base)]
		if f.Package != nil {
			p := *f.Package
			p.Name = fmt.Sprintf("%s-%d", p.Name, i)
			f.Package = &p
		}
		s.Findings = append(s.Findings, f)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.Emit(ctx, New(&buf, Options{Mode: Findings}), s); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkPackages5000(b *testing.B) {
	benchmark(b, Options{Mode: Packages})
}

func BenchmarkSummary5000(b *testing.B) {
	benchmark(b, Options{Mode: Summary})
}

func benchmark(b *testing.B, opts Options) {
	scan := reporttest.Many(5000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.Emit(ctx, New(&buf, opts), scan); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}
