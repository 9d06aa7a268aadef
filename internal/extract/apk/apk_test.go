package apk

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

const realDB = "testdata/alpine314/lib/apk/db/installed"

func extractFile(t testing.TB, name string) ([]inventory.Package, error) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	e := New()
	if !e.Match(dbPath, nil) {
		t.Fatalf("Match(%q) = false", dbPath)
	}
	return e.Extract(context.Background(), &extract.Input{Path: dbPath, Reader: bytes.NewReader(data), Size: int64(len(data))})
}

func TestGolden(t *testing.T) {
	pkgs, err := extractFile(t, realDB)
	if err != nil {
		t.Fatal(err)
	}
	type golden struct {
		inventory.Package
		Files []string `json:"files,omitempty"`
	}
	var out []golden
	for _, p := range pkgs {
		out = append(out, golden{p, p.Files})
	}
	extracttest.Golden(t, "alpine314.golden.json", out)
}

// TestRealFacts checks facts read off the real database by eye.
func TestRealFacts(t *testing.T) {
	pkgs, err := extractFile(t, realDB)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(realDB)
	if n := strings.Count(string(raw), "\nP:") + 0; len(pkgs) != n {
		t.Errorf("got %d packages, the file has %d P: lines", len(pkgs), n)
	}
	by := map[string]inventory.Package{}
	for _, p := range pkgs {
		by[p.Name] = p
	}
	ssl := by["libssl1.1"]
	want := inventory.Package{Name: "libssl1.1", Version: "1.1.1k-r0", Ecosystem: inventory.APK, Arch: "armv7",
		Licenses: []string{"OpenSSL"}, Source: &inventory.SourcePackage{Name: "openssl", Version: "1.1.1k-r0"},
		Locations: []inventory.Location{{Line: 167}}, Files: []string{"lib/libssl.so.1.1", "usr/lib/libssl.so.1.1"}}
	if diff := cmp.Diff(want, ssl); diff != "" {
		t.Errorf("libssl1.1 (-want +got):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	in := "C:Q1\r\nP:a\r\nV:1-r0\r\nF:usr/bin\r\nR:x\r\nF:etc\r\n\r\n\r\n\r\nP:b\nA:x86_64\nbogus\n\nV:2\nR:y\n\nP:c\n"
	got, err := Parse(context.Background(), "t", strings.NewReader(in))
	want := []inventory.Package{
		{Name: "a", Version: "1-r0", Ecosystem: inventory.APK, Source: &inventory.SourcePackage{Name: "a", Version: "1-r0"},
			Locations: []inventory.Location{{Line: 1}}, Files: []string{"usr/bin/x"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	wantErr := "apk: parse t line 12: not a \"X:value\" line\n" +
		"apk: parse t line 10: package b has no V: (version)\n" +
		"apk: parse t line 14: block has no P: (name)\n" +
		"apk: parse t line 17: package c has no V: (version)"
	if err == nil || err.Error() != wantErr {
		t.Errorf("error:\n%v\nwant:\n%s", err, wantErr)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(realDB)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("P:a\nV:1\nF:../..\nR:../../etc/passwd\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _ := Parse(context.Background(), "fuzz", bytes.NewReader(data))
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Source == nil || len(p.Locations) != 1 || p.Locations[0].Line < 1 {
				t.Fatalf("incomplete package %+v", p)
			}
			for _, f := range p.Files {
				if strings.HasPrefix(f, "/") || strings.HasPrefix(f, "../") || f == ".." {
					t.Fatalf("file %q escapes the root", f)
				}
			}
		}
	})
}

func BenchmarkExtract(b *testing.B) {
	data, err := os.ReadFile(realDB)
	if err != nil {
		b.Fatal(err)
	}
	e := New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := e.Extract(context.Background(), &extract.Input{Path: dbPath, Reader: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil || len(pkgs) == 0 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}
