package rpm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

// The databases in testdata were written by rpm itself; see testdata/README.md.
var databases = []struct {
	file   string
	path   string // where the extractor would find it
	format Format
}{
	{"rpmdb.sqlite.gz", "usr/lib/sysimage/rpm/rpmdb.sqlite", SQLite},
	{"Packages.db.gz", "usr/lib/sysimage/rpm/Packages.db", NDB},
	{"Packages-le.gz", "var/lib/rpm/Packages", BDB},
	{"Packages-be.gz", "var/lib/rpm/Packages", BDB},
}

func readGz(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func extractBytes(t testing.TB, p string, data []byte) ([]inventory.Package, error) {
	t.Helper()
	e := New()
	if !e.Match(p, nil) {
		t.Fatalf("Match(%q) = false", p)
	}
	return e.Extract(context.Background(), &extract.Input{Path: p, Reader: bytes.NewReader(data), Size: int64(len(data))})
}

// TestAgainstRPM compares each database with what rpm itself printed for
// it (testdata/rpm-qa.txt and rpm-ql.txt, made with rpm -qa --qf).
func TestAgainstRPM(t *testing.T) {
	wantPkgs, wantFiles := rpmOracle(t)
	for _, db := range databases {
		t.Run(db.file, func(t *testing.T) {
			data := readGz(t, db.file)
			if f, err := DetectFormat(bytes.NewReader(data)); err != nil || f != db.format {
				t.Errorf("DetectFormat = %v, %v; want %v", f, err, db.format)
			}
			pkgs, err := extractBytes(t, db.path, data)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			var got []string
			gotFiles := map[string][]string{}
			for _, p := range pkgs {
				got = append(got, oracleLine(p))
				gotFiles[p.Name] = p.Files
			}
			slices.Sort(got)
			if diff := cmp.Diff(wantPkgs, got); diff != "" {
				t.Errorf("packages (-rpm +pave):\n%s", diff)
			}
			if diff := cmp.Diff(wantFiles, gotFiles); diff != "" {
				t.Errorf("files (-rpm +pave):\n%s", diff)
			}
		})
	}
}

// oracleLine renders p as name|epoch|version|release|arch|license|srcname.
func oracleLine(p inventory.Package) string {
	epoch, vr, _ := strings.Cut(p.Version, ":")
	if vr == "" {
		epoch, vr = "", p.Version
	}
	i := strings.LastIndexByte(vr, '-')
	src := ""
	if p.Source != nil {
		src = p.Source.Name
	}
	return strings.Join([]string{p.Name, epoch, vr[:i], vr[i+1:], p.Arch, strings.Join(p.Licenses, ","), src}, "|")
}

func rpmOracle(t *testing.T) ([]string, map[string][]string) {
	t.Helper()
	qa, err := os.ReadFile("testdata/rpm-qa.txt")
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, l := range strings.Split(strings.TrimSpace(string(qa)), "\n") {
		f := strings.Split(l, "|") // name|epoch|version|release|arch|license|sourcerpm|modularitylabel
		if f[0] == "gpg-pubkey" {
			continue // rpm lists imported keys; pave skips them
		}
		src, _, _ := SplitSourceRPM(f[6])
		pkgs = append(pkgs, strings.Join([]string{f[0], f[1], f[2], f[3], f[4], f[5], src}, "|"))
	}
	slices.Sort(pkgs)
	ql, err := os.ReadFile("testdata/rpm-ql.txt")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(ql))
	for sc.Scan() {
		name, file, _ := strings.Cut(sc.Text(), "\t")
		files[name] = append(files[name], strings.TrimPrefix(file, "/"))
	}
	for _, v := range files {
		slices.Sort(v)
	}
	return pkgs, files
}

func TestGolden(t *testing.T) {
	pkgs, err := extractBytes(t, databases[0].path, readGz(t, databases[0].file))
	if err != nil {
		t.Fatal(err)
	}
	// Files are checked against rpm above; keep the golden file short.
	type golden struct {
		inventory.Package
		NFiles int `json:"nFiles"`
	}
	var out []golden
	for _, p := range pkgs {
		out = append(out, golden{Package: p, NFiles: len(p.Files)})
	}
	extracttest.Golden(t, "rpmdb.sqlite.golden.json", out)
}

