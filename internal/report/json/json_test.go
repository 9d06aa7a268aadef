package jsonreport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

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
		{"image.json", reporttest.Sample(), Options{}},
		{"dir.json", reporttest.SampleDir(), Options{}},
		{"image-compact.json", reporttest.Sample(), Options{Compact: true}},
		{"empty.json", &report.Scan{Summary: report.Summary{Status: "complete"}}, Options{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reporttest.Golden(t, tt.name, write(t, tt.scan, tt.opts))
		})
	}
}

// TestRoundTrip: write → Read → write gives the same bytes, and Read gives
// back the scan that was written.
func TestRoundTrip(t *testing.T) {
	for _, scan := range []*report.Scan{reporttest.Sample(), reporttest.SampleDir()} {
		first := write(t, scan, Options{})
		got, err := Read(bytes.NewReader(first))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(scan, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Read (-want +got):\n%s", diff)
		}
		if second := write(t, got, Options{}); !bytes.Equal(first, second) {
			t.Errorf("second write differs:\n%s", cmp.Diff(string(first), string(second)))
		}
	}
}

func TestReadRejects(t *testing.T) {
	valid := string(write(t, reporttest.SampleDir(), Options{Compact: true}))
	for _, tt := range []struct {
		name, doc string
		schema    bool // the error is ErrSchema
	}{
		{"other schema", strings.Replace(valid, report.Schema, "pave.scan/v2", 1), true},
		{"no schema", `{"tool":{"name":"pave","version":"1"},"summary":{"status":"complete"}}`, true},
		{"cyclonedx", `{"bomFormat":"CycloneDX","specVersion":"1.6"}`, true},
		{"not an object", `[1,2]`, false},
		{"truncated", valid[:len(valid)/2], false},
		{"trailing data", valid + `{}`, false},
		{"bad severity", `{"schema":"pave.scan/v1","findings":[{"severity":"dire"}],"summary":{"status":"complete"}}`, false},
		{"bad status", `{"schema":"pave.scan/v1","summary":{"status":"done"}}`, false},
		{"nameless package", `{"schema":"pave.scan/v1","packages":[{"ecosystem":"npm"}],"summary":{"status":"complete"}}`, false},
		{"wrong type", `{"schema":"pave.scan/v1","packages":{},"summary":{"status":"complete"}}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("Read accepted it: %+v", got)
			}
			if errors.Is(err, ErrSchema) != tt.schema {
				t.Errorf("Read error %v; errors.Is(ErrSchema) = %v, want %v", err, !tt.schema, tt.schema)
			}
		})
	}
}

func TestReadTooLarge(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`{"schema":"pave.scan/v1","x":"`), zeros{}, strings.NewReader(`"}`))
	if _, err := Read(r); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Read of an endless document: %v, want a size error", err)
	}
}

// zeros is an endless stream of '0'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func TestWriteOtherSchema(t *testing.T) {
	s := reporttest.SampleDir()
	s.Schema = "pave.scan/v0"
	if err := Write(io.Discard, s, Options{}); !errors.Is(err, ErrSchema) {
		t.Errorf("Write with schema %q: %v, want ErrSchema", s.Schema, err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(write(f, reporttest.Sample(), Options{Compact: true}))
	f.Add(write(f, reporttest.SampleDir(), Options{}))
	f.Add([]byte(`{"schema":"pave.scan/v1","summary":{"status":"partial","errors":[{"path":"a","layer":-1,"error":"x"}]}}`))
	f.Add([]byte(`{"schema":"pave.scan/v1","packages":[{"name":"a","ecosystem":"npm","locations":[{"path":"p","layer":{"index":1}}]}],"summary":{"status":"complete"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		scan, err := Read(bytes.NewReader(b))
		if err != nil {
			if scan != nil {
				t.Fatal("Read returned a scan with an error")
			}
			return
		}
		// Whatever Read accepts, Write writes and Read reads back to the
		// same bytes.
		var first bytes.Buffer
		if err := Write(&first, scan, Options{}); err != nil {
			t.Fatalf("Write of an accepted document: %v", err)
		}
		again, err := Read(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("Read of a written document: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := Write(&second, again, Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("not stable:\n%s", cmp.Diff(first.String(), second.String()))
		}
	})
}

func BenchmarkWrite5000(b *testing.B) {
	scan := reporttest.Many(5000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := report.Emit(ctx, New(&buf, Options{}), scan); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkRead5000(b *testing.B) {
	doc := write(b, reporttest.Many(5000), Options{})
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(doc)); err != nil {
			b.Fatal(err)
		}
	}
}
