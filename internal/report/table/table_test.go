package table

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/report"
	"github.com/pavesec/pave/internal/report/reporttest"
)

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
