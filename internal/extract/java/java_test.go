package java

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files")

type fakeInfo struct {
	name string
	size int64
	mode fs.FileMode
}

func (f fakeInfo) Name() string       { return f.name }
func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) Mode() fs.FileMode  { return f.mode }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fakeInfo) Sys() any           { return nil }

func input(p string, data []byte) *extract.Input {
	return &extract.Input{Path: p, Info: fakeInfo{name: filepath.Base(p), size: int64(len(data)), mode: 0o644},
		Reader: bytes.NewReader(data), Size: int64(len(data))}
}

func golden(t *testing.T, name string, got []inventory.Package) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(b)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestArchiveExtract(t *testing.T) {
	e := NewArchiveExtractor()
	for _, name := range []string{
		"slf4j-api.jar",             // pom.properties
		"jul-to-slf4j.jar",          // pom.properties
		"maven3-slf4j-provider.jar", // two pom.properties (shaded)
		"guice-jmx.jar",             // manifest only, Bundle-License
		"aopalliance-1.0.jar",       // file name only
		"demo-app-1.0.0.jar",        // fat jar: BOOT-INF/lib, a war nested in it
	} {
		t.Run(name, func(t *testing.T) {
			pkgs, err := e.Extract(context.Background(), input("usr/share/java/"+name, read(t, name)))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".golden.json", pkgs)
		})
	}
}

