package epss

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/feed/feedtest"
	"github.com/pavesec/pave/internal/osv"
)

const sample = "testdata/epss_scores-2025-11-25.csv"

func run(data []byte) (*feed.Collector, error) {
	var c feed.Collector
	err := New().Parse(context.Background(), "t", bytes.NewReader(data), &c)
	return &c, err
}

func checkEPSS(t testing.TB, es []feed.EPSS) {
	t.Helper()
	for _, e := range es {
		if !reCVE.MatchString(e.CVE) || e.Score < 0 || e.Score > 1 || e.Percentile < 0 || e.Percentile > 1 {
			t.Fatalf("bad entry %+v", e)
		}
	}
}

func TestMatch(t *testing.T) {
	for path, want := range map[string]bool{
		"epss_scores-current.csv.gz":                            true,
		"epss.empiricalsecurity.com/epss_scores-2025-11-25.csv": true,
		"epss_scores-current.csv":                               true,
		"epss.csv":                                              false,
		"known_exploited_vulnerabilities.csv":                   false,
	} {
		if got := New().Match(path); got != want {
			t.Errorf("Match(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestGolden reads the sample written in the published format (see
// testdata/README.md: the scores in it are not real).
func TestGolden(t *testing.T) {
	c, err := run(feedtest.Read(t, sample))
	if err != nil {
		t.Fatal(err)
	}
	checkEPSS(t, c.EPSSs)
	if len(c.EPSSs) != 24 {
		t.Errorf("%d rows, want 24", len(c.EPSSs))
	}
	want := feed.EPSS{CVE: "CVE-2013-0648", Score: 0.12629, Percentile: 0.73749, Date: "2025-11-25"}
	if diff := cmp.Diff(want, c.EPSSs[0]); diff != "" {
		t.Errorf("first row (-want +got):\n%s", diff)
	}
	feedtest.Golden(t, "epss_scores-2025-11-25.golden.json", c.EPSSs)
}

// TestGzipped reads the file as published (.csv.gz) after the builder's
// decompression; the parser sees plain text.
func TestGzipped(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(feedtest.Read(t, sample))
	zw.Close()
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var c feed.Collector
	if err := New().Parse(context.Background(), "epss_scores-current.csv.gz", zr, &c); err != nil || len(c.EPSSs) != 24 {
		t.Errorf("%d rows, %v", len(c.EPSSs), err)
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name, in, wantErr string
		want              []feed.EPSS
	}{
		{name: "2023 comment with +0000",
			in:   "#model_version:v2023.03.01,score_date:2023-03-07T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.97565,0.99996\n",
			want: []feed.EPSS{{CVE: "CVE-2021-44228", Score: 0.97565, Percentile: 0.99996, Date: "2023-03-07"}}},
		{name: "2021 file: no comment, no percentile",
			in:   "cve,epss\r\nCVE-2021-44228,0.97565\r\n",
			want: []feed.EPSS{{CVE: "CVE-2021-44228", Score: 0.97565}}},
		{name: "bad rows are skipped",
			in: "#score_date:2025-11-25T12:55:00Z\ncve,epss,percentile\n" +
				"CVE-2021-44228,0.9,0.99\n" +
				"CVE-2021-1,0.1,0.1\n" +
				"CVE-2021-0002,1.5,0.1\n" +
				"CVE-2021-0003,0.1,-0.1\n" +
				"CVE-2021-0004,NaN,0.1\n" +
				"CVE-2021-0005,0.1\n" +
				"CVE-2021-0006,x,0.1\n" +
				"\n" +
				"CVE-2021-0007,0,1\n",
			want: []feed.EPSS{
				{CVE: "CVE-2021-44228", Score: 0.9, Percentile: 0.99, Date: "2025-11-25"},
				{CVE: "CVE-2021-0007", Score: 0, Percentile: 1, Date: "2025-11-25"},
			},
			wantErr: strings.Join([]string{
				`epss: t: line 4: "CVE-2021-1" is not a CVE id; row skipped`,
				`epss: t: line 5: CVE-2021-0002: epss 1.5 is outside [0, 1]; row skipped`,
				`epss: t: line 6: CVE-2021-0003: percentile -0.1 is outside [0, 1]; row skipped`,
				`epss: t: line 7: CVE-2021-0004: epss "NaN" is not a number; row skipped`,
				`epss: t: line 8: 2 fields, want 3; row skipped`,
				`epss: t: line 9: CVE-2021-0006: epss "x" is not a number; row skipped`,
			}, "\n")},
		{name: "not EPSS", in: "cveID,vendorProject\n", wantErr: `epss: parse t line 1: want the header "cve,epss,percentile", got "cveID,vendorProject": not an EPSS file`},
		{name: "bad score_date", in: "#score_date:yesterday\ncve,epss\n", wantErr: `epss: parse t line 1: score_date "yesterday" is not a date`},
		{name: "comment after the header is a bad row", in: "cve,epss\n#x\n", wantErr: "epss: t: line 2: 1 fields, want 2; row skipped"},
		{name: "empty", in: "", wantErr: "epss: parse t line 0: no header: not an EPSS file"},
		{name: "long line", in: "cve,epss\n" + strings.Repeat("9", maxLine+1), wantErr: "epss: parse t line 2: bufio.Scanner: token too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := run([]byte(tc.in))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, c.EPSSs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreams reads 300,000 rows (the size of the real file) through a
// reader that produces them on demand: nothing holds the whole file.
func TestStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("300,000 rows")
	}
	const n = 300_000
	r := io.MultiReader(strings.NewReader("#model_version:v2025.03.14,score_date:2025-11-25T12:55:00Z\ncve,epss,percentile\n"), &rows{n: n})
	var count countSink
	if err := New().Parse(context.Background(), "t", r, &count); err != nil {
		t.Fatal(err)
	}
	if count.n != n {
		t.Errorf("%d rows, want %d", count.n, n)
	}
}

// rows generates "CVE-2020-%07d,0.5,0.5" lines.
type rows struct {
	i, n int
	buf  []byte
}

func (r *rows) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.i == r.n {
			return 0, io.EOF
		}
		r.buf = fmt.Appendf(r.buf, "CVE-2020-%07d,0.00043,0.12345\n", r.i)
		r.i++
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// countSink counts EPSS entries without keeping them.
type countSink struct{ n int }

func (*countSink) Advisory(*osv.Record) error { return nil }
func (*countSink) Score(*feed.Score) error    { return nil }
func (*countSink) KEV(*feed.KEV) error        { return nil }
func (c *countSink) EPSS(*feed.EPSS) error    { c.n++; return nil }

func FuzzParse(f *testing.F) {
	f.Add(feedtest.Read(f, sample))
	f.Add([]byte("cve,epss\nCVE-2021-44228,0.97565\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := run(data)
		checkEPSS(t, c.EPSSs)
	})
}

// BenchmarkParse reads 300,000 generated rows, the size of the real file;
// the metric is rows/s.
func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("#model_version:v2025.03.14,score_date:2025-11-25T12:55:00Z\ncve,epss,percentile\n")
	io.Copy(&buf, &rows{n: 300_000})
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var c countSink
		if err := New().Parse(context.Background(), "epss_scores-current.csv", bytes.NewReader(data), &c); err != nil || c.n == 0 {
			b.Fatal(err)
		}
		n += c.n
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
