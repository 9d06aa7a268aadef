package safefs

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct {
		in, want string
		hostile  bool
	}{
		{"etc/passwd", "etc/passwd", false},
		{"/etc/passwd", "etc/passwd", false},
		{"./usr/bin/", "usr/bin", false},
		{"a/../b", "b", false},
		{"", ".", false},
		{"./", ".", false},
		{"/", ".", false},
		{"//a//b", "a/b", false},
		{`a\..\..\b`, `a\..\..\b`, false}, // a backslash is a name character
		{"..", "", true},
		{"../x", "", true},
		{"a/../../x", "", true},
		{"/../x", "", true},
		{"a\x00b", "", true},
	}
	for _, tc := range tests {
		got, err := Clean(tc.in)
		if tc.hostile {
			if !errors.Is(err, ErrHostile) {
				t.Errorf("Clean(%q) = %q, %v; want ErrHostile", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Clean(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestJoin(t *testing.T) {
	root := t.TempDir()
	tests := []struct {
		name, want string
		hostile    bool
	}{
		{"a/b", filepath.Join(root, "a/b"), false},
		{"/etc/passwd", filepath.Join(root, "etc/passwd"), false},
		{".", root, false},
		{"../../etc/passwd", "", true},
		{"a/../../b", "", true},
	}
	for _, tc := range tests {
		got, err := Join(root, tc.name)
		if tc.hostile {
			if !errors.Is(err, ErrHostile) {
				t.Errorf("Join(%q) = %q, %v; want ErrHostile", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Join(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if rel, err := filepath.Rel(root, got); err != nil || strings.HasPrefix(rel, "..") {
			t.Errorf("Join(%q) = %q escapes %q", tc.name, got, root)
		}
	}
}

// realJar is Debian's libaopalliance-java aopalliance-1.0.jar.
func realJar(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/aopalliance-1.0.jar")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestZipReal(t *testing.T) {
	b := realJar(t)
	z, err := OpenZip(bytes.NewReader(b), int64(len(b)), ZipLimits{})
	if err != nil {
		t.Fatal(err)
	}
	var manifest string
	for _, f := range z.Files() {
		if f.Name == "META-INF/MANIFEST.MF" {
			rc, err := z.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			manifest = string(data)
		}
	}
	if !strings.Contains(manifest, "Manifest-Version") {
		t.Errorf("MANIFEST.MF = %q", manifest)
	}
	if len(z.Files()) < 10 {
		t.Errorf("%d files", len(z.Files()))
	}
}

func mkZip(t testing.TB, files map[string][]byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
	}
	zw.Close()
	return buf.Bytes()
}

func TestZipHostile(t *testing.T) {
	bomb := mkZip(t, map[string][]byte{"zeros": make([]byte, 8<<20)})
	tests := []struct {
		name    string
		data    []byte
		lim     ZipLimits
		open    string // member to open; "" to fail at OpenZip
		want    error
		message string
	}{
		{"dotdot", mkZip(t, map[string][]byte{"../../evil.sh": []byte("x")}), ZipLimits{}, "", ErrHostile, "escapes the root"},
		{"too many", realJar(t), ZipLimits{MaxEntries: 3}, "", ErrHostile, "more than 3"},
		{"not a zip", []byte("PK\x03\x04 not really"), ZipLimits{}, "", ErrCorrupt, "zip"},
		{"ratio", bomb, ZipLimits{}, "zeros", ErrHostile, "ratio over 200:1"},
		{"file size", bomb, ZipLimits{MaxFileBytes: 1 << 20}, "zeros", ErrHostile, "over the 1048576-byte limit"},
		{"total", bomb, ZipLimits{MaxTotalBytes: 1 << 20, MaxRatio: 1 << 20}, "zeros", ErrHostile, "from all members"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z, err := OpenZip(bytes.NewReader(tc.data), int64(len(tc.data)), tc.lim)
			if tc.open != "" && err == nil {
				for _, f := range z.Files() {
					if f.Name != tc.open {
						continue
					}
					var rc io.ReadCloser
					rc, err = z.Open(f)
					if err == nil {
						_, err = io.Copy(io.Discard, rc)
						rc.Close()
					}
				}
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("err = %v, want %v mentioning %q", err, tc.want, tc.message)
			}
		})
	}
}

func FuzzOpenZip(f *testing.F) {
	f.Add(realJar(f))
	f.Add(mkZip(f, map[string][]byte{"a/b": []byte("hello"), "../c": nil}))
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := OpenZip(bytes.NewReader(data), int64(len(data)), ZipLimits{MaxTotalBytes: 4 << 20, MaxFileBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, f := range z.Files() {
			if strings.HasPrefix(f.Name, "../") || f.Name == ".." || strings.HasPrefix(f.Name, "/") {
				t.Fatalf("unsafe name %q", f.Name)
			}
			rc, err := z.Open(f)
			if err != nil {
				continue
			}
			n, _ := io.Copy(io.Discard, rc)
			rc.Close()
			if n > 1<<20 {
				t.Fatalf("read %d bytes from one member", n)
			}
		}
	})
}

func BenchmarkOpenZip(b *testing.B) {
	data := realJar(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		z, err := OpenZip(bytes.NewReader(data), int64(len(data)), ZipLimits{})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range z.Files() {
			if rc, err := z.Open(f); err == nil {
				io.Copy(io.Discard, rc)
				rc.Close()
			}
		}
	}
}
