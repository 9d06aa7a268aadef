// Package feedtest holds what the feed parsers' tests share: golden files
// and the unpacked sample vulnerability data.
package feedtest

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Golden compares got, as indented JSON, with testdata/name; -update
// rewrites the file.
func Golden(t *testing.T, name string, got any) {
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
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// VulndataPath returns the path of rel in the unpacked sample-data bundle
// ($PAVE_VULNDATA, default /var/tmp/vulndata/extracted, where
// scripts/setup.sh unpacks it), or "" when it is absent.
func VulndataPath(rel string) string {
	dir := os.Getenv("PAVE_VULNDATA")
	if dir == "" {
		dir = "/var/tmp/vulndata/extracted"
	}
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// bundlePresent reports whether the bundle itself is on this machine
// (../shared/data beside the repository, or /work/shared/data), so that
// setup.sh could have unpacked it.
func bundlePresent() bool {
	for _, dir := range []string{"../../../../shared/data", "/work/shared/data"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "vulndata-bundle-*.tar.zst")); len(m) > 0 {
			return true
		}
	}
	return false
}

// Vulndata is VulndataPath for a test that needs the file. It skips when
// the data is absent, but fails under CI when the bundle is on the machine
// and should have been unpacked by scripts/setup.sh.
func Vulndata(t testing.TB, rel string) string {
	t.Helper()
	p := VulndataPath(rel)
	if p == "" {
		if os.Getenv("CI") != "" && bundlePresent() {
			t.Fatalf("real data %s missing although the bundle is here: run scripts/setup.sh", rel)
		}
		t.Skipf("real data %s missing; unpack the vulndata bundle (scripts/setup.sh) or set PAVE_VULNDATA", rel)
	}
	return p
}

// Read returns a file's content or fails the test.
func Read(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
