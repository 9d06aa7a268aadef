package dpkg

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/extract/extracttest"
	"github.com/pavesec/pave/internal/inventory"
)

// goldenPkg shows a summary of Files, which inventory.Package does not
// serialize: the count and the first few (the .list files hold the rest).
type goldenPkg struct {
	inventory.Package
	NFiles int      `json:"nFiles"`
	Files  []string `json:"firstFiles,omitempty"`
}

// scanRoot does what the runner does for this extractor: hand it every
// file it matches under root, fill in locations, then Finish with the tree.
func scanRoot(t testing.TB, root string) []inventory.Package {
	t.Helper()
	e := New()
	ctx := context.Background()
	fsys := os.DirFS(root)
	var pkgs []inventory.Package
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !e.Match(p, info) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		got, err := e.Extract(ctx, &extract.Input{Path: p, Info: info, Reader: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil {
			t.Errorf("Extract(%s): %v", p, err)
		}
		for i := range got {
			got[i].Extractor = e.Name()
			for j := range got[i].Locations {
				got[i].Locations[j].Path = p
			}
		}
		pkgs = append(pkgs, got...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ptrs := make([]*inventory.Package, len(pkgs))
	for i := range pkgs {
		ptrs[i] = &pkgs[i]
	}
	if err := e.Finish(ctx, fsys, ptrs); err != nil {
		t.Errorf("Finish: %v", err)
	}
	return pkgs
}

func checkGolden(t *testing.T, name string, pkgs []inventory.Package) {
	t.Helper()
	out := make([]goldenPkg, len(pkgs))
	for i, p := range pkgs {
		out[i] = goldenPkg{Package: p, NFiles: len(p.Files), Files: p.Files[:min(3, len(p.Files))]}
	}
	extracttest.Golden(t, name+".golden.json", out)
}

func TestGolden(t *testing.T) {
	for _, root := range []string{"debian12", "distroless"} {
		t.Run(root, func(t *testing.T) {
			pkgs := scanRoot(t, filepath.Join("testdata", root))
			checkGolden(t, root, pkgs)
		})
	}
}

// TestDebian12Facts checks the golden file's key facts against the real
// status file independently of the parser: every stanza dpkg marks
// "installed" is reported, nothing else.
func TestDebian12Facts(t *testing.T) {
	pkgs := scanRoot(t, filepath.Join("testdata", "debian12"))
	raw, err := os.ReadFile("testdata/debian12/var/lib/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	installedCount := strings.Count(string(raw), "ok installed\n")
	if len(pkgs) != installedCount {
		t.Errorf("got %d packages, the file has %d installed stanzas", len(pkgs), installedCount)
	}
	byName := map[string]inventory.Package{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	if _, ok := byName["hdparm"]; ok {
		t.Errorf("hdparm is 'deinstall ok config-files' and must not be reported")
	}
	if _, ok := byName["db5.3-util"]; !ok {
		t.Errorf("db5.3-util is 'hold ok installed' and must be reported")
	}
	bash := byName["bash"]
	if bash.Source == nil || bash.Source.Name != "bash" || bash.Source.Version != "5.2.15-2" || bash.Version == bash.Source.Version {
		t.Errorf("bash source = %+v, version %q; want bash (5.2.15-2) from 'Source: bash (5.2.15-2)'", bash.Source, bash.Version)
	}
	if !containsAll(bash.Licenses, "GPL-3+") {
		t.Errorf("bash licences = %v, want GPL-3+ among them", bash.Licenses)
	}
	libc := byName["libc6"]
	if libc.Arch != "amd64" || !containsAll(libc.Files, "lib/x86_64-linux-gnu/libc.so.6") {
		t.Errorf("libc6 arch %q, %d files; want amd64 and libc.so.6 from libc6:amd64.list", libc.Arch, len(libc.Files))
	}
	for _, f := range libc.Files {
		if f == "lib" || f == "usr" || strings.HasPrefix(f, "/") {
			t.Errorf("libc6 file %q: directories and absolute paths must not be listed", f)
		}
	}
}

func containsAll(list []string, want ...string) bool {
	set := map[string]bool{}
	for _, s := range list {
		set[s] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []inventory.Package
		wantErr string
	}{
		{
			name: "crlf, blank runs, continuations",
			in: "\r\n\r\nPackage: zlib1g\r\nStatus: install ok installed\r\nArchitecture: amd64\r\n" +
				"Source: zlib\r\nVersion: 1:1.2.13.dfsg-1\r\nDescription: compression library - runtime\r\n" +
				" zlib is a library implementing the deflate compression method found\r\n .\r\n\r\n \r\n\r\n" +
				"Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b7\nSource: bash (5.2.15-2)\n",
			want: []inventory.Package{
				{Name: "zlib1g", Version: "1:1.2.13.dfsg-1", Ecosystem: inventory.Deb, Arch: "amd64",
					Source: &inventory.SourcePackage{Name: "zlib", Version: "1:1.2.13.dfsg-1"}, Locations: []inventory.Location{{Line: 3}}},
				{Name: "bash", Version: "5.2.15-2+b7", Ecosystem: inventory.Deb,
					Source: &inventory.SourcePackage{Name: "bash", Version: "5.2.15-2"}, Locations: []inventory.Location{{Line: 14}}},
			},
		},
		{
			name: "states",
			in: "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\n" +
				"Package: b\nStatus: install ok unpacked\nVersion: 1\n\n" +
				"Package: c\nStatus: install ok triggers-pending\nVersion: 1\n\n" +
				"Package: d\nStatus: purge ok not-installed\n\n" +
				"Package: e\nStatus: deinstall reinstreq installed\nVersion: 2\n",
			want: []inventory.Package{
				{Name: "c", Version: "1", Ecosystem: inventory.Deb, Source: &inventory.SourcePackage{Name: "c", Version: "1"}, Locations: []inventory.Location{{Line: 9}}},
				{Name: "e", Version: "2", Ecosystem: inventory.Deb, Source: &inventory.SourcePackage{Name: "e", Version: "2"}, Locations: []inventory.Location{{Line: 16}}},
			},
		},
		{
			name:    "bad stanzas are located and the rest kept",
			in:      "Status: install ok installed\n\nPackage: x\nStatus: install ok installed\n\nPackage: y\nStatus: bogus\nVersion: 1\n\nPackage: z\nVersion: 3\nSource: zz (\n\nPackage: ok\nVersion: 1\n",
			want:    []inventory.Package{{Name: "ok", Version: "1", Ecosystem: inventory.Deb, Source: &inventory.SourcePackage{Name: "ok", Version: "1"}, Locations: []inventory.Location{{Line: 14}}}},
			wantErr: "t line 1: stanza has no Package field\ndpkg: parse t line 3: package x: no Version field\ndpkg: parse t line 6: package y: status \"bogus\": want three words\ndpkg: parse t line 10: package z: malformed Source \"zz (\"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(context.Background(), "t", strings.NewReader(tt.in))
			if gotErr := errString(err); !strings.HasSuffix(gotErr, tt.wantErr) || (tt.wantErr == "") != (err == nil) {
				t.Errorf("error = %q, want suffix %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestMatchWants(t *testing.T) {
	e := New()
	for p, want := range map[string]bool{
		"var/lib/dpkg/status":                 true,
		"var/lib/dpkg/status-old":             false,
		"var/lib/dpkg/status.d/libc6":         true,
		"var/lib/dpkg/status.d/libc6.md5sums": false,
		"var/lib/dpkg/status.d/x/y":           false,
		"usr/var/lib/dpkg/status":             false,
	} {
		if got := e.Match(p, nil); got != want {
			t.Errorf("Match(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{
		"var/lib/dpkg/info/libc6:amd64.list":  true,
		"var/lib/dpkg/info/libc6.md5sums":     false,
		"var/lib/dpkg/status.d/libc6.md5sums": true,
		"usr/share/doc/bash/copyright":        true,
		"usr/share/doc/bash/x/copyright":      false,
		"usr/share/doc/copyright":             false,
	} {
		if got := e.Wants(p); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestParseList(t *testing.T) {
	in := "/.\n/usr\n/usr/bin\n/usr/bin/bash\n/usr/share/empty\n/etc\n/etc/skel\n/etc/skel/.bashrc\n"
	want := []string{"etc/skel/.bashrc", "usr/bin/bash", "usr/share/empty"}
	if diff := cmp.Diff(want, parseList([]byte(in))); diff != "" {
		t.Errorf("parseList (-want +got):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/debian12/var/lib/dpkg/status", "testdata/distroless/var/lib/dpkg/status.d/libc6"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Package: a\r\nVersion: 1\r\n \r\nSource: b (2)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _ := Parse(context.Background(), "fuzz", bytes.NewReader(data))
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Source == nil || p.Source.Name == "" || p.Ecosystem != inventory.Deb {
				t.Fatalf("incomplete package %+v", p)
			}
			if len(p.Locations) != 1 || p.Locations[0].Line < 1 {
				t.Fatalf("bad location %+v", p.Locations)
			}
		}
		_ = CopyrightLicenses(data)
		_ = parseList(data)
		_ = parseMD5Sums(data)
	})
}

func BenchmarkExtract(b *testing.B) {
	data, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		b.Skip("no /var/lib/dpkg/status on this machine")
	}
	e := New()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, err := e.Extract(context.Background(), &extract.Input{Path: statusPath, Reader: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil || len(pkgs) == 0 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}
