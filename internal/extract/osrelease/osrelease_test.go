package osrelease

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

// scanDay is a fixed "now" so the golden file does not age.
var scanDay = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*inventory.Distro{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dist, err := Detect(os.DirFS(filepath.Join("testdata", d.Name())), scanDay)
		if err != nil {
			t.Errorf("%s: %v", d.Name(), err)
			continue
		}
		got[d.Name()] = dist
	}
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	name := filepath.Join("testdata", "detect.golden.json")
	if *update {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), string(data)); diff != "" {
		t.Errorf("golden mismatch (-want +got):\n%s", diff)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		dir                 string
		id, version, source string
		eol                 string
		endOfLife           bool
	}{
		// etc/os-release is a symlink to ../usr/lib/os-release.
		{"debian12", "debian", "12", "etc/os-release", "2028-06-30", false},
		{"usrlib-only", "debian", "12", "usr/lib/os-release", "2028-06-30", false},
		// etc/os-release wins over usr/lib/os-release and debian_version.
		{"precedence", "ubuntu", "22.04", "etc/os-release", "2027-06-01", false},
		{"alpine314", "alpine", "3.14.0", "etc/os-release", "2023-05-01", true},
		{"centos7", "centos", "7", "etc/os-release", "2024-06-30", true},
		{"centos-stream9", "centos", "9", "etc/os-release", "2027-05-31", false},
		{"ubi9", "rhel", "9.3", "etc/os-release", "2032-05-31", false},
		{"amzn2", "amzn", "2", "etc/os-release", "2026-06-30", false},
		{"wolfi", "wolfi", "20230201", "etc/os-release", "", false},
		{"sles155", "sles", "15.5", "etc/os-release", "2024-12-31", true},
		{"photon4", "photon", "4.0", "etc/os-release", "2026-03-01", false},
		{"mariner2", "mariner", "2.0", "etc/os-release", "2025-07-31", true},
		{"fallback-debian", "debian", "11", "etc/debian_version", "2026-08-31", false},
		{"fallback-sid", "debian", "", "etc/debian_version", "", false},
		{"fallback-centos", "centos", "7.9.2009", "etc/redhat-release", "2024-06-30", true},
		{"fallback-lsb", "ubuntu", "20.04", "etc/lsb-release", "2025-05-29", true},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			d, err := Detect(os.DirFS(filepath.Join("testdata", tt.dir)), scanDay)
			if err != nil {
				t.Fatal(err)
			}
			got := [4]string{d.ID, d.VersionID, d.Source, d.EOL}
			want := [4]string{tt.id, tt.version, tt.source, tt.eol}
			if got != want || d.EndOfLife != tt.endOfLife {
				t.Errorf("got %v eol=%v, want %v eol=%v", got, d.EndOfLife, want, tt.endOfLife)
			}
		})
	}
}

func TestQuoting(t *testing.T) {
	d, err := Detect(os.DirFS("testdata/quoting"), scanDay)
	if err != nil {
		t.Fatal(err)
	}
	want := &inventory.Distro{ID: "debian", VersionID: "12", VersionCodename: "bookworm",
		PrettyName: "A \"quoted\" $name with \\ and ` and \\n kept", Source: "etc/os-release", EOL: "2028-06-30"}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := Parse([]byte("NAME='Quote '\"Test\"\n"))["NAME"]; got != "Quote Test" {
		t.Errorf("concatenated quotes = %q", got)
	}
}

func TestEndOfLifeBoundary(t *testing.T) {
	d := &inventory.Distro{ID: "debian", VersionID: "10"} // 2024-06-30
	for _, c := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2024, 6, 30, 23, 59, 0, 0, time.UTC), false},
		{time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		SetEOL(d, c.now)
		if d.EndOfLife != c.want {
			t.Errorf("at %v EndOfLife = %v, want %v", c.now, d.EndOfLife, c.want)
		}
	}
}

func TestNotFound(t *testing.T) {
	fsys := fstest.MapFS{"etc/hostname": {Data: []byte("x\n")}, "etc/os-release": {Data: []byte("NAME=nothing\n")}}
	if _, err := Detect(fsys, scanDay); !errors.Is(err, ErrNotFound) {
		t.Errorf("Detect = %v, want ErrNotFound", err)
	}
}

func TestEOLTableDates(t *testing.T) {
	for id, m := range eol {
		for k, v := range m {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				t.Errorf("%s %s: %v", id, k, err)
			}
		}
	}
}

func FuzzParseOSRelease(f *testing.F) {
	for _, p := range []string{"debian12/usr/lib/os-release", "quoting/etc/os-release", "centos7/etc/os-release", "fallback-lsb/etc/lsb-release"} {
		data, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for k := range Parse(data) {
			if !validKey(k) {
				t.Fatalf("invalid key %q", k)
			}
		}
		for _, parse := range []func([]byte) *inventory.Distro{ParseOSRelease, parseAlpineRelease, parseLSBRelease, parseRedHatRelease, parseDebianVersion} {
			if d := parse(data); d != nil {
				SetEOL(d, scanDay)
				if d.EndOfLife && d.EOL == "" {
					t.Fatalf("end of life without a date: %+v", d)
				}
			}
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	fsys := os.DirFS("testdata/debian12")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Detect(fsys, scanDay); err != nil {
			b.Fatal(err)
		}
	}
}