func TestArchiveMatch(t *testing.T) {
	e := NewArchiveExtractor()
	for p, want := range map[string]bool{
		"app.jar": true, "x/app.WAR": true, "a.ear": true, "p.hpi": true, "p.jpi": true, "n.nar": true,
		"a.jar.sha1": false, "jar": false, "a.zip": false, "a.class": false,
	} {
		if got := e.Match(p, fakeInfo{filepath.Base(p), 100, 0o644}); got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

// zipOf builds a zip of name → content.
func zipOf(t testing.TB, files map[string][]byte, method uint16) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestArchiveNestingBound(t *testing.T) {
	inner := read(t, "jul-to-slf4j.jar")
	for i := 0; i < maxDepth+1; i++ {
		inner = zipOf(t, map[string][]byte{fmt.Sprintf("lib/level%d.jar", i): inner}, zip.Store)
	}
	pkgs, err := NewArchiveExtractor().Extract(context.Background(), input("deep.jar", inner))
	if !errors.Is(err, ErrHostile) {
		t.Errorf("err = %v, want ErrHostile", err)
	}
	if len(pkgs) != 0 {
		t.Errorf("got %d packages from below the depth limit", len(pkgs))
	}
}

func TestArchiveRatioBound(t *testing.T) {
	bomb := zipOf(t, map[string][]byte{"lib/bomb.jar": bytes.Repeat([]byte{0}, 8<<20)}, zip.Deflate)
	_, err := NewArchiveExtractor().Extract(context.Background(), input("bomb.jar", bomb))
	if !errors.Is(err, ErrHostile) {
		t.Errorf("err = %v, want ErrHostile", err)
	}
}

func TestArchivePartial(t *testing.T) {
	// A good jar beside a broken one: the good one is reported, with an error.
	data := zipOf(t, map[string][]byte{
		"WEB-INF/lib/jul-to-slf4j.jar": read(t, "jul-to-slf4j.jar"),
		"WEB-INF/lib/broken.jar":       []byte("PK\x03\x04 not really"),
	}, zip.Store)
	pkgs, err := NewArchiveExtractor().Extract(context.Background(), input("app.war", data))
	if err == nil {
		t.Error("no error for a broken nested jar")
	}
	if len(pkgs) != 1 || pkgs[0].Name != "org.slf4j:jul-to-slf4j" || pkgs[0].Locations[0].Inner != "WEB-INF/lib/jul-to-slf4j.jar" {
		t.Errorf("got %+v", pkgs)
	}
}

func TestParseManifest(t *testing.T) {
	got := parseManifest([]byte("Manifest-Version: 1.0\r\nBundle-Description: a lon\r\n g line\r\nBundle-Version: 2.0\r\n\r\nName: x/y\r\nBundle-Version: 9\r\n"))
	want := map[string]string{"Manifest-Version": "1.0", "Bundle-Description": "a long line", "Bundle-Version": "2.0"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseProperties(t *testing.T) {
	got := parseProperties([]byte("#Generated by Maven\n! also a comment\ngroupId=org.x\nartifactId : y\nversion 1.\\\n  2\n\n"))
	want := map[string]string{"groupId": "org.x", "artifactId": "y", "version": "1.2"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestSplitFileName(t *testing.T) {
	for in, want := range map[string][2]string{
		"spring-core-6.1.2.jar":           {"spring-core", "6.1.2"},
		"jackson-databind-2.15.0-rc1.jar": {"jackson-databind", "2.15.0-rc1"},
		"guice-jmx.jar":                   {"guice-jmx", ""},
		"aopalliance-1.0.jar":             {"aopalliance", "1.0"},
	} {
		a, v := splitFileName(in)
		if a != want[0] || v != want[1] {
			t.Errorf("splitFileName(%s) = %s, %s; want %v", in, a, v, want)
		}
	}
}

func TestPomExtract(t *testing.T) {
	e := NewPomExtractor()
	tests := []struct{ file, path string }{
		{"jul-to-slf4j-1.7.32.pom", "usr/share/maven-repo/org/slf4j/jul-to-slf4j/1.7.32/jul-to-slf4j-1.7.32.pom"},
		{"commons-lang3-3.12.0.pom", "usr/share/maven-repo/org/apache/commons/commons-lang3/3.12.0/commons-lang3-3.12.0.pom"},
		{"commons-lang3-3.x.pom", "usr/share/maven-repo/org/apache/commons/commons-lang3/3.x/commons-lang3-3.x.pom"},
		{"aopalliance-1.0.pom", "usr/share/maven-repo/aopalliance/aopalliance/1.0/aopalliance-1.0.pom"},
	}
	var all []inventory.Package
	for _, tt := range tests {
		if !e.Match(tt.path, fakeInfo{tt.file, 100, 0o644}) {
			t.Errorf("%s not matched", tt.path)
		}
		pkgs, err := e.Extract(context.Background(), input(tt.path, read(t, "maven-repo/"+tt.file)))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		all = append(all, pkgs...)
	}
	golden(t, "maven-repo.golden.json", all)
}

func TestPomMatch(t *testing.T) {
	e := NewPomExtractor()
	for p, want := range map[string]bool{
		"usr/share/maven-repo/org/slf4j/slf4j-api/1.7.32/slf4j-api-1.7.32.pom":   true,
		"usr/share/maven-repo/org/slf4j/slf4j-api/debian/slf4j-api-debian.pom":   false,
		"usr/share/maven-repo/org/slf4j/slf4j-api/1.7.32/slf4j-api-1.7.32.jar":   false,
		"usr/share/maven-repo/org/slf4j/slf4j-api/1.7.32/other-1.7.32.pom":       false,
		"home/u/.m2/repository/org/slf4j/slf4j-api/1.7.32/slf4j-api-1.7.32.pom":  false,
		"x/usr/share/maven-repo/org/slf4j/slf4j-api/1.7.32/slf4j-api-1.7.32.pom": true,
	} {
		if got := e.Match(p, fakeInfo{filepath.Base(p), 100, 0o644}); got != want {
			t.Errorf("Match(%s) = %v, want %v", p, got, want)
		}
	}
}

func FuzzManifest(f *testing.F) {
	f.Add([]byte("Manifest-Version: 1.0\nBundle-Version: 1\n lo\n\nName: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k := range parseManifest(data) {
			if k == "" {
				t.Error("empty key")
			}
		}
	})
}

func FuzzProperties(f *testing.F) {
	f.Add([]byte("#c\ngroupId=a\nartifactId=b\nversion=1\\\n.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for k := range parseProperties(data) {
			if k == "" {
				t.Error("empty key")
			}
		}
	})
}

func FuzzPom(f *testing.F) {
	for _, n := range []string{"jul-to-slf4j-1.7.32.pom", "commons-lang3-3.x.pom"} {
		f.Add(read(f, "maven-repo/"+n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := parsePom(data, "1.0")
		if err != nil && len(pkgs) > 0 {
			t.Error("packages with an error")
		}
	})
}

func FuzzArchive(f *testing.F) {
	f.Add(read(f, "jul-to-slf4j.jar"))
	f.Add(read(f, "guice-jmx.jar"))
	e := NewArchiveExtractor()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = e.Extract(context.Background(), input("x.jar", data))
	})
}

func BenchmarkArchive(b *testing.B) {
	// The fat jar from testdata, and a real jar with ~400 entries when the
	// machine has one.
	for _, p := range []string{"testdata/demo-app-1.0.0.jar", "/usr/share/java/commons-lang3.jar"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		e := NewArchiveExtractor()
		b.Run(filepath.Base(p), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := e.Extract(context.Background(), input("x.jar", data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPom(b *testing.B) {
	data := read(b, "maven-repo/commons-lang3-3.12.0.pom")
	e := NewPomExtractor()
	b.SetBytes(int64(len(data)))
	p := "usr/share/maven-repo/org/apache/commons/commons-lang3/3.12.0/commons-lang3-3.12.0.pom"
	for b.Loop() {
		if _, err := e.Extract(context.Background(), input(p, data)); err != nil {
			b.Fatal(err)
		}
	}
}