func TestModularityAndEpoch(t *testing.T) {
	data := readGz(t, "rpmdb.sqlite.gz")
	var found []string
	err := Blobs(context.Background(), bytes.NewReader(data), int64(len(data)), func(_ uint64, blob []byte) error {
		h, err := ParseHeader(blob)
		if err != nil {
			return err
		}
		if h.ModularityLabel != "" || h.Epoch != nil {
			found = append(found, fmt.Sprintf("%s %s %s", h.Name, h.EVR(), h.ModularityLabel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(found)
	want := []string{
		"nodejs-mod 18.19.0-1.module+el8.9.0+20473+c4e3d824 nodejs:18:8090020231025:a75119d5",
		"zlib-tiny 1:1.3.1-2.el9 ",
	}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSplitSourceRPM(t *testing.T) {
	tests := []struct {
		in, name, ver string
		ok            bool
	}{
		{"openssl-3.0.7-24.el9.src.rpm", "openssl", "3.0.7-24.el9", true},
		{"perl-Text-Tabs+Wrap-2013.0523-460.el9.src.rpm", "perl-Text-Tabs+Wrap", "2013.0523-460.el9", true},
		{"python-setuptools-53.0.0-12.el9.nosrc.rpm", "python-setuptools", "53.0.0-12.el9", true},
		{"nodash.src.rpm", "", "", false},
		{"a-1.src.rpm", "", "", false},
		{"(none)", "", "", false},
		{"-1-2.src.rpm", "", "", false},
	}
	for _, tt := range tests {
		name, ver, ok := SplitSourceRPM(tt.in)
		if ok != tt.ok || (ok && (name != tt.name || ver != tt.ver)) {
			t.Errorf("SplitSourceRPM(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, ver, ok, tt.name, tt.ver, tt.ok)
		}
	}
}

func TestCorrupt(t *testing.T) {
	for _, db := range databases {
		data := readGz(t, db.file)
		t.Run(db.file+"/truncated", func(t *testing.T) {
			cut := data[:len(data)*2/3]
			pkgs, err := extractBytes(t, db.path, cut)
			if err == nil && len(pkgs) == 10 {
				t.Errorf("a database cut to 2/3 gave every package and no error")
			}
		})
		t.Run(db.file+"/flipped", func(t *testing.T) {
			// Scramble every 97th byte past the first page: no panic, and
			// whatever comes out still has a name and a version.
			bad := bytes.Clone(data)
			for i := 4096; i < len(bad); i += 97 {
				bad[i] ^= 0x5a
			}
			pkgs, _ := extractBytes(t, db.path, bad)
			for _, p := range pkgs {
				if p.Name == "" || p.Version == "" {
					t.Errorf("incomplete package %+v", p)
				}
			}
		})
	}
}

func TestHeaderBounds(t *testing.T) {
	tests := []struct {
		name string
		blob []byte
	}{
		{"empty", nil},
		{"no entries", []byte{0, 0, 0, 0, 0, 0, 0, 0}},
		{"entries overrun", []byte{0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1}},
		{"offset past data", []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 9, 0, 0, 0, 1, 'a', 0}},
		{"unterminated", []byte{0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b'}},
		{"name is int", []byte{0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 3, 0xe8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1}},
	}
	for _, tt := range tests {
		if h, err := ParseHeader(tt.blob); err == nil {
			t.Errorf("%s: ParseHeader = %+v, want an error", tt.name, h)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	for _, db := range databases {
		f.Add(readGz(f, db.file))
	}
}

func FuzzHeader(f *testing.F) {
	data := readGz(f, "rpmdb.sqlite.gz")
	_ = Blobs(context.Background(), bytes.NewReader(data), int64(len(data)), func(_ uint64, blob []byte) error {
		if len(blob) < 4096 {
			f.Add(blob)
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, blob []byte) {
		h, err := ParseHeader(blob)
		if (h == nil) == (err == nil) {
			t.Fatalf("header %v with error %v", h, err)
		}
		if h != nil && h.Name == "" {
			t.Fatalf("header without a name")
		}
	})
}

// fuzzDB checks a database reader: no panic, and only blobs that the file
// really holds (never longer than the file).
func fuzzDB(f *testing.F, read func(context.Context, io.ReaderAt, int64, func(uint64, []byte) error) error) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = read(context.Background(), bytes.NewReader(data), int64(len(data)), func(_ uint64, blob []byte) error {
			if len(blob) > len(data) {
				t.Fatalf("blob of %d bytes from a %d-byte file", len(blob), len(data))
			}
			return nil
		})
	})
}

func FuzzSQLite(f *testing.F) { fuzzDB(f, sqliteBlobs) }
func FuzzNDB(f *testing.F)    { fuzzDB(f, ndbBlobs) }
func FuzzBDB(f *testing.F)    { fuzzDB(f, bdbBlobs) }

func BenchmarkExtract(b *testing.B) {
	for _, db := range databases {
		b.Run(string(db.format)+"/"+db.file, func(b *testing.B) {
			data := readGz(b, db.file)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				pkgs, err := extractBytes(b, db.path, data)
				if err != nil || len(pkgs) != 10 {
					b.Fatalf("%d packages, %v", len(pkgs), err)
				}
			}
		})
	}
}
